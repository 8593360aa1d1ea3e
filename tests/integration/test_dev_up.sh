#!/usr/bin/env bash
# test_dev_up.sh SOURCE_DIR [BUILD_DIR] — `./dev up` from a checkout inside a mode-700
# folder (issue 17: as root, PostgreSQL runs as an unprivileged user that cannot enter
# such a folder). Owns: copying the working tree there, running ./dev up (clean build,
# stores, services, demo) on free loopback ports, checking ./dev status, a second ./dev up
# that must find the same stack, ./dev down, and removing everything — stack, the
# PostgreSQL folder, the copy — also when a step fails. Every ./dev call is time-bounded.
#
# The copy is the working tree as it is on disk, not a `git clone`: tracked files with
# their uncommitted edits, plus untracked files git does not ignore (new files not yet
# added), so the test checks what the developer is about to commit. Ignored paths
# (build/, build-*/, .stack/) and BUILD_DIR are left out: the copy builds from scratch,
# which takes well under a minute and proves a fresh checkout builds.
set -euo pipefail

SRC=$(cd "${1:?usage: test_dev_up.sh SOURCE_DIR [BUILD_DIR]}" && pwd -P)
BUILD_DIR=${2:-}
[ -z "$BUILD_DIR" ] || BUILD_DIR=$(realpath -m "$BUILD_DIR")
PORT_VARS="DEV_PG_PORT DEV_REDIS_PORT DEV_SEARCH_PORT DEV_BOOKING_PORT DEV_PAYMENT_PORT
  DEV_EXPIRY_PORT DEV_SEARCH_METRICS_PORT DEV_BOOKING_METRICS_PORT DEV_PAYMENT_METRICS_PORT
  DEV_EXPIRY_METRICS_PORT DEV_GATEWAY_PORT"
TMP="" COPY="" PGDIR=""

log() { printf '\n[test_dev_up] %s\n' "$*"; }
fail() { printf '[test_dev_up] FAIL: %s\n' "$*" >&2; exit 1; }

# Sets and exports every DEV_*_PORT to a distinct loopback port with no socket on it, in
# 17000-19999: below the kernel's ephemeral range, apart from the harness's 20000-32999
# and from ./dev's defaults, so this stack clashes with nothing else on the machine.
pick_ports() {
  local var port picked=" "
  for var in $PORT_VARS; do
    port=""
    for _ in $(seq 500); do
      port=$((17000 + RANDOM % 3000))
      [[ $picked != *" $port "* && -z $(ss -Htan "( sport = :$port )") ]] && break
      port=""
    done
    [ -n "$port" ] || fail "no free port for $var in 17000-19999"
    picked+="$port "
    export "$var=$port"
  done
  log "ports:$picked"
}

unset_ports() {
  local var
  for var in $PORT_VARS; do unset "$var"; done
}

