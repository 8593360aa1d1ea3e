/* sweep.c — the deadline sweep: every SWEEP_INTERVAL_MS, the due entries of each
 * partition's deadline index (deadlines:{pNN}) go through the release script. A pass
 * costs a handful of pipelined round trips whatever the number of partitions and
 * holds: read every partition's due entries, their resources, release them all, drop
 * index entries of ended or unknown holds. CONFIRMING holds are left to booking-svc's
 * repair and skipped until their score changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expiry.h"
#include "log.h"
#include "timeutil.h"

#define SWEEP_ROUNDS 4  /* batches per partition per pass; the next pass continues */

typedef struct due_hold {
    char id[ID_MAX + 1];
    char rid[ID_MAX + 1];  /* "" when the hold hash is gone */
    int64_t score;
    int part;
} due_hold;

typedef struct pass {
    expiry_app *app;
    redis_conn *r;
    int64_t now;
    int parts[HOLD_PARTITIONS], np;  /* partitions still to read this round */
    int offset[HOLD_PARTITIONS];     /* due entries that stay in the index */
    keymap next[HOLD_PARTITIONS];    /* skips carried to the next pass */
    due_hold *due;
    int n, cap, released;
} pass;

/* Keeps a partition's due entry unless it is a skipped CONFIRMING hold. */
static void add_due(pass *ps, int p, const redisReply *id, const redisReply *score)
{
    int64_t s = strtoll(score->str, NULL, 10);
    if (id->len > ID_MAX)
        return;
    if (keymap_get(&ps->app->parts[p].skip, id->str, s, NULL)) {
        keymap_put(&ps->next[p], id->str, s, 1);
        ps->offset[p]++;
        return;
    }
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 256;
        ps->due = realloc(ps->due, sizeof *ps->due * (size_t)ps->cap);
    }
    due_hold *d = &ps->due[ps->n++];
    snprintf(d->id, sizeof d->id, "%s", id->str);
    d->rid[0] = '\0';
    d->score = s;
    d->part = p;
}

/* Round trip 1: ZRANGEBYSCORE of every partition of the round. Partitions whose batch
 * came back full stay in parts[] for another round. 0 or -1. */
static int read_due(pass *ps)
{
    char now_s[24], offset_s[16], batch_s[16], key[32];
    redisReply **z = malloc(sizeof *z * (size_t)(ps->np ? ps->np : 1));
    snprintf(now_s, sizeof now_s, "%lld", (long long)ps->now);
    snprintf(batch_s, sizeof batch_s, "%ld", expiry_config.sweep_batch);
    if (redis_pipeline_begin(ps->r) != 0) {
        free(z);
        return -1;
    }
    for (int i = 0; i < ps->np; i++) {
        snprintf(key, sizeof key, "deadlines:{p%02d}", ps->parts[i]);
        snprintf(offset_s, sizeof offset_s, "%d", ps->offset[ps->parts[i]]);
        const char *argv[] = {"ZRANGEBYSCORE", key, "-inf", now_s, "WITHSCORES", "LIMIT", offset_s, batch_s};
        redis_pipeline_append(ps->r, 8, argv);
    }
    int rc = redis_pipeline_read(ps->r, ps->np, z), full = 0;
    for (int i = 0; i < ps->np; i++) {
        int p = ps->parts[i];
        size_t got = z[i] && z[i]->type == REDIS_REPLY_ARRAY ? z[i]->elements / 2 : 0;
        for (size_t j = 0; j < got; j++)
            add_due(ps, p, z[i]->element[2 * j], z[i]->element[2 * j + 1]);
        if (got == (size_t)expiry_config.sweep_batch)
            ps->parts[full++] = p;
        freeReplyObject(z[i]);
    }
    ps->np = full;
    free(z);
    return rc;
}

/* Round trip 2: the resource of every due hold. 0 or -1. */
static int fetch_rids(pass *ps)
{
    char key[HOLD_KEY_MAX];
    if (redis_pipeline_begin(ps->r) != 0)
        return -1;
    for (int i = 0; i < ps->n; i++) {
        snprintf(key, sizeof key, "hold:{p%02d}:%s", ps->due[i].part, ps->due[i].id);
        const char *argv[] = {"HGET", key, "rid"};
        redis_pipeline_append(ps->r, 3, argv);
    }
    redisReply **replies = malloc(sizeof *replies * (size_t)ps->n);
    int rc = redis_pipeline_read(ps->r, ps->n, replies);
    for (int i = 0; i < ps->n; i++) {
        if (replies[i] && replies[i]->type == REDIS_REPLY_STRING && replies[i]->len <= ID_MAX)
            snprintf(ps->due[i].rid, sizeof ps->due[i].rid, "%s", replies[i]->str);
        freeReplyObject(replies[i]);
    }
    free(replies);
    return rc;
}

