/* service.h — what a service binary declares (name, ports, stores, method tables,
 * settings, migrations, background work); service_main runs it. */
#ifndef SHARED_SERVICE_H
#define SHARED_SERVICE_H

#include <stddef.h>

#include "config.h"
#include "migrate.h"
#include "pg.h"
#include "redis.h"
#include "rpc.h"

/* Settings every service has. */
typedef struct service_settings {
    char grpc_listen[CONFIG_STRING_MAX];
    char metrics_listen[CONFIG_STRING_MAX];
    char redis_url[CONFIG_STRING_MAX];
    char redis_username[CONFIG_STRING_MAX];  /* ACL user; "" = the default user */
    char redis_password[CONFIG_STRING_MAX];  /* "" = the URL's password, if any */
    long redis_wait_replicas;                /* WAIT after durable script calls (redis_set_wait) */
    long redis_wait_timeout_ms;
    int redis_wait_all;                      /* ... after every script call */
    char database_url[CONFIG_STRING_MAX];
    char database_pool_mode[CONFIG_STRING_MAX]; /* "session" or "transaction" (PgBouncer) */
    char database_direct_url[CONFIG_STRING_MAX]; /* past the pooler, for session state; "" = DATABASE_URL */
    char database_read_url[CONFIG_STRING_MAX];   /* a read replica; "" = DATABASE_URL */
    char log_level[CONFIG_STRING_MAX];
    long workers;
    long cq_threads;
    long calls_ahead;
    long drain_ms;
    long store_timeout_ms;
} service_settings;

/* The state of one worker thread: its own store connections. */
typedef struct service_worker {
    pg_conn *pg;        /* NULL when the service has no PostgreSQL */
    redis_conn *redis;  /* NULL when the service has no Redis */
    void *app;          /* the service's shared state (from start) */
    int index;
} service_worker;

typedef struct service_definition {
    const char *name;                    /* "booking-svc" */
    const char *grpc_listen_default;     /* "127.0.0.1:50052" */
    const char *metrics_listen_default;  /* "127.0.0.1:9102" */
    const char *database_url_default;    /* NULL: the service uses no PostgreSQL */
    const char *database_schema;         /* search_path and migration schema */
    int uses_redis;
    const rpc_service *const *services;
    size_t service_count;
    const config_entry *config;          /* the service's own settings */
    size_t config_count;
    const config_entry *extra_config;    /* settings of a library it runs (the saga's) */
    size_t extra_config_count;
    const migration *migrations;         /* applied by `<name> --migrate` */
    size_t migration_count;
    /* Before serving: make the shared state and start background work. 0 or -1. */
    int (*start)(const service_settings *settings, void **app);
    /* After the server stopped: stop background work, free the state. */
    void (*stop)(void *app);
    /* Optional: 0 while the service itself is fit to serve (beyond its stores answering);
     * health reports NOT_SERVING otherwise. */
    int (*health)(void *app);
} service_definition;

/* Parses settings, then serves until SIGTERM/SIGINT (exit 0), or runs --migrate /
 * --help. Returns the process exit code. */
int service_main(const service_definition *def, int argc, char **argv);

/* Which PostgreSQL a connection goes to. */
typedef enum service_pg_route {
    SERVICE_PG_MAIN = 0,  /* DATABASE_URL in DATABASE_POOL_MODE */
    SERVICE_PG_DIRECT,    /* a session of its own (advisory locks): DATABASE_DIRECT_URL, else DATABASE_URL
                           * when that is not a transaction pooler */
    SERVICE_PG_READ,      /* DATABASE_READ_URL (a replica), else DATABASE_URL; in DATABASE_POOL_MODE */
} service_pg_route;

/* A connection to the definition's database by route (docs/scale-out.md). NULL only for
 * SERVICE_PG_DIRECT when no session is available (transaction pooling without
 * DATABASE_DIRECT_URL). Free with pg_close. */
pg_conn *service_pg_open(const service_definition *def, const service_settings *settings, service_pg_route route);

/* Opens the stores the definition asks for (also for background threads). */
service_worker *service_worker_open(const service_definition *def, const service_settings *settings,
                                    void *app, int index);
/* The same with its PostgreSQL connection on `route`; NULL when service_pg_open is. */
service_worker *service_worker_open_on(const service_definition *def, const service_settings *settings,
                                       void *app, int index, service_pg_route route);
void service_worker_close(service_worker *w);
/* A Redis client with the settings' URL, credentials and timeout (redis_close it). */
redis_conn *service_redis_connect(const service_settings *settings);

#endif
