/* payments.c — PaymentService calls with idempotency keys; answers flattened into a
 * payment_outcome. */
#include "payments.h"

#include <stdio.h>
#include <string.h>

void payment_key(char *key, size_t cap, const char *step, const char *subject, const char *extra)
{
    snprintf(key, cap, "%s:%s%s%s", step, subject, extra ? ":" : "", extra ? extra : "");
}

static payment_outcome call(rpc_client *c, const char *method, const ProtobufCMessage *req, const char *key,
                            int64_t timeout_ms)
{
    payment_outcome out;
    memset(&out, 0, sizeof out);
    rpc_md md[1] = {{"idempotency-key", key}};
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    /* UNAVAILABLE is retried: every call carries its idempotency key */
    rpc_client_call(c, method, req, md, 1, timeout_ms, 1, &resp, &r);
    out.code = r.code;
    if (r.code != RPC_OK) {
        snprintf(out.message, sizeof out.message, "%s", r.message);
        snprintf(out.reason, sizeof out.reason, "%s", r.info.reason);
        return out;
    }
    const Booking__V1__Payment *p = (const Booking__V1__Payment *)resp;
    out.status = p->status;
    snprintf(out.payment_id, sizeof out.payment_id, "%s", p->payment_id ? p->payment_id : "");
    snprintf(out.decline_code, sizeof out.decline_code, "%s", p->decline_code ? p->decline_code : "");
    out.captured_minor = p->captured ? p->captured->amount_minor : 0;
    out.refunded_minor = p->refunded ? p->refunded->amount_minor : 0;
    protobuf_c_message_free_unpacked(resp, NULL);
    return out;
}

payment_outcome payments_authorize(rpc_client *c, const char *key, const char *method, const char *currency,
                                   int64_t amount_minor, const char *reference, int64_t timeout_ms)
{
    Booking__V1__Money amount = BOOKING__V1__MONEY__INIT;
    amount.currency = (char *)currency;
    amount.amount_minor = amount_minor;
    Booking__V1__AuthorizePaymentRequest req = BOOKING__V1__AUTHORIZE_PAYMENT_REQUEST__INIT;
    req.payment_method_id = (char *)method;
    req.amount = &amount;
    req.reference = (char *)reference;
    return call(c, "AuthorizePayment", &req.base, key, timeout_ms);
}

payment_outcome payments_capture(rpc_client *c, const char *key, const char *payment_id, int64_t timeout_ms)
{
    Booking__V1__CapturePaymentRequest req = BOOKING__V1__CAPTURE_PAYMENT_REQUEST__INIT;
    req.payment_id = (char *)payment_id;
    return call(c, "CapturePayment", &req.base, key, timeout_ms);
}

payment_outcome payments_void(rpc_client *c, const char *key, const char *payment_id, int64_t timeout_ms)
{
    Booking__V1__VoidPaymentRequest req = BOOKING__V1__VOID_PAYMENT_REQUEST__INIT;
    req.payment_id = (char *)payment_id;
    return call(c, "VoidPayment", &req.base, key, timeout_ms);
}

payment_outcome payments_refund(rpc_client *c, const char *key, const char *payment_id, const char *currency,
                                int64_t amount_minor, const char *reason, int64_t timeout_ms)
{
    Booking__V1__Money amount = BOOKING__V1__MONEY__INIT;
    amount.currency = (char *)currency;
    amount.amount_minor = amount_minor;
    Booking__V1__RefundPaymentRequest req = BOOKING__V1__REFUND_PAYMENT_REQUEST__INIT;
    req.payment_id = (char *)payment_id;
    req.amount = &amount;
    req.reason = (char *)reason;
    return call(c, "RefundPayment", &req.base, key, timeout_ms);
}
