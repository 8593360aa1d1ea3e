/* waitlist_hint.c — the offer worker's hint of resources with open entries
 * (waitlist_hint.h); dropping one is lua/waitlist_hint_drop.lua. */
#include "waitlist_hint.h"

#include <stdio.h>
#include <string.h>

#include "timeutil.h"
#include "waitlist_store.h"

#define HINT_KEY "waitlist:open"
#define OPEN_MAX 1000 /* resources with open entries put back per rescan */

extern const unsigned char booking_lua_waitlist_hint_drop_lua[];
static redis_script script_hint_drop = REDIS_SCRIPT_RETRYABLE("waitlist_hint_drop", booking_lua_waitlist_hint_drop_lua);

int waitlist_hint(redis_conn *r, const char *resource_id)
{
    char score[24];
    snprintf(score, sizeof score, "%lld", (long long)wall_ms());
    redisReply *reply = redis_command(r, "ZADD %s %s %s", HINT_KEY, score, resource_id);
    int ok = reply && reply->type == REDIS_REPLY_INTEGER;
    freeReplyObject(reply);
    return ok ? 0 : -1;
}

int waitlist_hint_read(redis_conn *r, arena *mem, int cap, waitlist_hint_set *h)
{
    memset(h, 0, sizeof *h);
    redisReply *reply = redis_command(r, "ZRANGE %s 0 %d WITHSCORES", HINT_KEY, cap - 1);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(reply);
        return -1;
    }
    h->n = (int)reply->elements / 2;
    h->ids = arena_alloc(mem, sizeof *h->ids * (size_t)(h->n + 1));
    h->scores = arena_alloc(mem, sizeof *h->scores * (size_t)(h->n + 1));
    for (int i = 0; i < h->n; i++) {
        h->ids[i] = arena_strdup(mem, reply->element[2 * i]->str);
        h->scores[i] = arena_strdup(mem, reply->element[2 * i + 1]->str);
    }
    freeReplyObject(reply);
    return 0;
}

void waitlist_hint_update(redis_conn *r, pg_conn *pg, arena *mem, const waitlist_hint_set *h, int rescan)
{
    char(*open)[ID_MAX + 1] = arena_alloc(mem, sizeof *open * OPEN_MAX);
    int n = waitlist_open_resources(pg, open, OPEN_MAX);
    if (n < 0)
        return;
    for (int i = 0; i < h->n; i++) {
        int found = 0;
        for (int k = 0; k < n && !found; k++)
            found = strcmp(open[k], h->ids[i]) == 0;
        const char *argv[] = {HINT_KEY, h->ids[i], h->scores[i]};
        if (!found)
            freeReplyObject(redis_eval(r, &script_hint_drop, 1, 3, argv));
    }
    for (int k = 0; rescan && k < n; k++)
        freeReplyObject(redis_command(r, "ZADD %s NX 0 %s", HINT_KEY, open[k]));
}
