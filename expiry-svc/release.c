/* release.c — the one way expiry-svc gives a hold back: the shared release script
 * (exactly one caller, across every path and replica, gets RELEASE_DONE), then the lag
 * and the PostgreSQL record for that caller only. */
#include "expiry.h"

#include "log.h"
#include "timeutil.h"

hold_release expiry_release(expiry_app *app, redis_conn *r, const char *resource_id, const char *hold_id,
                            release_path path, int64_t now_ms)
{
    hold_release rel = hold_cache_release(r, resource_id, hold_id, 'X', now_ms);
    if (rel.status != RELEASE_DONE)
        return rel;
    int64_t lag = wall_ms() - rel.expires_ms;
    if (lag < 0)
        lag = 0;
    stats_released(path, (double)lag);
    recorder_push(app->rec, hold_id, HOLD_STATUS_EXPIRED, lag, release_path_name(path));
    log_debug("hold %s of %s expired: %d unit(s) back, %lld ms after expires_at (%s)", hold_id, resource_id,
              rel.quantity, (long long)lag, release_path_name(path));
    return rel;
}
