#!/usr/bin/env bash
# stack.sh — starts and stops the project-local PostgreSQL 15 and Redis 7 on loopback,
# for ./dev (the local stack) and the test harness (a temporary folder per run).
# PostgreSQL refuses to run as root: as root, it runs as the unprivileged user
# $STACK_PG_USER (created on first use).
#
#   stack.sh pg-start DIR PORT [durable|fast]    initdb on first use, start, bootstrap
#   stack.sh pg-stop DIR [fast|immediate]
#   stack.sh redis-start DIR PORT [standalone|cluster]
#   stack.sh redis-cluster-start DIR REPLICAS PORT...  a real Redis Cluster (redis-cluster.md)
#   stack.sh redis-stop DIR                      the node, or every node of the cluster
#   stack.sh pg-replica-start DIR PG_PORT PORT   a streaming replica of it (data in DIR/replica)
#   stack.sh pgbouncer-start DIR PG_PORT PORT    PgBouncer (pool_mode=transaction) in front
#   stack.sh pgbouncer-stop DIR
#   stack.sh migrate BUILD_DIR PORT              booking and payment schemas
#
# Redis password: STACK_REDIS_PASSWORD (requirepass, and masterauth for replicas).
# Cluster failure detection: STACK_REDIS_NODE_TIMEOUT ms (default 2000).
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
STACK_PG_USER=${STACK_PG_USER:-bookingpg}

# Runs a PostgreSQL program as the user it runs as, from / : the caller's working
# directory may be one that user cannot enter (root's home), so every path given must
# be absolute and reachable by that user (./dev keeps it out of private folders).
as_pg_user() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u "$STACK_PG_USER" -- "$@"); else "$@"; fi
}

ensure_pg_user() {
  [ "$(id -u)" = 0 ] || return 0
  id "$STACK_PG_USER" >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin "$STACK_PG_USER"
}

psql_admin() { # PORT DB SQL...
  local port=$1 db=$2; shift 2
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" "$@"
}

# Roles, database and schemas: booking_svc owns schema booking, payment_svc owns
# schema payment and neither can touch the other's (SPEC §7).
pg_bootstrap() {
  local port=$1
  psql_admin "$port" postgres <<'SQL'
CREATE ROLE booking_svc LOGIN;
CREATE ROLE payment_svc LOGIN;
CREATE DATABASE booking;
SQL
  psql_admin "$port" booking <<'SQL'
REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE CREATE ON DATABASE booking FROM PUBLIC;
CREATE SCHEMA booking AUTHORIZATION booking_svc;
CREATE SCHEMA payment AUTHORIZATION payment_svc;
GRANT CONNECT ON DATABASE booking TO booking_svc, payment_svc;
-- as in production (k8s/README.md): a transaction pooler keeps no session settings,
-- so each role's own search_path must name its schema
ALTER ROLE booking_svc IN DATABASE booking SET search_path = booking;
ALTER ROLE payment_svc IN DATABASE booking SET search_path = payment;
SQL
}

pg_start() {
  local dir port=$2 mode=${3:-durable}
  dir=$(realpath -m "$1")
  ensure_pg_user
  mkdir -p "$dir"
  chmod 755 "$dir"
  local fresh=0
  if [ ! -f "$dir/pgdata/PG_VERSION" ]; then
    mkdir -p "$dir/pgdata" "$dir/pgsock"
    [ "$(id -u)" = 0 ] && chown "$STACK_PG_USER" "$dir/pgdata" "$dir/pgsock"
    as_pg_user test -w "$dir/pgdata" ||
      { echo "stack.sh: user $(as_pg_user id -un) cannot write $dir/pgdata (a parent folder it cannot enter?)" >&2; exit 1; }
    as_pg_user "$PG_BIN/initdb" -D "$dir/pgdata" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    fresh=1
  fi
  local opts="-p $port -k $dir/pgsock -c listen_addresses=127.0.0.1 -c max_connections=300"
  opts+=" -c shared_buffers=256MB -c log_min_messages=warning"
  [ "$mode" = fast ] && opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  # extra server settings for a diagnosis, e.g. "-c shared_preload_libraries=pg_stat_statements"
  [ -n "${STACK_PG_OPTS:-}" ] && opts+=" $STACK_PG_OPTS"
  touch "$dir/postgres.log"
  [ "$(id -u)" = 0 ] && chown "$STACK_PG_USER" "$dir/postgres.log"
  as_pg_user "$PG_BIN/pg_ctl" -D "$dir/pgdata" -l "$dir/postgres.log" -o "$opts" -w -t 60 start >/dev/null ||
    { tail -20 "$dir/postgres.log" >&2; exit 1; }
  [ $fresh = 1 ] && pg_bootstrap "$port"
  return 0
}