/* A CONFIRMING hold past its confirm deadline: booking-svc's repair resolves it from
 * what PostgreSQL says (booked, back to active, or expired); the sweep only counts it. */
static void confirming_overdue(const due_hold *d, int64_t now)
{
    stats_confirming_overdue();
    log_info("hold %s of %s is CONFIRMING %lld ms past its confirm deadline; left to booking-svc's repair", d->id,
             d->rid, (long long)(now - d->score));
}

/* What the release said about one entry: 1 when the index entry must be dropped. */
static int settle(pass *ps, const due_hold *d, const hold_release *rel)
{
    switch (rel->status) {
    case RELEASE_DONE:
        ps->released++;
        return 0;
    case RELEASE_FINAL:
        if (rel->final_status != 'C')
            return 1; /* ended (R, X, F): the script left a stale entry behind */
        keymap_put(&ps->next[d->part], d->id, d->score, 1);
        confirming_overdue(d, ps->now);
        ps->offset[d->part]++;
        return 0;
    case RELEASE_GONE:
        return 1;
    default: /* NOT_DUE, or an error reply (logged): stays, and the round moves past it */
        ps->offset[d->part]++;
        return 0;
    }
}

/* Round trips 3 and 4: release every due hold, then drop stale index entries. */
static int release_due(pass *ps)
{
    release_item *items = malloc(sizeof *items * (size_t)ps->n);
    int *drop = calloc((size_t)ps->n, sizeof *drop), m = 0, stale = 0;
    for (int i = 0; i < ps->n; i++)
        if (ps->due[i].rid[0])
            items[m++] = (release_item){ps->due[i].rid, ps->due[i].id, {RELEASE_FAILED, 0, 0, 0, ""}};
        else
            drop[i] = 1; /* the hold hash is gone */
    int rc = expiry_release_batch(ps->app, ps->r, items, m, PATH_SWEEP, ps->now);
    for (int i = 0, j = 0; rc == 0 && i < ps->n; i++)
        if (ps->due[i].rid[0])
            drop[i] = settle(ps, &ps->due[i], &items[j++].rel);
    for (int i = 0; rc == 0 && i < ps->n; i++)
        if (drop[i] && redis_pipeline_begin(ps->r) == 0) {
            char key[32];
            snprintf(key, sizeof key, "deadlines:{p%02d}", ps->due[i].part);
            const char *argv[] = {"ZREM", key, ps->due[i].id};
            redis_pipeline_append(ps->r, 3, argv);
            stale++;
        }
    redisReply **replies = calloc((size_t)(stale ? stale : 1), sizeof *replies);
    if (stale)
        redis_pipeline_read(ps->r, stale, replies); /* unread ones stay NULL */
    for (int i = 0; i < stale; i++)
        freeReplyObject(replies[i]);
    free(replies);
    free(drop);
    free(items);
    return rc;
}

static int sweep_round(pass *ps)
{
    ps->n = 0;
    if (read_due(ps) != 0)
        return -1;
    if (ps->n == 0)
        return 0;
    return fetch_rids(ps) == 0 && release_due(ps) == 0 ? 0 : -1;
}

/* Partitions p with p % stride == offset, locked in index order. */
static void pass_begin(pass *ps, expiry_app *app, redis_conn *r, int offset, int stride)
{
    memset(ps, 0, sizeof *ps);
    ps->app = app;
    ps->r = r;
    for (int p = offset; p < HOLD_PARTITIONS; p += stride) {
        pthread_mutex_lock(&app->parts[p].lock);
        ps->parts[ps->np++] = p;
    }
    ps->now = wall_ms();
}

static void pass_end(pass *ps, int offset, int stride, int ok)
{
    for (int p = offset; p < HOLD_PARTITIONS; p += stride) {
        if (ok) /* forget skips whose entries moved or left */
            keymap_swap(&ps->app->parts[p].skip, &ps->next[p]);
        keymap_clear(&ps->next[p]);
        pthread_mutex_unlock(&ps->app->parts[p].lock);
    }
    free(ps->due);
}

int sweep_partitions(expiry_app *app, redis_conn *r, int offset, int stride)
{
    pass *ps = malloc(sizeof *ps);
    pass_begin(ps, app, r, offset, stride);
    int64_t started = ps->now;
    int rc = 0;
    for (int round = 0; round < SWEEP_ROUNDS && ps->np > 0 && rc == 0; round++)
        rc = sweep_round(ps);
    int released = ps->released;
    pass_end(ps, offset, stride, rc == 0);
    free(ps);
    int64_t done = wall_ms();
    stats_sweep_done(done, (double)(done - started) / 1000.0);
    static _Atomic int64_t last_warned;
    if (done - started > 4 * expiry_config.sweep_interval_ms && done - atomic_load(&last_warned) > 10000) {
        atomic_store(&last_warned, done);
        log_warn("slow sweep: %lld ms for %d release(s)", (long long)(done - started), released);
    }
    return rc == 0 ? released : -1;
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
