#!/usr/bin/env python3
"""Obtains Prometheus 2.42's own output for alert templates, to pin it in template_test.cc.

Not run by the tests. Run it by hand (needs Debian's promtool 2.42 on PATH):

    python3 tests/templating/promtool_cases.py > tests/templating/template_promtool_cases.inc

Each case becomes an annotation of one alerting rule; `promtool test rules` evaluates the
rule on fixed input series and prints the annotations it got, which is Go's text/template
output (or "<error expanding template: ...>"). Templates that Prometheus refuses to parse
fail the whole rule file, so those are found first and recorded with the parse error.
The generated file lists {template, expected output, is_parse_error}; template_test.cc
runs each through Andon's implementation with the same data (see kPromtoolData there).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

# The alert's data: `up` has one series; its labels (incl. __name__) and value are .Labels
# and .Value. node_load feeds the `query` cases.
TEST_FILE = """rule_files: [rules.yml]
evaluation_interval: 1m
tests:
- interval: 1m
  external_labels:
    cluster: prod
    region: eu-1
  external_url: http://andon.example.com:9090/prefix/path
  input_series:
  - series: 'up{job="api", instance="host1.example.com:9100"}'
    values: '1234.5678 1234.5678 1234.5678'
  - series: 'node_load{instance="b"}'
    values: '2 2 2'
  - series: 'node_load{instance="a"}'
    values: '1 1 1'
  - series: 'node_load{instance="c", x="y"}'
    values: '0.5 0.5 0.5'
  alert_rule_test:
  - eval_time: 1m
    alertname: A
    exp_alerts: []
