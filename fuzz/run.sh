#!/usr/bin/env bash
# Builds the exposition and PromQL parser fuzzers with clang++ (libFuzzer + ASan + UBSan) and runs
# each for a fixed number of inputs from a fixed seed, so a run is reproducible: CI fuzzes
# exactly what a developer's `make test` fuzzed. The corpus is the conformance files plus
# fuzz/regressions/<target>/ (inputs that once crashed; add each new crasher there).
# Exits non-zero when a target crashes (the crashing input is left in the work dir).
#
#   fuzz/run.sh [runs per target, default 300000] [work dir, default a new temp dir]
# FUZZ_SEED (default 1) picks another deterministic run; FUZZ_SEED=0 lets libFuzzer pick.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-300000}"
seed="${FUZZ_SEED:-1}"
work="${2:-$(mktemp -d -t andon-fuzz.XXXXXX)}"
mkdir -p "$work"

# The shared folder sits next to the source tree (/work/main) or two levels up from a
# worktree (/work/wt/<name>); ANDON_SHARED_DIR overrides.
shared="${ANDON_SHARED_DIR:-}"
if [[ -z "$shared" ]]; then
  for candidate in "$repo/../shared" "$repo/../../shared"; do
    if [[ -d "$candidate/conformance" ]]; then shared="$candidate"; break; fi
  done
fi

CXX="${CXX_FUZZ:-clang++}"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$repo")
parser_sources=("$repo/scrape/exposition_parser.cc" "$repo/scrape/prometheus_text_parser.cc"
                "$repo/scrape/openmetrics_parser.cc")
promql_sources=("$repo/query/lexer.cc" "$repo/query/parser.cc" "$repo/query/ast.cc"
                "$repo/query/functions.cc" "$repo/query/printer.cc" "$repo/common/labels.cc"
                "$repo/common/duration.cc")
promql_libs=($(pkg-config --libs re2) -lfmt)

status=0
for target in prometheus_text openmetrics promql; do
  bin="$work/${target}_fuzzer"
  echo "== building $bin"
  if [[ "$target" == promql ]]; then
    "$CXX" "${flags[@]}" "${promql_sources[@]}" "$repo/fuzz/promql_fuzzer.cc" \
      "${promql_libs[@]}" -o "$bin"
  else
    "$CXX" "${flags[@]}" "${parser_sources[@]}" "$repo/fuzz/${target}_fuzzer.cc" -o "$bin"
  fi

  corpus="$work/${target}_corpus"
  rm -rf "$corpus" && mkdir -p "$corpus"  # a fresh corpus: every run starts alike
  if [[ "$target" == promql ]]; then
    # One seed per expression of the upstream PromQL scripts.
    if [[ -n "$shared" ]]; then
      grep -h -E '^\s*eval' "$shared"/conformance/promql/*.test |
        sed -E 's/^\s*eval(_fail|_ordered)? instant at [^ ]+ //' |
        awk -v dir="$corpus" '{ f = dir "/expr_" NR; print > f; close(f) }'
    fi
  elif [[ -n "$shared" ]]; then
    cp "$shared"/conformance/textparse/*.txt "$shared"/conformance/textparse/*.prom "$corpus"/ \
      2>/dev/null || true
    for d in "$shared"/conformance/openmetrics/parsers/*/; do
      cp "$d/metrics" "$corpus/om_$(basename "$d")" 2>/dev/null || true
    done
  else
    echo "warning: no shared/conformance folder found, fuzzing from an empty corpus" >&2
  fi

  if [[ -d "$repo/fuzz/regressions/$target" ]]; then
    cp "$repo/fuzz/regressions/$target"/* "$corpus"/
  fi

  echo "== running $target for $runs inputs, seed $seed (corpus $corpus)"
  if ! (cd "$work" && "$bin" -runs="$runs" -seed="$seed" -max_len=65536 -timeout=10 \
          -print_final_stats=1 "$corpus" 2>&1 | tail -n 25); then
    echo "!! $target crashed; reproducer in $work (crash-*, timeout-*, leak-*)" >&2
    status=1
  fi
done
exit "$status"
