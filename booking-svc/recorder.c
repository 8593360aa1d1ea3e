/* recorder.c — writes the hold log to PostgreSQL: every replica of booking-svc reads the
 * 64 partition streams as a consumer of one group, writes what it got in one
 * transaction, and acknowledges only after the commit. A replica that died with entries
 * unacknowledged leaves them pending; another claims them after RECORDER_CLAIM_IDLE_MS.
 * Recorded entries are trimmed from the streams. */
#include "recorder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "booking_metrics.h"
#include "hold_cache.h"
#include "hold_log.h"
#include "log.h"
#include "metrics.h"
#include "recorder_store.h"
#include "timeutil.h"

#define READ_COUNT "500"     /* entries per partition per read */
#define READ_FULL 500
/* A round reads all 64 partitions: one every ROUND_MS while events come, so that each
 * transaction carries many events (a round per few events cost Redis and PostgreSQL
 * more than the holds themselves); at once when a partition came back full; and less
 * often, up to IDLE_POLL_MAX_MS, while nothing comes. */
#define ROUND_MS 50
#define IDLE_POLL_MAX_MS 200
#define CLAIM_EVERY_MS 5000
#define TRIM_EVERY_MS 2000
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 5000

long recorder_claim_idle_ms = 15000;

static metric *m_lag, *m_events, *m_transactions, *m_failures, *m_rejected;

void recorder_metrics_init(void)
{
    m_lag = metrics_histogram("booking_recorder_lag_seconds", "",
                              "time from a hold event in Redis to its commit in PostgreSQL");
    m_events = metrics_counter("booking_recorder_events_total", "", "hold events recorded in PostgreSQL");
    m_transactions = metrics_counter("booking_recorder_transactions_total", "",
                                     "transactions the recorder committed");
    m_failures = metrics_counter("booking_recorder_failures_total", "", "recorder batches that failed (retried)");
    m_rejected = metrics_counter("booking_recorder_rejected_total", "",
                                 "hold log entries that could not be recorded at all (logged and dropped)");
}

/* One read's entries: parsed events (pointing into the replies) and what to ack. */
typedef struct batch {
    redisReply *replies[HOLD_PARTITIONS];
    hold_event *events;
    int n, cap;
    const char **ack_ids[HOLD_PARTITIONS];  /* per partition: every entry read (recorded or rejected) */
    int ack_n[HOLD_PARTITIONS];
    int full;  /* some partition gave as many entries as a read asks for: more wait */
} batch;

typedef struct recorder_state {
    service_worker *w;
    char consumer[128];
    int64_t next_claim_ms, next_trim_ms;
} recorder_state;

static void batch_clear(batch *b)
{
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        freeReplyObject(b->replies[p]);
        b->replies[p] = NULL;
        free(b->ack_ids[p]);
        b->ack_ids[p] = NULL;
        b->ack_n[p] = 0;
    }
    b->n = 0;
    b->full = 0;
}

/* Creates the group on every partition's stream (MKSTREAM; an existing group is fine). */
static int ensure_groups(redis_conn *r)
{
    if (redis_pipeline_begin(r) != 0)
        return -1;
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        char key[32];
        hold_log_key(key, sizeof key, p);
        const char *argv[] = {"XGROUP", "CREATE", key, HOLD_LOG_GROUP, "0", "MKSTREAM"};
        redis_pipeline_append(r, 6, argv);
    }
    redisReply *replies[HOLD_PARTITIONS];
    int rc = redis_pipeline_read(r, HOLD_PARTITIONS, replies);
    for (int p = 0; p < HOLD_PARTITIONS; p++)
        freeReplyObject(replies[p]);
    return rc;
}

/* Adds the entries of one stream's reply (an array of [id, fields]) to the batch. */
static void take_entries(batch *b, int p, const redisReply *entries)
{
    if (!entries || entries->type != REDIS_REPLY_ARRAY)
        return;
    b->ack_ids[p] = realloc(b->ack_ids[p], sizeof(char *) * (size_t)(b->ack_n[p] + (int)entries->elements));
    for (size_t i = 0; i < entries->elements; i++) {
        const redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 || e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        b->ack_ids[p][b->ack_n[p]++] = e->element[0]->str;
        if (b->n == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 1024;
            b->events = realloc(b->events, sizeof *b->events * (size_t)b->cap);
        }
        if (hold_event_parse(e, p, &b->events[b->n]) == 0)
            b->n++;
        else {
            metric_inc(m_rejected, 1);
            log_error("hold log %d entry %s is not a hold event; dropped", p, e->element[0]->str);
        }
    }
}

