/* harness.h — integration-test harness: a real PostgreSQL 15 and Redis 7 (cluster mode,
 * one node owning every slot; or a real multi-node Redis Cluster with replicas) in a
 * temporary folder on free loopback ports, migrations, and the service binaries, all
 * torn down at the end — also when the test dies. */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "redis.h"

typedef struct harness harness;

/* Starts the stores, applies migrations, and starts `services` (NULL-terminated list
 * of "booking-svc", "payment-svc", "search-svc", "expiry-svc"), each with the common
 * environment plus `env` ("NAME=value", NULL-terminated, may be NULL), and waits until
 * each answers health SERVING. Aborts the test program with a message on failure. */
harness *harness_start(const char *const *services, const char *const *env);
/* A real Redis Cluster for harness_start_cluster: primaries * (1 + replicas)
 * redis-server processes on free loopback ports (tests/stack.sh redis-cluster-start:
 * redis-cli --cluster create --cluster-replicas). */
typedef struct harness_cluster {
    int primaries, replicas;   /* replicas per primary */
    int node_timeout_ms;       /* cluster-node-timeout (0: 2000): how soon a dead primary is replaced */
    const char *password;      /* requirepass/masterauth; services get REDIS_PASSWORD (NULL: none) */
} harness_cluster;

/* harness_start with Redis as a real cluster; REDIS_URL names its first node. */
harness *harness_start_cluster(const char *const *services, const char *const *env, const harness_cluster *cluster);

/* Stops services (SIGTERM; a non-zero exit, e.g. a sanitizer report, is returned as
 * -1 after printing the service's log), then the stores; removes the folder. */
int harness_stop(harness *h);

/* "127.0.0.1:PORT" of a running service instance ("expiry-svc" or "expiry-svc#2"). */
const char *harness_addr(const harness *h, const char *instance);
/* 1 while the instance runs (started and not stopped). */
int harness_running(const harness *h, const char *instance);
/* The path of the instance's log (stdout and stderr). */
const char *harness_log_path(const harness *h, const char *instance);
/* The instance's /metrics port. */
int harness_metrics_port(const harness *h, const char *instance);
/* Starts (or restarts) an instance with extra env; "expiry-svc#2" runs a second
 * expiry-svc. Waits for SERVING. Returns 0 or -1. */
int harness_start_service(harness *h, const char *instance, const char *const *env);
/* Sends sig to an instance (SIGSTOP, SIGCONT: no waiting); 0 or -1. */
int harness_signal(harness *h, const char *instance, int sig);
/* Sends sig to PostgreSQL (the postmaster and its backends) or to Redis: SIGSTOP and
 * SIGCONT stall and resume a store. 0 or -1. */
int harness_signal_postgres(harness *h, int sig);
int harness_signal_redis(harness *h, int sig);
/* Sends sig to an instance and waits for it to exit; returns its exit status
 * (128+signal when killed), or -1 when it is not running. */
int harness_stop_service(harness *h, const char *instance, int sig);

/* Superuser connection to the booking database (invariant checks). Owned by h. */
PGconn *harness_db(harness *h);
/* A connection to the test Redis (on a cluster: to its first node). Owned by h. */
redisContext *harness_redis(harness *h);
/* A cluster-aware client (shared/runtime/redis.h: routes by key, per-node commands) of
 * the test Redis, one node or a cluster. Owned by h. */
redis_conn *harness_redis_client(harness *h);
const char *harness_redis_url(const harness *h);
/* postgresql://<role>@127.0.0.1:PORT/booking */
const char *harness_database_url(const harness *h, const char *role);
/* The same through Debian's PgBouncer in transaction mode, started on first use in the
 * harness's folder (stopped with the stores). With HARNESS_PGBOUNCER=1 every service
 * runs through it (DATABASE_POOL_MODE=transaction, DATABASE_DIRECT_URL past it). */
const char *harness_pgbouncer_url(harness *h, const char *role);
/* Starts a streaming replica of the test PostgreSQL (hot standby, in the harness's
 * folder, stopped with the stores); returns its port (postgresql://ROLE@127.0.0.1:PORT/
 * booking), -1 on failure. */
int harness_start_replica(harness *h);
/* Stops and restarts Redis with its data gone (same port). */
int harness_restart_redis(harness *h);
/* Kills Redis (SIGKILL) and starts it again on its data (its append-only file, written
 * every second: the last second may be lost, as in a real crash). */
int harness_crash_redis(harness *h);
/* Cluster only: how many redis-server processes (0 for the one-node default), the
 * port of node i, a signal to node i (SIGKILL waits until it is gone), which node
 * serves a key now (-1 unknown), and how long until every slot is served by a live
 * primary with the cluster ok on every live node (-1 when timeout_ms passed first). */
int harness_redis_node_count(const harness *h);
int harness_redis_node_port(const harness *h, int i);
int harness_signal_redis_node(harness *h, int i, int sig);
int harness_redis_node_of(harness *h, const char *key);
long harness_wait_cluster(harness *h, long timeout_ms);
/* Stops PostgreSQL (fast shutdown); harness_start_postgres starts it again, data kept. */
int harness_stop_postgres(harness *h);
int harness_start_postgres(harness *h);

/* GET /metrics of an instance: the whole HTTP answer (malloc'd; free it), or NULL when
 * its metrics port does not answer. */
char *harness_metrics(const harness *h, const char *instance);
/* GET /metrics of an instance: the body alone (malloc'd; free it), or NULL when its
 * metrics port does not answer 200 OK. */
char *harness_metrics_body(const harness *h, const char *instance);
/* Runs `promtool check metrics` (Debian package prometheus) on an exposition body.
 * Returns 0 when promtool exits 0 and prints nothing, else -1 with its complaints (or
 * the reason it could not run, promtool missing included) in *report (malloc'd; free
 * it). Never skips: a missing promtool is a failure. */
int harness_promtool_check(const char *body, char **report);
/* The value of the sample line starting with `series` ("name{labels} ", with the space)
 * in a scrape, or -1 when absent. */
double harness_metric_value(const char *scrape, const char *series);

/* Runs SQL with parameters on harness_db and returns the first column of the first
 * row as a long (aborts on error). */
long harness_sql_long(harness *h, const char *sql, int nparams, const char *const *params);

#endif
