/* recorder.c — records released holds in PostgreSQL off the release path: a FIFO
 * drained in batches by one thread. While PostgreSQL is down the batch waits at the
 * head (the hold is already released in Redis); a hold whose row is not committed yet
 * (booking-svc records it just after taking the units) is retried with backoff. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "expiry.h"
#include "log.h"
#include "timeutil.h"

#define BATCH 256
#define QUEUE_MAX 200000
#define PAUSE_MIN_MS 100
#define PAUSE_MAX_MS 5000

struct recorder {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    expiry_record *fifo;        /* [head, tail) in use */
    size_t head, tail, cap;
    expiry_record *waiting;     /* rows not in PostgreSQL yet, retried at next_ms */
    size_t waiting_count, waiting_cap;
    int closing;
    int64_t pause_until, pause_ms;
    long dropped;               /* pushes refused while the queue was full */
    int64_t dropped_logged_ms;
};

recorder *recorder_new(void)
{
    recorder *rec = calloc(1, sizeof *rec);
    pthread_mutex_init(&rec->lock, NULL);
    pthread_cond_init(&rec->cond, NULL);
    rec->pause_ms = PAUSE_MIN_MS;
    return rec;
}

void recorder_free(recorder *rec)
{
    if (!rec)
        return;
    size_t left = rec->tail - rec->head + rec->waiting_count;
    if (left)
        log_warn("%zu expired hold(s) not recorded in PostgreSQL; reconciliation records them later", left);
    pthread_mutex_destroy(&rec->lock);
    pthread_cond_destroy(&rec->cond);
    free(rec->fifo);
    free(rec->waiting);
    free(rec);
}

/* Appends under the lock; makes room by compacting or growing. */
static void fifo_append(recorder *rec, const expiry_record *item)
{
    if (rec->tail == rec->cap && rec->head > 0) {
        memmove(rec->fifo, rec->fifo + rec->head, sizeof *rec->fifo * (rec->tail - rec->head));
        rec->tail -= rec->head;
        rec->head = 0;
    }
    if (rec->tail == rec->cap) {
        rec->cap = rec->cap ? rec->cap * 2 : 1024;
        rec->fifo = realloc(rec->fifo, sizeof *rec->fifo * rec->cap);
    }
    rec->fifo[rec->tail++] = *item;
    stats_record_queue(rec->tail - rec->head + rec->waiting_count);
}

void recorder_push(recorder *rec, const char *hold_id, int to, int64_t lag_ms, const char *path)
{
    expiry_record item = {.to = to, .lag_ms = lag_ms, .path = path, .first_ms = wall_ms()};
    snprintf(item.hold_id, sizeof item.hold_id, "%s", hold_id);
    item.next_ms = item.first_ms;
    pthread_mutex_lock(&rec->lock);
    int full = rec->tail - rec->head >= QUEUE_MAX;
    if (!full)
        fifo_append(rec, &item);
    else
        rec->dropped++;
    if (full && item.first_ms - rec->dropped_logged_ms > 10000) {
        rec->dropped_logged_ms = item.first_ms;
        log_error("record queue full (%d): %ld expired hold(s) so far left to reconciliation", QUEUE_MAX,
                  rec->dropped);
    }
    pthread_cond_signal(&rec->cond);
    pthread_mutex_unlock(&rec->lock);
}

/* Moves waiting items that are due back to the FIFO (under the lock). */
static void requeue_due(recorder *rec, int64_t now, int force)
{
    size_t kept = 0;
    for (size_t i = 0; i < rec->waiting_count; i++) {
        if (force || rec->waiting[i].next_ms <= now)
            fifo_append(rec, &rec->waiting[i]);
        else
            rec->waiting[kept++] = rec->waiting[i];
    }
    rec->waiting_count = kept;
}

/* Takes up to BATCH items from the head; returns how many. */
static int take_batch(recorder *rec, expiry_record *out, int64_t now, int force)
{
    pthread_mutex_lock(&rec->lock);
    if (!force)
        requeue_due(rec, now, 0);
    int n = 0;
    if (force || now >= rec->pause_until)
        while (n < BATCH && rec->head < rec->tail)
            out[n++] = rec->fifo[rec->head++];
    pthread_mutex_unlock(&rec->lock);
    return n;
}

/* PostgreSQL failed: the batch goes back to the head; drains pause with backoff. */
static void put_back(recorder *rec, const expiry_record *items, int n, int64_t now)
{
    pthread_mutex_lock(&rec->lock);
    expiry_record *saved = malloc(sizeof *saved * (rec->tail - rec->head + (size_t)n));
    size_t rest = rec->tail - rec->head;
    memcpy(saved, items, sizeof *saved * (size_t)n);
    memcpy(saved + n, rec->fifo + rec->head, sizeof *saved * rest);
    rec->head = rec->tail = 0;
    for (size_t i = 0; i < rest + (size_t)n; i++)
        fifo_append(rec, &saved[i]);
    free(saved);
    rec->pause_until = now + rec->pause_ms;
    rec->pause_ms = rec->pause_ms * 2 > PAUSE_MAX_MS ? PAUSE_MAX_MS : rec->pause_ms * 2;
    pthread_mutex_unlock(&rec->lock);
}

