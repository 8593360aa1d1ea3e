/* payment_common.c — helpers every payment-svc handler uses: the provider and store
 * of the call, failures, validators, the Payment message, event metadata. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "payment.h"
#include "strbuf.h"
#include "timeutil.h"

payment_settings payment_config;

const provider *payment_provider(rpc_call *call) { return ((service_worker *)rpc_worker_state(call))->app; }

pg_conn *payment_pg(rpc_call *call) { return ((service_worker *)rpc_worker_state(call))->pg; }

int fail_step(rpc_call *call, const payment_row *p, const payment_step *step, const char *verb)
{
    if (strcmp(step->reason, "OUTCOME_UNKNOWN") == 0)
        rpc_fail(call, RPC_FAILED_PRECONDITION, step->reason,
                 "payment \"%s\": the authorization's outcome is not known yet; retry later", p->payment_id);
    else if (strcmp(step->reason, "REFUND_EXCEEDS_CAPTURED") == 0)
        rpc_fail(call, RPC_FAILED_PRECONDITION, step->reason,
                 "payment \"%s\": refunds would exceed the captured %lld (refunded so far %lld)", p->payment_id,
                 (long long)p->captured_minor, (long long)p->refunded_minor);
    else
        rpc_fail(call, RPC_FAILED_PRECONDITION, step->reason, "payment \"%s\" is %s and cannot be %s",
                 p->payment_id, payment_status_name(p->status), verb);
    rpc_error_detail(call, "status", payment_status_name(p->status));
    return -1;
}

int fail_provider(rpc_call *call, const provider_outcome *out, const char *verb)
{
    if (out->result == PROVIDER_DECLINED) {
        rpc_fail(call, RPC_FAILED_PRECONDITION, "PROVIDER_DECLINED", "the provider refused to %s: %s", verb,
                 out->message);
        rpc_error_detail(call, "decline_code", out->decline_code);
        return -1;
    }
    return rpc_fail(call, RPC_UNAVAILABLE, "PROVIDER_ERROR", "the provider failed to %s: %s; safe to retry", verb,
                    out->message);
}

int check_payment_id(rpc_call *call, const char *payment_id)
{
    if (!payment_id || !*payment_id)
        return rpc_invalid_argument(call, "payment_id", "is required");
    if (!id_valid(payment_id))
        return rpc_invalid_argument(call, "payment_id", "is not a valid id");
    return 0;
}

int check_money(rpc_call *call, const char *field, const Booking__V1__Money *m)
{
    if (!m)
        return rpc_invalid_argument(call, field, "is required");
    const char *c = m->currency ? m->currency : "";
    int upper = strlen(c) == 3;
    for (int i = 0; upper && i < 3; i++)
        upper = c[i] >= 'A' && c[i] <= 'Z';
    if (!upper)
        return rpc_invalid_argument(call, rpc_sprintf(call, "%s.currency", field),
                                    "must be an ISO 4217 code of 3 upper-case letters");
    if (m->amount_minor <= 0)
        return rpc_invalid_argument(call, rpc_sprintf(call, "%s.amount_minor", field), "must be greater than 0");
    return 0;
}

int load_payment(rpc_call *call, const char *payment_id, int for_update, payment_row *out)
{
    int found = store_payment_load(payment_pg(call), payment_id, for_update, out);
    if (found < 0)
        return store_fail_pg(call, payment_pg(call));
    if (!found) {
        if (for_update)
            pg_rollback(payment_pg(call));
        return rpc_fail(call, RPC_NOT_FOUND, "PAYMENT_NOT_FOUND", "payment \"%s\" does not exist", payment_id);
    }
    return 0;
}

static Booking__V1__Money *money_new(rpc_call *call, const char *currency, int64_t amount_minor)
{
    Booking__V1__Money *m = RPC_NEW(call, Booking__V1__Money, booking__v1__money__init);
    m->currency = rpc_strdup(call, currency);
    m->amount_minor = amount_minor;
    return m;
}

static Google__Protobuf__Timestamp *timestamp_ms(rpc_call *call, int64_t ms)
{
    Google__Protobuf__Timestamp *t = RPC_NEW(call, Google__Protobuf__Timestamp, google__protobuf__timestamp__init);
    t->seconds = ms / 1000;
    t->nanos = (int32_t)(ms % 1000) * 1000000;
    return t;
}

Booking__V1__Payment *payment_message(rpc_call *call, const payment_row *p)
{
    Booking__V1__Payment *m = RPC_NEW(call, Booking__V1__Payment, booking__v1__payment__init);
    m->payment_id = rpc_strdup(call, p->payment_id);
    m->status = p->status;
    m->amount = money_new(call, p->currency, p->amount_minor);
    m->captured = money_new(call, p->currency, p->captured_minor);
    m->refunded = money_new(call, p->currency, p->refunded_minor);
    m->decline_code = rpc_strdup(call, p->decline_code);
    m->reference = rpc_strdup(call, p->reference);
    m->payment_method_id = rpc_strdup(call, p->payment_method_id);
    m->provider = rpc_strdup(call, p->provider);
    m->created_at = timestamp_ms(call, p->created_ms);
    m->updated_at = timestamp_ms(call, p->updated_ms);
    return m;
}

const char *event_metadata(rpc_call *call, const char *const *pairs, int n)
{
    strbuf b = STRBUF_INIT;
    strbuf_puts(&b, "{");
    for (int i = 0; i + 1 < 2 * n; i += 2) {
        strbuf_puts(&b, i ? "," : "");
        strbuf_json_string(&b, pairs[i]);
        strbuf_puts(&b, ":");
        strbuf_json_string(&b, pairs[i + 1] ? pairs[i + 1] : "");
    }
    strbuf_puts(&b, "}");
    char *out = rpc_strdup(call, b.data);
    strbuf_free(&b);
    return out;
}

payment_change change_by(rpc_call *call, const char *metadata_json)
{
    return (payment_change){rpc_user_id(call), metadata_json};
}

provider_result ask_provider(rpc_call *call, provider_op op, provider_request *r, provider_outcome *out)
{
    static const char *const ops[] = {"authorize", "capture", "void", "refund"};
    r->deadline_left_ms = rpc_deadline_left_ms(call);
    int64_t started = wall_ms();
    provider_result result = provider_run(payment_provider(call), op, r, out);
    int64_t took = wall_ms() - started;
    payment_observe_provider(op, (double)took / 1000.0);
    log_debug("provider %s %s of %s: result %d %s (%lld ms)", payment_provider(call)->name, ops[op],
              r->payment_id, (int)result, out->decline_code, (long long)took);
    return result;
}

int reply_payment(rpc_call *call, const char *payment_id, ProtobufCMessage **response)
{
    payment_row p;
    if (load_payment(call, payment_id, 0, &p) != 0)
        return -1;
    *response = &payment_message(call, &p)->base;
    return 0;
}
