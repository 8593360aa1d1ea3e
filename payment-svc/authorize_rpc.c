/* authorize_rpc.c — AuthorizePayment: validate, record the payment as UNKNOWN (so a
 * crash or a late provider leaves a trace), ask the provider, record AUTHORIZED or
 * DECLINED. A decline is an answer (status DECLINED), not a gRPC error. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "payment.h"

typedef Booking__V1__AuthorizePaymentRequest authorize_request;

static int check_request(rpc_call *call, const authorize_request *req)
{
    const provider *prov = payment_provider(call);
    if (!req->payment_method_id || !*req->payment_method_id)
        return rpc_invalid_argument(call, "payment_method_id", "is required");
    if (strlen(req->payment_method_id) > PAYMENT_METHOD_MAX)
        return rpc_invalid_argument(call, "payment_method_id", "is longer than %d bytes", PAYMENT_METHOD_MAX);
    if (check_money(call, "amount", req->amount) != 0)
        return -1;
    if (req->reference && strlen(req->reference) > REFERENCE_MAX)
        return rpc_invalid_argument(call, "reference", "is longer than %d bytes", REFERENCE_MAX);
    if (!prov->method_known(req->payment_method_id))
        return rpc_invalid_argument(call, "payment_method_id", "\"%s\" is not a payment method of the %s provider",
                                    req->payment_method_id, prov->name);
    return 0;
}

static void row_of_request(rpc_call *call, const authorize_request *req, payment_row *p)
{
    memset(p, 0, sizeof *p);
    new_id("pay", p->payment_id, sizeof p->payment_id);
    p->status = PAY_UNKNOWN;
    snprintf(p->currency, sizeof p->currency, "%s", req->amount->currency);
    p->amount_minor = req->amount->amount_minor;
    snprintf(p->payment_method_id, sizeof p->payment_method_id, "%s", req->payment_method_id);
    snprintf(p->reference, sizeof p->reference, "%s", req->reference ? req->reference : "");
    snprintf(p->provider, sizeof p->provider, "%s", payment_provider(call)->name);
}

/* 1 when the stored payment was made by this same request. */
static int same_request(const payment_row *stored, const payment_row *asked)
{
    return strcmp(stored->currency, asked->currency) == 0 && stored->amount_minor == asked->amount_minor &&
           strcmp(stored->payment_method_id, asked->payment_method_id) == 0 &&
           strcmp(stored->reference, asked->reference) == 0;
}

/* Records the payment as UNKNOWN, or finds the one an earlier run of this idempotency
 * key recorded (it crashed, or its provider call failed). */
static int open_payment(rpc_call *call, const authorize_request *req, payment_row *p)
{
    pg_conn *pg = payment_pg(call);
    payment_row asked;
    row_of_request(call, req, &asked);
    char amount[24];
    snprintf(amount, sizeof amount, "%" PRId64, asked.amount_minor);
    const char *meta[] = {"amount_minor", amount, "currency", asked.currency, "payment_method_id",
                          asked.payment_method_id, "reference", asked.reference};
    payment_change change = change_by(call, event_metadata(call, meta, 4));
    const char *key = rpc_idempotency_key(call);
    int inserted = store_payment_open(pg, &asked, key, &change);
    if (inserted < 0)
        return store_fail_pg(call, pg);
    *p = asked;
    if (inserted)
        return 0;
    int found = store_payment_by_key(pg, key, p);
    if (found < 0)
        return store_fail_pg(call, pg);
    if (!found || !same_request(p, &asked))
        return rpc_fail(call, RPC_ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED",
                        "idempotency-key \"%s\" was already used with a different request", key);
    log_info("payment %s: resuming authorization under idempotency-key %s", p->payment_id, key);
    return 0;
}

/* Asks the provider and records its answer; a provider failure leaves UNKNOWN. *p
 * becomes the row as recorded; *changed_meanwhile is set when another call resolved it
 * first (then read it again). */
static int resolve(rpc_call *call, payment_row *p, int *changed_meanwhile)
{
    provider_request r = {.payment_id = p->payment_id, .payment_method_id = p->payment_method_id,
                          .currency = p->currency, .amount_minor = p->amount_minor,
                          .operation_id = p->payment_id, .attempt = 1};
    provider_outcome out;
    provider_result result = ask_provider(call, PROVIDER_AUTHORIZE, &r, &out);
    if (result == PROVIDER_ERROR) {
        payment_count(M_AUTH_UNKNOWN, 1);
        return fail_provider(call, &out, "authorize");
    }
    int approved = result == PROVIDER_APPROVED;
    if (!approved && !out.decline_code[0]) /* a provider may decline without saying why */
        snprintf(out.decline_code, sizeof out.decline_code, "declined");
    payment_step step = payment_next(PAY_UNKNOWN, approved ? PAYMENT_AUTHORIZE_APPROVED : PAYMENT_AUTHORIZE_DECLINED);
    const char *meta[] = {"decline_code", out.decline_code};
    payment_change change = change_by(call, event_metadata(call, meta, approved ? 0 : 1));
    pg_conn *pg = payment_pg(call);
    int moved = store_payment_move(pg, p->payment_id, PAY_UNKNOWN, &step, 0, 0, approved ? "" : out.decline_code, 0,
                                   &change, p);
    if (moved < 0) {
        payment_count(M_AUTH_UNKNOWN, 1);
        return store_fail_pg(call, pg);
    }
    *changed_meanwhile = moved == 0;
    payment_count(approved ? M_AUTH_AUTHORIZED : M_AUTH_DECLINED, 1);
    return 0;
}

int rpc_authorize_payment(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const authorize_request *req = (const authorize_request *)request;
    payment_row p;
    int changed_meanwhile = 0;
    if (check_request(call, req) != 0 || open_payment(call, req, &p) != 0)
        return -1;
    if (p.status == PAY_UNKNOWN && resolve(call, &p, &changed_meanwhile) != 0)
        return -1;
    if (rpc_deadline_left_ms(call) <= 0) {
        payment_count(M_AUTH_LATE, 1);
        log_info("payment %s: authorization answered after the caller's deadline", p.payment_id);
    }
    if (changed_meanwhile)
        return reply_payment(call, p.payment_id, response);
    *response = &payment_message(call, &p)->base;
    return 0;
}
