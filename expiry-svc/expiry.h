/* expiry.h — what expiry-svc's modules share: settings, the service state with its
 * background threads, and the entry points of the release paths and reconciliation. */
#ifndef EXPIRY_EXPIRY_H
#define EXPIRY_EXPIRY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "background.h"
#include "hold_cache.h"
#include "keymap.h"
#include "service.h"
#include "stats.h"

#define SWEEP_THREADS_MAX 16

typedef struct expiry_settings {
    long sweep_interval_ms;         /* SWEEP_INTERVAL_MS */
    long sweep_batch;               /* SWEEP_BATCH: due holds read per ZRANGEBYSCORE */
    long sweep_threads;             /* SWEEP_THREADS */
    long reconcile_interval_ms;     /* RECONCILE_INTERVAL_MS */
    long notify_check_interval_ms;  /* NOTIFY_CHECK_INTERVAL_MS */
} expiry_settings;

extern expiry_settings expiry_config;

/* The service definition (main.c), for service_worker_open in background threads. */
const service_definition *expiry_definition(void);

/* One deadline partition: the sweep of it runs under its lock. `skip` remembers
 * CONFIRMING holds (booking-svc's repair resolves them) by their zset score, so that
 * they cost the sweep nothing until their score changes. */
typedef struct partition_state {
    pthread_mutex_t lock;
    keymap skip;
} partition_state;

typedef struct reconciler reconciler;
typedef struct expiry_app expiry_app;

/* What a sweeper thread is told: its share of the partitions (p % count == index). */
typedef struct sweeper_arg {
    expiry_app *app;
    int index;
} sweeper_arg;

struct expiry_app {
    service_settings settings;
    int redis_db;
    stopper stop;                  /* every thread's waits end on stop */
    atomic_int notify_ok;          /* 1 while Redis publishes expired events */
    partition_state parts[HOLD_PARTITIONS];
    reconciler *recon;
    sweeper_arg sweeper_args[SWEEP_THREADS_MAX];
    pthread_t sweepers[SWEEP_THREADS_MAX], subscriber, reconciler_thread;
    int sweeper_count;
};

/* Sleeps up to ms (or until stop); returns 1 when the service is stopping. */
int app_wait(expiry_app *app, int64_t ms);
int app_stopping(expiry_app *app);

/* service_definition hooks (app.c). */
int expiry_start(const service_settings *settings, void **app);
void expiry_stop(void *app);
int expiry_health(void *app);

/* Gives a due hold's units back through the release script (mode 'X'); on
 * RELEASE_DONE counts it, records its lag and gives back the user's allowance. */
hold_release expiry_release(expiry_app *app, redis_conn *r, const char *resource_id, const char *hold_id,
                            release_path path, int64_t now_ms);

/* One hold of a batch; rel is the outcome (RELEASE_FAILED when unknown). */
typedef hold_release_item release_item;

/* expiry_release for many holds in one round trip (pipelined EVALSHA of the same
 * script). 0, or -1 when the connection failed (unanswered items stay FAILED). */
int expiry_release_batch(expiry_app *app, redis_conn *r, release_item *items, int n, release_path path,
                         int64_t now_ms);

/* One pass of the deadline sweep over partitions p with p % stride == offset.
 * Returns how many holds it released, -1 when Redis failed. */
int sweep_partitions(expiry_app *app, redis_conn *r, int offset, int stride);
void *sweeper_main(void *arg);

/* The keyevent subscriber (also checks the notification config periodically). */
void *subscriber_main(void *arg);
/* Reads notify-keyspace-events: 1 fine, 0 missing (logged once per change). */
int notify_config_check(expiry_app *app, redis_conn *r);

/* Reconciliation: counters vs PostgreSQL (which it only reads). */
reconciler *reconciler_new(void);
void reconciler_free(reconciler *rc);
/* One pass over every loaded counter hash; returns the slots corrected (-1 on error)
 * and sets *unfixed (may be NULL) to the mismatches seen for the first time. */
int reconcile_counters(expiry_app *app, pg_conn *pg, redis_conn *r, int *unfixed);
void *reconciler_main(void *arg);

/* Handlers. */
int rpc_get_stats(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_run_sweep(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);

#endif
