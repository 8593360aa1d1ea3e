/* cmd_expiry.c — `bookingctl expiry stats|sweep`: what the expiry service has released
 * and how late, and a sweep on demand (ExpiryService). */
#include <stdio.h>

#include "booking/v1/expiry.pb-c.h"
#include "ctl.h"
#include "format.h"
#include "table.h"

static void count_row(ctl_table *t, const char *label, long long n)
{
    table_add(t, label);
    table_addf(t, "%lld", n);
}

static void lag_row(ctl_table *t, const char *label, double ms)
{
    table_add(t, label);
    table_addf(t, "%.1f ms", ms);
}

static void print_stats(const ProtobufCMessage *m)
{
    const Booking__V1__ExpiryStats *s = (const Booking__V1__ExpiryStats *)m;
    char buf[FMT_TIME_CAP];
    ctl_table *t = table_new(2, NULL);
    count_row(t, "holds expired", (long long)s->holds_expired);
    count_row(t, "  found by the sweep", (long long)s->holds_swept);
    count_row(t, "notifications received", (long long)s->notifications_received);
    lag_row(t, "release lag p50", s->lag_p50_ms);
    lag_row(t, "release lag p99", s->lag_p99_ms);
    lag_row(t, "release lag max", s->lag_max_ms);
    table_add(t, "last sweep");
    table_add(t, fmt_time(s->last_sweep_at, buf, sizeof buf));
    count_row(t, "reconcile mismatches", (long long)s->reconcile_mismatches);
    table_print(t, stdout);
    table_free(t);
}

static void print_sweep(const ProtobufCMessage *m)
{
    const Booking__V1__RunSweepResponse *r = (const Booking__V1__RunSweepResponse *)m;
    ctl_table *t = table_new(2, NULL);
    count_row(t, "holds released", r->holds_released);
    count_row(t, "mismatches fixed", r->mismatches_fixed);
    table_print(t, stdout);
    table_free(t);
}

int ctl_expiry_stats(ctl_context *ctx, int argc, char **argv)
{
    Booking__V1__GetStatsRequest req = BOOKING__V1__GET_STATS_REQUEST__INIT;
    if (ctl_parse_opts(ctx, argc, argv, NULL, 0, NULL, 0) != 0)
        return 2;
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_EXPIRY, "GetStats", &req.base, 0, &resp) != 0)
        return 1;
    return ctl_output(ctx, resp, print_stats);
}

int ctl_expiry_sweep(ctl_context *ctx, int argc, char **argv)
{
    Booking__V1__RunSweepRequest req = BOOKING__V1__RUN_SWEEP_REQUEST__INIT;
    if (ctl_parse_opts(ctx, argc, argv, NULL, 0, NULL, 0) != 0)
        return 2;
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_EXPIRY, "RunSweep", &req.base, 1, &resp) != 0)
        return 1;
    return ctl_output(ctx, resp, print_sweep);
}
