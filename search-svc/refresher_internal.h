/* refresher_internal.h — the refresher's state, shared by its files (refresher.c: the
 * thread and requests; refresh_work.c: changed resources; refresh_full.c: full loads
 * and stream checks). Everything but `requests` and `stats` belongs to the thread. */
#ifndef SEARCH_SVC_REFRESHER_INTERNAL_H
#define SEARCH_SVC_REFRESHER_INTERNAL_H

#include <pthread.h>

#include "loader.h"
#include "pg.h"
#include "redis.h"
#include "refresher.h"
#include "stream_tail.h"

#define REQUESTS_MAX 256
#define DELIVERY_SLACK_MS 5 /* an entry appended this long before poll() returned was delivered */

struct refresher {
    model *m;
    refresher_config cfg;
    pg_conn *pg;                  /* the primary: changed resources, the replica's fence */
    pg_conn *read_pg;             /* full loads: a replica, or pg */
    redis_conn *redis;
    stream_tail *tail;
    pthread_t thread;
    int running;
    int wake[2];                  /* pipe: write a byte to wake the thread */
    _Atomic int stop;
    /* work: entries with changes not yet applied */
    model_entry **work;
    size_t work_count, work_cap;
    int touched[HOLD_PARTITIONS]; /* partitions with entries read this round */
    /* full refresh */
    int full_active;
    load_cursor full_at;          /* the last resource loaded by the pass */
    int64_t full_started_ms, full_next_ms, full_loaded;
    int64_t full_published_ms;    /* the pass's last view rebuild */
    int64_t next_check_ms;
    /* other threads' requests */
    pthread_mutex_t lock;
    char requests[REQUESTS_MAX][MODEL_ID_MAX + 1];
    int request_count;
    refresher_stats stats;        /* under lock */
};

/* The window of the model at `now`: [today 00:00 UTC, + horizon days). */
load_window refresh_window(const refresher *r, int64_t now_ms);

/* refresh_work.c */
void work_notice(refresher *r, model_entry *e, int64_t change_ms, int pg_now);
int work_process(refresher *r);          /* applies due work; 0, or -1 when a store failed */
int64_t work_next_due(const refresher *r); /* earliest PostgreSQL reload due (INT64_MAX: none) */
int64_t work_oldest_change(const refresher *r);
void apply_loaded(refresher *r, model_entry *e, loaded *l, int64_t now);
void stats_add(refresher *r, uint64_t *field, uint64_t n);

/* refresh_full.c */
int full_step(refresher *r);             /* one chunk of a full refresh; 1 when the pass finished */
void full_schedule(refresher *r, const char *why);
void check_streams(refresher *r);

#endif