"""

CASES = [
    # text, actions, trim markers, comments
    "plain text",
    "",
    "a {{ \"b\" }} c",
    "a  {{- \"b\" -}}  c",
    "a\n\n{{- \"b\" }}\n\nc",
    "a {{- /* comment */ -}} b",
    "a {{/* comment */}} b",
    "{{/* multi\nline */}}x",
    "{{ `raw \\n string` }}",
    "{{ \"esc \\t\\\" \\\\ \\x41\\u00e9\\U0001F600 \\101\" }}",
    "{{ 'a' }} {{ '\\n' }} {{ '\\u00e9' }}",
    # literals and numbers
    "{{ 1 }} {{ -1 }} {{ +3 }} {{ 1.5 }} {{ 1e3 }} {{ 1.0 }} {{ 0x1F }} {{ 0o17 }} {{ 017 }} {{ 0b101 }}",
    "{{ 1_000 }} {{ 0x_1F }} {{ 1e-7 }} {{ 123456789.0 }} {{ 1e21 }} {{ 1e20 }} {{ .5 }}",
    "{{ 0x1p-2 }} {{ 9223372036854775807 }} {{ -9223372036854775808 }}",
    "{{ true }} {{ false }}",
    "{{ 100000 }} {{ 1000000.0 }} {{ 0.0001 }} {{ 0.00001 }} {{ 3.0e5 }}",
    # data
    "{{ $value }}",
    "{{ .Value }}",
    "{{ $labels }}",
    "{{ .Labels }}",
    "{{ $labels.job }} {{ .Labels.instance }} {{ $labels.__name__ }}",
    "[{{ $labels.missing }}]",
    "{{ $externalLabels }} {{ $externalLabels.cluster }} {{ .ExternalLabels.region }}",
    "{{ $externalURL }} {{ .ExternalURL }}",
    "{{ . }}",
    "{{ $ }}",
    "{{ .Missing }}",
    "{{ .Labels.job.foo }}",
    "{{ $labels.job 1 }}",
    "{{ .Value 1 }}",
    "{{ $value.x }}",
    # variables
    "{{ $x := 1 }}{{ $x }}",
    "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}",
    "{{ $x := \"a\" }}{{ if true }}{{ $x = \"b\" }}{{ $y := 3 }}{{ end }}{{ $x }}",
    "{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}",
    "{{ $y = 2 }}",
    "{{ $nope }}",
    "{{ $x := $labels }}{{ $x.job }}",
    # pipelines
    "{{ $value | humanize }}",
    "{{ 1234567 | humanize | printf \"%s!\" }}",
    "{{ \"x\" | printf \"%s-%s\" \"y\" }}",
    "{{ 1 | 2 }}",
    "{{ (1) }} {{ (printf \"%d\" 3) }}",
    "{{ (args 1 2).arg1 }}",
    "{{ (1).x }}",
    "{{ (nil).x }}",
    "{{ nil }}",
    "{{ . 1 }}",
    "{{ 1 2 }}",
    "{{ \"a\" | humanize }}",
    # if / else
    "{{ if true }}yes{{ end }}",
    "{{ if false }}yes{{ else }}no{{ end }}",
    "{{ if 0 }}a{{ else if 1 }}b{{ else }}c{{ end }}",
    "{{ if \"\" }}a{{ else if 0.0 }}b{{ else }}c{{ end }}",
    "{{ if $labels }}has labels{{ end }}",
    "{{ if $labels.missing }}a{{ else }}b{{ end }}",
    "{{ if .Missing }}a{{ end }}",
    "{{ if gt $value 1000.0 }}big{{ else }}small{{ end }}",
    "{{ if and 1 0 }}a{{ else }}b{{ end }} {{ and 1 2 }} {{ and 0 2 }} {{ or 0 \"\" }} {{ or 0 3 }}",
    "{{ and 1 }} {{ or \"\" }} {{ 5 | and 1 }} {{ 0 | or 1 }}",
    "{{ not 0 }} {{ not 1 }} {{ not \"\" }} {{ not $labels }}",
    "{{ if }}x{{ end }}",
    # range
    "{{ range $labels }}{{ . }},{{ end }}",
    "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}",
    "{{ range $v := $labels }}{{ $v }};{{ end }}",
    "{{ range $externalLabels }}{{ . }}{{ else }}none{{ end }}",
    "{{ range .Missing }}x{{ else }}empty{{ end }}",
    "{{ range $i, $e := args \"a\" \"b\" }}{{ $i }}:{{ $e }} {{ end }}",
    "{{ range 5 }}x{{ end }}",
    "{{ range \"abc\" }}x{{ end }}",
    "{{ range $value }}x{{ end }}",
    "{{ range $k, $v := $labels }}{{ if eq $k \"job\" }}{{ break }}{{ end }}{{ $k }};{{ end }}",
    "{{ range $k, $v := $labels }}{{ if eq $k \"instance\" }}{{ continue }}{{ end }}{{ $k }};{{ end }}",
    "{{ break }}",
    "{{ range $a, $b, $c := $labels }}{{ end }}",
    "{{ range $x := 1 }}{{ end }}",
    "{{ range query \"node_load\" }}{{ .Labels.instance }}={{ .Value }} {{ end }}",
    "{{ range $i, $s := query \"node_load\" }}{{ $i }}:{{ $s.Value }} {{ end }}",
    # with
    "{{ with $labels.job }}job={{ . }}{{ end }}",
    "{{ with $labels.missing }}x{{ else }}no job{{ end }}",
    "{{ with $x := 5 }}{{ $x }}{{ . }}{{ end }}",
    "{{ with 0 }}x{{ end }}",
    # define / template / block
    "{{ define \"t\" }}T{{ . }}{{ end }}{{ template \"t\" 1 }}{{ template \"t\" }}",
    "{{ define \"t\" }}[{{ $labels }}]{{ end }}{{ template \"t\" . }}",
    "{{ define \"t\" }}[{{ .Labels.job }}]{{ end }}{{ template \"t\" . }}",
    "{{ template \"nope\" }}",
    "{{ block \"b\" $labels.job }}<{{ . }}>{{ end }}",
    "{{ define \"t\" }}{{ .Foo }}{{ end }}{{ template \"t\" . }}",
    "{{ define \"t\" }}a{{ end }}{{ define \"t\" }}b{{ end }}",
    "{{ template \"x\" 1 2 }}",
    "{{ template x }}",
    "{{ define }}",
    # comparisons
    "{{ eq 1 1 }} {{ eq 1 2 }} {{ eq \"a\" \"a\" }} {{ eq 1 2 3 1 }} {{ eq 1.5 1.5 }} {{ eq true true }}",
    "{{ ne 1 2 }} {{ ne \"a\" \"a\" }}",
    "{{ lt 1 2 }} {{ le 2 2 }} {{ gt 3 2 }} {{ ge 1 2 }} {{ lt \"a\" \"b\" }} {{ lt 1.5 2.5 }}",
    "{{ eq 1 1.0 }}",
    "{{ eq 1 \"1\" }}",
    "{{ lt 1 1.5 }}",
    "{{ lt true false }}",
    "{{ eq $labels $labels }}",
    "{{ eq 1 }}",
    "{{ eq .Missing nil }}",
    "{{ eq $labels.missing \"\" }}",
    "{{ eq (args 1).nope \"x\" }}",
    "{{ lt (args 1).nope 1 }}",
    "{{ eq $value 1234.5678 }}",
    "{{ gt $value 1 }}",
    "{{ lt nil 1 }}",
    # len, index, slice
    "{{ len \"hello\" }} {{ len $labels }} {{ len (args 1 2 3) }} {{ len (query \"node_load\") }}",
    "{{ len 3 }}",
    "{{ len .Missing }}",
    "{{ index $labels \"job\" }} [{{ index $labels \"nope\" }}] {{ index (args 1 2) \"arg1\" }} {{ index (args 1) \"x\" }}",
    "{{ index \"abc\" 1 }}",
    "{{ index \"abc\" 3 }}",
    "{{ index \"abc\" 5 }}",
    "{{ index $labels 1 }}",
    "{{ index 1 1 }}",
    "{{ index nil 1 }}",
    "{{ index $labels }}",
    "{{ (index (query \"node_load\") 1).Value }}",
    "{{ index (query \"node_load\") 9 }}",
    "{{ index (query \"node_load\") \"a\" }}",
    "{{ slice \"abcdef\" 1 3 }} {{ slice \"abcdef\" 2 }} {{ slice \"abcdef\" }}",
    "{{ slice \"abc\" 2 1 }}",
    "{{ slice \"abc\" 1 2 3 }}",
    "{{ slice 1 1 }}",
    "{{ slice \"abc\" 9 }}",
    # print family
    "{{ print 1 2 \"a\" \"b\" 3 true nil }}",
    "{{ println 1 \"a\" }}",
    "{{ print }}|{{ println }}|",
    "{{ printf \"%d %5d %-5d| %05d %x %X %o %b %c %q %U %+d\" 42 42 42 42 255 255 8 5 65 65 65 7 }}",
    "{{ printf \"%f %.2f %8.3f %-8.1f| %e %E %g %G %.3g %.10g\" 3.14159 3.14159 3.14159 3.14159 1234.5678 1234.5678 1234.5678 0.000012345 1234.5678 1234.5678 }}",
    "{{ printf \"%v %v %v %v %v %v\" 1e6 1e-5 123456.0 0.1 100.0 1e21 }}",
    "{{ printf \"%s %q %x %X %10s|%-10s|%.2s\" \"hi\" \"q\\\"t\" \"hi\" \"hi\" \"r\" \"l\" \"trunc\" }}",
    "{{ printf \"%t %v\" true false }}",
    "{{ printf \"%d\" \"str\" }} {{ printf \"%s\" 1 }} {{ printf \"%f\" 1 }} {{ printf \"%d\" 1.5 }} {{ printf \"%t\" 1 }}",
    "{{ printf \"%d %d\" 1 }} {{ printf \"%d\" 1 2 }} {{ printf \"%!\" }} {{ printf \"%\" }} {{ printf \"100%%\" }}",
    "{{ printf \"%v %s %d\" nil nil nil }}",
    "{{ printf \"%v\" $labels }} {{ printf \"%s\" $labels }} {{ printf \"%d\" $labels }}",
    "{{ printf \"%T %T %T %T %T %T %T\" 1 1.5 \"s\" true $labels (args) nil }}",
    "{{ printf \"%T %T %T\" (query \"up\") (first (query \"up\")) (toTime 1) }}",
    "{{ printf \"%v\" (first (query \"up\")) }}",
    "{{ printf \"%*d|%-*d|%.*f\" 5 1 4 2 2 3.14159 }}",
    "{{ printf \"%+.2e % d %+v\" 12345.678 5 -3 }}",
    "{{ printf \"%v %v %v\" (1.0) -0.0 -1.5 }}",
    "{{ printf \"%6.2f|%-8.3e|%08.3f|%+08d\" -1.5 -1.5 -1.5 -42 }}",
    "{{ printf \"%x %X\" -255 -255 }}",
    "{{ printf \"%5t|%-7v|\" true false }}",
    "{{ printf \"%q\" \"tab\\there\\nnl \\x01 é\" }}",
    "{{ printf 1 }}",
    "{{ printf }}",
    "{{ printf \"%v %v\" (args 1 \"a\") (args) }}",
    "{{ print (args 1 \"a\") }} {{ print $value }} {{ print 1.0 }} {{ print 1e100 }}",
    "{{ html \"<a href='x'>&\\\"</a>\" }} {{ html 1 2 }} {{ html .Missing }}",
    "{{ js \"it's <b>\\\"x\\\"</b> & = \\\\ \\n\" }} {{ js 5 }}",
    "{{ urlquery \"a b&c=d/é\" }} {{ urlquery \"x\" 1 }}",
    # humanize family
    "{{ humanize 0 }} {{ humanize 1 }} {{ humanize 999 }} {{ humanize 1000 }} {{ humanize 1234.5678 }} {{ humanize 1e6 }} {{ humanize 1.5e9 }}",
    "{{ humanize 1e30 }} {{ humanize -1234567 }} {{ humanize 0.001 }} {{ humanize 0.0001234 }} {{ humanize 1e-30 }} {{ humanize -0.5 }}",
    "{{ humanize \"1234\" }} {{ humanize \"1e3\" }} {{ humanize \"NaN\" }} {{ humanize \"+Inf\" }} {{ humanize \"-inf\" }} {{ humanize \"0x10p0\" }}",
    "{{ humanize \"abc\" }}",
    "{{ humanize \"1e400\" }}",
    "{{ humanize true }}",
    "{{ humanize $labels }}",
    "{{ humanize .Missing }}",
    "{{ humanize $value }} {{ humanize 12345 }} {{ humanize 123456789 }}",
    "{{ humanize1024 0 }} {{ humanize1024 1 }} {{ humanize1024 1023 }} {{ humanize1024 1024 }} {{ humanize1024 1048576 }} {{ humanize1024 1.5e12 }} {{ humanize1024 -2048 }} {{ humanize1024 0.5 }}",
    "{{ humanize1024 \"NaN\" }} {{ humanize1024 1e30 }}",
    "{{ humanizeDuration 0 }} {{ humanizeDuration 1 }} {{ humanizeDuration 59.5 }} {{ humanizeDuration 60 }} {{ humanizeDuration 3661 }} {{ humanizeDuration 86400 }} {{ humanizeDuration 90061.5 }}",
    "{{ humanizeDuration 0.5 }} {{ humanizeDuration 0.0012 }} {{ humanizeDuration 1e-9 }} {{ humanizeDuration -1 }} {{ humanizeDuration -3661 }} {{ humanizeDuration -0.5 }}",
    "{{ humanizeDuration \"NaN\" }} {{ humanizeDuration \"Inf\" }} {{ humanizeDuration 1e10 }} {{ humanizeDuration \"3.5\" }}",
    "{{ humanizePercentage 0 }} {{ humanizePercentage 0.5 }} {{ humanizePercentage 0.123456 }} {{ humanizePercentage 1 }} {{ humanizePercentage 12.5 }} {{ humanizePercentage \"0.25\" }}",
    "{{ humanizeTimestamp 0 }} {{ humanizeTimestamp 1500000000 }} {{ humanizeTimestamp 1.5e9 }} {{ humanizeTimestamp 1500000000.123456 }} {{ humanizeTimestamp -1 }}",
    "{{ humanizeTimestamp \"NaN\" }} {{ humanizeTimestamp \"Inf\" }} {{ humanizeTimestamp 1e20 }}",
    "{{ humanizeTimestamp 1e10 }} {{ humanizeTimestamp 1.5e9 | printf \"%q\" }} {{ humanizeTimestamp 951782400 }} {{ humanizeTimestamp -62135596800 }}",
    "{{ toTime 1500000000 }} {{ toTime 1.5e9 }} {{ toTime 0.5 }}",
    "{{ toTime \"NaN\" }}",
    "{{ (toTime 1).x }}",
    "{{ printf \"%v|%s\" (toTime 1) (toTime 2) }}",
    "{{ humanize }}",
    "{{ humanize 1 2 }}",
    # strings
    "{{ title \"hello wORLD foo_bar-baz 1a\" }} {{ toUpper \"abc Def\" }} {{ toLower \"ABC dEf\" }}",
    "{{ toUpper $value }}",
    "{{ toUpper 1 }}",
    "{{ toUpper nil }}",
    "{{ toUpper .Missing }}",
    "{{ match \"^h.*\" \"hello\" }} {{ match \"x\" \"hello\" }} {{ match \"l+\" \"hello\" }}",
    "{{ match \"(\" \"x\" }}",
    "{{ match \"[a\" \"x\" }}",
    "{{ match \"a**\" \"x\" }}",
    "{{ match \"\\\\\" \"x\" }}",
    "{{ match \"\\\\q\" \"x\" }}",
    "{{ match \"*\" \"x\" }}",
    "{{ match \"a)\" \"x\" }}",
    "{{ match \"[z-a]\" \"x\" }}",
    "{{ reReplaceAll \"(.*):.*\" \"$1\" \"host:9100\" }} {{ reReplaceAll \"a\" \"b\" \"banana\" }} {{ reReplaceAll \"x*\" \"-\" \"abc\" }}",
    "{{ reReplaceAll \"(?P<h>[a-z]+)\\\\.(\\\\w+)\" \"${2}_$h $$ $1x ${1}x $9 $\" \"host.example\" }}",
    "{{ reReplaceAll \"a|\" \"X\" \"baaac\" }} {{ reReplaceAll \"\" \"-\" \"héllo\" }} {{ reReplaceAll \"^\" \">\" \"ab\" }}",
    "{{ reReplaceAll \"(\" \"x\" \"y\" }}",
    "{{ $labels.instance | reReplaceAll \":.*\" \"\" }}",
    "{{ safeHtml \"<b>x</b>\" }} {{ printf \"%T\" (safeHtml \"x\") }}",
    "{{ stripPort \"host:9100\" }} {{ stripPort \"host\" }} {{ stripPort \"[::1]:80\" }} {{ stripPort \"::1\" }} {{ stripPort \"a:b:c\" }} {{ stripPort \"[::1]\" }} {{ stripPort \"h:\" }}",
    "{{ stripDomain \"host.example.com:9100\" }} {{ stripDomain \"host.example.com\" }} {{ stripDomain \"10.0.0.1:80\" }} {{ stripDomain \"10.0.0.1\" }} {{ stripDomain \"[::1]:80\" }} {{ stripDomain \"host\" }} {{ stripDomain \".x\" }}",
    "{{ $labels.instance | stripDomain }} {{ $labels.instance | stripPort }}",
    "{{ graphLink \"rate(x[5m]) > 0\" }} {{ tableLink \"up{job=\\\"a b\\\"}\" }}",
    "{{ parseDuration \"1h30m\" }} {{ parseDuration \"0\" }} {{ parseDuration \"1.5s\" }} {{ parseDuration \"500ms\" }} {{ parseDuration \"1y\" }}",
    "{{ parseDuration \"1.5s\" }}",
    "{{ parseDuration \"1hh\" }}",
    "{{ parseDuration 5 }}",
    # query results
    "{{ query \"node_load\" | len }}",
    "{{ with query \"node_load\" }}{{ . | first | value }} {{ . | first | label \"instance\" }}{{ end }}",
    "{{ (query \"node_load\" | first).Labels.instance }}",
    "{{ range query \"node_load\" | sortByLabel \"instance\" }}{{ .Labels.instance }}{{ end }}",
    "{{ range sortByLabel \"x\" (query \"node_load\") }}{{ .Labels.instance }}{{ end }}",
    "{{ query \"nonexistent\" | first }}",
    "{{ with query \"nonexistent\" }}x{{ else }}none{{ end }}",
    "{{ range query \"nonexistent\" }}x{{ else }}none{{ end }}",
    "{{ query \"up\" | first | value | humanize }} {{ query \"up\" | first | strvalue }}|",
    "{{ (first (query \"up\")).Value }} {{ (first (query \"up\")).Labels }}",
    "{{ first (query \"up\") }}",
    "{{ (first (query \"up\")).Nope }}",
    "{{ label \"job\" (first (query \"up\")) }} [{{ label \"nope\" (first (query \"up\")) }}]",
    "{{ value 1 }}",
    "{{ label \"x\" $labels }}",
    "{{ first $labels }}",
    "{{ first nil }}",
    "{{ value nil }} [{{ label \"x\" nil }}]",
    "{{ query 1 }}",
    "{{ query \"1\" | first | value }} {{ (query \"1\" | first).Labels }}",
    "{{ range $k, $v := (query \"up\" | first).Labels }}{{ $k }}{{ end }}",
    "{{ index (query \"node_load\" | first).Labels \"instance\" }}",
    "{{ len (first (query \"up\")) }}",
    "{{ index (first (query \"up\")) 0 }}",
    "{{ args }} {{ args 1 }} {{ (args 1 \"x\").arg0 }} {{ len (args 1 2 3 4 5 6 7 8 9 10 11) }} {{ args 1 2 3 4 5 6 7 8 9 10 11 }}",
    "{{ (args 1 2).nope }}|{{ (args (args 1)).arg0.arg0 }}|{{ (args 1).arg0.x }}",
    # misc errors at execution
    "{{ call 1 }}",
    "{{ call nil }}",
    "{{ not }}",
    "{{ not 1 2 }}",
    "{{ and }}",
    "{{ index }}",
    "{{ $labels.job | printf \"%s\" | toUpper | len }}",
    "{{ 3 | printf \"%d\" }}",
    "{{ printf \"%d\" | print }}",
    # more formatting and edge cases
    "{{ printf \"%v %v %v %v %v %v\" 5e-324 1.7976931348623157e308 -0.0 1e-7 123456789012345678.0 0.000123 }}",
    "{{ printf \"%.0f %.0f %.0f %.1f %.3e %.0e\" 0.5 1.5 2.5 0.05 0.0001234 12345.0 }}",
    "{{ printf \"%g %g %g %G\" 1e-4 1e-5 100000.0 1e21 }}",
    "{{ printf \"%.2g %.1g %.0g %.20g\" 123.0 0.05 7.0 0.1 }}",
    "{{ printf \"%10.4v|%-10v|%+v|% v\" 3.14159 2.5 1.0 1.0 }}",
    "{{ printf \"%05s|%-05d|%+q|%#x|%#o|%x\" \"ab\" 3 \"é\" 255 8 \"é\" }}",
    "{{ printf \"%c%c%c\" 72 105 128512 }} {{ printf \"%q %q\" 39 10 }} {{ printf \"%U\" 128512 }}",
    "{{ printf \"%.3s|%.10s|%5.1s|\" \"héllo\" \"x\" \"abc\" }}",
    "{{ printf \"%d%%\" 50 }} {{ printf \"%3c|%-4q|\" 65 66 }}",
    "{{ printf \"%v %d\" true true }} {{ printf \"%s\" true }}",
    "{{ printf \"%e %f %g\" \"x\" \"y\" \"z\" }}",
    "{{ printf \"%x %X % x %#x\" \"hello\" \"hi\" \"abc\" \"ab\" }}",
    "{{ printf \"%08.3f|%-8.2f|%+.1e|%+f\" 3.14159 2.5 -12345.0 0.0 }}",
    "{{ printf \"%v\" 100000000.0 }} {{ 100000000.0 }} {{ 1e15 }} {{ 123456789.123 }}",
    "{{ print 1 2 }} {{ print \"a\" 1 \"b\" }} {{ print 1.5 true }} {{ print \"a\" \"b\" }} {{ print nil nil }}",
    "{{ println }}{{ println nil 1.5 \"x\" }}",
    "{{ humanize 999.95 }} {{ humanize 999999 }} {{ humanize 0.000999 }} {{ humanize -0.001 }} {{ humanize 1e-3 }} {{ humanize 123.456e-9 }}",
    "{{ humanize1024 1025 }} {{ humanize1024 1e18 }} {{ humanize1024 -1 }} {{ humanize1024 \"1024\" }} {{ humanize1024 1e30 }}",
    "{{ humanizeDuration 59.999 }} {{ humanizeDuration 3599.9 }} {{ humanizeDuration 86399 }} {{ humanizeDuration 1.5 }} {{ humanizeDuration 0.000001 }} {{ humanizeDuration 123456789 }}",
    "{{ humanizePercentage 0.00001 }} {{ humanizePercentage -0.5 }} {{ humanizePercentage \"NaN\" }} {{ humanizePercentage 1e10 }}",
    "{{ humanizeTimestamp 1.0005 }} {{ humanizeTimestamp -1.5 }} {{ humanizeTimestamp 253402300799 }} {{ humanizeTimestamp 1600000000.999 }}",
    "{{ humanize \" 1\" }}",
    "{{ humanize \"1_000\" }}",
    "{{ humanize \"0x1p4\" }} {{ humanize \"infinity\" }} {{ humanize \".5\" }} {{ humanize \"5.\" }} {{ humanize \"1E3\" }}",
    "{{ humanize \"+nan\" }}",
    "{{ humanize \"\" }}",
    "{{ humanize \"0x10\" }}",
    # variables and scoping
    "{{ $x := 1 }}{{ range $labels }}{{ $x = 2 }}{{ end }}{{ $x }}",
    "{{ range $k, $v := $labels }}{{ $k }}{{ end }}{{ $k }}",
    "{{ with $y := 3 }}{{ end }}{{ $y }}",
    "{{ $x := 1 }}{{ define \"t\" }}{{ $x }}{{ end }}",
    "{{ define \"t\" }}{{ $ }}|{{ . }}{{ end }}{{ template \"t\" 7 }}",
    "{{ define \"t\" }}{{ $.Labels.job }}{{ end }}{{ template \"t\" . }}",
    "{{ $v := $value }}{{ $v = humanize $v }}{{ $v }}",
    "{{ $a, $b := 1 }}",
    # whitespace, newlines, unicode
    "{{\n$labels.job\n}}",
    "{{- \t$labels.job\t-}}",
    "  x\t{{- 1 -}}\n\n y",
    "{{ \"a\" }}{{/* c */}}{{ \"b\" }}",
    "héllo {{ $labels.job }} ✓ 日本",
    "{{ \"日本\" | printf \"%q %x %5s|\" }} {{ len \"日本\" }}",
    "{{ title \"élan vital\" }} {{ toUpper \"straße\" }}",
    "{{ html \"日本<>\" }} {{ js \"日本\\u2028\" }} {{ urlquery \"日本 ~\" }}",
    # control flow combinations
    "{{ range $i, $x := args 1 2 3 }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $x }}{{ end }}",
    "{{ range args 1 2 }}{{ range args 3 4 }}{{ if eq . 4 }}{{ break }}{{ end }}{{ . }}{{ end }}{{ . }}{{ end }}",
    "{{ if and (gt $value 1000.0) (lt $value 2000.0) }}in{{ else }}out{{ end }}",
    "{{ if or (eq $labels.job \"x\") (eq $labels.job \"api\") }}yes{{ end }}",
    "{{ and 1 .Missing }}|{{ or .Missing 2 }}|{{ and .Missing 1 }}",
    "{{ with $labels }}{{ .job }}{{ end }}",
    "{{ with (query \"node_load\") }}{{ len . }}{{ end }}",
    "{{ range $labels }}{{ else }}none{{ end }}",
    "{{ if eq (len $labels) 3 }}three{{ end }}",
    "{{ block \"x\" . }}{{ .Value }}{{ end }} {{ template \"x\" . }}",
    "{{ define \"x\" }}redefined{{ end }}{{ block \"x\" . }}block{{ end }}",
    "{{ template \"t\" }}{{ define \"t\" }}later{{ end }}",
    # more errors
    "{{ index $labels \"job\" \"x\" }}",
    "{{ len }}",
    "{{ printf \"%d\" (len) }}",
    "{{ humanize (value) }}",
    "{{ first }}",
    "{{ sortByLabel \"a\" $labels }}",
    "{{ $labels | first }}",
    "{{ reReplaceAll \"a\" \"b\" }}",
    "{{ reReplaceAll \"a\" \"b\" 1 }}",
    "{{ match \"a\" $value }}",
    "{{ le \"a\" 1 }}",
    "{{ ge 2 true }}",
    "{{ ne $labels 1 }}",
    "{{ eq (first (query \"up\")) (first (query \"up\")) }}",
    "{{ lt $labels 1 }}",
    "{{ .Value.x }}",
    "{{ $labels.job.x }}",
    "{{ template \"t\" (printf \"%d\" \"x\") }}{{ define \"t\" }}{{ . }}{{ end }}",
    "{{ toUpper \"àéîõüÿ ąčęł ŀňŉ ωσς άέήίόύώ жшя ёђ µ ı ſ ß\" }}",
    "{{ toLower \"ÀÉÎÕÜŸ ĄČĘŁ ĿŇ ΩΣ ΆΈΉΊΌΎΏ ЖШЯ ЁЂ İ Ž\" }}",
    "{{ title \"über élan ñu ωmega жук x—y a\u00a0b c\u2003d e·f 1x\" }}",
    "{{ len (slice (query \"node_load\") 1) }} {{ (slice (query \"node_load\") 1 2 | first).Value }}",
    "{{ slice (args 1 2) 1 }}",
    "{{ printf \"%s|%v|%q\" (safeHtml \"<x>\") (safeHtml \"y\") (safeHtml \"z\") }} {{ eq (safeHtml \"a\") \"a\" }}",
    "{{ .Labels | len }} {{ index $labels \"job\" | len }} {{ $labels.job | len }}",
    "{{ range $i, $c := \"ab\" }}{{ end }}",
    "{{ with $labels.job }}{{ . | toUpper }}{{ end }}-{{ with $externalURL }}{{ . }}{{ end }}",
    "{{ $n := len $labels }}{{ if ge $n 3 }}{{ $n }} labels{{ end }}",
    "{{ range (query \"node_load\" | sortByLabel \"instance\") }}{{ .Labels.instance }}:{{ .Value | humanizePercentage }} {{ end }}",
    "{{ reReplaceAll \"(\\\\d+)\" \"<$1>\" \"a1b22c333\" }} {{ reReplaceAll \"(?i)HOST\" \"h\" $labels.instance }}",
    "{{ match \"^[a-z]+$\" $labels.job | not }} {{ match \"(?m)^b\" \"a\\nb\" }}",
    "{{ printf \"%v %v\" (index (args 1.5 \"s\") \"arg0\") (index (args 1.5 \"s\") \"arg1\") }}",
    "{{ humanize (index (query \"node_load\") 0).Value }}",
    "{{ toTime (first (query \"up\")).Value }}",
    "{{ with first (query \"up\") }}{{ .Labels.job }} {{ .Value }}{{ end }}",
    "{{ $s := first (query \"up\") }}{{ $s.Labels.instance | stripPort | stripDomain }}",
    # parse errors
    "{{ foo }}",
    "{{",
    "{{ 1 }",
    "{{ end }}",
    "{{ else }}",
    "{{ if 1 }}",
    "{{ if 1 }}{{ else }}{{ else }}{{ end }}",
    "{{ range }}{{ end }}",
    "{{ with }}{{ end }}",
    "{{ \"unterminated }}",
    "{{ `raw }}",
    "{{ 'ab' }}",
    "{{ 'a }}",
    "{{ 1x }}",
    "{{ 1e }}",
    "{{ 99999999999999999999 }}",
    "{{ ( }}",
    "{{ ) }}",
    "{{ (1 }}",
    "{{ 1) }}",
    "{{ $x := }}",
    "{{ $x : 1 }}",
    "{{ .a-b }}",
    "{{ @ }}",
    "{{ $x, $y := 1 }}",
    "{{ 1 | }}",
    "{{ | 1 }}",
    "{{ \"a\" | \"b\" }}",
    "{{ 1.x }}",
    "{{ \"s\".x }}",
    "{{ nil.x }}",
    "{{ true.x }}",
    "{{ /* c */ }}",
    "{{/* unclosed",
    "{{/* c */ x }}",
    "{{ \"\\q\" }}",
    "{{ define \"a\" }}x",
    "{{ define \"a\" }}{{ else }}{{ end }}",
    "{{ template \"a\" }",
    "{{ block \"a\" }}x",
    "{{ continue }}",
    "{{ range . }}{{ continue 1 }}{{ end }}",
    "{{ if 1 }}{{ end }}{{ end }}",
    "line one\nline two {{ foo }}",
    "{{ 1\n}} {{ end }}",
    "{{ 'a' 'b' }}",
    "{{ tmpl \"x\" . }}",
    "{{ $ := 1 }}{{ $ }}",
    "{{ .Labels..job }}",
    "{{ $labels.job. }}",
    "{{ ..Labels }}",
    "{{ printf \"%s\" (\"a\" | printf) }}",
    "{{ else if 1 }}",
    "{{ if 1 }}a{{ else if }}b{{ end }}",
    "{{ if 1 }}a{{ else with 1 }}b{{ end }}",
    "{{ -}}",
    "{{- -}}",
    "{{-1}}",
    "{{ 1 -}}x",
    "{{ 1 |\n }}",
    "{{\n\"unterminated\n}}",
    "{{ (1\n 2 }}",
    "a\n{{ 1\n\n",
    "{{ if 1 }}\n{{ else }}\n{{ else }}\n{{ end }}",
    "x\n{{/* unclosed\n\n",
    "{{ printf \"%d\"\n 1 }}\n{{ .X }}",
    "{{ 1 }}\n{{ 2 }}\n{{ 3 }}\n{{ .Nope }}",
    "{{ 1 }}\n{{ 2 }}\n  {{ 3 | toUpper }}",
]


def go_unquote(s):
    """Decodes the body of a Go strconv.Quote'd string."""
    out = bytearray()
    i = 0
    simple = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34, "'": 39}
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        e = s[i + 1]
        if e in simple:
            out.append(simple[e])
            i += 2
        elif e == "x":
            out.append(int(s[i + 2 : i + 4], 16))
            i += 4
        elif e == "u":
            out += chr(int(s[i + 2 : i + 6], 16)).encode()
            i += 6
        elif e == "U":
            out += chr(int(s[i + 2 : i + 10], 16)).encode()
            i += 10
        else:
            raise ValueError("bad escape " + e)
    return out.decode("utf-8", "surrogateescape")


