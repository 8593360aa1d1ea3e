/* payments.h — booking-svc's calls to payment-svc, each under an idempotency key
 * derived from the hold or booking, so retries and repairs never pay twice. */
#ifndef BOOKING_SVC_PAYMENTS_H
#define BOOKING_SVC_PAYMENTS_H

#include <stdint.h>

#include "booking/v1/payment.pb-c.h"
#include "ids.h"
#include "rpc_client.h"

typedef struct payment_outcome {
    rpc_code code;            /* the call's status */
    int status;               /* Booking__V1__PaymentStatus when code is OK */
    char payment_id[ID_MAX + 1];
    char decline_code[64];
    int64_t captured_minor, refunded_minor;
    char message[512];        /* the failure, when code is not OK */
    char reason[64];
} payment_outcome;

payment_outcome payments_authorize(rpc_client *c, const char *key, const char *method, const char *currency,
                                   int64_t amount_minor, const char *reference, int64_t timeout_ms);
payment_outcome payments_capture(rpc_client *c, const char *key, const char *payment_id, int64_t timeout_ms);
payment_outcome payments_void(rpc_client *c, const char *key, const char *payment_id, int64_t timeout_ms);
payment_outcome payments_refund(rpc_client *c, const char *key, const char *payment_id, const char *currency,
                                int64_t amount_minor, const char *reason, int64_t timeout_ms);

/* The idempotency keys (written into key, cap bytes). */
void payment_key(char *key, size_t cap, const char *step, const char *subject, const char *extra);

#endif
