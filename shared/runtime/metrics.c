/* metrics.c — lock-free metric updates (atomics) and the Prometheus text rendering:
 * counters, gauges, histograms, summaries and gRPC code counters. */
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

#define METRICS_MAX 512
#define BUCKET_COUNT 16

typedef enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM, KIND_SUMMARY, KIND_CODES } metric_kind;

static const double bucket_bounds[BUCKET_COUNT] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                   0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                   1,      2.5,     5,      10};

struct metric {
    metric_kind kind;
    const char *name, *labels, *help;
    _Atomic uint64_t value;          /* counter; gauge as double bits; summary count */
    _Atomic uint64_t buckets[BUCKET_COUNT + 1];  /* histogram, last = +Inf */
    _Atomic uint64_t sum_ns;
    _Atomic uint64_t codes[RPC_CODE_COUNT];
    double (*read)(void *);
    void *read_ctx;
    const double *quantiles;  /* summary */
    size_t n_quantiles;
    void (*read_quantiles)(void *ctx, const double *q, double *out, size_t n);
};

/* go-grpc-prometheus labels codes with Go's codes.Code.String(). */
static const char *const grpc_code_labels[RPC_CODE_COUNT] = {
    "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
    "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
    "Unauthenticated"};

const char *metrics_grpc_code_label(int code)
{
    return code >= 0 && code < RPC_CODE_COUNT ? grpc_code_labels[code] : "Unknown";
}

static metric registry[METRICS_MAX];
static size_t registry_count;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static metric *metric_register(metric_kind kind, const char *name, const char *labels, const char *help)
{
    pthread_mutex_lock(&registry_lock);
    if (registry_count == METRICS_MAX) {
        fputs("metrics: registry full\n", stderr);
        abort();
    }
    metric *m = &registry[registry_count++];
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->name = name;
    m->labels = labels ? labels : "";
    m->help = help ? help : "";
    pthread_mutex_unlock(&registry_lock);
    return m;
}

metric *metrics_counter(const char *name, const char *labels, const char *help)
{
    return metric_register(KIND_COUNTER, name, labels, help);
}

metric *metrics_gauge(const char *name, const char *labels, const char *help)
{
    return metric_register(KIND_GAUGE, name, labels, help);
}

metric *metrics_gauge_fn(const char *name, const char *labels, const char *help,
                         double (*read)(void *ctx), void *ctx)
{
    metric *m = metric_register(KIND_GAUGE, name, labels, help);
    m->read = read;
    m->read_ctx = ctx;
    return m;
}

metric *metrics_counter_fn(const char *name, const char *labels, const char *help,
                           double (*read)(void *ctx), void *ctx)
{
    metric *m = metric_register(KIND_COUNTER, name, labels, help);
    m->read = read;
    m->read_ctx = ctx;
    return m;
}

metric *metrics_summary(const char *name, const char *labels, const char *help, const double *quantiles,
                        size_t n_quantiles, void (*read)(void *ctx, const double *q, double *out, size_t n),
                        void *ctx)
{
    metric *m = metric_register(KIND_SUMMARY, name, labels, help);
    m->quantiles = quantiles;
    m->n_quantiles = n_quantiles;
    m->read_quantiles = read;
    m->read_ctx = ctx;
    return m;
}

metric *metrics_histogram(const char *name, const char *labels, const char *help)
{
    return metric_register(KIND_HISTOGRAM, name, labels, help);
}

metric *metrics_code_counter(const char *name, const char *labels, const char *help)
{
    return metric_register(KIND_CODES, name, labels, help);
}

void metric_inc(metric *m, uint64_t n) { atomic_fetch_add_explicit(&m->value, n, memory_order_relaxed); }

void metric_set(metric *m, double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    atomic_store_explicit(&m->value, bits, memory_order_relaxed);
}

void metric_observe(metric *m, double seconds)
{
    if (m->kind == KIND_SUMMARY) {
        atomic_fetch_add_explicit(&m->value, 1, memory_order_relaxed);
    } else {
        size_t i = 0;
        while (i < BUCKET_COUNT && seconds > bucket_bounds[i])
            i++;
        atomic_fetch_add_explicit(&m->buckets[i], 1, memory_order_relaxed);
    }
    uint64_t ns = seconds > 0 ? (uint64_t)(seconds * 1e9) : 0;
    atomic_fetch_add_explicit(&m->sum_ns, ns, memory_order_relaxed);
}

void metric_inc_code(metric *m, int code)
{
    if (code < 0 || code >= RPC_CODE_COUNT)
        code = RPC_UNKNOWN;
    atomic_fetch_add_explicit(&m->codes[code], 1, memory_order_relaxed);
}

