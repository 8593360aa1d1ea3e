/* cmd_calendar.c — `bookingctl calendar`: every slot of a range with its availability,
 * in the resource's local time (dates given are its local dates). */
#include <stdio.h>

#include "booking/v1/search.pb-c.h"
#include "ctl.h"
#include "format.h"
#include "table.h"
#include "timeutil.h"

static void print_calendar(const ProtobufCMessage *m)
{
    static const char *const headers[] = {"DATE", "START", "END", "CAPACITY", "AVAILABLE", "PRICE"};
    const Booking__V1__GetCalendarResponse *cal = (const Booking__V1__GetCalendarResponse *)m;
    char buf[FMT_LOCAL_CAP];
    ctl_table *t = table_new(6, headers);
    for (size_t c = 3; c < 6; c++)
        table_right(t, c);
    if (*cal->time_zone)
        printf("local times (%s)\n", cal->time_zone);
    for (size_t i = 0; i < cal->n_slots; i++) {
        const Booking__V1__SlotAvailability *s = cal->slots[i];
        /* the service says the local date and times: no time zone library needed here */
        table_add(t, *s->local_date ? s->local_date : "-");
        table_add(t, *s->local_start ? fmt_local_text(s->local_start, buf, sizeof buf)
                                     : fmt_time(s->slot_start, buf, sizeof buf));
        table_add(t, *s->local_end ? fmt_local_text(s->local_end, buf, sizeof buf)
                                   : fmt_time(s->slot_end, buf, sizeof buf));
        table_addf(t, "%d", s->total_capacity);
        table_addf(t, "%d", s->available);
        table_add(t, fmt_money(s->price, buf, sizeof buf));
    }
    table_print(t, stdout);
    table_free(t);
    if (cal->as_of)
        printf("\nas of %s\n", fmt_time(cal->as_of, buf, sizeof buf));
}

int ctl_calendar(ctl_context *ctx, int argc, char **argv)
{
    const char *resource_id, *from_text = NULL, *to_text = NULL;
    int64_t from = 0, to = 0;
    ctl_opt opts[] = {{"--from", CTL_OPT_STR, &from_text, 1, 0}, {"--to", CTL_OPT_STR, &to_text, 1, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &resource_id, 1) != 0)
        return 2;
    const resource_clock *clock = ctl_clock(ctx, resource_id); /* dates: its local midnights */
    if (!clock)
        return 1;
    if (ctl_local_arg(ctx, clock, "--from", from_text, 0, &from) != 0 ||
        ctl_local_arg(ctx, clock, "--to", to_text, 0, &to) != 0)
        return 2;
    Google__Protobuf__Timestamp start, end;
    Booking__V1__GetCalendarRequest req = BOOKING__V1__GET_CALENDAR_REQUEST__INIT;
    ts_set(&start, from);
    ts_set(&end, to);
    req.resource_id = (char *)resource_id;
    req.start_time = &start;
    req.end_time = &end;
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_SEARCH, "GetCalendar", &req.base, 0, &resp) != 0)
        return 1;
    return ctl_output(ctx, resp, print_calendar);
}
