/* webhook_sender.c — the webhook sender of one replica: claims due deliveries from the
 * outbox (FOR UPDATE SKIP LOCKED, leased, so replicas share the work and a delivery
 * whose sender died is claimed again), POSTs them with libcurl (many in flight on one
 * thread), signs each attempt, records its outcome and schedules retries. It wakes on
 * the outbox's notification (LISTEN webhook_outbox) or every WEBHOOK_POLL_MS.
 * Contract: docs/webhooks.md. */
#include "webhook_sender.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "background.h"
#include "log.h"
#include "metrics.h"
#include "process_metrics.h"
#include "timeutil.h"
#include "webhook_rules.h"
#include "webhook_store.h"

#define SLICE_MS 100             /* the longest wait: stop is noticed this fast */
#define STATS_EVERY_MS 2000
#define PURGE_EVERY_MS 600000
#define PURGE_BATCH 1000
#define CONNECT_TIMEOUT_MS 5000

webhook_settings webhook_config = {1, 1000, 10000, 32, 60, 30000, 21600000, 259200, 30};

static metric *m_delivered, *m_retried, *m_failed, *m_gone, *m_attempt_seconds, *m_lag, *m_backlog, *m_oldest;

void webhook_metrics_init(void)
{
    static const char help[] = "webhook delivery attempts by result: delivered (2xx), retried (failed, another "
                               "attempt scheduled), failed (given up), gone (410: endpoint disabled)";
    m_delivered = metrics_counter("booking_webhook_deliveries_total", "result=\"delivered\"", help);
    m_retried = metrics_counter("booking_webhook_deliveries_total", "result=\"retried\"", "");
    m_failed = metrics_counter("booking_webhook_deliveries_total", "result=\"failed\"", "");
    m_gone = metrics_counter("booking_webhook_deliveries_total", "result=\"gone\"", "");
    m_attempt_seconds = metrics_histogram("booking_webhook_attempt_seconds", "",
                                          "time of one webhook POST, connection included, whatever its outcome");
    m_lag = metrics_histogram("booking_webhook_delivery_lag_seconds", "",
                              "time from an event's commit to the 2xx answer of its first delivery attempt");
    m_backlog = metrics_gauge("booking_webhook_backlog", "", "webhook deliveries pending (all replicas)");
    m_oldest = metrics_gauge("booking_webhook_oldest_pending_seconds", "",
                             "how long the oldest pending webhook delivery has waited (since its event or redelivery)");
}

typedef struct transfer {
    CURL *easy;
    struct curl_slist *headers;
    webhook_job job;
    char errbuf[CURL_ERROR_SIZE];
} transfer;

#define ERROR_MAX (CURL_ERROR_SIZE + 32)

struct webhook_sender {
    background bg;
    pg_conn *pg;
    CURLM *multi;
    transfer **free_slots;  /* a stack of idle transfers */
    transfer *slots;
    int n_free, concurrency;
    webhook_outcome *ended;  /* outcomes not recorded yet (at most 2 * concurrency) */
    char (*ended_errors)[ERROR_MAX];
    int n_ended;
    webhook_job *jobs;      /* a claim's answer */
    int development;
    PGconn *listening;      /* the connection LISTEN ran on, and its backend */
    int listening_pid;
    int wake, claim_full, failures;
    int64_t next_poll_ms, next_stats_ms, next_purge_ms;
    unsigned rng;
    char user_agent[64];
};

static size_t discard(char *data, size_t size, size_t n, void *ud)
{
    (void)data, (void)ud;
    return size * n;
}

/* Outside development mode a name may still resolve to this machine: refused here. */
static curl_socket_t open_public(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    (void)ud, (void)purpose;
    if (webhook_address_internal(&a->addr))
        return CURL_SOCKET_BAD;
    return socket(a->family, a->socktype, a->protocol);
}

/* ---- notifications ------------------------------------------------------------------- */

static void drain_notifications(webhook_sender *s)
{
    PGnotify *n;
    while (s->pg->conn && (n = PQnotifies(s->pg->conn)) != NULL) {
        PQfreemem(n);
        s->wake = 1;
    }
}