/* The entries of an XREADGROUP reply: [[key, [entries]]] or nil. 1 on NOGROUP. */
static int take_read(batch *b, int p, const redisReply *reply)
{
    if (reply && reply->type == REDIS_REPLY_ERROR)
        return strncmp(reply->str, "NOGROUP", 7) == 0;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
        reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2)
        take_entries(b, p, reply->element[0]->element[1]);
    return 0;
}

/* New entries of every partition (pipelined, no blocking), or with claim set, entries
 * other consumers left pending longer than the claim idle time. Returns how many
 * entries were read, -1 when Redis failed. */
static int read_round(recorder_state *st, batch *b, int claim)
{
    redis_conn *r = st->w->redis;
    char idle[24];
    snprintf(idle, sizeof idle, "%ld", recorder_claim_idle_ms);
    if (redis_pipeline_begin(r) != 0)
        return -1;
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        char key[32];
        hold_log_key(key, sizeof key, p);
        const char *read[] = {"XREADGROUP", "GROUP", HOLD_LOG_GROUP, st->consumer, "COUNT", READ_COUNT, "STREAMS",
                              key, ">"};
        const char *autoclaim[] = {"XAUTOCLAIM", key, HOLD_LOG_GROUP, st->consumer, idle, "0-0", "COUNT",
                                   READ_COUNT};
        if (claim)
            redis_pipeline_append(r, 8, autoclaim);
        else
            redis_pipeline_append(r, 9, read);
    }
    /* On a cluster with a node down, the other nodes' entries were delivered to us all
     * the same: record them now rather than leave them pending until claimed. */
    int rc = redis_pipeline_read(r, HOLD_PARTITIONS, b->replies), missing_group = 0;
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        const redisReply *reply = b->replies[p];
        if (claim && reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2)
            take_entries(b, p, reply->element[1]);
        else if (!claim)
            missing_group |= take_read(b, p, reply);
    }
    if (missing_group) /* the streams were flushed with Redis: the group starts again */
        ensure_groups(r);
    int read = 0;
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        read += b->ack_n[p];
        b->full |= b->ack_n[p] >= READ_FULL;
    }
    return rc == 0 || read > 0 ? read : -1;
}

static void acknowledge(redis_conn *r, const batch *b)
{
    int sent = 0;
    if (redis_pipeline_begin(r) != 0)
        return; /* left pending: claimed again later, recorded once by their keys */
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        if (!b->ack_n[p])
            continue;
        char key[32];
        hold_log_key(key, sizeof key, p);
        const char **argv = malloc(sizeof *argv * (size_t)(b->ack_n[p] + 3));
        argv[0] = "XACK", argv[1] = key, argv[2] = HOLD_LOG_GROUP;
        memcpy(argv + 3, b->ack_ids[p], sizeof *argv * (size_t)b->ack_n[p]);
        redis_pipeline_append(r, b->ack_n[p] + 3, argv);
        free(argv);
        sent++;
    }
    redisReply **replies = calloc((size_t)(sent ? sent : 1), sizeof *replies);
    redis_pipeline_read(r, sent, replies);
    for (int i = 0; i < sent; i++)
        freeReplyObject(replies[i]);
    free(replies);
}

static void observe(const batch *b)
{
    int64_t now = wall_ms();
    for (int i = 0; i < b->n; i++) {
        metric_observe(m_lag, (double)(now - b->events[i].at_ms) / 1000.0);
        booking_count_hold_event(b->events[i].event_type);
    }
    metric_inc(m_events, (uint64_t)b->n);
}

/* A batch PostgreSQL refused for its content (not for being away): each entry alone,
 * and one refused alone is logged and dropped, so one bad entry cannot stop the log. */
static void record_one_by_one(pg_conn *pg, const batch *b)
{
    for (int i = 0; i < b->n; i++) {
        if (recorder_write(pg, &b->events[i], 1) == 0) {
            metric_inc(m_transactions, 1);
            continue;
        }
        if (pg_connection_lost(pg))
            return;
        metric_inc(m_rejected, 1);
        log_error("hold event %s of hold %s cannot be recorded (%s); dropped", b->events[i].entry_id,
                  b->events[i].hold_id, pg->errstr);
    }
}

/* Records the batch, retrying while PostgreSQL is away; 0 once written (or the stop
 * came first: then the entries stay pending for the next run). */
static int record(background *bg, recorder_state *st, batch *b)
{
    pg_conn *pg = st->w->pg;
    for (int64_t pause = RETRY_MIN_MS;; pause = pause * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : pause * 2) {
        if (recorder_write(pg, b->events, b->n) == 0) {
            metric_inc(m_transactions, 1);
            break;
        }
        metric_inc(m_failures, 1);
        if (!pg_connection_lost(pg)) {
            record_one_by_one(pg, b);
            if (!pg_connection_lost(pg))
                break;
        }
        log_warn("recorder: postgres: %s; %d event(s) retried in %lld ms", pg->errstr, b->n, (long long)pause);
        if (background_wait(bg, pause))
            return -1;
    }
    observe(b);
    acknowledge(st->w->redis, b);
    return 0;
}

