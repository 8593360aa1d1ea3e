/* sandbox.c — the built-in test-mode provider: behaves like a real one, driven by the
 * payment method id (approve, decline, answer late, fail captures). Stateless: the
 * service counts capture attempts and passes them in. */
#include "sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct sandbox_card {
    const char *payment_method_id;
    const char *decline_code;  /* authorization declined with this code; NULL approves */
    int answers_late;          /* authorization answers after the caller's deadline */
    int capture_failures;      /* capture attempts that fail before one succeeds */
} sandbox_card;

long sandbox_latency_ms;

static const sandbox_card cards[] = {
    {"pm_card_ok", NULL, 0, 0},
    {"pm_card_declined", "card_declined", 0, 0},
    {"pm_card_insufficient_funds", "insufficient_funds", 0, 0},
    {"pm_card_timeout", NULL, 1, 0},
    {"pm_card_capture_fails", NULL, 0, SANDBOX_CAPTURE_FAILURES},
};

static const sandbox_card *find_card(const char *payment_method_id)
{
    for (size_t i = 0; payment_method_id && i < sizeof cards / sizeof cards[0]; i++)
        if (strcmp(cards[i].payment_method_id, payment_method_id) == 0)
            return &cards[i];
    return NULL;
}

static int sandbox_method_known(const char *payment_method_id) { return find_card(payment_method_id) != NULL; }

/* Until SANDBOX_LATE_MS after the caller's deadline, within [0, SANDBOX_MAX_DELAY_MS]. */
static int64_t late_delay(int64_t deadline_left_ms)
{
    if (deadline_left_ms > SANDBOX_MAX_DELAY_MS - SANDBOX_LATE_MS)
        return SANDBOX_MAX_DELAY_MS;
    int64_t ms = deadline_left_ms + SANDBOX_LATE_MS;
    return ms < 0 ? 0 : ms;
}

static provider_result answer(provider_outcome *out, provider_result result, const char *decline_code,
                              const char *message)
{
    memset(out, 0, sizeof *out);
    out->result = result;
    snprintf(out->decline_code, sizeof out->decline_code, "%s", decline_code ? decline_code : "");
    snprintf(out->message, sizeof out->message, "%s", message ? message : "");
    return result;
}

provider_result sandbox_decide(provider_op op, const provider_request *r, provider_outcome *out, int64_t *delay_ms)
{
    const sandbox_card *card = find_card(r->payment_method_id);
    *delay_ms = sandbox_latency_ms > 0 ? sandbox_latency_ms : 0;
    if (!card)
        return answer(out, PROVIDER_DECLINED, "unknown_payment_method", "the sandbox knows no such card");
    if (op == PROVIDER_AUTHORIZE && card->decline_code)
        return answer(out, PROVIDER_DECLINED, card->decline_code, "sandbox card declined");
    if (op == PROVIDER_AUTHORIZE && card->answers_late)
        *delay_ms = late_delay(r->deadline_left_ms);
    if (op == PROVIDER_CAPTURE && r->attempt <= card->capture_failures)
        return answer(out, PROVIDER_ERROR, NULL, "sandbox capture failed; retry");
    return answer(out, PROVIDER_APPROVED, NULL, NULL);
}

static void pause_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Decides, then waits as a slow provider would before answering. */
static provider_result run(provider_op op, const provider_request *r, provider_outcome *out)
{
    int64_t delay = 0;
    provider_result result = sandbox_decide(op, r, out, &delay);
    if (delay > 0)
        pause_ms(delay);
    return result;
}

static provider_result sandbox_authorize(const provider_request *r, provider_outcome *out)
{
    return run(PROVIDER_AUTHORIZE, r, out);
}

static provider_result sandbox_capture(const provider_request *r, provider_outcome *out)
{
    return run(PROVIDER_CAPTURE, r, out);
}

static provider_result sandbox_void(const provider_request *r, provider_outcome *out)
{
    return run(PROVIDER_VOID, r, out);
}

static provider_result sandbox_refund(const provider_request *r, provider_outcome *out)
{
    return run(PROVIDER_REFUND, r, out);
}

const provider sandbox_provider = {
    .name = "sandbox",
    .method_known = sandbox_method_known,
    .authorize = sandbox_authorize,
    .capture = sandbox_capture,
    .void_authorization = sandbox_void,
    .refund = sandbox_refund,
};
