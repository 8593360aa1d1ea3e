/* slots.c — which slots a [start, end) range covers: pure UTC arithmetic on Unix seconds. */
#include "slots.h"

#include <stdarg.h>
#include <stdio.h>

/* Floor division and modulo (b > 0), so that times before 1970 fall into the right day. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

/* Sets *field and the message; always returns -1 so that callers can `return fail(...)`. */
__attribute__((format(printf, 5, 6))) static int fail(const char **field, const char *name, char *msg,
                                                      size_t msglen, const char *fmt, ...)
{
    if (field)
        *field = name;
    if (msg && msglen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msglen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int slot_minutes_valid(int slot_minutes)
{
    return slot_minutes == SLOT_MINUTES_SINGLE || (slot_minutes > 0 && SLOT_MINUTES_NIGHTLY % slot_minutes == 0);
}

/* Nights from start's UTC date up to, not including, end's UTC date (end > start). */
static int nightly_span(int64_t start, int64_t end, slot_span *out, int64_t *count, const char **field, char *msg,
                        size_t msglen)
{
    int64_t nights = floor_div(end, SECONDS_PER_DAY) - floor_div(start, SECONDS_PER_DAY);
    if (nights < 1)
        return fail(field, "end_time", msg, msglen, "check-out must be at least one night after check-in");
    /* start's midnight; out of int64 only within a day of INT64_MIN */
    if (__builtin_sub_overflow(start, floor_mod(start, SECONDS_PER_DAY), &out->first_start))
        return fail(field, "start_time", msg, msglen, "is out of range");
    out->slot_seconds = SECONDS_PER_DAY;
    *count = nights;
    return 0;
}

/* Slots of slot_minutes each; both ends on a slot boundary (end > start). */
static int timed_span(int slot_minutes, int64_t start, int64_t end, slot_span *out, int64_t *count,
                      const char **field, char *msg, size_t msglen)
{
    /* slot_minutes divides 1440, so boundaries since 00:00 UTC of any day are boundaries
     * since the epoch. */
    int64_t step = (int64_t)slot_minutes * 60;
    if (floor_mod(start, step) != 0)
        return fail(field, "start_time", msg, msglen, "must lie on a %d-minute slot boundary (UTC)", slot_minutes);
    if (floor_mod(end, step) != 0)
        return fail(field, "end_time", msg, msglen, "must lie on a %d-minute slot boundary (UTC)", slot_minutes);
    /* Both aligned, so end/step - start/step is the exact count and cannot overflow. */
    out->first_start = start;
    out->slot_seconds = step;
    *count = floor_div(end, step) - floor_div(start, step);
    return 0;
}

int slot_span_of(int slot_minutes, int64_t start, int64_t end, int max_slots, slot_span *out,
                 const char **field, char *msg, size_t msglen)
{
    if (!slot_minutes_valid(slot_minutes)) /* a resource's setting, not the caller's input */
        return fail(field, "slot_minutes", msg, msglen, "%d is not 0 or a divisor of 1440 minutes",
                    slot_minutes);
    if (end <= start)
        return fail(field, "end_time", msg, msglen, "must be after start_time");
    int64_t count = 1;
    int rc = 0;
    if (slot_minutes == SLOT_MINUTES_SINGLE) {
        if (__builtin_sub_overflow(end, start, &out->slot_seconds)) /* only for absurd ranges */
            return fail(field, "end_time", msg, msglen, "the range is too long");
        out->first_start = start;
    } else if (slot_minutes == SLOT_MINUTES_NIGHTLY) {
        rc = nightly_span(start, end, out, &count, field, msg, msglen);
    } else {
        rc = timed_span(slot_minutes, start, end, out, &count, field, msg, msglen);
    }
    if (rc != 0)
        return -1;
    if (count > max_slots)
        return fail(field, "end_time", msg, msglen,
                    max_slots == 1 ? "the range covers %lld slots; at most %d is allowed"
                                   : "the range covers %lld slots; at most %d are allowed",
                    (long long)count, max_slots);
    out->count = (int)count;
    return 0;
}

int64_t slot_span_start(const slot_span *span, int i) { return span->first_start + (int64_t)i * span->slot_seconds; }

int utc_weekday(int64_t t)
{
    /* 1970-01-01 was a Thursday (4). */
    return (int)floor_mod(floor_div(t, SECONDS_PER_DAY) + 4, 7);
}
