/* service_main.c — the life of a service process: settings, logging, migrations,
 * metrics endpoint, gRPC server with per-worker stores, signal-driven shutdown. */
#include "service.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "descriptor_set.h"
#include "idempotency.h"
#include "log.h"
#include "metrics.h"
#include "store_status.h"
#include "metrics_http.h"
#include "process_metrics.h"
#include "rpc_client.h"
#include "rpc_server.h"

typedef struct service_runtime {
    const service_definition *def;
    service_settings settings;
    auth_settings auth;  /* identity: auth_call.c */
    rpc_tls tls;         /* TLS of the server and of outgoing calls */
    void *app;
} service_runtime;

static size_t common_settings(const service_definition *def, service_settings *s, config_entry *out)
{
    const config_entry table[] = {
        {"GRPC_LISTEN", CONFIG_STRING, s->grpc_listen, def->grpc_listen_default, 0, 0, "gRPC address"},
        {"METRICS_LISTEN", CONFIG_STRING, s->metrics_listen, def->metrics_listen_default, 0, 0,
         "Prometheus /metrics address"},
        {"REDIS_URL", CONFIG_STRING, s->redis_url, "redis://127.0.0.1:16379/0", 0, 0,
         "Redis (hold cache): one server, or any node of a Redis Cluster"},
        {"REDIS_USERNAME", CONFIG_STRING, s->redis_username, "", 0, 0, "Redis ACL user (empty: the default user)"},
        {"REDIS_PASSWORD", CONFIG_STRING, s->redis_password, "", 0, 0,
         "Redis password (empty: the one in REDIS_URL, if any); from a Secret in k8s/"},
        {"REDIS_WAIT_REPLICAS", CONFIG_INT, &s->redis_wait_replicas, "0", 0, 16,
         "replicas the confirmation's Redis moves wait for (WAIT), 0 = none: docs/redis-cluster.md"},
        {"REDIS_WAIT_TIMEOUT_MS", CONFIG_INT, &s->redis_wait_timeout_ms, "50", 1, 10000,
         "how long a write waits for them"},
        {"REDIS_WAIT_ALL_WRITES", CONFIG_BOOL, &s->redis_wait_all, "false", 0, 0,
         "every script write waits, holds included (measured: docs/redis-cluster.md)"},
        {"DATABASE_URL", CONFIG_STRING, s->database_url, def->database_url_default ? def->database_url_default : "",
         0, 0, "PostgreSQL (system of record), directly or through PgBouncer"},
        {"DATABASE_POOL_MODE", CONFIG_STRING, s->database_pool_mode, "session", 0, 0,
         "session (direct, or session pooling) or transaction (PgBouncer pool_mode=transaction: unnamed statements, "
         "no session state)"},
        {"DATABASE_DIRECT_URL", CONFIG_STRING, s->database_direct_url, "", 0, 0,
         "PostgreSQL past the pooler, for what needs a session (booking-svc's maintenance lock); empty = DATABASE_URL"},
        {"DATABASE_READ_URL", CONFIG_STRING, s->database_read_url, "", 0, 0,
         "a read replica for bulk reads (search-svc's full loads); empty = DATABASE_URL"},
        {"LOG_LEVEL", CONFIG_STRING, s->log_level, "info", 0, 0, "error, warn, info or debug"},
        {"GRPC_WORKERS", CONFIG_INT, &s->workers, "8", 1, 256, "handler threads (each has its own stores)"},
        {"GRPC_CQ_THREADS", CONFIG_INT, &s->cq_threads, "2", 1, 64, "completion-queue threads"},
        {"GRPC_CALLS_AHEAD", CONFIG_INT, &s->calls_ahead, "16", 1, 1024, "calls requested ahead per method"},
        {"SHUTDOWN_DRAIN_MS", CONFIG_INT, &s->drain_ms, "10000", 0, 600000, "graceful shutdown drain time"},
        {"STORE_TIMEOUT_MS", CONFIG_INT, &s->store_timeout_ms, "2000", 10, 60000, "Redis connect/command timeout"},
        {"IDEMPOTENCY_LEASE_SECONDS", CONFIG_INT, &idempotency_lease_seconds, "30", 1, 86400,
         "a claimed idempotency key whose call died is retried after this"},
        {"IDEMPOTENCY_RETENTION_HOURS", CONFIG_INT, &idempotency_retention_hours, "24", 1, 8760,
         "idempotency records older than this are deleted"},
    };
    memcpy(out, table, sizeof table);
    return sizeof table / sizeof table[0];
}

/* Identity and TLS settings: tables of their own modules, appended to the common ones. */
static size_t security_settings(service_runtime *rt, config_entry *out)
{
    size_t n = auth_config_entries(&rt->auth, out);
    return n + tls_config_entries(&rt->tls, out + n);
}

