/* payment_metrics.c — payment-svc's Prometheus metrics: authorization outcomes,
 * captures, voids, refunds, provider latency. Registered once at start. */
#include "payment.h"

#include "metrics.h"

static metric *counters[M_COUNT];
static metric *provider_seconds[PROVIDER_REFUND + 1];

typedef struct counter_def {
    payment_metric id;
    const char *name, *labels, *help;
} counter_def;

/* Metrics sharing a name are listed one after another (metrics.h). */
static const counter_def defs[] = {
    {M_AUTH_AUTHORIZED, "payments_total", "outcome=\"authorized\"", "authorizations by outcome"},
    {M_AUTH_DECLINED, "payments_total", "outcome=\"declined\"", "authorizations by outcome"},
    {M_AUTH_UNKNOWN, "payments_total", "outcome=\"unknown\"", "authorizations by outcome"},
    {M_AUTH_LATE, "payment_late_answers_total", "",
     "authorizations answered after the caller's deadline (the caller saw the outcome as unknown)"},
    {M_CAPTURE_CAPTURED, "payment_captures_total", "result=\"captured\"", "captures by result"},
    {M_CAPTURE_ALREADY, "payment_captures_total", "result=\"already_captured\"", "captures by result"},
    {M_CAPTURE_PROVIDER_ERROR, "payment_captures_total", "result=\"provider_error\"", "captures by result"},
    {M_CAPTURE_REFUSED, "payment_captures_total", "result=\"refused\"", "captures by result"},
    {M_VOID_VOIDED, "payment_voids_total", "result=\"voided\"", "voids by result"},
    {M_VOID_ALREADY, "payment_voids_total", "result=\"already_voided\"", "voids by result"},
    {M_VOID_REFUSED, "payment_voids_total", "result=\"refused\"", "voids by result"},
    {M_REFUND_REFUNDED, "payment_refunds_total", "result=\"refunded\"", "refunds by result"},
    {M_REFUND_REFUSED, "payment_refunds_total", "result=\"refused\"", "refunds by result"},
    {M_REFUND_PROVIDER_ERROR, "payment_refunds_total", "result=\"provider_error\"", "refunds by result"},
};

void payment_metrics_register(void)
{
    static const char *const ops[] = {"op=\"authorize\"", "op=\"capture\"", "op=\"void\"", "op=\"refund\""};
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
        counters[defs[i].id] = metrics_counter(defs[i].name, defs[i].labels, defs[i].help);
    for (int op = PROVIDER_AUTHORIZE; op <= PROVIDER_REFUND; op++)
        provider_seconds[op] = metrics_histogram("payment_provider_seconds", ops[op], "provider call latency");
}

void payment_count(payment_metric m, uint64_t n)
{
    if (m < M_COUNT && counters[m])
        metric_inc(counters[m], n);
}

void payment_observe_provider(provider_op op, double seconds)
{
    if (op <= PROVIDER_REFUND && provider_seconds[op])
        metric_observe(provider_seconds[op], seconds);
}