pg_stop() {
  local dir mode=${2:-fast}
  dir=$(realpath -m "$1")
  [ -f "$dir/pgdata/postmaster.pid" ] || return 0
  as_pg_user "$PG_BIN/pg_ctl" -D "$dir/pgdata" -m "$mode" -w -t 60 stop >/dev/null 2>&1 || true
}

# A hot standby of the PostgreSQL on PG_PORT, streaming from it (pg_basebackup -R: the
# standby.signal and primary_conninfo; initdb's trust rules admit replication). Stopped
# with `pg-stop DIR/replica`.
pg_replica_start() {
  local dir primary=$2 port=$3
  dir=$(realpath -m "$1")/replica
  ensure_pg_user
  mkdir -p "$dir/pgsock"
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown "$STACK_PG_USER" "$dir" "$dir/pgsock"
  as_pg_user "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$primary" -U postgres -D "$dir/pgdata" -R -X stream -c fast \
    --no-sync >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
  pg_start "$dir" "$port" fast
}

# The options every node has: loopback, AOF every second, expired-key events.
redis_args() { # DIR PORT
  local dir=$1 port=$2
  local args=(--port "$port" --bind 127.0.0.1 --daemonize yes --pidfile "$dir/redis.pid"
              --dir "$dir" --logfile "$dir/redis.log" --save "" --appendonly yes --appendfsync everysec
              --notify-keyspace-events Ex --protected-mode no)
  [ -n "${STACK_REDIS_PASSWORD:-}" ] &&
    args+=(--requirepass "$STACK_REDIS_PASSWORD" --masterauth "$STACK_REDIS_PASSWORD")
  printf '%s\n' "${args[@]}"
}

rcli() { # PORT ARGS...: redis-cli with the password, if any, from the environment
  local port=$1; shift
  if [ -n "${STACK_REDIS_PASSWORD:-}" ]; then REDISCLI_AUTH=$STACK_REDIS_PASSWORD redis-cli -p "$port" "$@"
  else redis-cli -p "$port" "$@"; fi
}

redis_start() {
  local dir=$1 port=$2 mode=${3:-standalone}
  mkdir -p "$dir/redis"
  local args
  mapfile -t args < <(redis_args "$dir/redis" "$port")
  [ "$mode" = cluster ] && args+=(--cluster-enabled yes --cluster-config-file "$dir/redis/nodes.conf")
  redis-server "${args[@]}"
  local up=0
  for _ in $(seq 200); do
    rcli "$port" ping >/dev/null 2>&1 && { up=1; break; }
    sleep 0.05
  done
  [ $up = 1 ] || { echo "redis did not answer on port $port" >&2; tail -5 "$dir/redis/redis.log" >&2; exit 1; }
  if [ "$mode" = cluster ]; then
    # One node owning every hash slot: a script touching two slots fails with CROSSSLOT.
    rcli "$port" cluster addslotsrange 0 16383 >/dev/null
    for _ in $(seq 100); do
      rcli "$port" cluster info | grep -q 'cluster_state:ok' && return 0
      sleep 0.05
    done
    echo "redis cluster did not become ready" >&2
    exit 1
  fi
}

