/* refresh_full.c — full passes over PostgreSQL in chunks of resources (the cold load,
 * the periodic backstop, and the resync after Redis lost data), interleaved with the
 * change streams so that freshness holds during a pass, read from a streaming replica
 * when there is one (each chunk only once the replica has replayed what the primary had
 * written when the chunk began); and the check that no stream entries were lost
 * (trimmed unread, or Redis emptied). */
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "refresher_internal.h"
#include "timeutil.h"

/* During a pass that changes metas (the cold load: every chunk), the view (an index over
 * all entries) is rebuilt at most this often: per chunk, a pass would cost O(n²) time and,
 * until the retired views are freed, memory */
#define VIEW_EVERY_MS 1000

void full_schedule(refresher *r, const char *why)
{
    if (r->full_active)
        log_debug("full refresh restarted: %s", why);
    else
        log_info("full refresh from PostgreSQL and Redis: %s", why);
    r->full_active = 1;
    r->full_at = (load_cursor){r->cfg.shard.lo, ""};
    r->full_started_ms = wall_ms();
    r->full_loaded = 0;
}

/* Counters of the chunk's entries that have no change pending (those reload anyway). */
static int chunk_counters(refresher *r, model_entry **who, int n, load_window w)
{
    char **ids = malloc(sizeof *ids * (size_t)(n + 1));
    slot_counters **got = calloc((size_t)n + 1, sizeof *got);
    for (int i = 0; i < n; i++)
        ids[i] = who[i]->id;
    int rc = n ? load_counters(r->redis, ids, n, w, got) : 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        if (slot_counters_equal(atomic_load(&who[i]->counters), got[i]))
            slot_counters_free(got[i]);
        else
            model_set_counters(r->m, who[i], got[i]);
    }
    free(ids);
    free(got);
    return rc;
}

static void forget_unseen(model_entry *e, void *ctx)
{
    refresher *r = ctx;
    if (atomic_load(&e->meta) && !e->queued && e->pg_loaded_ms < r->full_started_ms) {
        loaded gone = {.meta = NULL, .rows = NULL};
        apply_loaded(r, e, &gone, wall_ms());
    }
}

static void finish_pass(refresher *r, int64_t now)
{
    model_each(r->m, forget_unseen, r);
    model_publish(r->m);
    /* a pass frees as much as it read (PostgreSQL results of ~180,000 rows a chunk, Redis
     * replies): give it back, or the heap keeps a third of the process's resident size */
    malloc_trim(0);
    r->full_active = 0;
    r->full_next_ms = now + r->cfg.full_refresh_ms;
    atomic_store(&r->m->ready, 1);
    pthread_mutex_lock(&r->lock);
    r->stats.full_refreshes++;
    r->stats.last_load_seconds = (double)(now - r->full_started_ms) / 1000.0;
    pthread_mutex_unlock(&r->lock);
    log_info("full refresh done: %" PRId64 " resources, %ld slots, %.1f MB in %.2f s", r->full_loaded,
             atomic_load(&r->m->slot_count), (double)atomic_load(&r->m->bytes) / 1e6,
             (double)(now - r->full_started_ms) / 1000.0);
}

/* Applies one loaded chunk; entries with pending changes keep their own reload. */
static int apply_chunk(refresher *r, loaded *items, int n, load_window w, int64_t now)
{
    model_entry **who = malloc(sizeof *who * (size_t)(n + 1));
    int k = 0;
    for (int i = 0; i < n; i++) {
        model_entry *e = model_entry_get(r->m, items[i].id, 1);
        if (!e || e->queued) {
            res_meta_free(items[i].meta);
            slot_rows_free(items[i].rows);
            continue;
        }
        apply_loaded(r, e, &items[i], now);
        who[k++] = e;
    }
    int rc = chunk_counters(r, who, k, w);
    free(who);
    return rc;
}

/* A replica serves a chunk only once it has replayed the primary's WAL as of now: then
 * the chunk holds every change applied to the model before it (a change reloaded from
 * the primary, or one older than the streams' heads at a cold start), and a lagging
 * replica never takes the model back in time. 0 when it has, -1 when it has not yet (or
 * a store failed: the chunk is tried again). */
