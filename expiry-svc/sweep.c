/* sweep.c — the deadline sweep: every SWEEP_INTERVAL_MS, the due entries of each
 * partition's deadline index (deadlines:{pNN}) go through the release script. Entries
 * of ended or unknown holds are dropped; CONFIRMING holds are left to the saga's repair
 * and skipped until their score changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expiry.h"
#include "log.h"
#include "timeutil.h"

#define SWEEP_ROUNDS 4  /* batches per partition per tick; the next tick continues */

typedef struct due_hold {
    char id[ID_MAX + 1];
    char rid[ID_MAX + 1];  /* "" when the hold hash is gone */
    int64_t score;
} due_hold;

/* Reads up to batch due entries after `offset`; returns how many, -1 on failure. */
static int read_due(redis_conn *r, int p, int64_t now, int offset, due_hold *out, int batch)
{
    char key[32];
    snprintf(key, sizeof key, "deadlines:{p%02d}", p);
    redisReply *z = redis_command(r, "ZRANGEBYSCORE %s -inf %lld WITHSCORES LIMIT %d %d", key, (long long)now,
                                  offset, batch);
    if (!z || z->type != REDIS_REPLY_ARRAY) {
        if (z)
            log_error("ZRANGEBYSCORE %s: %s", key, z->type == REDIS_REPLY_ERROR ? z->str : "unexpected reply");
        freeReplyObject(z);
        return -1;
    }
    int n = 0;
    for (size_t i = 0; i + 1 < z->elements && n < batch; i += 2) {
        if (z->element[i]->len > ID_MAX)
            continue;
        snprintf(out[n].id, sizeof out[n].id, "%s", z->element[i]->str);
        out[n].score = strtoll(z->element[i + 1]->str, NULL, 10);
        out[n++].rid[0] = '\0';
    }
    freeReplyObject(z);
    return n;
}

/* The resource of each hold, pipelined: one round trip for the batch. 0 or -1. */
static int fetch_rids(redis_conn *r, int p, due_hold *d, int n)
{
    if (redis_ensure(r) != 0)
        return -1;
    for (int i = 0; i < n; i++)
        redisAppendCommand(r->ctx, "HGET hold:{p%02d}:%s rid", p, d[i].id);
    for (int i = 0; i < n; i++) {
        redisReply *reply = NULL;
        if (redisGetReply(r->ctx, (void **)&reply) != REDIS_OK || !reply)
            return -1; /* the context is marked failed: redis_ensure reconnects */
        if (reply->type == REDIS_REPLY_STRING && reply->len <= ID_MAX)
            snprintf(d[i].rid, sizeof d[i].rid, "%s", reply->str);
        freeReplyObject(reply);
    }
    return 0;
}

static void forget(redis_conn *r, int p, const char *hold_id)
{
    redisReply *reply = redis_command(r, "ZREM deadlines:{p%02d} %s", p, hold_id);
    freeReplyObject(reply);
}

/* A CONFIRMING hold past its confirm deadline: the saga's repair routine resolves it
 * (CONFIRMED or forced expiry, from what PostgreSQL says). This is where the sweep will
 * call it; until then it is counted and logged once per (hold, deadline). */
static void confirming_overdue(const due_hold *d, int64_t now)
{
    stats_confirming_overdue();
    log_warn("hold %s of %s is CONFIRMING %lld ms past its confirm deadline; left to the booking saga's repair",
             d->id, d->rid, (long long)(now - d->score));
}

/* Releases one due entry. Returns 1 released, 0 dropped or skipped, -1 Redis failed;
 * *stays is set when the entry remains in the index. */
static int sweep_entry(expiry_app *app, redis_conn *r, int p, const due_hold *d, int64_t now, keymap *next,
                       int *stays)
{
    *stays = 0;
    if (keymap_get(&app->parts[p].skip, d->id, d->score, NULL)) {
        keymap_put(next, d->id, d->score, 1);
        *stays = 1;
        return 0;
    }
    if (!d->rid[0]) {
        forget(r, p, d->id);
        return 0;
    }
    hold_release rel = expiry_release(app, r, d->rid, d->id, PATH_SWEEP, now);
    if (rel.status == RELEASE_FAILED)
        return -1;
    if (rel.status == RELEASE_DONE)
        return 1;
    if (rel.status == RELEASE_NOT_DUE || (rel.status == RELEASE_FINAL && rel.final_status == 'C')) {
        if (rel.status == RELEASE_FINAL) {
            keymap_put(next, d->id, d->score, 1);
            confirming_overdue(d, now);
        }
        *stays = 1;
        return 0;
    }
    forget(r, p, d->id); /* GONE, or ended (R, X, F) */
    return 0;
}

/* One round: a batch of due entries. Returns released (>= 0) or -1; *more when the
 * batch was full; *offset advances past entries that stay in the index. */
static int sweep_round(expiry_app *app, redis_conn *r, int p, int64_t now, int *offset, keymap *next, int *more)
{
    int batch = (int)expiry_config.sweep_batch, released = 0;
    due_hold *d = malloc(sizeof *d * (size_t)batch);
    int n = read_due(r, p, now, *offset, d, batch);
    if (n > 0 && fetch_rids(r, p, d, n) != 0)
        n = -1;
    for (int i = 0; i < n && released >= 0; i++) {
        int stays, rc = sweep_entry(app, r, p, &d[i], now, next, &stays);
        released = rc < 0 ? -1 : released + rc;
        *offset += stays;
    }
    free(d);
    *more = n == batch;
    return n < 0 ? -1 : released;
}

static int sweep_partition(expiry_app *app, redis_conn *r, int p, int64_t now)
{
    partition_state *ps = &app->parts[p];
    keymap next = KEYMAP_INIT;
    int offset = 0, released = 0, more = 1;
    pthread_mutex_lock(&ps->lock);
    for (int round = 0; round < SWEEP_ROUNDS && more && released >= 0; round++) {
        int rc = sweep_round(app, r, p, now, &offset, &next, &more);
        released = rc < 0 ? -1 : released + rc;
    }
    if (released >= 0)
        keymap_swap(&ps->skip, &next); /* forget skips whose entries moved or left */
    keymap_clear(&next);
    pthread_mutex_unlock(&ps->lock);
    return released;
}

int sweep_partitions(expiry_app *app, redis_conn *r, int offset, int stride)
{
    int64_t started = wall_ms();
    int released = 0;
    for (int p = offset; p < HOLD_PARTITIONS; p += stride) {
        int rc = sweep_partition(app, r, p, wall_ms());
        if (rc < 0)
            return -1;
        released += rc;
    }
    int64_t done = wall_ms();
    stats_sweep_done(done, (double)(done - started) / 1000.0);
    return released;
}

void *sweeper_main(void *arg)
{
    sweeper_arg *sa = arg;
    expiry_app *app = sa->app;
    service_worker *w = service_worker_open(expiry_definition(), &app->settings, app, 100 + sa->index);
    int failures = 0;
    while (!app_stopping(app)) {
        int64_t started = wall_ms();
        int rc = sweep_partitions(app, w->redis, sa->index, app->sweeper_count);
        if (rc < 0 && failures++ % 100 == 0)
            log_error("sweep: redis: %s", w->redis->errstr[0] ? w->redis->errstr : "error reply");
        if (rc >= 0)
            failures = 0;
        int64_t left = expiry_config.sweep_interval_ms - (wall_ms() - started);
        if (app_wait(app, rc < 0 ? 200 : left > 0 ? left : 0))
            break;
    }
    service_worker_close(w);
    return NULL;
}
