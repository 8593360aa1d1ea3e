#!/bin/bash
# run.sh — runs one fuzz target the way CI does, or longer:
#   run.sh BINARY TARGET SECONDS [ARTIFACT_DIR] [-- LIBFUZZER_FLAGS...]
# First replays every committed input once (corpus/TARGET and regressions/TARGET), then
# fuzzes for SECONDS starting from them. New inputs go to a scratch folder (the committed
# corpus is never changed; FUZZ_KEEP_CORPUS=DIR keeps them in DIR instead). A crash, leak,
# sanitizer report, timeout or broken property fails the run; its input is saved as
# ARTIFACT_DIR/TARGET/crash-<sha1> (default: build folder of BINARY). Prints libFuzzer's
# final stats (executions per second, coverage).
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,10p' "$0"; exit 2; }
bin=$1 target=$2 seconds=$3
shift 3
artifacts=$(dirname "$bin")/artifacts
if [ $# -gt 0 ] && [ "$1" != "--" ]; then artifacts=$1; shift; fi
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
seeds=("$here/corpus/$target")
[ -d "$here/regressions/$target" ] && seeds+=("$here/regressions/$target")
mkdir -p "$artifacts/$target"
scratch=${FUZZ_KEEP_CORPUS:-}
if [ -z "$scratch" ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
fi
mkdir -p "$scratch"
# libFuzzer's stack traces name functions through llvm-symbolizer (Debian: llvm).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
common=(-artifact_prefix="$artifacts/$target/" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
[ -f "$here/dict/$target.dict" ] && common+=(-dict="$here/dict/$target.dict")
echo "== $target: replaying $(find "${seeds[@]}" -type f | wc -l) committed inputs"
"$bin" "${common[@]}" -runs=0 "$@" "${seeds[@]}"
echo "== $target: fuzzing for $seconds s"
set +e # progress lines (NEW, REDUCE, pulse, NEW_FUNC) are left out of the log
"$bin" "${common[@]}" -max_total_time="$seconds" "$@" "$scratch" "${seeds[@]}" 2>&1 |
  grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)|^[[:space:]]+NEW_FUNC'
rc=${PIPESTATUS[0]}
set -e
exit "$rc"