/* A row PostgreSQL does not have (yet): retried later, given up after a while. */
static void wait_for_row(recorder *rec, expiry_record *item, int64_t now)
{
    if (now - item->first_ms > expiry_config.record_give_up_seconds * 1000) {
        log_error("hold %s expired in Redis but PostgreSQL has no such hold after %ld s; giving up", item->hold_id,
                  expiry_config.record_give_up_seconds);
        return;
    }
    item->attempts++;
    int shift = item->attempts < 7 ? item->attempts : 7;
    item->next_ms = now + (PAUSE_MIN_MS << shift);
    pthread_mutex_lock(&rec->lock);
    if (rec->waiting_count == rec->waiting_cap) {
        rec->waiting_cap = rec->waiting_cap ? rec->waiting_cap * 2 : 64;
        rec->waiting = realloc(rec->waiting, sizeof *rec->waiting * rec->waiting_cap);
    }
    rec->waiting[rec->waiting_count++] = *item;
    pthread_mutex_unlock(&rec->lock);
}

/* Items that did not move: recorded by someone else, or not in PostgreSQL yet. */
static int settle_unmoved(recorder *rec, pg_conn *pg, expiry_record *items, const int *moved, int n, int64_t now)
{
    expiry_record rest[BATCH];
    int status[BATCH], m = 0;
    for (int i = 0; i < n; i++)
        if (!moved[i])
            rest[m++] = items[i];
    if (m == 0)
        return 0;
    if (store_hold_statuses(pg, rest, m, status) != 0)
        return -1;
    for (int i = 0; i < m; i++)
        if (status[i] == 0 || status[i] == HOLD_STATUS_ACTIVE || status[i] == 2)
            wait_for_row(rec, &rest[i], now);
    return 0;
}

static int record_batch(recorder *rec, pg_conn *pg, expiry_record *items, int n, int64_t now)
{
    int moved[BATCH], count = 0;
    if (store_record_holds(pg, items, n, moved) != 0)
        return -1;
    for (int i = 0; i < n; i++)
        count += moved[i];
    stats_recorded(count);
    if (settle_unmoved(rec, pg, items, moved, n, now) != 0) {
        log_warn("record: status lookup failed (%s); %d hold(s) retried", pg->errstr, n - count);
        for (int i = 0; i < n; i++)
            if (!moved[i])
                wait_for_row(rec, &items[i], now);
    }
    return 0;
}

void recorder_drain(recorder *rec, pg_conn *pg, int64_t now, int force)
{
    expiry_record *batch = malloc(sizeof *batch * BATCH);
    int n;
    if (force) { /* every item gets one last try */
        pthread_mutex_lock(&rec->lock);
        requeue_due(rec, now, 1);
        pthread_mutex_unlock(&rec->lock);
    }
    while ((n = take_batch(rec, batch, now, force)) > 0) {
        if (record_batch(rec, pg, batch, n, now) == 0) {
            pthread_mutex_lock(&rec->lock);
            rec->pause_ms = PAUSE_MIN_MS;
            pthread_mutex_unlock(&rec->lock);
            continue;
        }
        stats_record_failed();
        if (force) { /* stopping: the lost-holds pass records them after LOST_HOLD_AFTER_SECONDS */
            log_warn("record: postgres: %s; %d hold(s) left to the lost-holds pass", pg->errstr, n);
            break;
        }
        log_warn("record: postgres: %s; %d hold(s) retried later", pg->errstr, n);
        put_back(rec, batch, n, now);
        break;
    }
    pthread_mutex_lock(&rec->lock);
    stats_record_queue(rec->tail - rec->head + rec->waiting_count);
    pthread_mutex_unlock(&rec->lock);
    free(batch);
}

/* Waits for work or 100 ms; returns 1 once closing. */
static int wait_work(recorder *rec)
{
    pthread_mutex_lock(&rec->lock);
    if (!rec->closing && rec->head == rec->tail) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&rec->cond, &rec->lock, &ts);
    }
    int closing = rec->closing;
    pthread_mutex_unlock(&rec->lock);
    return closing;
}

void recorder_close(recorder *rec)
{
    pthread_mutex_lock(&rec->lock);
    rec->closing = 1;
    pthread_cond_signal(&rec->cond);
    pthread_mutex_unlock(&rec->lock);
}

void *recorder_main(void *arg)
{
    expiry_app *app = arg;
    service_worker *w = service_worker_open(expiry_definition(), &app->settings, app, 300);
    while (!wait_work(app->rec))
        recorder_drain(app->rec, w->pg, wall_ms(), 0);
    recorder_drain(app->rec, w->pg, wall_ms(), 1); /* last chance on stop */
    service_worker_close(w);
    return NULL;
}
