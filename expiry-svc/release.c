/* release.c — the one way expiry-svc gives holds back: the shared release script
 * (lua/hold_release.lua of shared/, the same script hold_cache_release runs; exactly one
 * caller, across every path and replica, gets RELEASED), then the lag and the
 * PostgreSQL record for that caller only. The sweep releases many in one round trip. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expiry.h"
#include "log.h"
#include "timeutil.h"

static void released(expiry_app *app, const char *resource_id, const char *hold_id, const hold_release *rel,
                     release_path path)
{
    int64_t lag = wall_ms() - rel->expires_ms;
    if (lag < 0)
        lag = 0;
    stats_released(path, (double)lag);
    recorder_push(app->rec, hold_id, HOLD_STATUS_EXPIRED, lag, release_path_name(path));
    log_debug("hold %s of %s expired: %d unit(s) back, %" PRId64 " ms after expires_at (%s)", hold_id, resource_id,
              rel->quantity, lag, release_path_name(path));
}

hold_release expiry_release(expiry_app *app, redis_conn *r, const char *resource_id, const char *hold_id,
                            release_path path, int64_t now_ms)
{
    hold_release rel = hold_cache_release(r, resource_id, hold_id, 'X', now_ms);
    if (rel.status == RELEASE_DONE)
        released(app, resource_id, hold_id, &rel, path);
    return rel;
}

int expiry_release_batch(expiry_app *app, redis_conn *r, release_item *items, int n, release_path path,
                         int64_t now_ms)
{
    int rc = hold_cache_release_many(r, items, n, 'X', now_ms);
    for (int i = 0; i < n; i++)
        if (items[i].rel.status == RELEASE_DONE)
            released(app, items[i].resource_id, items[i].hold_id, &items[i].rel, path);
    return rc;
}