static int load_settings(service_runtime *rt, int print_only)
{
    config_entry common[24 + AUTH_CONFIG_COUNT + TLS_CONFIG_COUNT];
    size_t n = common_settings(rt->def, &rt->settings, common);
    n += security_settings(rt, common + n);
    if (print_only) {
        printf("%s settings (environment variables):\n", rt->def->name);
        config_print(common, n);
        config_print(rt->def->config, rt->def->config_count);
        config_print(rt->def->extra_config, rt->def->extra_config_count);
        return 0;
    }
    char err[256];
    if (config_load_env(common, n, err, sizeof err) != 0 ||
        config_load_env(rt->def->config, rt->def->config_count, err, sizeof err) != 0 ||
        config_load_env(rt->def->extra_config, rt->def->extra_config_count, err, sizeof err) != 0) {
        fprintf(stderr, "%s: bad setting: %s\n", rt->def->name, err);
        return -1;
    }
    if (pg_pool_mode_parse(rt->settings.database_pool_mode) < 0) {
        fprintf(stderr, "%s: bad setting: DATABASE_POOL_MODE \"%s\" (session or transaction)\n", rt->def->name,
                rt->settings.database_pool_mode);
        return -1;
    }
    if (log_init(rt->def->name, rt->settings.log_level) != 0) {
        fprintf(stderr, "%s: bad setting: LOG_LEVEL \"%s\"\n", rt->def->name, rt->settings.log_level);
        return -1;
    }
    return 0;
}

pg_conn *service_pg_open(const service_definition *def, const service_settings *settings, service_pg_route route)
{
    pg_pool_mode mode = (pg_pool_mode)pg_pool_mode_parse(settings->database_pool_mode);
    const char *url = settings->database_url;
    if (route == SERVICE_PG_READ && settings->database_read_url[0])
        url = settings->database_read_url;
    if (route == SERVICE_PG_DIRECT && settings->database_direct_url[0]) {
        url = settings->database_direct_url;
        mode = PG_POOL_SESSION;
    }
    if (route == SERVICE_PG_DIRECT && mode != PG_POOL_SESSION) {
        log_error("DATABASE_POOL_MODE=transaction: a session-level lock needs DATABASE_DIRECT_URL (PostgreSQL "
                  "past the pooler)");
        return NULL;
    }
    return pg_connect_mode(url, def->database_schema, mode);
}

service_worker *service_worker_open_on(const service_definition *def, const service_settings *settings, void *app,
                                       int index, service_pg_route route)
{
    pg_conn *pg = def->database_url_default ? service_pg_open(def, settings, route) : NULL;
    if (def->database_url_default && !pg)
        return NULL;
    service_worker *w = calloc(1, sizeof *w);
    w->app = app;
    w->index = index;
    w->pg = pg;
    if (def->uses_redis)
        w->redis = service_redis_connect(settings);
    return w;
}

service_worker *service_worker_open(const service_definition *def, const service_settings *settings, void *app,
                                    int index)
{
    return service_worker_open_on(def, settings, app, index, SERVICE_PG_MAIN);
}

redis_conn *service_redis_connect(const service_settings *s)
{
    redis_conn *r = redis_connect_as(s->redis_url, s->redis_username, s->redis_password, (int)s->store_timeout_ms);
    redis_set_wait(r, (int)s->redis_wait_replicas, (int)s->redis_wait_timeout_ms, s->redis_wait_all);
    return r;
}

void service_worker_close(service_worker *w)
{
    if (!w)
        return;
    pg_close(w->pg);
    redis_close(w->redis);
    free(w);
}

static void *worker_init(int index, void *arg)
{
    service_runtime *rt = arg;
    return service_worker_open(rt->def, &rt->settings, rt->app, index);
}

static void worker_free(void *state, void *arg)
{
    (void)arg;
    service_worker_close(state);
}

/* store_up{store="postgres"|"redis"}: what the last health check found (kubelet's
 * readiness probe asks every few seconds), registered for the stores the service uses. */
static metric *store_up_pg, *store_up_redis;

static void store_metrics(const service_definition *def)
{
    static const char help[] = "1 when the last health check reached the store, 0 when it did not.";
    if (def->database_url_default)
        store_up_pg = metrics_gauge("store_up", "store=\"postgres\"", help);
    if (def->uses_redis)
        store_up_redis = metrics_gauge("store_up", "store=\"redis\"", help);
    store_errors_metrics_init(def->database_url_default != NULL, def->uses_redis);
}

static int worker_health(void *state, void *arg)
{
    service_worker *w = state;
    service_runtime *rt = arg;
    int pg_ok = !w->pg || pg_ping(w->pg) == 0;
    int redis_ok = !w->redis || redis_ping(w->redis) == 0;
    if (w->pg && store_up_pg)
        metric_set(store_up_pg, pg_ok);
    if (w->redis && store_up_redis)
        metric_set(store_up_redis, redis_ok);
    if (!pg_ok || !redis_ok)
        return -1;
    return rt->def->health ? rt->def->health(rt->app) : 0;
}

