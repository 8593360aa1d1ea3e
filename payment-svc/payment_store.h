/* payment_store.h — payment-svc's SQL: payments, their events, refunds and capture
 * attempts. Every state change and its event are written by one statement. */
#ifndef PAYMENT_SVC_PAYMENT_STORE_H
#define PAYMENT_SVC_PAYMENT_STORE_H

#include <stdint.h>

#include "ids.h"
#include "payment_state.h"
#include "pg.h"

#define PAYMENT_METHOD_MAX 128
#define REFERENCE_MAX 128
#define DECLINE_CODE_MAX 64

typedef struct payment_row {
    char payment_id[ID_MAX + 1];
    payment_status status;
    char currency[4];
    int64_t amount_minor, captured_minor, refunded_minor;
    char payment_method_id[PAYMENT_METHOD_MAX + 1];
    char reference[REFERENCE_MAX + 1];
    char decline_code[DECLINE_CODE_MAX + 1];
    char provider[32];
    int64_t created_ms, updated_ms;
    int capture_attempts;  /* loaded for update: the captures sent to the provider so far */
} payment_row;

/* What a state change records: who did it and what its event says (JSON object text,
 * NULL = {}). */
typedef struct payment_change {
    const char *actor_id;
    const char *metadata_json;
} payment_change;

/* Inserts p as UNKNOWN with its payment.unknown event, under idempotency_key ("" =
 * none). 1 inserted; 0 when the key already has a payment (load it by key); -1 error. */
int store_payment_open(pg_conn *pg, const payment_row *p, const char *idempotency_key, const payment_change *c);

/* Loads a payment by id (for_update: opens a transaction and locks the row, in one
 * round trip, counting its capture attempts) or by its AuthorizePayment idempotency key.
 * 1 found, 0 not found, -1 error. */
int store_payment_load(pg_conn *pg, const char *payment_id, int for_update, payment_row *out);
int store_payment_by_key(pg_conn *pg, const char *idempotency_key, payment_row *out);

/* Moves a payment from `from` to step->to, setting the counters and decline code, and
 * records step->event_type (and, when capture_attempt > 0, that capture attempt as the
 * provider approved it). Guarded by the status: 1 moved (*moved, when not NULL, is the
 * row as it is now), 0 when the payment was no longer in `from`, -1 error. */
int store_payment_move(pg_conn *pg, const char *payment_id, payment_status from, const payment_step *step,
                       int64_t captured_minor, int64_t refunded_minor, const char *decline_code, int capture_attempt,
                       const payment_change *c, payment_row *moved);

/* Records a capture attempt the provider did not approve. 0 / -1. */
int store_capture_attempt_add(pg_conn *pg, const char *payment_id, int attempt, const char *error);

/* Inserts a refund row. 0 / -1. */
/* 1 when a refund with this id is recorded, 0 when not, -1 on error. */
int store_refund_exists(pg_conn *pg, const char *refund_id);
int store_refund_insert(pg_conn *pg, const char *refund_id, const char *payment_id, int64_t amount_minor,
                        const char *currency, const char *reason);

#endif
