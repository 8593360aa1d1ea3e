/* slots.h — time math of slots in the resource's own time zone: which slots a [start,
 * end) range covers for nightly, timed and single-slot resources, with field-naming
 * validation errors; where a slot begins and ends; check-in and check-out instants.
 * Pure (the zone is a local_time handle). */
#ifndef SHARED_SLOTS_H
#define SHARED_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#include "booking/v1/common.pb-c.h"
#include "local_time.h"

#define SLOT_MINUTES_NIGHTLY 1440
#define SLOT_MINUTES_SINGLE 0
#define SECONDS_PER_DAY 86400
#define CHECK_IN_DEFAULT (15 * 60)  /* 15:00 local */
#define CHECK_OUT_DEFAULT (11 * 60) /* 11:00 local */

/* A resource's clock: its zone, slot length and (nightly) check-in and check-out
 * wall-clock times in minutes after local midnight. */
typedef struct resource_clock {
    const local_zone *zone;
    int slot_minutes;
    int check_in, check_out;
} resource_clock;

/* The clock of a resource (empty time_zone: UTC; empty check-in/out: the defaults).
 * 0, or -1 with *field set ("time_zone", "check_in_local_time", "check_out_local_time")
 * when one of them is not valid. */
int resource_clock_of(const Booking__V1__Resource *r, resource_clock *out, const char **field);
/* A clock of a zone and slot length with the default check-in and check-out. */
resource_clock resource_clock_make(const local_zone *zone, int slot_minutes);

/* Parses "HH:MM" (00:00-23:59) into minutes after midnight. 0 or -1. */
int clock_time_parse(const char *s, int *minutes);

/* The slots of a range: count slots, slot i from the i-th boundary to the next. Slots
 * need not be equally long: a night is a local calendar date (23, 24 or 25 hours), a
 * timed slot ends at the next boundary of the local wall clock. */
typedef struct slot_span {
    resource_clock clock;
    int64_t first_start;  /* where slot 0 starts (Unix seconds) */
    int64_t end;          /* where the last slot ends */
    int count;
} slot_span;

/* 1 when slot_minutes is allowed: 0 (single slot) or a divisor of 1440 (so that timed
 * slots align to local midnight every day). */
int slot_minutes_valid(int slot_minutes);

/* Computes the slots that [start, end) covers (Unix seconds; the offset a client wrote
 * them in does not matter), read on the clock's local wall clock:
 *  - nightly (1440): every local night from start's local date up to, not including,
 *    end's local date; a night's slot starts at the first instant of its local date
 *    (check-in 2027-03-13T15:00-08:00, check-out 2027-03-15T11:00-07:00 in
 *    America/Los_Angeles = nights of 03-13 and 03-14, the second 23 hours long); at
 *    least one night;
 *  - timed (N): start and end must be slot boundaries: instants at which the local wall
 *    clock shows a multiple of N minutes since midnight, or jumps over one (the end of
 *    a spring-forward gap). The hour a fall-back repeats has its own slots: each real
 *    instant is in exactly one slot;
 *  - single (0): the whole range is one slot (the caller checks it exists).
 * end must be after start and the range at most max_slots slots. On failure returns
 * -1, sets *field to "start_time" or "end_time" and writes the reason into msg. */
int slot_span_of(const resource_clock *clock, int64_t start, int64_t end, int max_slots, slot_span *out,
                 const char **field, char *msg, size_t msglen);

/* Writes the span's count + 1 boundaries: slot i is [bounds[i], bounds[i + 1]). */
void slot_span_bounds(const slot_span *span, int64_t *bounds);

/* The slot boundary after boundary b (where the slot starting at b ends); the last
 * boundary at or before t; 1 when t is a boundary. Nightly and timed clocks only. */
int64_t slot_next(const resource_clock *clock, int64_t b);
int64_t slot_floor(const resource_clock *clock, int64_t t);
int slot_aligned(const resource_clock *clock, int64_t t);

/* Where a stay that starts with the slot at first_start begins for the guest: the local
 * check-in time on that night's date (nightly), else first_start. Where one whose last
 * slot ends at end is over: the check-out time on end's local date (nightly), else end.
 * Cancellation windows and lead times are measured to check-in. */
int64_t slot_check_in(const resource_clock *clock, int64_t first_start);
int64_t slot_check_out(const resource_clock *clock, int64_t end);

/* 0 = Sunday .. 6 = Saturday, for the UTC date of t. */
int utc_weekday(int64_t t);

#endif
