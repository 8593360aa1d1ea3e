#!/usr/bin/env bash
# run.sh BUILD_DIR [runtime|all] — runs the benchmarks and prints their figures.
set -euo pipefail
build=$1
what=${2:-all}
case $what in
  runtime|all)
    echo "== runtime: shared gRPC runtime vs bare gRPC core"
    "$build/tests/bench/bench_runtime" "${BENCH_SECONDS:-5}" "${BENCH_ROUNDS:-2}"
    ;;
esac