static int replica_caught_up(refresher *r)
{
    if (r->read_pg == r->pg)
        return 0;
    PGresult *at = pg_exec(r->pg, "SELECT pg_current_wal_lsn()::text", 0, NULL);
    const char *params[1] = {at ? PQgetvalue(at, 0, 0) : NULL};
    PGresult *ok = at ? pg_exec(r->read_pg, "SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= $1::pg_lsn",
                                1, params)
                      : NULL;
    int caught_up = ok && PQgetvalue(ok, 0, 0)[0] == 't';
    if (!ok)
        log_warn("full refresh: %s failed: %s", at ? "the replica" : "PostgreSQL",
                 at ? r->read_pg->errstr : r->pg->errstr);
    else if (!caught_up)
        log_debug("full refresh: the replica has not replayed up to %s yet", params[0]);
    PQclear(at);
    PQclear(ok);
    return caught_up ? 0 : -1;
}

int full_step(refresher *r)
{
    int64_t now = wall_ms();
    load_window w = refresh_window(r, now);
    loaded *items;
    int n;
    load_cursor next = r->full_at;
    if (replica_caught_up(r) != 0)
        return -1;
    if (load_chunk(r->read_pg, &next, r->cfg.shard.hi, r->cfg.chunk, w, &items, &n) != 0) {
        log_warn("full refresh: PostgreSQL failed: %s", r->read_pg->errstr);
        return -1;
    }
    int rc = apply_chunk(r, items, n, w, now);
    free(items);
    /* nothing is served before the first pass ends (finish_pass publishes) */
    if (atomic_load(&r->m->ready) && now - r->full_published_ms >= VIEW_EVERY_MS) {
        model_publish(r->m);
        r->full_published_ms = now;
    }
    if (rc != 0) {
        log_warn("full refresh: Redis failed: %s", r->redis->errstr);
        return -1; /* the chunk is read again */
    }
    r->full_at = next;
    r->full_loaded += n;
    if (n == r->cfg.chunk)
        return 0;
    finish_pass(r, wall_ms());
    return 1;
}

/* "ms-seq" stream ids compare as two numbers. */
static int id_less(const char *a, const char *b)
{
    uint64_t ams = 0, aseq = 0, bms = 0, bseq = 0;
    sscanf(a, "%" SCNu64 "-%" SCNu64, &ams, &aseq);
    sscanf(b, "%" SCNu64 "-%" SCNu64, &bms, &bseq);
    return ams < bms || (ams == bms && aseq < bseq);
}

/* 1 when the partition lost entries we had not read: its stream vanished, or its
 * first entry is past our position. */
static int stream_lost(refresher *r, int p, const redisReply *reply)
{
    const char *pos = tail_position(r->tail, p);
    if (strcmp(pos, "0-0") == 0 || reply->type != REDIS_REPLY_ARRAY)
        return 0;
    if (reply->elements == 0) {
        tail_set_position(r->tail, p, "0-0"); /* read the stream again from its start */
        return 1;
    }
    const redisReply *first = reply->element[0];
    return first->type == REDIS_REPLY_ARRAY && first->elements >= 1 && id_less(pos, first->element[0]->str);
}

void check_streams(refresher *r)
{
    redisReply *replies[HOLD_PARTITIONS];
    int lost = 0;
    if (redis_pipeline_begin(r->redis) != 0)
        return;
    for (int p = r->cfg.shard.lo; p < r->cfg.shard.hi; p++) {
        char key[32];
        snprintf(key, sizeof key, "changes:{p%02d}", p);
        const char *argv[] = {"XRANGE", key, "-", "+", "COUNT", "1"};
        redis_pipeline_append(r->redis, 6, argv);
    }
    int n = r->cfg.shard.hi - r->cfg.shard.lo;
    redis_pipeline_read(r->redis, n, replies); /* a node down: its partitions say nothing */
    for (int i = 0; i < n; i++) {
        int p = r->cfg.shard.lo + i;
        lost += replies[i] && stream_lost(r, p, replies[i]);
        freeReplyObject(replies[i]);
    }
    if (lost) {
        stats_add(r, &r->stats.redis_resyncs, 1);
        full_schedule(r, "change stream entries were lost (Redis emptied, restarted or trimmed unread entries)");
    }
}