/* LISTENs on the current connection unless done already (a reconnect forgets it). */
static void listen_if_needed(webhook_sender *s)
{
    if (pg_ensure(s->pg) != 0)
        return;
    if (s->listening == s->pg->conn && s->listening_pid == PQbackendPID(s->pg->conn))
        return;
    if (pg_run(s->pg, "LISTEN webhook_outbox", 0, NULL) != 0)
        return;
    s->listening = s->pg->conn;
    s->listening_pid = PQbackendPID(s->pg->conn);
    s->wake = 1; /* whatever was announced before this connection listened */
}

/* ---- transfers ----------------------------------------------------------------------- */

static int transfer_start(webhook_sender *s, transfer *t)
{
    char signature[WEBHOOK_SIGNATURE_MAX + 32], sig_value[WEBHOOK_SIGNATURE_MAX], event[64], delivery[64];
    size_t len = strlen(t->job.body);
    if (webhook_sign(t->job.secret, wall_ms() / 1000, t->job.body, len, sig_value, sizeof sig_value) != 0)
        return -1;
    snprintf(signature, sizeof signature, WEBHOOK_SIGNATURE_HEADER ": %s", sig_value);
    snprintf(event, sizeof event, "Booking-Event-Id: evt_%" PRId64, t->job.event_id);
    snprintf(delivery, sizeof delivery, "Booking-Delivery-Id: whd_%" PRId64, t->job.delivery_id);
    const char *lines[] = {"Content-Type: application/json", signature, event, delivery, "Expect:"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        t->headers = curl_slist_append(t->headers, lines[i]);
    t->easy = curl_easy_init();
    t->errbuf[0] = '\0';
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->job.url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->job.body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, s->user_agent);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, webhook_config.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     webhook_config.timeout_ms < CONNECT_TIMEOUT_MS ? webhook_config.timeout_ms : CONNECT_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, s->development ? "http,https" : "https");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    if (!s->development)
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_public);
    return curl_multi_add_handle(s->multi, e) == CURLM_OK ? 0 : -1;
}

static void transfer_release(webhook_sender *s, transfer *t)
{
    if (t->easy) {
        curl_multi_remove_handle(s->multi, t->easy);
        curl_easy_cleanup(t->easy);
    }
    curl_slist_free_all(t->headers);
    webhook_job_clear(&t->job);
    t->easy = NULL;
    t->headers = NULL;
    s->free_slots[s->n_free++] = t;
}

/* The next free outcome of the sender (its error text in sender memory); NULL when
 * 2 * concurrency outcomes wait already (PostgreSQL away: the attempt is left to its
 * lease, its outcome unrecorded). */
static webhook_outcome *next_outcome(webhook_sender *s)
{
    if (s->n_ended == 2 * s->concurrency)
        return NULL;
    webhook_outcome *o = &s->ended[s->n_ended];
    memset(o, 0, sizeof *o);
    o->error = s->ended_errors[s->n_ended++];
    s->ended_errors[s->n_ended - 1][0] = '\0';
    return o;
}

/* What the answer (or its absence) means for the delivery. */
static void classify(webhook_sender *s, const transfer *t, CURLcode code, webhook_outcome *o)
{
    char *err = (char *)o->error;
    long status = 0;
    curl_off_t us = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &us);
    *o = (webhook_outcome){t->job.delivery_id, t->job.attempt, code == CURLE_OK ? (int)status : 0,
                           (double)us / 1000.0, err, WEBHOOK_DELIVERED, 0};
    if (code == CURLE_OK && status >= 200 && status < 300)
        return;
    if (code == CURLE_OK && status == 410) {
        snprintf(err, ERROR_MAX, "410 Gone");
        o->result = WEBHOOK_GONE;
        return;
    }
    if (code != CURLE_OK)
        snprintf(err, ERROR_MAX, "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
    else
        snprintf(err, ERROR_MAX, "HTTP %ld", status);
    webhook_retry_policy policy = {webhook_config.retry_base_ms, webhook_config.retry_max_ms,
                                   webhook_config.retry_window_s};
    double jitter = (double)rand_r(&s->rng) / ((double)RAND_MAX + 1.0);
    o->result = webhook_retry_next(&policy, t->job.round_attempts, t->job.round_started_ms, wall_ms(), jitter,
                                   &o->delay_ms)
                    ? WEBHOOK_FAILED
                    : WEBHOOK_RETRY;
}

