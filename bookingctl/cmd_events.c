/* cmd_events.c — `bookingctl events`: the audit trail of a booking (with its hold's)
 * or of a hold, oldest first. */
#include <stdio.h>

#include "booking/v1/booking.pb-c.h"
#include "ctl.h"
#include "format.h"
#include "strbuf.h"
#include "table.h"

static void print_events(const ProtobufCMessage *m)
{
    static const char *const headers[] = {"TIME", "SUBJECT", "EVENT", "ACTOR", "DETAILS"};
    const Booking__V1__ListEventsResponse *r = (const Booking__V1__ListEventsResponse *)m;
    char buf[FMT_TIME_CAP];
    ctl_table *t = table_new(5, headers);
    for (size_t i = 0; i < r->n_events; i++) {
        const Booking__V1__Event *e = r->events[i];
        strbuf details = STRBUF_INIT;
        fmt_metadata(&details, e->metadata, e->n_metadata);
        table_add(t, fmt_time(e->created_at, buf, sizeof buf));
        table_add(t, e->subject_id);
        table_add(t, e->event_type);
        table_add(t, *e->actor_id ? e->actor_id : "-");
        table_add(t, details.data);
        strbuf_free(&details);
    }
    if (r->n_events)
        table_print(t, stdout);
    else
        printf("no events\n");
    table_free(t);
}

int ctl_events(ctl_context *ctx, int argc, char **argv)
{
    const char *booking_id = NULL, *hold_id = NULL;
    ctl_opt opts[] = {{"--booking", CTL_OPT_STR, &booking_id, 0, 0}, {"--hold", CTL_OPT_STR, &hold_id, 0, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0) != 0)
        return 2;
    if (!booking_id == !hold_id)
        return ctl_usage_error(ctx, "give exactly one of --booking and --hold");
    Booking__V1__ListEventsRequest req = BOOKING__V1__LIST_EVENTS_REQUEST__INIT;
    req.booking_id = (char *)(booking_id ? booking_id : "");
    req.hold_id = (char *)(hold_id ? hold_id : "");
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_BOOKING, "ListEvents", &req.base, 0, &resp) != 0)
        return 1;
    return ctl_output(ctx, resp, print_events);
}
