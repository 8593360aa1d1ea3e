/* slots.c — which slots a [start, end) range covers, on the resource's local wall
 * clock: nights are local dates, timed slots follow the local clock's multiples of N
 * minutes. Pure arithmetic on Unix seconds and a zone's offsets (local_time.h). */
#include "slots.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

int clock_time_parse(const char *s, int *minutes)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59)
        return -1;
    *minutes = h * 60 + m;
    return 0;
}

resource_clock resource_clock_make(const local_zone *zone, int slot_minutes)
{
    return (resource_clock){zone, slot_minutes, CHECK_IN_DEFAULT, CHECK_OUT_DEFAULT};
}

int resource_clock_of(const Booking__V1__Resource *r, resource_clock *out, const char **field)
{
    const char *zone = r->time_zone && *r->time_zone ? r->time_zone : "UTC";
    *out = resource_clock_make(local_zone_get(zone), r->slot_minutes);
    if (!out->zone)
        return fail(field, "time_zone", NULL, 0, "-");
    if (r->check_in_local_time && *r->check_in_local_time &&
        clock_time_parse(r->check_in_local_time, &out->check_in) != 0)
        return fail(field, "check_in_local_time", NULL, 0, "-");
    if (r->check_out_local_time && *r->check_out_local_time &&
        clock_time_parse(r->check_out_local_time, &out->check_out) != 0)
        return fail(field, "check_out_local_time", NULL, 0, "-");
    return 0;
}

int slot_minutes_valid(int slot_minutes)
{
    return slot_minutes == SLOT_MINUTES_SINGLE || (slot_minutes > 0 && SLOT_MINUTES_NIGHTLY % slot_minutes == 0);
}

/* ---- boundaries ------------------------------------------------------------------------ */

static int64_t step_of(const resource_clock *c) { return (int64_t)c->slot_minutes * 60; }

/* Whether the offset change at t (from `before` to `after`) makes t a boundary: the wall
 * clock lands on a multiple of step, or jumps forward over one (the skipped wall time's
 * slot begins where the gap ends). */
static int change_is_boundary(int64_t t, int32_t before, int32_t after, int64_t step)
{
    int64_t wall_before = t + before, wall_after = t + after;
    if (floor_mod64(wall_after, step) == 0)
        return 1;
    if (after < before)
        return 0;
    int64_t up = wall_before + (step - floor_mod64(wall_before, step)) % step; /* first multiple >= */
    return up <= wall_after;
}

static int64_t timed_next(const resource_clock *c, int64_t b)
{
    int64_t step = step_of(c), t = b;
    for (;;) {
        int32_t off = local_offset(c->zone, t);
        int64_t change = local_next_change(c->zone, t), wall = t + off, next;
        if (__builtin_add_overflow(floor_div64(wall, step) * step, step - off, &next))
            return INT64_MAX;
        if (next < change)
            return next;
        if (change_is_boundary(change, off, local_offset(c->zone, change), step))
            return change;
        t = change;
    }
}

static int64_t timed_floor(const resource_clock *c, int64_t t)
{
    int64_t step = step_of(c);
    for (;;) {
        int32_t off = local_offset(c->zone, t);
        int64_t since = local_last_change(c->zone, t);
        int64_t wall = t + off, floor = floor_div64(wall, step) * step - off;
        if (floor >= since || since == INT64_MIN)
            return floor;
        if (change_is_boundary(since, local_offset(c->zone, since - 1), off, step))
            return since;
        t = since - 1;
    }
}

/* The first instant of the local date after b's (skipping dates the zone never had). */
static int64_t nightly_next(const resource_clock *c, int64_t b)
{
    int64_t day = local_day(c->zone, b), next;
    do
        next = local_day_start(c->zone, ++day);
    while (next <= b && next != INT64_MAX);
    return next;
}

int64_t slot_next(const resource_clock *c, int64_t b)
{
    return c->slot_minutes == SLOT_MINUTES_NIGHTLY ? nightly_next(c, b) : timed_next(c, b);
}

int64_t slot_floor(const resource_clock *c, int64_t t)
{
    return c->slot_minutes == SLOT_MINUTES_NIGHTLY ? local_day_start(c->zone, local_day(c->zone, t))
                                                   : timed_floor(c, t);
}

int slot_aligned(const resource_clock *c, int64_t t) { return slot_floor(c, t) == t; }

int64_t slot_check_in(const resource_clock *c, int64_t first_start)
{
    if (c->slot_minutes != SLOT_MINUTES_NIGHTLY)
        return first_start;
    return local_instant(c->zone, local_day(c->zone, first_start) * SECONDS_PER_DAY + c->check_in * 60);
}

