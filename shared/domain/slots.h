/* slots.h — time math of slots (UTC, DST-free): which slots a [start, end) range covers
 * for nightly, timed and single-slot resources, with field-naming validation errors. */
#ifndef SHARED_SLOTS_H
#define SHARED_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#define SLOT_MINUTES_NIGHTLY 1440
#define SLOT_MINUTES_SINGLE 0
#define SECONDS_PER_DAY 86400

/* The slots of a range: count slots of slot_seconds each, the first at first_start
 * (Unix seconds). */
typedef struct slot_span {
    int64_t first_start;
    int64_t slot_seconds;
    int count;
} slot_span;

/* 1 when slot_minutes is allowed: 0 (single slot) or a divisor of 1440 (so that timed
 * slots align to 00:00 UTC every day). */
int slot_minutes_valid(int slot_minutes);

/* Computes the slots that [start, end) covers (Unix seconds):
 *  - nightly (1440): every night from start's UTC date up to, not including, end's UTC
 *    date (check-in 2026-06-01T15:00Z, check-out 2026-06-03T11:00Z = 2 nights, slots
 *    at 06-01T00:00Z and 06-02T00:00Z); at least one night;
 *  - timed (N): start and end must be multiples of N minutes since 00:00 UTC;
 *  - single (0): the whole range is one slot (the caller checks it exists).
 * end must be after start and the range at most max_slots slots. On failure returns
 * -1, sets *field to "start_time" or "end_time" and writes the reason into msg. */
int slot_span_of(int slot_minutes, int64_t start, int64_t end, int max_slots, slot_span *out,
                 const char **field, char *msg, size_t msglen);

/* The start of slot i of a span. */
int64_t slot_span_start(const slot_span *span, int i);

/* 0 = Sunday .. 6 = Saturday, for the UTC date of t. */
int utc_weekday(int64_t t);

#endif
