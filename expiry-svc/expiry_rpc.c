/* expiry_rpc.c — ExpiryService: GetStats (this process's figures) and RunSweep (one
 * deadline sweep and one reconciliation now, for operators and tests). */
#include <time.h>

#include "booking/v1/expiry.pb-c.h"
#include "expiry.h"
#include "timeutil.h"

#define CONFIRM_PASS_DELAY_MS 250  /* RunSweep: a suspected mismatch is looked at again */

int rpc_get_stats(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    (void)request;
    expiry_figures f;
    stats_read(&f);
    Booking__V1__ExpiryStats *s = RPC_NEW(call, Booking__V1__ExpiryStats, booking__v1__expiry_stats__init);
    s->holds_expired = f.holds_expired;
    s->holds_swept = f.holds_swept;
    s->lag_p50_ms = f.lag.p50;
    s->lag_p99_ms = f.lag.p99;
    s->lag_max_ms = f.lag.max;
    s->reconcile_mismatches = f.mismatches;
    s->notifications_received = f.notifications;
    if (f.last_sweep_ms > 0) {
        s->last_sweep_at = RPC_NEW(call, Google__Protobuf__Timestamp, google__protobuf__timestamp__init);
        ts_set(s->last_sweep_at, f.last_sweep_ms / 1000);
        s->last_sweep_at->nanos = (int32_t)(f.last_sweep_ms % 1000) * 1000000;
    }
    *response = &s->base;
    return 0;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A reconciliation pass, and a second one shortly after when the first saw mismatches
 * for the first time (a correction needs the same mismatch on two passes). */
static int reconcile_now(expiry_app *app, service_worker *w)
{
    int unfixed = 0;
    int fixed = reconcile_counters(app, w->pg, w->redis, &unfixed);
    if (fixed >= 0 && unfixed > 0) {
        pause_ms(CONFIRM_PASS_DELAY_MS);
        int more = reconcile_counters(app, w->pg, w->redis, NULL);
        fixed = more < 0 ? -1 : fixed + more;
    }
    return fixed;
}

int rpc_run_sweep(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    (void)request;
    service_worker *w = rpc_worker_state(call);
    expiry_app *app = w->app;
    int released = sweep_partitions(app, w->redis, 0, 1);
    if (released < 0)
        return rpc_fail(call, RPC_UNAVAILABLE, "REDIS_UNAVAILABLE", "sweep failed: %s", w->redis->errstr);
    int fixed = reconcile_now(app, w);
    if (fixed < 0)
        return rpc_fail(call, RPC_UNAVAILABLE, "STORE_UNAVAILABLE", "reconciliation failed: redis: %s; postgres: %s",
                        w->redis->errstr, w->pg->errstr);
    Booking__V1__RunSweepResponse *resp =
        RPC_NEW(call, Booking__V1__RunSweepResponse, booking__v1__run_sweep_response__init);
    resp->holds_released = released;
    resp->mismatches_fixed = fixed;
    *response = &resp->base;
    return 0;
}
