/* refresher.c — the refresher thread: each round waits on the change streams (or a
 * wake-up), applies the changes noticed, publishes how far the model is current (the
 * watermark, and the last stream id applied per partition), does a step of a full
 * refresh when one is running, and frees what readers no longer see. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebr.h"
#include "log.h"
#include "refresher_internal.h"
#include "timeutil.h"

#define ROUND_MAX_MS 1000
#define CHECK_EVERY_MS 1000
#define STREAM_BLOCK_MS 5000
#define FULL_RETRY_MS 1000

load_window refresh_window(const refresher *r, int64_t now_ms)
{
    int64_t now = now_ms / 1000;
    int64_t today = now - now % SECONDS_PER_DAY;
    /* local dates run up to 14 hours ahead of UTC's and 12 behind: a day more on each
     * side than today's UTC date to the search horizon, and one more so that the last
     * day stays covered past midnight */
    return (load_window){today - SECONDS_PER_DAY, today + ((int64_t)r->m->horizon_days + 2) * SECONDS_PER_DAY};
}

refresher *refresher_new(model *m, const refresher_config *cfg)
{
    refresher *r = calloc(1, sizeof *r);
    r->m = m;
    r->cfg = *cfg;
    r->pg = cfg->pg;
    r->read_pg = cfg->read_pg ? cfg->read_pg : cfg->pg;
    r->redis = redis_connect_as(cfg->redis_url, cfg->redis_username, cfg->redis_password, cfg->store_timeout_ms);
    r->tail = tail_new(r->redis, cfg->store_timeout_ms, STREAM_BLOCK_MS, cfg->shard.lo, cfg->shard.hi);
    pthread_mutex_init(&r->lock, NULL);
    if (pipe(r->wake) != 0)
        abort();
    fcntl(r->wake[0], F_SETFL, O_NONBLOCK);
    fcntl(r->wake[1], F_SETFL, O_NONBLOCK);
    return r;
}

int refresher_initial_load(refresher *r)
{
    if (tail_capture_heads(r->tail, r->redis) != 0)
        log_warn("change streams: Redis unreachable (%s); they will be read from their start", r->redis->errstr);
    full_schedule(r, "initial load");
    int rc;
    while ((rc = full_step(r)) == 0)
        ebr_collect();
    for (int p = r->cfg.shard.lo; p < r->cfg.shard.hi; p++)
        model_applied_set(r->m, p, tail_position(r->tail, p));
    if (rc < 0)
        return -1;
    atomic_store(&r->m->watermark_ms, r->full_started_ms);
    return 0;
}

static int64_t stream_id_ms(const char *id) { return strtoll(id, NULL, 10); }

static void on_entry(int partition, const char *id, const char *resource_id, void *ctx)
{
    refresher *r = ctx;
    model_entry *e = model_entry_get(r->m, resource_id, 1);
    log_debug("stream p%02d %s: %s", partition, id, resource_id);
    if (e)
        work_notice(r, e, stream_id_ms(id), 0);
    r->touched[partition] = 1;
}

