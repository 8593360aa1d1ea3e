/* trace.h — W3C Trace Context (traceparent, level 1): parsing and formatting the
 * header, new trace and span ids, and the trace of the call the current thread serves
 * (read by log.c for every line and by rpc_client.c for outgoing calls). Pure except
 * for the random ids and the per-thread current trace. */
#ifndef SHARED_TRACE_H
#define SHARED_TRACE_H

#include <stddef.h>

#define TRACE_ID_HEX 32
#define SPAN_ID_HEX 16
#define TRACEPARENT_LEN 55       /* "00-" 32 "-" 16 "-" 2 */
#define TRACESTATE_MAX 512       /* longer tracestate values are not passed on */
#define TRACE_FLAG_SAMPLED 0x01

typedef struct trace_context {
    char trace_id[TRACE_ID_HEX + 1];  /* lower-case hex; "" = no trace */
    char span_id[SPAN_ID_HEX + 1];    /* this process's span of the call */
    char parent_id[SPAN_ID_HEX + 1];  /* the caller's span; "" when the trace began here */
    unsigned flags;                   /* trace-flags passed on (sampled bit only) */
    const char *state;                /* tracestate to pass on unchanged, or NULL; borrowed */
} trace_context;

/* Parses a traceparent header value: version (two lower-case hex digits, not "ff"; a
 * version 00 header is exactly 55 characters, a later version may be longer with '-'
 * after the flags), trace-id (32 lower-case hex, not all zeros), parent-id (16
 * lower-case hex, not all zeros), trace-flags (2 lower-case hex). Writes the ids and
 * flags and returns 0, or returns -1 (outputs unspecified) when the value is invalid. */
int trace_parse(const char *value, char trace_id[TRACE_ID_HEX + 1], char parent_id[SPAN_ID_HEX + 1],
                unsigned *flags);
/* Writes "00-<trace_id>-<span_id>-<flags as 2 hex>" (55 characters and a NUL) into out
 * (at least TRACEPARENT_LEN + 1 bytes). Returns 0, or -1 when an id is malformed. */
int trace_format(const char *trace_id, const char *span_id, unsigned flags, char *out, size_t cap);
/* hex_len random lower-case hex digits and a NUL into out (hex_len + 1 bytes), never
 * all zeros. Thread-safe (a per-thread generator seeded from getrandom). */
void trace_random_hex(char *out, size_t hex_len);

/* The trace of a server call: continues the caller's trace when traceparent is valid
 * (its parent-id becomes parent_id, its tracestate is kept), otherwise begins a new
 * trace (sampled); either way the call gets a new span id. */
void trace_begin(trace_context *t, const char *traceparent, const char *tracestate);
/* The traceparent to send on a call made from t's span: same trace id, t's span as the
 * parent, t's flags. Returns 0, or -1 when t has no trace. */
int trace_child_header(const trace_context *t, char *out, size_t cap);

/* The trace of the call this thread serves (copied; NULL clears it), and that trace,
 * or NULL when the thread serves none. */
void trace_set_current(const trace_context *t);
const trace_context *trace_current(void);

#endif
