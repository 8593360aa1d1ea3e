/* calendar_slots.c — what GetCalendar shows, whichever store answers: the slots of a
 * range widened to whole slots of the resource's local clock, and each slot's local
 * date and times. */
#include "search.h"

int calendar_bounds(rpc_call *call, const resource_clock *clock, int64_t from, int64_t to, int64_t **bounds,
                    int *count)
{
    int64_t first = slot_floor(clock, from), last = slot_floor(clock, to);
    if (last < to)
        last = slot_next(clock, last);
    int64_t *b = rpc_alloc(call, sizeof *b * (CALENDAR_MAX_SLOTS + 2));
    int n = 0;
    for (b[0] = first; b[n] < last; n++) {
        if (n == CALENDAR_MAX_SLOTS)
            return rpc_invalid_argument(call, "end_time", "the calendar covers more than %d slots",
                                        CALENDAR_MAX_SLOTS);
        b[n + 1] = slot_next(clock, b[n]);
    }
    *bounds = b;
    *count = n;
    return 0;
}

void slot_local_times(rpc_call *call, Booking__V1__SlotAvailability *m, const local_zone *zone)
{
    char text[40];
    int64_t start = m->slot_start->seconds, end = m->slot_end->seconds;
    m->local_date = rpc_strdup(call, local_date_text(zone, start, text, sizeof text));
    m->local_start = rpc_strdup(call, local_rfc3339(zone, start, text, sizeof text));
    m->local_end = rpc_strdup(call, local_rfc3339(zone, end, text, sizeof text));
}
