#!/usr/bin/env bash
# test_bookingctl_cli.sh — bookingctl's help, version and errors without a stack:
# `help`, `help GROUP`, `COMMAND --help` and `--version` answer on stdout with exit 0;
# with --json a failure is one JSON document on stderr (stdout empty): a usage error
# (exit 2), and a call to an address that accepts TCP but never speaks HTTP/2, which
# gives up after --connect-timeout with UNAVAILABLE and the "is ... running" hint.
#   test_bookingctl_cli.sh BOOKINGCTL
set -euo pipefail
ctl=$1
tmp=$(mktemp -d)
listener=""
cleanup() { [ -n "$listener" ] && kill "$listener" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$ctl" help >"$tmp/out" || fail "help exited $?"
grep -q '^commands:' "$tmp/out" || fail "help printed no command list"
"$ctl" help hold >"$tmp/out" && grep -q 'hold release HOLD_ID' "$tmp/out" || fail "help hold"
"$ctl" hold --help >"$tmp/out" && grep -q 'hold confirm HOLD_ID' "$tmp/out" || fail "hold --help"
"$ctl" search --help >"$tmp/out" && grep -q '^usage: bookingctl search' "$tmp/out" || fail "search --help"
"$ctl" help webhooks >"$tmp/out" && [ "$(grep -c '^  webhooks ' "$tmp/out")" = 5 ] || fail "help webhooks"
"$ctl" --version >"$tmp/out" && grep -Eq '^bookingctl [0-9]+\.[0-9]+\.[0-9]+ \(revision ' "$tmp/out" || fail "--version"
"$ctl" --json version >"$tmp/out" && grep -q '"version":' "$tmp/out" || fail "--json version"

# A usage error with --json: one document on stderr, nothing on stdout, exit 2.
set +e
"$ctl" --json search --type hotel_room >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "usage error exited $rc"
[ ! -s "$tmp/out" ] || fail "usage error wrote to stdout"
[ "$(wc -l <"$tmp/err")" = 1 ] || fail "usage error: not one line: $(cat "$tmp/err")"
jq -e '.error.code == "USAGE" and .error.status == null and (.error.message | test("--from"))' "$tmp/err" >/dev/null ||
    fail "usage error document: $(cat "$tmp/err")"

# An address that accepts connections and then says nothing: the connect timeout ends it.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
time.sleep(120)' >"$tmp/port" &
listener=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")
[ -n "$port" ] || fail "no listener"
set +e
SEARCH_ADDR=127.0.0.1:$port "$ctl" --json --connect-timeout 300 search --type hotel_room --city Lisbon \
    --from 2026-06-01 --to 2026-06-02 >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "unreachable search exited $rc"
[ ! -s "$tmp/out" ] || fail "unreachable search wrote to stdout"
jq -e '.error.code == "UNAVAILABLE" and .error.status == 14 and .error.method == "SearchAvailability"
       and (.error.message | test("cannot connect")) and (.error.hints[0] | test("is search-svc running"))' \
    "$tmp/err" >/dev/null || fail "unreachable document: $(cat "$tmp/err")"
# the same as text: the message and the hint on stderr
set +e
SEARCH_ADDR=127.0.0.1:$port BOOKINGCTL_CONNECT_TIMEOUT_MS=300 "$ctl" search --type hotel_room --city Lisbon \
    --from 2026-06-01 --to 2026-06-02 >"$tmp/out" 2>"$tmp/err"
set -e
grep -q '^SearchAvailability: UNAVAILABLE: cannot connect' "$tmp/err" || fail "text error: $(cat "$tmp/err")"
grep -q '^bookingctl: is search-svc running at' "$tmp/err" || fail "text hint: $(cat "$tmp/err")"
echo "bookingctl cli: 1 passed, 0 failed"
