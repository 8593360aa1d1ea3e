/* refresh_work.c — changed resources: a work list of entries whose counters (Redis)
 * or rows (PostgreSQL, at most once per pg_reload_ms per resource, the last change
 * always loaded) are to be re-read, processed in batches each round. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "refresher_internal.h"
#include "timeutil.h"

#define BATCH 256
#define RETRY_MS 500

void stats_add(refresher *r, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&r->lock);
    *field += n;
    pthread_mutex_unlock(&r->lock);
}

void work_notice(refresher *r, model_entry *e, int64_t change_ms, int pg_now)
{
    int64_t now = wall_ms();
    if (!e->queued) {
        if (r->work_count == r->work_cap) {
            r->work_cap = r->work_cap ? r->work_cap * 2 : 256;
            r->work = realloc(r->work, sizeof *r->work * r->work_cap);
        }
        r->work[r->work_count++] = e;
        e->queued = 1;
    }
    e->want_counters = 1;
    int64_t due = pg_now || now - e->pg_loaded_ms >= r->cfg.pg_reload_ms ? now : e->pg_loaded_ms + r->cfg.pg_reload_ms;
    if (!e->pg_due_ms || due < e->pg_due_ms)
        e->pg_due_ms = due;
    if (!e->noticed_ms || change_ms < e->noticed_ms)
        e->noticed_ms = change_ms;
    atomic_store(&e->behind, 1);
}

void apply_loaded(refresher *r, model_entry *e, loaded *l, int64_t now)
{
    res_meta *old = atomic_load(&e->meta);
    if (!l->meta) {
        if (old) { /* gone from PostgreSQL */
            model_set_meta(r->m, e, NULL);
            model_set_rows(r->m, e, NULL);
        }
    } else {
        if (res_meta_same(old, l->meta))
            res_meta_free(l->meta);
        else
            model_set_meta(r->m, e, l->meta);
        if (slot_rows_equal(atomic_load(&e->rows), l->rows))
            slot_rows_free(l->rows);
        else
            model_set_rows(r->m, e, l->rows);
    }
    e->pg_loaded_ms = now;
}

static int process_counters(refresher *r)
{
    char **ids = malloc(sizeof *ids * (r->work_count + 1));
    model_entry **who = malloc(sizeof *who * (r->work_count + 1));
    slot_counters **got = calloc(r->work_count + 1, sizeof *got);
    int n = 0, rc = 0;
    for (size_t i = 0; i < r->work_count; i++)
        if (r->work[i]->want_counters) {
            who[n] = r->work[i];
            ids[n++] = r->work[i]->id;
        }
    if (n > 0 && (rc = load_counters(r->redis, ids, n, refresh_window(r, wall_ms()), got)) == 0) {
        for (int i = 0; i < n; i++) {
            if (slot_counters_equal(atomic_load(&who[i]->counters), got[i]))
                slot_counters_free(got[i]);
            else
                model_set_counters(r->m, who[i], got[i]);
            who[i]->want_counters = 0;
        }
        stats_add(r, &r->stats.counter_reloads, (uint64_t)n);
    }
    free(ids);
    free(who);
    free(got);
    return rc;
}

/* Loads one batch of due entries from PostgreSQL. 0 or -1. */
static int pg_batch(refresher *r, model_entry **who, int n, int64_t now)
{
    char **ids = malloc(sizeof *ids * (size_t)n);
    loaded *got = calloc((size_t)n, sizeof *got);
    for (int i = 0; i < n; i++)
        ids[i] = who[i]->id;
    int rc = load_ids(r->pg, ids, n, refresh_window(r, now), got);
    for (int i = 0; i < n; i++) {
        if (rc == 0) {
            apply_loaded(r, who[i], &got[i], now);
            who[i]->pg_due_ms = 0;
        } else {
            who[i]->pg_due_ms = now + RETRY_MS;
        }
    }
    if (rc == 0)
        stats_add(r, &r->stats.pg_reloads, (uint64_t)n);
    else
        log_warn("reloading %d resource(s) from PostgreSQL failed: %s", n, r->pg->errstr);
    free(ids);
    free(got);
    return rc;
}

static int process_pg(refresher *r)
{
    int64_t now = wall_ms();
    model_entry *batch[BATCH];
    int n = 0, rc = 0;
    for (size_t i = 0; i < r->work_count; i++) {
        model_entry *e = r->work[i];
        if (!e->pg_due_ms || e->pg_due_ms > now)
            continue;
        batch[n++] = e;
        if (n == BATCH) {
            rc |= pg_batch(r, batch, n, now);
            n = 0;
        }
    }
    if (n > 0)
        rc |= pg_batch(r, batch, n, now);
    return rc;
}

/* Drops finished entries from the work list; they are current again. */
static void compact(refresher *r)
{
    size_t k = 0;
    for (size_t i = 0; i < r->work_count; i++) {
        model_entry *e = r->work[i];
        if (e->want_counters || e->pg_due_ms) {
            r->work[k++] = e;
            continue;
        }
        e->queued = 0;
        e->noticed_ms = 0;
        atomic_store(&e->behind, 0);
    }
    r->work_count = k;
}

int work_process(refresher *r)
{
    if (r->work_count == 0)
        return 0;
    int rc = process_counters(r);
    rc |= process_pg(r);
    model_publish(r->m);
    compact(r);
    return rc ? -1 : 0;
}

int64_t work_next_due(const refresher *r)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < r->work_count; i++)
        if (r->work[i]->pg_due_ms && r->work[i]->pg_due_ms < next)
            next = r->work[i]->pg_due_ms;
    return next;
}

int64_t work_oldest_change(const refresher *r)
{
    int64_t oldest = INT64_MAX;
    for (size_t i = 0; i < r->work_count; i++)
        if (r->work[i]->noticed_ms && r->work[i]->noticed_ms < oldest)
            oldest = r->work[i]->noticed_ms;
    return oldest;
}