static void take_requests(refresher *r)
{
    char buf[64];
    while (read(r->wake[0], buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&r->lock);
    int n = r->request_count;
    char (*ids)[MODEL_ID_MAX + 1] = malloc(sizeof *ids * (size_t)(n + 1));
    memcpy(ids, r->requests, sizeof *ids * (size_t)n);
    r->request_count = 0;
    pthread_mutex_unlock(&r->lock);
    for (int i = 0; i < n; i++) {
        model_entry *e = model_entry_get(r->m, ids[i], 1);
        if (e)
            work_notice(r, e, wall_ms(), 1);
    }
    free(ids);
}

static int round_timeout(const refresher *r, int64_t now, int full_failed)
{
    if (r->full_active && !full_failed)
        return 0;
    int64_t until = now + (full_failed ? FULL_RETRY_MS : ROUND_MAX_MS);
    int64_t due = work_next_due(r);
    if (due < until)
        until = due;
    if (!r->full_active && r->cfg.full_refresh_ms > 0 && r->full_next_ms < until)
        until = r->full_next_ms;
    if (!r->full_active && r->next_check_ms < until)
        until = r->next_check_ms;
    return until <= now ? 0 : (int)(until - now);
}

/* After a round: the last applied id per partition read, and the watermark: every
 * change appended before `returned` (less the delivery slack) is applied, except
 * those still pending. Nothing is claimed while a stream connection is down. */
static void publish_progress(refresher *r, int64_t returned, int healthy)
{
    for (int p = 0; p < HOLD_PARTITIONS; p++)
        if (r->touched[p])
            model_applied_set(r->m, p, tail_position(r->tail, p));
    memset(r->touched, 0, sizeof r->touched);
    if (!healthy || !atomic_load(&r->m->ready))
        return;
    int64_t mark = returned - DELIVERY_SLACK_MS, oldest = work_oldest_change(r);
    atomic_store(&r->m->watermark_ms, oldest <= mark ? oldest - 1 : mark);
}

static void round_once(refresher *r, int *full_failed)
{
    int64_t now = wall_ms();
    if (!r->full_active && r->cfg.full_refresh_ms > 0 && now >= r->full_next_ms)
        full_schedule(r, "periodic backstop");
    int reconnected = 0;
    int got = tail_poll(r->tail, r->wake[0], round_timeout(r, now, *full_failed), on_entry, r, &reconnected);
    int64_t returned = wall_ms();
    if (got > 0)
        stats_add(r, &r->stats.stream_entries, (uint64_t)got);
    take_requests(r);
    if (reconnected)
        full_schedule(r, "a change-stream connection came back (Redis may have restarted)");
    int work_rc = work_process(r);
    publish_progress(r, returned, got >= 0 && work_rc == 0);
    if (r->full_active)
        *full_failed = full_step(r) < 0;
    if (!r->full_active && returned >= r->next_check_ms) {
        check_streams(r);
        r->next_check_ms = returned + CHECK_EVERY_MS;
    }
    ebr_collect();
}

static void *run(void *arg)
{
    refresher *r = arg;
    int full_failed = 0;
    log_set_request_id("refresher");
    if (!r->full_active)
        r->full_next_ms = wall_ms() + r->cfg.full_refresh_ms;
    while (!atomic_load(&r->stop))
        round_once(r, &full_failed);
    return NULL;
}

int refresher_start(refresher *r)
{
    if (pthread_create(&r->thread, NULL, run, r) != 0)
        return -1;
    r->running = 1;
    return 0;
}

static void wake(refresher *r)
{
    if (write(r->wake[1], "w", 1) < 0) {
        /* the pipe is full: the thread is awake already */
    }
}

void refresher_stop(refresher *r)
{
    if (!r || !r->running)
        return;
    atomic_store(&r->stop, 1);
    wake(r);
    pthread_join(r->thread, NULL);
    r->running = 0;
}

void refresher_free(refresher *r)
{
    if (!r)
        return;
    refresher_stop(r);
    tail_free(r->tail);
    if (r->read_pg != r->pg)
        pg_close(r->read_pg);
    pg_close(r->pg);
    redis_close(r->redis);
    close(r->wake[0]);
    close(r->wake[1]);
    free(r->work);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void refresher_request(refresher *r, const char *resource_id)
{
    if (strlen(resource_id) > MODEL_ID_MAX || !shard_has_resource(&r->cfg.shard, resource_id))
        return;
    pthread_mutex_lock(&r->lock);
    int known = 0;
    for (int i = 0; i < r->request_count && !known; i++)
        known = strcmp(r->requests[i], resource_id) == 0;
    if (!known && r->request_count < REQUESTS_MAX)
        snprintf(r->requests[r->request_count++], MODEL_ID_MAX + 1, "%s", resource_id);
    pthread_mutex_unlock(&r->lock);
    wake(r);
}

void refresher_get_stats(refresher *r, refresher_stats *out)
{
    pthread_mutex_lock(&r->lock);
    *out = r->stats;
    pthread_mutex_unlock(&r->lock);
}
