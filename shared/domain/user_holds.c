/* user_holds.c — the per-user held-units record in Redis (anti-hoarding). */
#include "user_holds.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

extern const unsigned char lua_user_take_lua[];
static redis_script script_user_take = REDIS_SCRIPT_RETRYABLE("user_take", lua_user_take_lua);

void user_holds_key(char *out, size_t cap, const char *user_id) { snprintf(out, cap, "uheld:{u:%s}", user_id); }

user_take_status user_holds_take(redis_conn *r, const char *user_id, const char *hold_id, int units, long limit,
                                 int64_t now_ms, int64_t deadline_ms, long *held)
{
    char key[256], units_s[24], limit_s[24], now_s[24], deadline_s[24];
    user_holds_key(key, sizeof key, user_id);
    snprintf(units_s, sizeof units_s, "%d", units);
    snprintf(limit_s, sizeof limit_s, "%ld", limit);
    snprintf(now_s, sizeof now_s, "%" PRId64, now_ms);
    snprintf(deadline_s, sizeof deadline_s, "%" PRId64, deadline_ms);
    const char *argv[] = {key, hold_id, units_s, limit_s, now_s, deadline_s};
    redisReply *reply = redis_eval(r, &script_user_take, 1, 6, argv);
    user_take_status st = USER_FAILED;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[0]->type == REDIS_REPLY_STRING) {
        *held = (long)reply->element[1]->integer;
        st = strcmp(reply->element[0]->str, "OK") == 0 ? USER_TAKEN : USER_LIMIT;
    } else if (reply) {
        log_error("user_take %s: %s", user_id, reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    }
    freeReplyObject(reply);
    return st;
}

int user_holds_give_back(redis_conn *r, const char *user_id, const char *hold_id)
{
    char key[256];
    user_holds_key(key, sizeof key, user_id);
    const char *argv[] = {"HDEL", key, hold_id};
    redisReply *reply = NULL;
    for (int attempt = 0; attempt < 2 && !reply; attempt++) /* HDEL is safe to repeat */
        reply = redis_command_argv(r, 3, argv, NULL);
    int ok = reply && reply->type == REDIS_REPLY_INTEGER;
    freeReplyObject(reply);
    return ok ? 0 : -1;
}
