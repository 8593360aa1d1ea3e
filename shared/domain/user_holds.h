/* user_holds.h — anti-hoarding in Redis: the live holds of a user, as a hash of hold id
 * -> "units deadline" in the user's own hash slot ({u:<user>}), taken before a hold's
 * units and given back when the hold ends (lua/user_take.lua). A set of hold ids, not a
 * counter: giving the same hold back twice changes nothing, and an entry whose deadline
 * passed (its give-back was lost with a crash) no longer counts. */
#ifndef SHARED_DOMAIN_USER_HOLDS_H
#define SHARED_DOMAIN_USER_HOLDS_H

#include <stddef.h>
#include <stdint.h>

#include "redis.h"

typedef enum user_take_status { USER_TAKEN, USER_LIMIT, USER_FAILED } user_take_status;

/* Adds the hold's units to the user's unless that would exceed limit; *held is set to
 * the units held before. deadline_ms: when the entry stops counting even if never given
 * back (the hold's expires_at plus the longest a confirmation may take). A repeat for
 * the same hold answers USER_TAKEN. */
user_take_status user_holds_take(redis_conn *r, const char *user_id, const char *hold_id, int units, long limit,
                                 int64_t now_ms, int64_t deadline_ms, long *held);

/* The same as a call to send in a batch (redis_eval_many), and the reading of its
 * answer (NULL: unanswered). */
typedef struct user_take_call {
    redis_call call;
    char key[256], units[24], limit[24], now[24], deadline[24];
    const char *argv[6];
} user_take_call;
void user_holds_take_call(user_take_call *c, const char *user_id, const char *hold_id, int units, long limit,
                          int64_t now_ms, int64_t deadline_ms);
user_take_status user_holds_take_result(const redisReply *reply, const char *user_id, long *held);
/* The hold no longer counts for its user. 0 or -1. */
int user_holds_give_back(redis_conn *r, const char *user_id, const char *hold_id);
/* The same as a command to send in a batch (redis_eval_many). */
typedef struct user_give_back_call {
    redis_call call;
    char key[256];
    const char *argv[3];
} user_give_back_call;
void user_holds_give_back_call(user_give_back_call *c, const char *user_id, const char *hold_id);
/* The hold lives longer (ExtendHold): its entry counts until deadline_ms (a hold given
 * back stays out). 0 or -1. */
int user_holds_extend(redis_conn *r, const char *user_id, const char *hold_id, int64_t deadline_ms);
/* "uheld:{u:<user>}" */
void user_holds_key(char *out, size_t cap, const char *user_id);

#endif