/* A transfer ended: its outcome waits to be recorded, its slot is free again. */
static void transfer_done(webhook_sender *s, transfer *t, CURLcode code)
{
    metric *by_result[] = {m_delivered, m_retried, m_failed, m_gone};
    webhook_outcome *o = next_outcome(s);
    if (o) {
        classify(s, t, code, o);
        metric_inc(by_result[o->result], 1);
        metric_observe(m_attempt_seconds, o->latency_ms / 1000.0);
        if (o->result == WEBHOOK_DELIVERED && t->job.attempt == 1)
            metric_observe(m_lag, (double)(wall_ms() - t->job.event_created_ms) / 1000.0);
        if (o->result == WEBHOOK_GONE)
            log_warn("webhooks: %s answered 410 Gone: endpoint disabled", t->job.url);
        else if (o->result == WEBHOOK_FAILED)
            log_warn("webhooks: delivery whd_%" PRId64 " to %s given up after its retry window (%s)",
                     o->delivery_id, t->job.url, o->error);
    }
    transfer_release(s, t);
}

/* An attempt that got no answer (it could not start, or the sender stops): due again
 * after delay_ms. */
static void transfer_unanswered(webhook_sender *s, transfer *t, const char *why, int64_t delay_ms)
{
    webhook_outcome *o = next_outcome(s);
    if (o) {
        snprintf((char *)o->error, ERROR_MAX, "%s", why);
        *o = (webhook_outcome){t->job.delivery_id, t->job.attempt, 0, 0, o->error, WEBHOOK_RETRY, delay_ms};
        metric_inc(m_retried, 1);
    }
    transfer_release(s, t);
}

/* ---- the loop ------------------------------------------------------------------------ */

/* One round trip: the outcomes waiting are recorded and, with claim, due deliveries
 * claimed into the free slots and started. */
static void exchange(webhook_sender *s, int claim, int64_t now)
{
    int want = claim ? s->n_free : 0;
    if (claim) {
        s->wake = 0;
        s->next_poll_ms = now + (s->failures ? 1000 : webhook_config.poll_ms);
    }
    int n = webhook_record_and_claim(s->pg, s->ended, s->n_ended, want, webhook_config.lease_seconds, s->jobs);
    drain_notifications(s);
    if (n < 0) {
        if (s->failures++ % 50 == 0)
            log_warn("webhooks: postgres: %s; %d outcome(s) kept, claims paused", s->pg->errstr, s->n_ended);
        s->claim_full = 0;
        return;
    }
    s->failures = 0;
    s->n_ended = 0;
    if (claim)
        s->claim_full = n == want;
    for (int i = 0; i < n; i++) {
        transfer *t = s->free_slots[--s->n_free];
        t->job = s->jobs[i];
        if (transfer_start(s, t) != 0)
            transfer_unanswered(s, t, "cannot start the request", webhook_config.retry_base_ms);
    }
}

/* Runs the transfers; those that ended wait for the next exchange. */
static void collect(webhook_sender *s)
{
    int running, left;
    CURLMsg *msg;
    curl_multi_perform(s->multi, &running);
    while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        transfer *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        transfer_done(s, t, msg->data.result);
    }
}

/* Waits for curl's sockets, the outbox's notification or the next poll (SLICE_MS at most). */
static void wait_for_work(webhook_sender *s, int64_t now)
{
    int busy = s->n_free < s->concurrency;
    int64_t wait = busy ? SLICE_MS : s->next_poll_ms - now;
    wait = wait < 0 ? 0 : wait > SLICE_MS ? SLICE_MS : wait;
    struct curl_waitfd pgfd = {s->pg->conn ? PQsocket(s->pg->conn) : -1, CURL_WAIT_POLLIN, 0};
    int numfds = 0;
    curl_multi_poll(s->multi, pgfd.fd >= 0 ? &pgfd : NULL, pgfd.fd >= 0 ? 1 : 0, (int)wait, &numfds);
    if (pgfd.fd >= 0 && (pgfd.revents & CURL_WAIT_POLLIN)) {
        if (!PQconsumeInput(s->pg->conn))
            pg_ensure(s->pg); /* the server went away: reconnect (and LISTEN again) */
        drain_notifications(s);
    }
}

