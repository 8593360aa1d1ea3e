/* idempotency_redis.c — idempotency records in Redis, for methods whose effects live
 * there: one hash per key in the caller's hash slot (idem:{u:<user>}:<method>:<key>),
 * claimed and finished by Lua scripts (lua/idem_*.lua); records expire after the
 * retention. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "idempotency_store.h"
#include "log.h"
#include "redis.h"

extern const unsigned char runtime_lua_idem_claim_lua[];
extern const unsigned char runtime_lua_idem_finish_lua[];
static redis_script script_claim = REDIS_SCRIPT_RETRYABLE("idem_claim", runtime_lua_idem_claim_lua);
static redis_script script_finish = REDIS_SCRIPT_RETRYABLE("idem_finish", runtime_lua_idem_finish_lua);

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static char *record_key(const idem_record *r)
{
    size_t cap = strlen(r->user) + strlen(r->method) + strlen(r->key) + 32;
    char *key = malloc(cap);
    snprintf(key, cap, "idem:{u:%s}:%s:%s", r->user, r->method, r->key);
    return key;
}

static const char *str_at(const redisReply *reply, size_t i)
{
    return reply->elements > i && reply->element[i]->type == REDIS_REPLY_STRING ? reply->element[i]->str : "";
}

static idem_claim claim(void *conn, const idem_record *r, idem_outcome *done)
{
    char *key = record_key(r), now[24], lease[24], retention[24];
    snprintf(now, sizeof now, "%" PRId64, now_ms());
    snprintf(lease, sizeof lease, "%" PRId64, r->lease_ms);
    snprintf(retention, sizeof retention, "%" PRId64, r->retention_ms);
    const char *argv[] = {key, (const char *)r->fingerprint, r->nonce, now, lease, retention};
    size_t lens[] = {strlen(key), r->fingerprint_len, strlen(r->nonce), strlen(now), strlen(lease),
                     strlen(retention)};
    redisReply *reply = redis_eval_bin(conn, &script_claim, 1, 6, argv, lens);
    free(key);
    idem_claim c = CLAIM_FAILED;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
        const char *word = str_at(reply, 0);
        if (!strcmp(word, "OWNED"))
            c = CLAIM_OWNED;
        else if (!strcmp(word, "BUSY"))
            c = CLAIM_BUSY;
        else if (!strcmp(word, "MISMATCH"))
            c = CLAIM_MISMATCH;
        else if (!strcmp(word, "DONE") && reply->elements == 5) {
            c = CLAIM_DONE;
            done->code = (rpc_code)atoi(str_at(reply, 1));
            done->body = (const uint8_t *)str_at(reply, 2);
            done->len = reply->element[2]->type == REDIS_REPLY_STRING ? reply->element[2]->len : 0;
            done->message = str_at(reply, 3);
            done->reason = str_at(reply, 4);
            done->owner = reply;
            return c;
        }
    } else if (reply) {
        log_error("idem_claim: %s", reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    }
    freeReplyObject(reply);
    return c;
}

static int finish(void *conn, const idem_record *r, const idem_outcome *o)
{
    char *key = record_key(r), code[12], retention[24];
    snprintf(code, sizeof code, "%d", o ? (int)o->code : 0);
    snprintf(retention, sizeof retention, "%" PRId64, r->retention_ms);
    const char *body = o && o->body ? (const char *)o->body : "";
    const char *argv[] = {key, r->nonce, o ? "store" : "drop", code, body, o ? o->message : "",
                          o ? o->reason : "", retention};
    size_t lens[8];
    for (int i = 0; i < 8; i++) /* the body is binary: its length is the outcome's */
        lens[i] = i == 4 ? (o ? o->len : 0) : strlen(argv[i]);
    redisReply *reply = redis_eval_bin(conn, &script_finish, 1, 8, argv, lens);
    free(key);
    int ok = reply && reply->type == REDIS_REPLY_INTEGER;
    freeReplyObject(reply);
    return ok ? 0 : -1;
}

static void release(idem_outcome *o) { freeReplyObject(o->owner); }

static const char *errstr(void *conn) { return ((redis_conn *)conn)->errstr; }

const idem_store idem_redis_store = {claim, finish, release, NULL, errstr};
