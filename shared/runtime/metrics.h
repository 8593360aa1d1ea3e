/* metrics.h — a process-wide Prometheus registry: counters, gauges, histograms,
 * summaries and gRPC code counters, rendered in the text exposition format 0.0.4. */
#ifndef SHARED_METRICS_H
#define SHARED_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

typedef struct metric metric;

/* Registration returns a handle that lives for the whole process (never NULL; aborts
 * when the registry is full). `labels` is a Prometheus label list without braces,
 * e.g. "result=\"created\"", or "" for none. Metrics sharing a name must be registered
 * one after another so their HELP/TYPE lines are written once. The registry keeps name,
 * labels and help by reference: literals or static storage. */
metric *metrics_counter(const char *name, const char *labels, const char *help);
metric *metrics_gauge(const char *name, const char *labels, const char *help);
/* Gauge whose value is computed when scraped. */
metric *metrics_gauge_fn(const char *name, const char *labels, const char *help,
                         double (*read)(void *ctx), void *ctx);
/* Counter whose value is computed when scraped (a monotonic count kept elsewhere, or
 * one read from /proc). The name must end in _total. */
metric *metrics_counter_fn(const char *name, const char *labels, const char *help,
                           double (*read)(void *ctx), void *ctx);
/* Histogram of seconds with buckets from 100 us to 10 s. */
metric *metrics_histogram(const char *name, const char *labels, const char *help);
/* Summary: quantiles computed when scraped over a window the caller keeps
 * (read(ctx, q, out, n) fills out[i] for quantile q[i]; q must stay valid for the
 * life of the process), with _sum and _count of every metric_observe since start. */
metric *metrics_summary(const char *name, const char *labels, const char *help, const double *quantiles,
                        size_t n_quantiles, void (*read)(void *ctx, const double *q, double *out, size_t n),
                        void *ctx);
/* A counter per gRPC status code; rendered as name{labels,grpc_code="..."} for codes
 * seen (and OK always), with go-grpc-prometheus's code names ("AlreadyExists"). */
metric *metrics_code_counter(const char *name, const char *labels, const char *help);
/* go-grpc-prometheus's name of a status code: "OK", "Canceled", "InvalidArgument", ...
 * ("Unknown" for codes out of range). */
const char *metrics_grpc_code_label(int code);

void metric_inc(metric *m, uint64_t n);
void metric_set(metric *m, double value);
void metric_observe(metric *m, double seconds);  /* histogram or summary */
void metric_inc_code(metric *m, int code);

/* Reads back (tests, GetStats). */
uint64_t metric_count(const metric *m);            /* counter value, histogram or summary count */
uint64_t metric_code_count(const metric *m, int code);
double metric_value(const metric *m);              /* gauge value */

/* Appends the text exposition format (version 0.0.4) of every metric to out. */
void metrics_render(strbuf *out);

/* Forgets every metric (tests only; not thread-safe against concurrent updates). */
void metrics_reset_registry(void);

#endif
