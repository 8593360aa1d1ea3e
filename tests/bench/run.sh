#!/usr/bin/env bash
# run.sh BUILD_DIR [runtime|holds|cluster|confirm|expiry|search|webhooks|search-scale|all] —
# runs benchmarks (not tests: figures depend on the machine) and prints their figures.
# Each benchmark starts its own stack on free loopback ports and stops it. `holds` ends
# with holds on one Redis node vs a Redis Cluster of 3 primaries; `cluster` runs that
# part alone.
set -euo pipefail
build=$1
what=${2:-all}
seconds=${BENCH_SECONDS:-10}
run() { # NAME TITLE COMMAND...
  local name=$1 title=$2; shift 2
  case $what in all|"$name") ;; *) return 0 ;; esac
  if [ ! -x "$1" ]; then echo "== $title: not built ($1)"; return 0; fi
  echo "== $title"
  "$@" 2>&1 | grep -v '^{'
  echo
}
run runtime "runtime: shared gRPC runtime vs a bare gRPC-core echo loop" \
  "$build/tests/bench/bench_runtime" "$seconds" 2
run holds "holds: CreateHold+ReleaseHold through gRPC vs redis-benchmark on the hold script; 1 node vs 3 primaries" \
  "$build/tests/bench/bench_holds" "$seconds" 64
if [ "$what" = cluster ]; then
  run cluster "holds: one Redis node vs a Redis Cluster of 3 primaries + 3 replicas (and WAIT 1)" \
    "$build/tests/bench/bench_holds" "$seconds" 64 cluster
fi
run confirm "confirm: hold + confirm end to end vs pgbench on the confirm transaction" \
  "$build/tests/bench/bench_confirm" "$seconds"
run expiry "expiry: release lag of expired holds vs Redis's own expired events" \
  "$build/tests/bench/bench_expiry"
run search "search: SearchAvailability on 10,000 resources x 365 days vs the SQL search" \
  "$build/tests/bench/bench_search"
run webhooks "webhooks: outbox to a loopback receiver, a burst and live bookings (events/s, delivery lag)" \
  "$build/tests/bench/bench_webhooks" 5000 8
# not in "all": it writes up to 73 M slot rows (~10 GB in the temporary folder) and
# runs for up to BENCH_SCALE_BUDGET seconds (default 1500)
[ "$what" = all ] || run search-scale "search-scale: search-svc memory and cold start at 10k/50k/200k resources, whole and sharded" \
  "$build/tests/bench/bench_search_scale" "${BENCH_SCALE_SIZES:-10000,50000,200000}" "${BENCH_SCALE_BUDGET:-1500}"