# Paths git would put in a commit, plus untracked ones it does not ignore, that exist
# on disk, minus BUILD_DIR; NUL-separated and relative to SRC.
worktree_files() {
  local f
  git -C "$SRC" -c safe.directory="$SRC" ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do
      if { [ -e "$SRC/$f" ] || [ -L "$SRC/$f" ]; } && [[ -z $BUILD_DIR || $SRC/$f != "$BUILD_DIR"/* ]]; then
        printf '%s\0' "$f"
      fi
    done
}

make_copy() {
  TMP=$(mktemp -d)
  chmod 700 "$TMP"
  COPY=$TMP/booking
  mkdir "$COPY"
  worktree_files | tar -C "$SRC" --null --no-recursion -T - -cf - | tar -C "$COPY" -xf -
  [ -x "$COPY/dev" ] || fail "the copy has no executable ./dev"
  [ "$(stat -c %a "$TMP")" = 700 ] || fail "$TMP is not mode 700"
  log "copied $(find "$COPY" -type f | wc -l) files to $COPY (parent mode 700, owner $(id -un))"
}

dev() { # SECONDS ARGS...: ./dev of the copy, killed after SECONDS
  local limit=$1
  shift
  (cd "$COPY" && timeout --kill-after=30 "$limit" ./dev "$@")
}

# Last resort when ./dev clean fails: stop what the copy's stack may have left running.
force_down() {
  local pidfile
  for pidfile in "$COPY"/.stack/run/*.pid; do
    if [ -f "$pidfile" ]; then kill -KILL "$(cat "$pidfile")" 2>/dev/null || true; fi
  done
  "$SRC/tests/stack.sh" redis-stop "$COPY/.stack" || true
  [ -n "$PGDIR" ] || return 0
  "$SRC/tests/stack.sh" pg-stop "$PGDIR" immediate || true
  case $PGDIR in # as root: outside the copy, so remove it here
    "${DEV_STATE_ROOT:-/var/lib/booking-dev}"/?*) rm -rf "$PGDIR" ;;
  esac
}

cleanup() {
  local rc=$?
  set +e
  if [ -n "$COPY" ] && [ -x "$COPY/dev" ]; then
    log "cleanup: ./dev clean"
    dev 180 clean || { echo "[test_dev_up] ./dev clean failed" >&2; force_down; rc=1; }
  fi
  if [ -n "$PGDIR" ] && [ -e "$PGDIR" ]; then
    echo "[test_dev_up] ./dev clean left $PGDIR behind" >&2
    force_down
    rc=1
  fi
  [ -z "$TMP" ] || rm -rf "$TMP"
  if [ "$rc" = 0 ]; then log "PASS"; else log "FAIL (exit $rc)"; fi
  exit "$rc"
}

# ./dev status of the copy without the DEV_*_PORT variables: ./dev up wrote the ports
# to .stack/ports and every later command must find them there.
status_unset() { (unset_ports && dev 30 status); }

# Fails unless ./dev status shows every component up on the picked ports; writes the
# COMPONENT PID columns to $TMP/pids.
expect_running() {
  local status svc var
  status=$(status_unset)
  printf '%s\n' "$status"
  grep -q "^postgres .* 127.0.0.1:$DEV_PG_PORT *running$" <<<"$status" || fail "postgres not running"
  grep -q "^redis .* 127.0.0.1:$DEV_REDIS_PORT *running$" <<<"$status" || fail "redis not running"
  for svc in search booking payment expiry; do
    var=DEV_${svc^^}_PORT
    grep -q "^$svc-svc .* 127.0.0.1:${!var} *SERVING$" <<<"$status" || fail "$svc-svc not SERVING"
  done
  awk 'NR > 1 && NF == 4 {print $1, $2}' <<<"$status" >"$TMP/pids"
}

# Fails unless ./dev status shows everything stopped and no picked port is in use.
expect_stopped() {
  local status var
  status=$(status_unset)
  printf '%s\n' "$status"
  ! grep -Eq ' (running|SERVING)$' <<<"$status" || fail "something still runs after ./dev down"
  for var in $PORT_VARS; do
    [ -z "$(ss -Htln "( sport = :${!var} )")" ] || fail "port ${!var} ($var) still listening"
  done
}

# Where ./dev keeps PostgreSQL's data for the copy; as root it must be outside the
# private folder, where the PostgreSQL user can reach it.
locate_pgdir() {
  PGDIR=$(status_unset | sed -n 's/^postgres data: *//p')
  [ -n "$PGDIR" ] || fail "./dev status does not say where PostgreSQL's data is"
  if [ "$(id -u)" = 0 ]; then
    [[ $PGDIR != "$TMP"/* ]] || fail "as root, PostgreSQL's data is inside the private folder: $PGDIR"
  fi
  log "PostgreSQL data: $PGDIR"
}

main() {
  trap cleanup EXIT
  unset SANITIZE
  make_copy
  pick_ports
  locate_pgdir

  log "./dev up (clean build, fresh stores, demo)"
  local t0=$SECONDS
  dev 900 up
  log "./dev up took $((SECONDS - t0)) s"
  [ -s "$COPY/.stack/logs/demo.log" ] || fail "./dev up did not run the demo"
  [ -f "$PGDIR/pgdata/PG_VERSION" ] || fail "no PostgreSQL data in $PGDIR"
  expect_running
  mv "$TMP/pids" "$TMP/pids.first"

  log "./dev up again: it must find the same stack and restart nothing"
  dev 300 up
  expect_running
  diff "$TMP/pids.first" "$TMP/pids" || fail "the second ./dev up restarted something"

  log "./dev down"
  dev 180 down
  expect_stopped
}

main "$@"