int64_t slot_check_out(const resource_clock *c, int64_t end)
{
    if (c->slot_minutes != SLOT_MINUTES_NIGHTLY)
        return end;
    return local_instant(c->zone, local_day(c->zone, end) * SECONDS_PER_DAY + c->check_out * 60);
}

/* Nightly and timed ranges end within +-2^62 s (136 billion years), so that a time plus
 * an offset or a slot never overflows. */
#define TIME_LIMIT (INT64_C(1) << 62)

/* ---- spans ------------------------------------------------------------------------------ */

/* The slots from boundary first up to boundary end. */
static int64_t count_between(const resource_clock *c, int64_t first, int64_t end)
{
    int64_t n = 0;
    for (int64_t b = first; b < end; b = slot_next(c, b))
        n++;
    return n;
}

/* Local nights from start's date up to, not including, end's date (end > start). */
static int nightly_span(const resource_clock *c, int64_t start, int64_t end, int max_slots, slot_span *out,
                        int64_t *count, const char **field, char *msg, size_t msglen)
{
    int64_t d0 = local_day(c->zone, start), d1 = local_day(c->zone, end);
    if (d1 - d0 < 1)
        return fail(field, "end_time", msg, msglen, "check-out must be at least one night after check-in");
    out->first_start = local_day_start(c->zone, d0);
    out->end = local_day_start(c->zone, d1);
    /* far too many whatever dates the zone skipped: not worth counting */
    *count = d1 - d0 > (int64_t)max_slots + 2 ? d1 - d0 : count_between(c, out->first_start, out->end);
    return 0;
}

/* Slots of the local clock; both ends on a boundary (end > start). */
static int timed_span(const resource_clock *c, int64_t start, int64_t end, int max_slots, slot_span *out,
                      int64_t *count, const char **field, char *msg, size_t msglen)
{
    const char *zone = local_zone_name(c->zone);
    if (!slot_aligned(c, start))
        return fail(field, "start_time", msg, msglen, "must lie on a %d-minute slot boundary (%s)", c->slot_minutes,
                    zone);
    if (!slot_aligned(c, end))
        return fail(field, "end_time", msg, msglen, "must lie on a %d-minute slot boundary (%s)", c->slot_minutes,
                    zone);
    out->first_start = start;
    out->end = end;
    /* an offset change moves the count by about its length in slots: far above is too many */
    int64_t estimate = (end - start) / step_of(c);
    *count = estimate > 2 * (int64_t)max_slots + 64 ? estimate : count_between(c, start, end);
    return 0;
}

int slot_span_of(const resource_clock *c, int64_t start, int64_t end, int max_slots, slot_span *out,
                 const char **field, char *msg, size_t msglen)
{
    if (!slot_minutes_valid(c->slot_minutes)) /* a resource's setting, not the caller's input */
        return fail(field, "slot_minutes", msg, msglen, "%d is not 0 or a divisor of 1440 minutes",
                    c->slot_minutes);
    if (end <= start)
        return fail(field, "end_time", msg, msglen, "must be after start_time");
    out->clock = *c;
    if (c->slot_minutes != SLOT_MINUTES_SINGLE && (start < -TIME_LIMIT || start > TIME_LIMIT))
        return fail(field, "start_time", msg, msglen, "is out of range");
    if (c->slot_minutes != SLOT_MINUTES_SINGLE && end > TIME_LIMIT)
        return fail(field, "end_time", msg, msglen, "is out of range");
    int64_t count = 1;
    int rc = 0;
    if (c->slot_minutes == SLOT_MINUTES_SINGLE) {
        int64_t length;
        if (__builtin_sub_overflow(end, start, &length)) /* only for absurd ranges */
            return fail(field, "end_time", msg, msglen, "the range is too long");
        out->first_start = start;
        out->end = end;
    } else if (c->slot_minutes == SLOT_MINUTES_NIGHTLY) {
        rc = nightly_span(c, start, end, max_slots, out, &count, field, msg, msglen);
    } else {
        rc = timed_span(c, start, end, max_slots, out, &count, field, msg, msglen);
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

void slot_span_bounds(const slot_span *span, int64_t *bounds)
{
    bounds[0] = span->first_start;
    if (span->clock.slot_minutes == SLOT_MINUTES_SINGLE) {
        bounds[1] = span->end;
        return;
    }
    for (int i = 1; i <= span->count; i++)
        bounds[i] = slot_next(&span->clock, bounds[i - 1]);
}

int utc_weekday(int64_t t) { return weekday_of_day(floor_div64(t, SECONDS_PER_DAY)); }
