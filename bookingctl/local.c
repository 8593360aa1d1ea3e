/* local.c — local time in bookingctl: each resource's clock (its time zone, slot length,
 * check-in and check-out), fetched once per run with GetResource; dates given on the
 * command line read as the resource's local dates; instants shown in its local time. */
#include <stdio.h>
#include <string.h>

#include "booking/v1/search.pb-c.h"
#include "ctl.h"
#include "format.h"
#include "table.h"

#define CLOCKS_MAX 32

typedef struct known_clock {
    char resource_id[96];
    resource_clock clock;
} known_clock;

static known_clock clocks[CLOCKS_MAX]; /* one run of one command: no locking */
static int n_clocks;

const resource_clock *ctl_clock_known(const char *resource_id)
{
    for (int i = 0; resource_id && i < n_clocks; i++)
        if (strcmp(clocks[i].resource_id, resource_id) == 0)
            return &clocks[i].clock;
    return NULL;
}

const resource_clock *ctl_clock(ctl_context *ctx, const char *resource_id)
{
    const resource_clock *known = ctl_clock_known(resource_id);
    if (known || n_clocks == CLOCKS_MAX)
        return known;
    Booking__V1__GetResourceRequest req = BOOKING__V1__GET_RESOURCE_REQUEST__INIT;
    req.resource_id = (char *)resource_id;
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_SEARCH, "GetResource", &req.base, 0, &resp) != 0)
        return NULL;
    known_clock *k = &clocks[n_clocks];
    const char *field;
    int ok = resource_clock_of((const Booking__V1__Resource *)resp, &k->clock, &field) == 0;
    protobuf_c_message_free_unpacked(resp, NULL);
    if (!ok) {
        fprintf(stderr, "bookingctl: resource %s: its %s is not known here\n", resource_id, field);
        return NULL;
    }
    snprintf(k->resource_id, sizeof k->resource_id, "%s", resource_id);
    return &clocks[n_clocks++].clock;
}

int ctl_local_arg(ctl_context *ctx, const resource_clock *clock, const char *option, const char *value, int minutes,
                  int64_t *out)
{
    int64_t t;
    if (fmt_parse_time(value, &t) != 0)
        return ctl_usage_error(ctx, "%s: \"%s\" is not a date (2026-06-01) or an RFC 3339 time", option, value);
    *out = strlen(value) == 10 ? local_instant(clock->zone, t + minutes * 60) : t; /* a date: local */
    return 0;
}

char *ctl_local_time(const char *resource_id, const Google__Protobuf__Timestamp *t, char *buf, size_t cap)
{
    const resource_clock *c = ctl_clock_known(resource_id);
    if (!t || !c)
        return fmt_time(t, buf, cap);
    return fmt_local(c->zone, t->seconds, 1, buf, cap);
}

char *ctl_stay_edge(const char *resource_id, const Google__Protobuf__Timestamp *t, int end, char *buf, size_t cap)
{
    const resource_clock *c = ctl_clock_known(resource_id);
    if (!t || !c || c->slot_minutes != SLOT_MINUTES_NIGHTLY)
        return ctl_local_time(resource_id, t, buf, cap);
    int64_t at = end ? slot_check_out(c, t->seconds) : slot_check_in(c, t->seconds);
    return fmt_local(c->zone, at, 1, buf, cap);
}

void ctl_range_rows(ctl_table *t, const char *resource_id, const Google__Protobuf__Timestamp *start,
                    const Google__Protobuf__Timestamp *end)
{
    char buf[FMT_LOCAL_CAP];
    const resource_clock *c = ctl_clock_known(resource_id);
    if (!c || !start || !end || c->slot_minutes != SLOT_MINUTES_NIGHTLY) {
        table_add(t, "from");
        table_add(t, ctl_local_time(resource_id, start, buf, sizeof buf));
        table_add(t, "to");
        table_add(t, ctl_local_time(resource_id, end, buf, sizeof buf));
        return;
    }
    table_add(t, "check-in");
    table_add(t, fmt_local(c->zone, slot_check_in(c, start->seconds), 1, buf, sizeof buf));
    table_add(t, "check-out");
    table_add(t, fmt_local(c->zone, slot_check_out(c, end->seconds), 1, buf, sizeof buf));
    int64_t nights = local_day(c->zone, end->seconds) - local_day(c->zone, start->seconds);
    table_add(t, "nights");
    table_addf(t, "%lld", (long long)nights);
}
