/* metrics.h — a process-wide Prometheus registry: counters, gauges, histograms, code counters. */
#ifndef SHARED_METRICS_H
#define SHARED_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

typedef struct metric metric;

/* Registration returns a handle that lives for the whole process (never NULL; aborts
 * when the registry is full). `labels` is a Prometheus label list without braces,
 * e.g. "result=\"created\"", or "" for none. Metrics sharing a name must be registered
 * one after another so their HELP/TYPE lines are written once. */
metric *metrics_counter(const char *name, const char *labels, const char *help);
metric *metrics_gauge(const char *name, const char *labels, const char *help);
/* Gauge whose value is computed when scraped. */
metric *metrics_gauge_fn(const char *name, const char *labels, const char *help,
                         double (*read)(void *ctx), void *ctx);
/* Histogram of seconds with buckets from 100 us to 10 s. */
metric *metrics_histogram(const char *name, const char *labels, const char *help);
/* A counter per gRPC status code; rendered as name{labels,grpc_code="..."} for codes seen. */
metric *metrics_code_counter(const char *name, const char *labels, const char *help);

void metric_inc(metric *m, uint64_t n);
void metric_set(metric *m, double value);
void metric_observe(metric *m, double seconds);
void metric_inc_code(metric *m, int code);

/* Reads back (tests, GetStats). */
uint64_t metric_count(const metric *m);            /* counter value or histogram count */
uint64_t metric_code_count(const metric *m, int code);
double metric_value(const metric *m);              /* gauge value */

/* Appends the text exposition format (version 0.0.4) of every metric to out. */
void metrics_render(strbuf *out);

/* Forgets every metric (tests only; not thread-safe against concurrent updates). */
void metrics_reset_registry(void);

#endif
