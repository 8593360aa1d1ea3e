/* webhook_store.h — the SQL of webhooks (tables of migration 007): endpoints, the
 * outbox (webhook_emit adds an event from any transaction), listing and redelivering
 * deliveries, and the sender's claims and outcomes. docs/webhooks.md. */
#ifndef BOOKING_SVC_WEBHOOK_STORE_H
#define BOOKING_SVC_WEBHOOK_STORE_H

#include <stdint.h>

#include "booking/v1/webhook.pb-c.h"
#include "pg.h"

/* Adds one event to the outbox inside the caller's transaction: a delivery per enabled
 * endpoint subscribed to `type`, sent once the transaction commits. data_json is the
 * event's "data" object. (Audit events of webhook types reach the outbox by themselves;
 * this is for events that have none.) 0, or -1 on error. */
int webhook_emit(pg_conn *pg, const char *type, const char *resource_id, const char *subject_id,
                 const char *data_json);

/* ---- endpoints (messages built in alloc) ---- */

/* 1 inserted, 0 when endpoint_id exists, -1 on error. */
int webhook_endpoint_insert(pg_conn *pg, const Booking__V1__WebhookEndpoint *e);
/* 1 found (*out set), 0 not found, -1 on error. The secret only when with_secret is set. */
int webhook_endpoint_load(pg_conn *pg, const char *endpoint_id, int with_secret, ProtobufCAllocator *alloc,
                          Booking__V1__WebhookEndpoint **out);
/* Every endpoint, oldest first; the count or -1. */
int webhook_endpoints_list(pg_conn *pg, ProtobufCAllocator *alloc, Booking__V1__WebhookEndpoint ***out);
/* Deletes the endpoint and its deliveries: 1 (*out: the endpoint as it was), 0 not found, -1. */
int webhook_endpoint_delete(pg_conn *pg, const char *endpoint_id, ProtobufCAllocator *alloc,
                            Booking__V1__WebhookEndpoint **out);

/* ---- deliveries ---- */

/* Deliveries newest first (of one endpoint unless endpoint_id is "", of one status
 * unless 0), with delivery_id below before_id (0: from the newest), at most limit, each
 * with its attempts. The count or -1. */
int webhook_deliveries_list(pg_conn *pg, const char *endpoint_id, int status, int64_t before_id, int limit,
                            ProtobufCAllocator *alloc, Booking__V1__WebhookDelivery ***out);
typedef enum redeliver_result { REDELIVER_DONE, REDELIVER_NOT_FOUND, REDELIVER_DISABLED, REDELIVER_ERROR } redeliver_result;
/* Schedules the delivery now in a new round (pending, retry schedule from now). */
redeliver_result webhook_redeliver(pg_conn *pg, int64_t delivery_id);

/* ---- the sender ---- */

/* A claimed delivery: one attempt to make. Strings malloc'd; webhook_job_clear frees them. */
typedef struct webhook_job {
    int64_t delivery_id, event_id;
    int attempt;         /* the delivery's attempt number (its attempts row) */
    int round_attempts;  /* attempts in this round, this one included */
    int64_t round_started_ms, event_created_ms;
    char *url, *secret, *body, *event_type;
} webhook_job;

void webhook_job_clear(webhook_job *j);
typedef enum webhook_result {
    WEBHOOK_DELIVERED,  /* 2xx */
    WEBHOOK_RETRY,      /* try again after delay_ms */
    WEBHOOK_FAILED,     /* the round is over: given up */
    WEBHOOK_GONE,       /* 410: the endpoint is disabled, its pending deliveries failed */
} webhook_result;

typedef struct webhook_outcome {
    int64_t delivery_id;
    int attempt;
    int status_code;  /* 0: no HTTP answer */
    double latency_ms;
    const char *error;  /* "" on success */
    webhook_result result;
    int64_t delay_ms;  /* WEBHOOK_RETRY */
} webhook_outcome;

/* In one round trip and transaction: records n attempts' outcomes and moves their
 * deliveries (a retry or a give-up only when no later claim of the delivery exists),
 * then claims up to limit due deliveries of enabled endpoints (FOR UPDATE SKIP LOCKED:
 * each to one sender), leased for lease_s (claimed again after that if no outcome
 * comes), each with its attempt row written. n or limit may be 0. Returns how many were
 * claimed into out, -1 on error (nothing recorded or claimed). */
int webhook_record_and_claim(pg_conn *pg, const webhook_outcome *outcomes, int n, int limit, long lease_s,
                             webhook_job *out);
/* Pending deliveries and how long the oldest has waited (seconds, from its round's
 * start). 0 or -1. */
int webhook_backlog(pg_conn *pg, long *pending, double *oldest_s);
/* Deletes up to limit events older than days with no pending delivery (their
 * deliveries and attempts with them). Returns how many, -1 on error. */
int webhook_purge(pg_conn *pg, long days, int limit);

#endif