# A real cluster: one redis-server per PORT (in DIR/redis-PORT), created with
# redis-cli --cluster create (the first N/(1+REPLICAS) ports become the primaries).
# Partitions on a node whose primary failed stay served by the others
# (cluster-require-full-coverage no) and any replica may take over
# (cluster-replica-validity-factor 0). Returns when every node says cluster_state:ok and
# every replica is in sync.
redis_cluster_start() {
  local dir=$1 replicas=$2; shift 2
  local ports=("$@") addrs=() port
  for port in "${ports[@]}"; do
    mkdir -p "$dir/redis-$port"
    local args
    mapfile -t args < <(redis_args "$dir/redis-$port" "$port")
    redis-server "${args[@]}" --cluster-enabled yes --cluster-config-file "$dir/redis-$port/nodes.conf" \
      --cluster-node-timeout "${STACK_REDIS_NODE_TIMEOUT:-2000}" --cluster-require-full-coverage no \
      --cluster-replica-validity-factor 0
    addrs+=("127.0.0.1:$port")
  done
  for port in "${ports[@]}"; do
    local up=0
    for _ in $(seq 200); do rcli "$port" ping >/dev/null 2>&1 && { up=1; break; }; sleep 0.05; done
    [ $up = 1 ] || { echo "redis did not answer on port $port" >&2; tail -5 "$dir/redis-$port/redis.log" >&2; exit 1; }
  done
  rcli "${ports[0]}" --cluster create "${addrs[@]}" --cluster-replicas "$replicas" --cluster-yes \
    >"$dir/redis-cluster-create.log" 2>&1 || { cat "$dir/redis-cluster-create.log" >&2; exit 1; }
  for _ in $(seq 400); do
    local ready=1
    for port in "${ports[@]}"; do
      rcli "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' || { ready=0; break; }
      local info
      info=$(rcli "$port" info replication 2>/dev/null)
      if grep -q 'role:slave' <<<"$info" && ! grep -q 'master_link_status:up' <<<"$info"; then ready=0; break; fi
    done
    [ $ready = 1 ] && return 0
    sleep 0.05
  done
  echo "redis cluster did not become ready" >&2
  exit 1
}

redis_stop() {
  local dir=$1 pidfile pid
  for pidfile in "$dir"/redis/redis.pid "$dir"/redis-*/redis.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    rm -f "$pidfile"
  done
}

# Debian's PgBouncer 1.18 in transaction mode on loopback, in DIR/pgbouncer (as
# $STACK_PG_USER when root: it refuses to run as root). Trust auth, like the test
# PostgreSQL; server_login_retry 1 s so that a restarted PostgreSQL is found at once;
# query_wait_timeout 2 s: while PostgreSQL is down a query waits in PgBouncer's queue (a
# direct connection is refused at once), and is failed after this.
pgbouncer_start() {
  local dir pg_port=$2 port=$3
  dir=$(realpath -m "$1")/pgbouncer
  ensure_pg_user
  mkdir -p "$dir"
  printf '"%s" ""\n' booking_svc payment_svc postgres >"$dir/userlist.txt"
  cat >"$dir/pgbouncer.ini" <<EOF
[databases]
booking = host=127.0.0.1 port=$pg_port dbname=booking
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 40
max_db_connections = 200
server_login_retry = 1
query_wait_timeout = 2
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
log_connections = 0
log_disconnections = 0
EOF
  [ "$(id -u)" = 0 ] && chown -R "$STACK_PG_USER" "$dir"
  as_pg_user /usr/sbin/pgbouncer -d -q "$dir/pgbouncer.ini" ||
    { tail -5 "$dir/pgbouncer.log" >&2 2>/dev/null; exit 1; }
  for _ in $(seq 200); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -d booking -U postgres && return 0
    sleep 0.05
  done
  echo "pgbouncer did not answer on port $port" >&2
  tail -5 "$dir/pgbouncer.log" >&2
  exit 1
}

pgbouncer_stop() {
  local pidfile pid
  pidfile=$(realpath -m "$1")/pgbouncer/pgbouncer.pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  rm -f "$pidfile"
}

migrate() {
  local build=$1 port=$2
  DATABASE_URL="postgresql://booking_svc@127.0.0.1:$port/booking" LOG_LEVEL=warn "$build/booking-svc/booking-svc" --migrate
  DATABASE_URL="postgresql://payment_svc@127.0.0.1:$port/booking" LOG_LEVEL=warn "$build/payment-svc/payment-svc" --migrate
}

cmd=${1:-}
shift || true
case "$cmd" in
  pg-start) pg_start "$@" ;;
  pg-stop) pg_stop "$@" ;;
  pg-replica-start) pg_replica_start "$@" ;;
  redis-start) redis_start "$@" ;;
  redis-stop) redis_stop "$@" ;;
  redis-cluster-start) redis_cluster_start "$@" ;;
  pgbouncer-start) pgbouncer_start "$@" ;;
  pgbouncer-stop) pgbouncer_stop "$@" ;;
  migrate) migrate "$@" ;;
  *) sed -n '2,21p' "$0" >&2; exit 2 ;;
esac
