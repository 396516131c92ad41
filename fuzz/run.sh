#!/usr/bin/env bash
# Builds the fuzz targets with clang++ (libFuzzer + ASan + UBSan) and runs each for a fixed
# number of inputs from a fixed seed, so a run is reproducible: CI fuzzes exactly what a
# developer's `make test` fuzzed. Each target's corpus is fuzz/corpus/<target>/ (the
# committed seeds), the upstream conformance files where they apply, and
# fuzz/regressions/<target>/ (inputs that once crashed; add each new crasher there).
# Exits non-zero when a target crashes (the crashing input is left in the work dir).
#
#   fuzz/run.sh [runs per target, -1 for no limit] [work dir, default a new temp dir]
# Without a run count (or with ""), each target runs its own count from `default_runs`
# below, sized so that all of them together take about two minutes on a CI machine.
# FUZZ_SEED (default 1) picks another deterministic run; FUZZ_SEED=0 lets libFuzzer pick.
# FUZZ_SECONDS caps each target's run (default 30; the run count normally ends it first).
# FUZZ_TARGETS (default all) names the targets to run, e.g. "config rules".
# FUZZ_KEEP_CORPUS=1 keeps <work dir>/<target>_corpus between runs and lets it grow
# (`make fuzz`); otherwise every run starts from the same seeds.
#
# Objects are built once per source file with Ninja into <work dir>/obj and shared by the
# targets; a second run in the same work dir rebuilds only what changed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-}"
seed="${FUZZ_SEED:-1}"
seconds="${FUZZ_SECONDS:-30}"
work="${2:-$(mktemp -d -t andon-fuzz.XXXXXX)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"

# The shared folder sits next to the source tree (/work/main) or two levels up from a
# worktree (/work/wt/<name>); ANDON_SHARED_DIR overrides.
shared="${ANDON_SHARED_DIR:-}"
if [[ -z "$shared" ]]; then
  for candidate in "$repo/../shared" "$repo/../../shared"; do
    if [[ -d "$candidate/conformance" ]]; then shared="$candidate"; break; fi
  done
fi
[[ -n "$shared" ]] || echo "warning: no shared/conformance folder found, seeds from fuzz/ only" >&2

# Each target: the sources besides fuzz/<target>_fuzzer.cc, and the libraries.
exposition=(scrape/exposition_parser.cc scrape/prometheus_text_parser.cc
            scrape/openmetrics_parser.cc)
common=(common/labels.cc common/duration.cc common/file_reader.cc)
promql=(query/lexer.cc query/parser.cc query/ast.cc query/functions.cc query/printer.cc)
templating=(templating/template.cc templating/template_parser.cc templating/template_functions.cc
            templating/template_value.cc templating/go_format.cc common/url_escape.cc)
yaml=(common/yaml_reader.cc)
declare -A sources libs
sources[prometheus_text]="${exposition[*]}"
sources[openmetrics]="${exposition[*]}"
sources[promql]="${promql[*]} ${common[*]}"
sources[remote_write]="gen/remote/prompb/remote.pb.cc remote/write_request_codec.cc ${common[*]}"
sources[config]="common/config.cc common/config_dump.cc ${yaml[*]} ${common[*]}"
sources[rules]="rules/rule_file.cc ${yaml[*]} ${promql[*]} ${templating[*]} ${common[*]}"
sources[kubernetes]="scrape/kubernetes_objects.cc common/logger.cc ${common[*]}"
sources[template]="${templating[*]} ${common[*]}"
re2_fmt="$(pkg-config --libs re2) -lfmt"
libs[promql]="$re2_fmt"
libs[remote_write]="$re2_fmt $(pkg-config --libs protobuf) -lsnappy"
libs[config]="$re2_fmt -lyaml-cpp"
libs[rules]="$re2_fmt -lyaml-cpp"
libs[kubernetes]="$re2_fmt"
libs[template]="$re2_fmt"
all_targets=(prometheus_text openmetrics promql remote_write config rules kubernetes template)
# About 10-25 s each on a 2-core CI machine (the YAML loaders and the Kubernetes decoder run
# ~1-5k inputs/s, the exposition parsers and the remote-write decoder 10-80k/s).
declare -A default_runs=([prometheus_text]=300000 [openmetrics]=300000 [promql]=300000
                         [remote_write]=1000000 [config]=30000 [rules]=80000 [kubernetes]=60000
                         [template]=100000)
read -r -a targets <<< "${FUZZ_TARGETS:-${all_targets[*]}}"

