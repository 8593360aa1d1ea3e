/* refresher.h — the read model's only writer: a thread that loads the model, follows
 * the change streams, re-reads changed resources (counters at once, PostgreSQL rows
 * rate-limited per resource), runs a periodic full refresh from PostgreSQL as a
 * backstop, and reloads after Redis loses data or restarts. */
#ifndef SEARCH_SVC_REFRESHER_H
#define SEARCH_SVC_REFRESHER_H

#include <stdint.h>

#include "model.h"
#include "pg.h"
#include "shard.h"

typedef struct refresher_config {
    pg_conn *pg;           /* PostgreSQL for changed resources (the primary); the refresher owns it */
    pg_conn *read_pg;      /* a streaming replica for full loads (owned), or NULL: pg */
    const char *redis_url, *redis_username, *redis_password;
    int store_timeout_ms;
    int full_refresh_ms;   /* period of the full refresh (0 = never) */
    int pg_reload_ms;      /* at most one PostgreSQL reload per resource per this interval */
    int chunk;             /* resources per load query */
    shard shard;           /* the partitions this replica holds (all: 0/1) */
} refresher_config;

typedef struct refresher refresher;

typedef struct refresher_stats {
    uint64_t stream_entries, counter_reloads, pg_reloads, full_refreshes, redis_resyncs;
    double last_load_seconds;   /* duration of the last full load */
} refresher_stats;

refresher *refresher_new(model *m, const refresher_config *cfg);
/* Loads the whole model (blocking) and publishes it. 0, or -1 when PostgreSQL failed
 * (the thread retries the load). */
int refresher_initial_load(refresher *r);
/* Starts / stops (wakes and joins) the thread. */
int refresher_start(refresher *r);
void refresher_stop(refresher *r);
void refresher_free(refresher *r);

/* Any thread: asks for a resource to be (re)loaded soon (e.g. found in PostgreSQL but
 * not yet in the model); ignored for a resource of another shard. */
void refresher_request(refresher *r, const char *resource_id);

void refresher_get_stats(refresher *r, refresher_stats *out);

#endif