def run(cases, tmp):
    with open(os.path.join(tmp, "test.yml"), "w") as f:
        f.write(TEST_FILE)
    rules = ["groups:", "- name: g", "  rules:", "  - alert: A", "    expr: up", "    annotations:"]
    for i, c in cases:
        rules.append("      t%04d: %s" % (i, json.dumps(c)))
    with open(os.path.join(tmp, "rules.yml"), "w") as f:
        f.write("\n".join(rules) + "\n")
    p = subprocess.run(["promtool", "test", "rules", "test.yml"], cwd=tmp, capture_output=True, text=True)
    return p.stdout + p.stderr


def main():
    cases = list(enumerate(CASES))
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        pending = cases
        while pending:
            out = run(pending, tmp)
            parse_errors = re.findall(r'annotation "t(\d{4})": (.*)', out)
            if parse_errors:
                for idx, msg in parse_errors:
                    results[int(idx)] = (msg, True)
                failed = {int(i) for i, _ in parse_errors}
                pending = [(i, c) for i, c in pending if i not in failed]
                continue
            m = re.search(r"Annotations:\{(.*)\}\n", out)
            if not m:
                sys.exit("unexpected promtool output:\n" + out)
            for name, val in re.findall(r't(\d{4})="((?:[^"\\]|\\.)*)"', m.group(1)):
                results[int(name)] = (go_unquote(val), False)
            missing = [i for i, _ in pending if i not in results]
            for i in missing:  # an empty annotation is not printed
                results[i] = ("", False)
            pending = []
    print("// Generated by tests/templating/promtool_cases.py from Debian's promtool 2.42.0;")
    print("// do not edit by hand. {template, Prometheus' output, is a parse error}")
    for i, c in cases:
        want, is_parse = results[i]
        for s in (c, want):
            if ")~\"" in s:
                sys.exit("raw string delimiter clash in case %d" % i)
        print('{R"~(%s)~", R"~(%s)~", %s},' % (c, want, "true" if is_parse else "false"))


if __name__ == "__main__":
    main()