# A Ninja file: one object per source (ASan/UBSan and libFuzzer's coverage), one link per
# target, and protoc for the remote-write messages.
CXX="${CXX_FUZZ:-clang++}"
ninja_file="$work/build.ninja"
{
  echo "builddir = $work"  # Ninja's log and dependency database
  echo "cxxflags = -std=c++20 -O1 -gline-tables-only -fno-omit-frame-pointer" \
    "-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
    "-I$repo -I$work/gen"
  echo "rule cxx"
  echo "  command = $CXX \$cxxflags -MD -MF \$out.d -c \$in -o \$out"
  echo "  depfile = \$out.d"
  echo "  deps = gcc"
  echo "  description = CXX \$in"
  echo "rule link"
  echo "  command = $CXX -fsanitize=fuzzer,address,undefined \$in \$libs -o \$out"
  echo "  description = LINK \$out"
  echo "rule protoc"
  echo "  command = protoc -I$repo --cpp_out=$work/gen \$in"
  echo "  description = PROTOC \$in"
  echo "build $work/gen/remote/prompb/remote.pb.cc $work/gen/remote/prompb/remote.pb.h:" \
    "protoc $repo/remote/prompb/remote.proto"
  declare -A seen
  for target in "${targets[@]}"; do
    [[ -n "${sources[$target]+set}" ]] || { echo "unknown fuzz target $target" >&2; exit 2; }
    objects=()
    for src in ${sources[$target]} "fuzz/${target}_fuzzer.cc"; do
      obj="$work/obj/${src%.cc}.o"
      objects+=("$obj")
      [[ -n "${seen[$src]+set}" ]] && continue
      seen[$src]=1
      if [[ "$src" == gen/* ]]; then in="$work/$src"; else in="$repo/$src"; fi
      echo "build $obj: cxx $in || $work/gen/remote/prompb/remote.pb.h"
    done
    echo "build $work/${target}_fuzzer: link ${objects[*]}"
    echo "  libs = ${libs[$target]:-}"
  done
} > "$ninja_file"
echo "== building ${targets[*]} in $work"
ninja -f "$ninja_file" -j "${FUZZ_JOBS:-$(nproc)}" $(printf "$work/%s_fuzzer " "${targets[@]}")

# Seeds a target's corpus from the upstream conformance files where they fit.
seed_from_conformance() {
  local target="$1" corpus="$2"
  [[ -n "$shared" ]] || return 0
  case "$target" in
    promql)  # one seed per expression of the upstream PromQL scripts
      grep -h -E '^\s*eval' "$shared"/conformance/promql/*.test |
        sed -E 's/^\s*eval(_fail|_ordered)? instant at [^ ]+ //' |
        awk -v dir="$corpus" '{ f = dir "/expr_" NR; print > f; close(f) }'
      ;;
    prometheus_text | openmetrics)
      cp "$shared"/conformance/textparse/*.txt "$shared"/conformance/textparse/*.prom \
        "$corpus"/ 2>/dev/null || true
      for d in "$shared"/conformance/openmetrics/parsers/*/; do
        cp "$d/metrics" "$corpus/om_$(basename "$d")" 2>/dev/null || true
      done
      ;;
    rules)  # the upstream good and bad rule files
      cp "$shared"/conformance/rulefmt/*.yaml "$shared"/conformance/promtool/*.yml "$corpus"/ \
        2>/dev/null || true
      ;;
    config)
      cp "$shared"/conformance/promtool/prometheus-config.lint.yml "$corpus"/ 2>/dev/null || true
      ;;
  esac
}

status=0
for target in "${targets[@]}"; do
  bin="$work/${target}_fuzzer"
  corpus="$work/${target}_corpus"
  if [[ "${FUZZ_KEEP_CORPUS:-0}" != 1 ]]; then
    rm -rf "$corpus"  # a fresh corpus: every run starts alike
  fi
  mkdir -p "$corpus"
  seed_from_conformance "$target" "$corpus"
  for dir in "$repo/fuzz/corpus/$target" "$repo/fuzz/regressions/$target"; do
    if [[ -d "$dir" ]] && [[ -n "$(ls -A "$dir")" ]]; then cp "$dir"/* "$corpus"/; fi
  done

  target_runs="${runs:-${default_runs[$target]}}"
  echo "== running $target for $target_runs inputs or ${seconds}s, seed $seed (corpus $corpus)"
  if ! (cd "$work" && "$bin" -runs="$target_runs" -seed="$seed" -max_total_time="$seconds" \
          -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$corpus" 2>&1 |
          tail -n 25); then
    echo "!! $target crashed; reproducer in $work (crash-*, timeout-*, leak-*, oom-*)" >&2
    status=1
  fi
done
exit "$status"
