/* user_holds.c — the per-user held-units record in Redis (anti-hoarding). */
#include "user_holds.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

extern const unsigned char lua_user_take_lua[];
extern const unsigned char lua_user_extend_lua[];
static redis_script script_user_take = REDIS_SCRIPT_RETRYABLE("user_take", lua_user_take_lua);
static redis_script script_user_extend = REDIS_SCRIPT_RETRYABLE("user_extend", lua_user_extend_lua);

void user_holds_key(char *out, size_t cap, const char *user_id) { snprintf(out, cap, "uheld:{u:%s}", user_id); }

void user_holds_take_call(user_take_call *c, const char *user_id, const char *hold_id, int units, long limit,
                          int64_t now_ms, int64_t deadline_ms)
{
    user_holds_key(c->key, sizeof c->key, user_id);
    snprintf(c->units, sizeof c->units, "%d", units);
    snprintf(c->limit, sizeof c->limit, "%ld", limit);
    snprintf(c->now, sizeof c->now, "%" PRId64, now_ms);
    snprintf(c->deadline, sizeof c->deadline, "%" PRId64, deadline_ms);
    const char *argv[6] = {c->key, hold_id, c->units, c->limit, c->now, c->deadline};
    memcpy(c->argv, argv, sizeof argv);
    c->call = (redis_call){&script_user_take, 1, 6, c->argv, NULL, NULL};
}

user_take_status user_holds_take_result(const redisReply *reply, const char *user_id, long *held)
{
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[0]->type == REDIS_REPLY_STRING) {
        *held = (long)reply->element[1]->integer;
        return strcmp(reply->element[0]->str, "OK") == 0 ? USER_TAKEN : USER_LIMIT;
    }
    if (reply)
        log_error("user_take %s: %s", user_id, reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    return USER_FAILED;
}

user_take_status user_holds_take(redis_conn *r, const char *user_id, const char *hold_id, int units, long limit,
                                 int64_t now_ms, int64_t deadline_ms, long *held)
{
    user_take_call c;
    user_holds_take_call(&c, user_id, hold_id, units, limit, now_ms, deadline_ms);
    redis_eval_many(r, &c.call, 1);
    user_take_status st = user_holds_take_result(c.call.reply, user_id, held);
    freeReplyObject(c.call.reply);
    return st;
}

void user_holds_give_back_call(user_give_back_call *c, const char *user_id, const char *hold_id)
{
    user_holds_key(c->key, sizeof c->key, user_id);
    c->argv[0] = "HDEL", c->argv[1] = c->key, c->argv[2] = hold_id;
    c->call = (redis_call){NULL, 0, 3, c->argv, NULL, NULL};
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

int user_holds_extend(redis_conn *r, const char *user_id, const char *hold_id, int64_t deadline_ms)
{
    char key[256], deadline[24];
    user_holds_key(key, sizeof key, user_id);
    snprintf(deadline, sizeof deadline, "%" PRId64, deadline_ms);
    const char *argv[] = {key, hold_id, deadline};
    redisReply *reply = redis_eval(r, &script_user_extend, 1, 3, argv);
    int ok = reply && reply->type == REDIS_REPLY_INTEGER;
    if (reply && !ok)
        log_error("user_extend %s: %s", user_id, reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    freeReplyObject(reply);
    return ok ? 0 : -1;
}
