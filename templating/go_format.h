// templating/go_format.h
//
// Go's fmt and strconv formatting, reproduced for template output: a template must print
// values byte for byte as Prometheus (Go) does, e.g. a float64 with %v is the shortest
// representation that reads back exactly, in %e form for exponents below -4 or from 6 on
// ("1e+06", "0.1", "+Inf", "NaN"). Covers the verbs %v %s %d %f %F %e %E %g %G %q %x %X
// %t %T %c %o %O %b %U %% with the flags + - # 0 space, width, precision and `*`, and
// Go's error notations ("%!d(string=x)", "%!d(MISSING)", "%!(EXTRA int=1)"). Not covered
// (see docs/templates.md): argument indexes ("%[1]d"), %p, Go-syntax %#v, and %x/%b on
// floats (printed in the bad-verb notation). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "templating/template_value.h"

namespace andon::templating {

// utf8.DecodeRuneInString: the code point at the start of s and its width in bytes; an
// invalid byte decodes as U+FFFD of width 1, an empty string as width 0.
std::pair<char32_t, int> DecodeGoRune(std::string_view s);
// Appends r in UTF-8 (invalid code points as U+FFFD).
void AppendUtf8(std::string* out, char32_t r);

// strconv.FormatFloat(v, fmt, prec, 64) for fmt 'e', 'E', 'f', 'g', 'G'; prec < 0 means
// the shortest representation that reads back exactly.
void AppendGoFloat(std::string* out, double v, char fmt, int prec);
std::string FormatGoFloat(double v, char fmt, int prec);

// strconv.Quote: double-quoted with Go escapes; printable Unicode is kept.
void AppendGoQuote(std::string* out, std::string_view s);

// time.Time.String() of a UTC instant: "2017-07-14 02:40:00.5 +0000 UTC".
void AppendGoTime(std::string* out, int64_t unix_nanos);

// fmt.Sprint(v): the %v form. A sample prints as "&{map[...] 1}", as Go prints a pointer
// to a struct at the top level.
void AppendGoValue(std::string* out, const TemplateValue& v);

// fmt.Sprint, fmt.Sprintln and fmt.Sprintf over template values.
void AppendGoSprint(std::string* out, std::span<const TemplateValue> args);
void AppendGoSprintln(std::string* out, std::span<const TemplateValue> args);
void AppendGoSprintf(std::string* out, std::string_view format,
                     std::span<const TemplateValue> args);

}  // namespace andon::templating
