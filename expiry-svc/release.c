/* release.c — the one way expiry-svc gives holds back: the shared release script
 * (shared/domain/lua/hold_release.lua, mode X; exactly one caller, across every path
 * and replica, gets RELEASED, and the script logs the hold's hold.expired in the same
 * step), then, for that caller only, the lag and the give-back of the user's allowance.
 * The sweep releases many in one round trip. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expiry.h"
#include "log.h"
#include "timeutil.h"
#include "user_holds.h"

static void released(const char *resource_id, const char *hold_id, const hold_release *rel, release_path path)
{
    int64_t lag = wall_ms() - rel->expires_ms;
    if (lag < 0)
        lag = 0;
    stats_released(path, (double)lag);
    log_debug("hold %s of %s expired: %d unit(s) back, %" PRId64 " ms after expires_at (%s)", hold_id, resource_id,
              rel->quantity, lag, release_path_name(path));
}

static hold_end expiry_end(release_path path)
{
    hold_end how = {'X', "", "expiry-svc", release_path_name(path), 0};
    return how;
}

hold_release expiry_release(expiry_app *app, redis_conn *r, const char *resource_id, const char *hold_id,
                            release_path path, int64_t now_ms)
{
    (void)app;
    hold_end how = expiry_end(path);
    hold_release rel = hold_cache_release(r, resource_id, hold_id, &how, now_ms);
    if (rel.status == RELEASE_DONE) {
        released(resource_id, hold_id, &rel, path);
        user_holds_give_back(r, rel.user_id, hold_id); /* lost with a crash: its deadline drops it */
    }
    return rel;
}

/* The users' allowances of the released holds, in one round trip. */
static void give_back_many(redis_conn *r, const release_item *items, int n)
{
    char (*keys)[256] = malloc(sizeof *keys * (size_t)(n ? n : 1));
    int sent = 0;
    if (redis_pipeline_begin(r) != 0) {
        free(keys);
        return;
    }
    for (int i = 0; i < n; i++)
        if (items[i].rel.status == RELEASE_DONE) {
            user_holds_key(keys[sent], sizeof keys[sent], items[i].rel.user_id);
            const char *argv[] = {"HDEL", keys[sent++], items[i].hold_id};
            redis_pipeline_append(r, 3, argv);
        }
    redisReply **replies = calloc((size_t)(sent ? sent : 1), sizeof *replies);
    redis_pipeline_read(r, sent, replies);
    for (int i = 0; i < sent; i++)
        freeReplyObject(replies[i]);
    free(replies);
    free(keys);
}

int expiry_release_batch(expiry_app *app, redis_conn *r, release_item *items, int n, release_path path,
                         int64_t now_ms)
{
    (void)app;
    hold_end how = expiry_end(path);
    int rc = hold_cache_release_many(r, items, n, &how, now_ms);
    for (int i = 0; i < n; i++)
        if (items[i].rel.status == RELEASE_DONE)
            released(items[i].resource_id, items[i].hold_id, &items[i].rel, path);
    if (rc == 0)
        give_back_many(r, items, n);
    return rc;
}