/* Drops what every consumer has recorded: entries before the oldest one pending, or up
 * to the last delivered when none is. */
static void trim(redis_conn *r)
{
    redisReply *pending[HOLD_PARTITIONS], *groups[HOLD_PARTITIONS];
    char keys[HOLD_PARTITIONS][32];
    if (redis_pipeline_begin(r) != 0)
        return;
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        hold_log_key(keys[p], sizeof keys[p], p);
        const char *xpending[] = {"XPENDING", keys[p], HOLD_LOG_GROUP};
        const char *xinfo[] = {"XINFO", "GROUPS", keys[p]};
        redis_pipeline_append(r, 3, xpending);
        redis_pipeline_append(r, 3, xinfo);
    }
    redisReply *replies[2 * HOLD_PARTITIONS];
    if (redis_pipeline_read(r, 2 * HOLD_PARTITIONS, replies) != 0) {
        for (int i = 0; i < 2 * HOLD_PARTITIONS; i++)
            freeReplyObject(replies[i]);
        return;
    }
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        pending[p] = replies[2 * p];
        groups[p] = replies[2 * p + 1];
    }
    int sent = 0;
    redis_pipeline_begin(r);
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        const char *min_id = hold_log_trim_point(pending[p], groups[p]);
        if (min_id) {
            const char *argv[] = {"XTRIM", keys[p], "MINID", "~", min_id};
            redis_pipeline_append(r, 5, argv);
            sent++;
        }
    }
    redisReply *trimmed[HOLD_PARTITIONS];
    redis_pipeline_read(r, sent, trimmed);
    for (int i = 0; i < sent; i++)
        freeReplyObject(trimmed[i]);
    for (int i = 0; i < 2 * HOLD_PARTITIONS; i++)
        freeReplyObject(replies[i]);
}

/* How long to wait before the next round (see ROUND_MS); idle_ms grows while rounds
 * find nothing. */
static int64_t pause_after(int read, int claim, int full, int64_t round_start, int64_t *idle_ms)
{
    if (read < 0)
        return 200;
    if (claim || full)
        return 0;
    if (read > 0) {
        *idle_ms = ROUND_MS;
        int64_t spent = wall_ms() - round_start;
        return spent < ROUND_MS ? ROUND_MS - spent : 0;
    }
    int64_t pause = *idle_ms;
    *idle_ms = pause * 2 < IDLE_POLL_MAX_MS ? pause * 2 : IDLE_POLL_MAX_MS;
    return pause;
}

static void loop(background *bg, void *arg)
{
    recorder_state *st = arg;
    batch b = {0};
    int failures = 0;
    int64_t idle_ms = ROUND_MS;
    ensure_groups(st->w->redis);
    while (!background_stopping(bg)) {
        int64_t now = wall_ms();
        int claim = now >= st->next_claim_ms;
        if (claim)
            st->next_claim_ms = now + CLAIM_EVERY_MS;
        int read = read_round(st, &b, claim), full = b.full;
        if (read < 0 && failures++ % 100 == 0)
            log_warn("recorder: redis: %s", st->w->redis->errstr);
        if (read >= 0)
            failures = 0;
        if (read > 0 && b.n == 0)
            acknowledge(st->w->redis, &b); /* nothing but rejected entries */
        else if (read > 0 && record(bg, st, &b) != 0)
            break;
        batch_clear(&b);
        if (now >= st->next_trim_ms) {
            st->next_trim_ms = now + TRIM_EVERY_MS;
            trim(st->w->redis);
        }
        int64_t pause = pause_after(read, claim, full, now, &idle_ms);
        if (pause > 0 && background_wait(bg, pause))
            break;
    }
    batch_clear(&b);
    free(b.events);
}

struct recorder {
    background bg;
    recorder_state st;
};

recorder *recorder_start(const service_definition *def, const service_settings *settings)
{
    recorder *rec = calloc(1, sizeof *rec);
    rec->st.w = service_worker_open(def, settings, NULL, -2);
    pg_set_application_name(rec->st.w->pg, "booking-recorder");
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    snprintf(rec->st.consumer, sizeof rec->st.consumer, "%s-%d", host, (int)getpid());
    if (background_start(&rec->bg, loop, &rec->st) != 0) {
        service_worker_close(rec->st.w);
        free(rec);
        return NULL;
    }
    return rec;
}

void recorder_stop(recorder *rec)
{
    if (!rec)
        return;
    background_stop(&rec->bg);
    service_worker_close(rec->st.w);
    free(rec);
}
