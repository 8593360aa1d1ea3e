/* payment.h — what payment-svc's handlers share: settings, the provider, store
 * access and failures, the Payment message, metrics, and the handlers. */
#ifndef PAYMENT_SVC_PAYMENT_H
#define PAYMENT_SVC_PAYMENT_H

#include "booking/v1/payment.pb-c.h"
#include "payment_store.h"
#include "provider.h"
#include "rpc.h"
#include "service.h"
#include "store_status.h"

typedef struct payment_settings {
    char provider[CONFIG_STRING_MAX];  /* PROVIDER: "sandbox" */
} payment_settings;

extern payment_settings payment_config;

/* The provider chosen at start (the service's app state). */
const provider *payment_provider(rpc_call *call);

/* Registers the metrics (once, at start). */
void payment_metrics_register(void);

/* The worker's PostgreSQL connection. */
pg_conn *payment_pg(rpc_call *call);

/* FAILED_PRECONDITION for a refused step, with reason and the payment's status; -1. */
int fail_step(rpc_call *call, const payment_row *p, const payment_step *step, const char *verb);
/* UNAVAILABLE "PROVIDER_ERROR" (nothing changed; retry) or FAILED_PRECONDITION
 * "PROVIDER_DECLINED" for an outcome that is not an approval; -1. */
int fail_provider(rpc_call *call, const provider_outcome *out, const char *verb);

/* Validators that set INVALID_ARGUMENT naming the field and return -1; 0 when fine. */
int check_payment_id(rpc_call *call, const char *payment_id);
int check_money(rpc_call *call, const char *field, const Booking__V1__Money *m);

/* Loads a payment (FOR UPDATE inside a transaction when for_update); NOT_FOUND or a
 * store failure set otherwise (rolled back). 0 / -1. */
int load_payment(rpc_call *call, const char *payment_id, int for_update, payment_row *out);

/* Calls the provider for op (r->deadline_left_ms is set here), timing it. */
provider_result ask_provider(rpc_call *call, provider_op op, provider_request *r, provider_outcome *out);

/* Answers with the stored payment (read after the change committed). 0 / -1. */
int reply_payment(rpc_call *call, const char *payment_id, ProtobufCMessage **response);

/* The Payment message of a row, in call memory. */
Booking__V1__Payment *payment_message(rpc_call *call, const payment_row *p);

/* The event metadata {"k":"v",...} of n pairs, in call memory. */
const char *event_metadata(rpc_call *call, const char *const *pairs, int n);
/* The actor recorded with events: x-user-id, else "" (internal callers). */
payment_change change_by(rpc_call *call, const char *metadata_json);

/* Metrics (payment_metrics.c). */
typedef enum payment_metric {
    M_AUTH_AUTHORIZED, M_AUTH_DECLINED, M_AUTH_UNKNOWN, M_AUTH_LATE,
    M_CAPTURE_CAPTURED, M_CAPTURE_ALREADY, M_CAPTURE_PROVIDER_ERROR, M_CAPTURE_REFUSED,
    M_VOID_VOIDED, M_VOID_ALREADY, M_VOID_REFUSED,
    M_REFUND_REFUNDED, M_REFUND_REFUSED, M_REFUND_PROVIDER_ERROR,
    M_COUNT
} payment_metric;
void payment_count(payment_metric m, uint64_t n);
void payment_observe_provider(provider_op op, double seconds);

/* Handlers (one signature for every RPC). */
int rpc_authorize_payment(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_capture_payment(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_void_payment(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_refund_payment(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_get_payment(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);

#endif