static void housekeeping(webhook_sender *s, int64_t now)
{
    if (now >= s->next_stats_ms) {
        long pending;
        double oldest;
        s->next_stats_ms = now + STATS_EVERY_MS;
        if (webhook_backlog(s->pg, &pending, &oldest) == 0) {
            metric_set(m_backlog, (double)pending);
            metric_set(m_oldest, oldest);
        }
    }
    if (now >= s->next_purge_ms) {
        s->next_purge_ms = now + PURGE_EVERY_MS;
        int purged = webhook_purge(s->pg, webhook_config.retention_days, PURGE_BATCH);
        if (purged > 0)
            log_info("webhooks: purged %d event(s) older than %ld days", purged, webhook_config.retention_days);
    }
    drain_notifications(s);
}

/* On stop: POSTs in flight are abandoned; their deliveries are due again at once. */
static void abandon_in_flight(webhook_sender *s)
{
    for (int i = 0; i < s->concurrency; i++)
        if (s->slots[i].easy)
            transfer_unanswered(s, &s->slots[i], "sender stopped before an answer", 0);
    if (s->n_ended)
        exchange(s, 0, monotonic_ms());
}

/* Claims when told (notification, poll) or, with a backlog, once half the slots are free:
 * bigger claims, fewer round trips. */
static int claim_due(const webhook_sender *s, int64_t now)
{
    if (s->n_free == 0)
        return 0;
    return s->wake || now >= s->next_poll_ms || (s->claim_full && 2 * s->n_free >= s->concurrency);
}

static void loop(background *bg, void *arg)
{
    webhook_sender *s = arg;
    while (!background_stopping(bg)) {
        int64_t now = monotonic_ms();
        listen_if_needed(s);
        collect(s);
        int claim = claim_due(s, now);
        if (claim || s->n_ended)
            exchange(s, claim, now);
        housekeeping(s, now);
        if (!claim_due(s, now))
            wait_for_work(s, monotonic_ms());
    }
    abandon_in_flight(s);
}

webhook_sender *webhook_sender_start(const service_definition *def, const service_settings *settings,
                                     int development)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    long floor_s = webhook_config.timeout_ms / 1000 + 5;
    if (webhook_config.lease_seconds < floor_s) { /* a lease shorter than a POST would send twice */
        log_warn("WEBHOOK_LEASE_SECONDS=%ld is shorter than a POST may take; using %ld", webhook_config.lease_seconds,
                 floor_s);
        webhook_config.lease_seconds = floor_s;
    }
    webhook_sender *s = calloc(1, sizeof *s);
    s->concurrency = (int)webhook_config.concurrency;
    s->slots = calloc((size_t)s->concurrency, sizeof *s->slots);
    s->free_slots = calloc((size_t)s->concurrency, sizeof *s->free_slots);
    for (int i = s->concurrency - 1; i >= 0; i--)
        s->free_slots[s->n_free++] = &s->slots[i];
    s->ended = calloc((size_t)s->concurrency * 2, sizeof *s->ended);
    s->ended_errors = calloc((size_t)s->concurrency * 2, sizeof *s->ended_errors);
    s->jobs = calloc((size_t)s->concurrency, sizeof *s->jobs);
    s->development = development;
    s->rng = (unsigned)getpid() ^ (unsigned)time(NULL);
    snprintf(s->user_agent, sizeof s->user_agent, "booking-webhooks/%s", build_version());
    s->multi = curl_multi_init();
    s->pg = pg_connect(settings->database_url, def->database_schema);
    pg_set_application_name(s->pg, "booking-webhooks");
    if (!s->multi || background_start(&s->bg, loop, s) != 0) {
        webhook_sender_stop(s);
        return NULL;
    }
    return s;
}

void webhook_sender_stop(webhook_sender *s)
{
    if (!s)
        return;
    background_stop(&s->bg);
    if (s->multi)
        curl_multi_cleanup(s->multi);
    pg_close(s->pg);
    free(s->slots);
    free(s->free_slots);
    free(s->ended);
    free(s->ended_errors);
    free(s->jobs);
    free(s);
    curl_global_cleanup();
}