uint64_t metric_count(const metric *m)
{
    if (m->read && m->kind == KIND_COUNTER)
        return (uint64_t)m->read(m->read_ctx);
    if (m->kind != KIND_HISTOGRAM)
        return atomic_load(&m->value);
    uint64_t total = 0;
    for (size_t i = 0; i <= BUCKET_COUNT; i++)
        total += atomic_load(&m->buckets[i]);
    return total;
}

uint64_t metric_code_count(const metric *m, int code)
{
    return code >= 0 && code < RPC_CODE_COUNT ? atomic_load(&m->codes[code]) : 0;
}

double metric_value(const metric *m)
{
    if (m->read)
        return m->read(m->read_ctx);
    uint64_t bits = atomic_load(&m->value);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* name{labels[,extra]} — braces only when there is a label. */
static void render_series(strbuf *out, const char *name, const char *suffix, const char *labels,
                          const char *extra)
{
    strbuf_printf(out, "%s%s", name, suffix);
    if (*labels || *extra)
        strbuf_printf(out, "{%s%s%s}", labels, *labels && *extra ? "," : "", extra);
    strbuf_puts(out, " ");
}

static void render_histogram(strbuf *out, const metric *m)
{
    uint64_t cumulative = 0;
    char le[48];
    for (size_t i = 0; i <= BUCKET_COUNT; i++) {
        cumulative += atomic_load(&m->buckets[i]);
        if (i < BUCKET_COUNT)
            snprintf(le, sizeof le, "le=\"%g\"", bucket_bounds[i]);
        else
            snprintf(le, sizeof le, "le=\"+Inf\"");
        render_series(out, m->name, "_bucket", m->labels, le);
        strbuf_printf(out, "%llu\n", (unsigned long long)cumulative);
    }
    render_series(out, m->name, "_sum", m->labels, "");
    strbuf_printf(out, "%.9f\n", (double)atomic_load(&m->sum_ns) / 1e9);
    render_series(out, m->name, "_count", m->labels, "");
    strbuf_printf(out, "%llu\n", (unsigned long long)cumulative);
}

static void render_summary(strbuf *out, const metric *m)
{
    double values[16];
    char q[48];
    size_t n = m->n_quantiles < 16 ? m->n_quantiles : 16;
    if (n)
        m->read_quantiles(m->read_ctx, m->quantiles, values, n);
    for (size_t i = 0; i < n; i++) {
        snprintf(q, sizeof q, "quantile=\"%g\"", m->quantiles[i]);
        render_series(out, m->name, "", m->labels, q);
        strbuf_printf(out, "%.17g\n", values[i]);
    }
    render_series(out, m->name, "_sum", m->labels, "");
    strbuf_printf(out, "%.9f\n", (double)atomic_load(&m->sum_ns) / 1e9);
    render_series(out, m->name, "_count", m->labels, "");
    strbuf_printf(out, "%llu\n", (unsigned long long)atomic_load(&m->value));
}

static void render_codes(strbuf *out, const metric *m)
{
    char code_label[48];
    for (int c = 0; c < RPC_CODE_COUNT; c++) {
        uint64_t n = atomic_load(&m->codes[c]);
        if (n == 0 && c != RPC_OK)
            continue;
        snprintf(code_label, sizeof code_label, "grpc_code=\"%s\"", metrics_grpc_code_label(c));
        render_series(out, m->name, "", m->labels, code_label);
        strbuf_printf(out, "%llu\n", (unsigned long long)n);
    }
}

static const char *kind_type(metric_kind kind)
{
    switch (kind) {
    case KIND_GAUGE:
        return "gauge";
    case KIND_HISTOGRAM:
        return "histogram";
    case KIND_SUMMARY:
        return "summary";
    default:
        return "counter";
    }
}

void metrics_render(strbuf *out)
{
    pthread_mutex_lock(&registry_lock);
    size_t count = registry_count;
    pthread_mutex_unlock(&registry_lock);
    for (size_t i = 0; i < count; i++) {
        const metric *m = &registry[i];
        if (i == 0 || strcmp(registry[i - 1].name, m->name) != 0)
            strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name, kind_type(m->kind));
        if (m->kind == KIND_HISTOGRAM) {
            render_histogram(out, m);
        } else if (m->kind == KIND_SUMMARY) {
            render_summary(out, m);
        } else if (m->kind == KIND_CODES) {
            render_codes(out, m);
        } else {
            render_series(out, m->name, "", m->labels, "");
            if (m->kind == KIND_COUNTER && !m->read)
                strbuf_printf(out, "%llu\n", (unsigned long long)atomic_load(&m->value));
            else
                strbuf_printf(out, "%.17g\n", metric_value(m));
        }
    }
}

void metrics_reset_registry(void)
{
    pthread_mutex_lock(&registry_lock);
    registry_count = 0;
    pthread_mutex_unlock(&registry_lock);
}