/* Idempotency keys are recorded where the method's effects live: the service's own
 * schema, or Redis for RPC_KEYS_IN_REDIS methods. */
static int intercept(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response,
                     rpc_handler handler)
{
    service_worker *w = rpc_worker_state(call);
    if ((rpc_method_flags(call) & RPC_KEYS_IN_REDIS) && w->redis)
        return idempotency_run_redis(w->redis, call, request, response, handler);
    return w->pg ? idempotency_run_pg(w->pg, call, request, response, handler) : handler(call, request, response);
}

static int run_migrations(service_runtime *rt)
{
    if (!rt->def->migration_count) {
        fprintf(stderr, "%s has no migrations\n", rt->def->name);
        return 0;
    }
    /* past any pooler: the schema may not exist yet, so search_path is set on the session */
    pg_conn *pg = service_pg_open(rt->def, &rt->settings, SERVICE_PG_DIRECT);
    if (!pg)
        return 1;
    char err[512] = "";
    int applied = migrate_apply(pg, rt->def->database_schema, rt->def->migrations, rt->def->migration_count, err,
                                sizeof err);
    pg_close(pg);
    if (applied < 0) {
        log_error("migrations failed: %s", err);
        return 1;
    }
    log_info("schema %s is up to date (%d migrations applied now)", rt->def->database_schema, applied);
    return 0;
}

static int wait_for_signal(const sigset_t *set)
{
    int sig = 0;
    sigwait(set, &sig);
    return sig;
}

/* Identity and TLS before anything serves; outgoing calls (payment-svc) use the same
 * certificate: mutual TLS between services. */
static int security_start(service_runtime *rt)
{
    char err[256];
    if (auth_start(&rt->auth, rt->def->name, err, sizeof err) != 0 || tls_check(&rt->tls, err, sizeof err) != 0) {
        log_error("bad setting: %s", err);
        return -1;
    }
    if (tls_enabled(&rt->tls)) {
        rpc_client_set_tls(&rt->tls);
        log_info("TLS on: %s, client certificates %s", rt->tls.cert_file, rt->tls.client_auth);
    } else if (auth_jwt_mode()) {
        log_warn("AUTH_MODE=jwt without TLS: no caller can prove a service identity (payment-svc refuses all)");
    }
    return 0;
}

static int serve(service_runtime *rt, const sigset_t *signals)
{
    char err[256];
    if (security_start(rt) != 0)
        return 1;
    process_metrics_register(rt->def->name); /* process_*, <service>_build_info */
    store_metrics(rt->def);
    metrics_http *metrics = metrics_http_start(rt->settings.metrics_listen, err, sizeof err);
    if (!metrics) {
        log_error("%s", err);
        auth_stop();
        return 1;
    }
    if (rt->def->start && rt->def->start(&rt->settings, &rt->app) != 0) {
        auth_stop();
        metrics_http_stop(metrics);
        return 1;
    }
    rpc_server_options opts = {
        .listen_addr = rt->settings.grpc_listen, .workers = (int)rt->settings.workers,
        .cq_threads = (int)rt->settings.cq_threads,
        .calls_ahead = (int)rt->settings.calls_ahead, .drain_ms = (int)rt->settings.drain_ms,
        .services = rt->def->services, .service_count = rt->def->service_count, .worker_init = worker_init,
        .worker_free = worker_free, .health_check = worker_health, .intercept = intercept, .app = rt,
        .tls = &rt->tls, .health_addr = rt->tls.health_listen, .descriptor_set = booking_descriptor_set, .descriptor_set_len = booking_descriptor_set_len};
    rpc_server *server = rpc_server_start(&opts, err, sizeof err);
    int code = 0;
    if (!server) {
        log_error("%s", err);
        code = 1;
    } else {
        log_info("%s serving gRPC on %s (port %d), %ld workers", rt->def->name, rt->settings.grpc_listen,
                 rpc_server_port(server), rt->settings.workers);
        int sig = wait_for_signal(signals);
        log_info("signal %d: draining and stopping", sig);
        rpc_server_stop(server);
    }
    if (rt->def->stop)
        rt->def->stop(rt->app);
    auth_stop();
    metrics_http_stop(metrics);
    log_info("%s stopped", rt->def->name);
    return code;
}

int service_main(const service_definition *def, int argc, char **argv)
{
    service_runtime rt = {.def = def};
    int migrate = argc > 1 && strcmp(argv[1], "--migrate") == 0;
    if (argc > 1 && !migrate) {
        printf("usage: %s [--migrate]\n", def->name);
        load_settings(&rt, 1);
        return strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    if (load_settings(&rt, 0) != 0)
        return 2;
    if (migrate)
        return run_migrations(&rt);
    /* Every thread inherits this mask; only sigwait sees the signals. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    return serve(&rt, &signals);
}
