/* trace.c — W3C traceparent parsing and formatting, random ids, and the per-thread
 * trace of the call being served. */
#include "trace.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static _Thread_local trace_context current;
static _Thread_local int has_current;
static _Thread_local uint64_t rng_state;

static int is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

/* 1 when s[0..n) is lower-case hex and not all '0'. */
static int hex_id(const char *s, size_t n)
{
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_lower_hex(s[i]))
            return 0;
        nonzero |= s[i] != '0';
    }
    return nonzero;
}

static unsigned hex_byte(const char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 2; i++)
        v = v * 16 + (unsigned)(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
    return v;
}

int trace_parse(const char *value, char trace_id[TRACE_ID_HEX + 1], char parent_id[SPAN_ID_HEX + 1],
                unsigned *flags)
{
    if (!value)
        return -1;
    size_t len = strnlen(value, TRACEPARENT_LEN + 2);
    if (len < TRACEPARENT_LEN || !is_lower_hex(value[0]) || !is_lower_hex(value[1]))
        return -1;
    unsigned version = hex_byte(value);
    if (version == 0xff || (version == 0 && len != TRACEPARENT_LEN) ||
        (len > TRACEPARENT_LEN && value[TRACEPARENT_LEN] != '-'))
        return -1;
    if (value[2] != '-' || value[35] != '-' || value[52] != '-')
        return -1;
    if (!hex_id(value + 3, TRACE_ID_HEX) || !hex_id(value + 36, SPAN_ID_HEX) || !is_lower_hex(value[53]) ||
        !is_lower_hex(value[54]))
        return -1;
    memcpy(trace_id, value + 3, TRACE_ID_HEX);
    trace_id[TRACE_ID_HEX] = '\0';
    memcpy(parent_id, value + 36, SPAN_ID_HEX);
    parent_id[SPAN_ID_HEX] = '\0';
    *flags = hex_byte(value + 53);
    return 0;
}

int trace_format(const char *trace_id, const char *span_id, unsigned flags, char *out, size_t cap)
{
    if (cap < TRACEPARENT_LEN + 1 || !trace_id || !span_id || strlen(trace_id) != TRACE_ID_HEX ||
        strlen(span_id) != SPAN_ID_HEX || !hex_id(trace_id, TRACE_ID_HEX) || !hex_id(span_id, SPAN_ID_HEX))
        return -1;
    snprintf(out, cap, "00-%s-%s-%02x", trace_id, span_id, flags & 0xffu);
    return 0;
}

/* splitmix64: a fast generator whose per-thread state is seeded once from getrandom. */
static uint64_t next_random(void)
{
    if (rng_state == 0) {
        uint64_t seed = 0;
        if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)&seed;
        }
        rng_state = seed | 1;
    }
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void trace_random_hex(char *out, size_t hex_len)
{
    static const char digits[] = "0123456789abcdef";
    do {
        uint64_t bits = 0;
        for (size_t i = 0; i < hex_len; i++) {
            if (i % 16 == 0)
                bits = next_random();
            out[i] = digits[bits & 15];
            bits >>= 4;
        }
        out[hex_len] = '\0';
    } while (!hex_id(out, hex_len));
}

void trace_begin(trace_context *t, const char *traceparent, const char *tracestate)
{
    memset(t, 0, sizeof *t);
    if (traceparent && trace_parse(traceparent, t->trace_id, t->parent_id, &t->flags) == 0) {
        t->flags &= TRACE_FLAG_SAMPLED; /* version 00 defines no other flag to pass on */
        if (tracestate && *tracestate && strlen(tracestate) <= TRACESTATE_MAX)
            t->state = tracestate;
    } else {
        trace_random_hex(t->trace_id, TRACE_ID_HEX);
        t->parent_id[0] = '\0';
        t->flags = TRACE_FLAG_SAMPLED;
    }
    trace_random_hex(t->span_id, SPAN_ID_HEX);
}

int trace_child_header(const trace_context *t, char *out, size_t cap)
{
    if (!t || !t->trace_id[0])
        return -1;
    return trace_format(t->trace_id, t->span_id, t->flags, out, cap);
}

void trace_set_current(const trace_context *t)
{
    has_current = t && t->trace_id[0];
    if (has_current)
        current = *t;
}

const trace_context *trace_current(void) { return has_current ? &current : NULL; }
