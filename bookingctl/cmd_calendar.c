/* cmd_calendar.c — `bookingctl calendar`: every slot of a range with its availability. */
#include <stdio.h>

#include "booking/v1/search.pb-c.h"
#include "ctl.h"
#include "format.h"
#include "table.h"
#include "timeutil.h"

static void print_calendar(const ProtobufCMessage *m)
{
    static const char *const headers[] = {"SLOT START", "END", "CAPACITY", "AVAILABLE", "PRICE"};
    const Booking__V1__GetCalendarResponse *cal = (const Booking__V1__GetCalendarResponse *)m;
    char buf[FMT_MONEY_CAP];
    ctl_table *t = table_new(5, headers);
    for (size_t c = 2; c < 5; c++)
        table_right(t, c);
    for (size_t i = 0; i < cal->n_slots; i++) {
        const Booking__V1__SlotAvailability *s = cal->slots[i];
        table_add(t, fmt_time(s->slot_start, buf, sizeof buf));
        table_add(t, fmt_time(s->slot_end, buf, sizeof buf));
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
    const char *resource_id;
    int64_t from = 0, to = 0;
    ctl_opt opts[] = {{"--from", CTL_OPT_TIME, &from, 1, 0}, {"--to", CTL_OPT_TIME, &to, 1, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], &resource_id, 1) != 0)
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
