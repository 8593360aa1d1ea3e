/* hold_cache.c — the Redis side of holds: key names, argument marshalling for the
 * embedded Lua scripts, and decoding of their replies. */
#include "hold_cache.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

extern const unsigned char lua_hold_create_lua[];
extern const unsigned char lua_hold_release_lua[];
extern const unsigned char lua_hold_confirm_lua[];
extern const unsigned char lua_slots_init_lua[];
extern const unsigned char lua_slots_adjust_lua[];

static redis_script script_take = REDIS_SCRIPT("hold_create", lua_hold_create_lua);
static redis_script script_release = REDIS_SCRIPT("hold_release", lua_hold_release_lua);
static redis_script script_confirm = REDIS_SCRIPT("hold_confirm", lua_hold_confirm_lua);
static redis_script script_init = REDIS_SCRIPT("slots_init", lua_slots_init_lua);
static redis_script script_adjust = REDIS_SCRIPT("slots_adjust", lua_slots_adjust_lua);

/* FNV-1a: stable across processes and releases, as key names depend on it. */
int hold_partition(const char *resource_id)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)resource_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return (int)(h % HOLD_PARTITIONS);
}

void hold_keys_for(hold_keys *k, const char *resource_id, const char *hold_id)
{
    int p = hold_partition(resource_id);
    snprintf(k->avail, sizeof k->avail, "avail:{p%02d}:%s", p, resource_id);
    snprintf(k->live, sizeof k->live, "live:{p%02d}:%s", p, resource_id);
    snprintf(k->deadlines, sizeof k->deadlines, "deadlines:{p%02d}", p);
    snprintf(k->hold, sizeof k->hold, "hold:{p%02d}:%s", p, hold_id ? hold_id : "");
    snprintf(k->ttl, sizeof k->ttl, "holdttl:{p%02d}:%s", p, hold_id ? hold_id : "");
    snprintf(k->changes, sizeof k->changes, "changes:{p%02d}", p);
}

/* Argument strings for slot lists: one buffer of fixed-width cells. */
typedef struct argbuf {
    const char **argv;
    char *cells;
    int argc;
} argbuf;

#define CELL 24

static void args_init(argbuf *a, int capacity)
{
    a->argv = calloc((size_t)capacity, sizeof *a->argv);
    a->cells = calloc((size_t)capacity, CELL);
    a->argc = 0;
}

static void args_str(argbuf *a, const char *s) { a->argv[a->argc++] = s; }

static void args_int(argbuf *a, int64_t v)
{
    char *cell = a->cells + (size_t)a->argc * CELL;
    snprintf(cell, CELL, "%" PRId64, v);
    a->argv[a->argc++] = cell;
}

static void args_free(argbuf *a)
{
    free(a->argv);
    free(a->cells);
}

static int64_t reply_int(const redisReply *r)
{
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    return r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
}

static int reply_is(const redisReply *r, size_t i, const char *word)
{
    return r && r->type == REDIS_REPLY_ARRAY && r->elements > i && r->element[i]->type == REDIS_REPLY_STRING &&
           strcmp(r->element[i]->str, word) == 0;
}

static void take_decode(const redisReply *reply, int n, hold_take *out)
{
    if (reply_is(reply, 0, "OK")) {
        out->status = HOLD_TAKEN;
        for (int i = 0; i < n && (size_t)i + 1 < reply->elements; i++)
            out->available[i] = (int)reply_int(reply->element[i + 1]);
    } else if (reply_is(reply, 0, "MISSING")) {
        out->status = HOLD_MISSING;
        for (size_t i = 1; i < reply->elements && out->missing_count < n; i++)
            out->missing[out->missing_count++] = reply_int(reply->element[i]);
    } else if (reply_is(reply, 0, "SHORT") && reply->elements == 3) {
        out->status = HOLD_SHORT;
        out->short_slot = reply_int(reply->element[1]);
        out->short_available = (int)reply_int(reply->element[2]);
    } else if (reply_is(reply, 0, "EXISTS")) {
        out->status = HOLD_EXISTS;
    } else {
        out->status = HOLD_FAILED;
        snprintf(out->errstr, sizeof out->errstr, "hold_create: %s",
                 reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    }
}

void hold_cache_take(redis_conn *r, const char *resource_id, const char *hold_id, const char *user_id, int q,
                     int64_t expires_ms, int64_t ttl_ms, const int64_t *slots, int n, hold_take *out)
{
    hold_keys k;
    argbuf a;
    hold_keys_for(&k, resource_id, hold_id);
    args_init(&a, n + 12);
    const char *keys[] = {k.avail, k.hold, k.ttl, k.deadlines, k.live, k.changes};
    for (int i = 0; i < 6; i++)
        args_str(&a, keys[i]);
    args_str(&a, hold_id);
    args_str(&a, resource_id);
    args_str(&a, user_id);
    args_int(&a, q);
    args_int(&a, expires_ms);
    args_int(&a, ttl_ms > 0 ? ttl_ms : 1);
    for (int i = 0; i < n; i++)
        args_int(&a, slots[i]);
    out->missing_count = 0;
    redisReply *reply = redis_eval(r, &script_take, 6, a.argc, a.argv);
    args_free(&a);
    if (!reply) {
        out->status = HOLD_FAILED;
        snprintf(out->errstr, sizeof out->errstr, "%s", r->errstr);
        return;
    }
    take_decode(reply, n, out);
    freeReplyObject(reply);
}

/* The release script's reply as a hold_release. */
static hold_release release_decode(const redisReply *reply, const char *hold_id)
{
    hold_release out = {RELEASE_FAILED, 0, 0, 0};
    if (reply_is(reply, 0, "RELEASED") && reply->elements == 4) {
        out.quantity = (int)reply_int(reply->element[1]);
        out.final_status = reply->element[2]->str[0];
        out.expires_ms = reply_int(reply->element[3]);
        out.status = RELEASE_DONE;
    } else if (reply_is(reply, 0, "FINAL") && reply->elements == 2) {
        out.final_status = reply->element[1]->str[0];
        out.status = RELEASE_FINAL;
    } else if (reply_is(reply, 0, "NOTDUE")) {
        out.status = RELEASE_NOT_DUE;
    } else if (reply_is(reply, 0, "GONE")) {
        out.status = RELEASE_GONE;
    } else if (reply) {
        log_error("hold_release %s: %s", hold_id, reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    }
    return out;
}

/* The script's KEYS and ARGV for one hold, into argv[0..9) (strings in keys/mode/now). */
static void release_args(hold_keys *k, const char *resource_id, const char *hold_id, const char *mode,
                         const char *now, const char **argv)
{
    hold_keys_for(k, resource_id, hold_id);
    const char *args[] = {k->avail, k->hold, k->ttl, k->deadlines, k->live, k->changes, hold_id, mode, now};
    memcpy(argv, args, sizeof args);
}

hold_release hold_cache_release(redis_conn *r, const char *resource_id, const char *hold_id, char mode,
                                int64_t now_ms)
{
    hold_keys k;
    char mode_s[2] = {mode, 0}, now_s[24];
    const char *argv[9];
    snprintf(now_s, sizeof now_s, "%" PRId64, now_ms);
    release_args(&k, resource_id, hold_id, mode_s, now_s, argv);
    redisReply *reply = redis_eval(r, &script_release, 6, 9, argv);
    hold_release out = release_decode(reply, hold_id);
    freeReplyObject(reply);
    return out;
}

int hold_cache_release_many(redis_conn *r, hold_release_item *items, int n, char mode, int64_t now_ms)
{
    char sha[41], mode_s[2] = {mode, 0}, now_s[24];
    for (int i = 0; i < n; i++)
        items[i].rel = (hold_release){RELEASE_FAILED, 0, 0, 0};
    if (n == 0)
        return 0;
    if (redis_script_sha(r, &script_release, 0, sha) != 0 || redis_pipeline_begin(r) != 0)
        return -1;
    snprintf(now_s, sizeof now_s, "%" PRId64, now_ms);
    for (int i = 0; i < n; i++) {
        hold_keys k;
        const char *argv[12] = {"EVALSHA", sha, "6"};
        release_args(&k, items[i].resource_id, items[i].hold_id, mode_s, now_s, argv + 3);
        redis_pipeline_append(r, 12, argv);
    }
    redisReply **replies = calloc((size_t)n, sizeof *replies);
    int rc = redis_pipeline_read(r, n, replies);
    for (int i = 0; i < n && replies[i]; i++) {
        int noscript = replies[i]->type == REDIS_REPLY_ERROR && strncmp(replies[i]->str, "NOSCRIPT", 8) == 0;
        items[i].rel = noscript ? hold_cache_release(r, items[i].resource_id, items[i].hold_id, mode, now_ms)
                                : release_decode(replies[i], items[i].hold_id);
        freeReplyObject(replies[i]);
    }
    free(replies);
    return rc;
}

hold_confirm_status hold_cache_confirm(redis_conn *r, const char *resource_id, const char *hold_id,
                                       hold_confirm_mode mode, int64_t now_ms, int64_t until_ms, char *status)
{
    static const char *const modes[] = {"begin", "done", "undo"};
    hold_keys k;
    char now_s[24], until_s[24];
    hold_keys_for(&k, resource_id, hold_id);
    snprintf(now_s, sizeof now_s, "%" PRId64, now_ms);
    snprintf(until_s, sizeof until_s, "%" PRId64, until_ms);
    const char *argv[] = {k.hold, k.ttl, k.deadlines, k.live, k.changes, hold_id, modes[mode], now_s, until_s};
    redisReply *reply = redis_eval(r, &script_confirm, 5, 9, argv);
    if (!reply)
        return CONFIRM_FAILED;
    hold_confirm_status st = CONFIRM_FAILED;
    if (reply_is(reply, 0, "OK"))
        st = CONFIRM_OK;
    else if (reply_is(reply, 0, "LATE"))
        st = CONFIRM_LATE;
    else if (reply_is(reply, 0, "GONE"))
        st = CONFIRM_GONE;
    else if (reply_is(reply, 0, "STATE") && reply->elements == 2) {
        st = CONFIRM_STATE;
        *status = reply->element[1]->str[0];
    } else
        log_error("hold_confirm %s: %s", hold_id, reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    freeReplyObject(reply);
    return st;
}

#define PAIRS_PER_SCRIPT 1000

/* Runs a pairs script (slot, value, ...) on the resource's availability hash, at most
 * PAIRS_PER_SCRIPT pairs per call (callers hold the resource row lock, so the chunks
 * cannot interleave with another writer of these counters). */
static int run_pairs_chunk(redis_conn *r, redis_script *script, const char *resource_id, const int64_t *slots,
                           const int *values, int n);

static int run_pairs(redis_conn *r, redis_script *script, const char *resource_id, const int64_t *slots,
                     const int *values, int n)
{
    for (int done = 0; done < n; done += PAIRS_PER_SCRIPT) {
        int m = n - done < PAIRS_PER_SCRIPT ? n - done : PAIRS_PER_SCRIPT;
        if (run_pairs_chunk(r, script, resource_id, slots + done, values + done, m) != 0)
            return -1;
    }
    return 0;
}

static int run_pairs_chunk(redis_conn *r, redis_script *script, const char *resource_id, const int64_t *slots,
                           const int *values, int n)
{
    hold_keys k;
    argbuf a;
    hold_keys_for(&k, resource_id, NULL);
    args_init(&a, 2 * n + 3);
    args_str(&a, k.avail);
    args_str(&a, k.changes);
    args_str(&a, resource_id);
    for (int i = 0; i < n; i++) {
        args_int(&a, slots[i]);
        args_int(&a, values[i]);
    }
    redisReply *reply = redis_eval(r, script, 2, a.argc, a.argv);
    args_free(&a);
    int ok = reply && reply->type == REDIS_REPLY_INTEGER;
    if (reply && !ok)
        log_error("%s: %s", script->name, reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    freeReplyObject(reply);
    return ok ? 0 : -1;
}

int hold_cache_init_slots(redis_conn *r, const char *resource_id, const int64_t *slots, const int *values, int n)
{
    return n == 0 ? 0 : run_pairs(r, &script_init, resource_id, slots, values, n);
}

int hold_cache_adjust(redis_conn *r, const char *resource_id, const int64_t *slots, const int *deltas, int n)
{
    return n == 0 ? 0 : run_pairs(r, &script_adjust, resource_id, slots, deltas, n);
}

int hold_cache_read(redis_conn *r, const char *resource_id, const int64_t *slots, int n, int *values)
{
    hold_keys k;
    argbuf a;
    hold_keys_for(&k, resource_id, NULL);
    args_init(&a, n + 2);
    args_str(&a, "HMGET");
    args_str(&a, k.avail);
    for (int i = 0; i < n; i++)
        args_int(&a, slots[i]);
    redisReply *reply = redis_command_argv(r, a.argc, a.argv, NULL);
    args_free(&a);
    int ok = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == (size_t)n;
    for (int i = 0; ok && i < n; i++)
        values[i] = reply->element[i]->type == REDIS_REPLY_STRING ? (int)reply_int(reply->element[i]) : -1;
    freeReplyObject(reply);
    return ok ? 0 : -1;
}

int hold_cache_status(redis_conn *r, const char *resource_id, const char *hold_id)
{
    hold_keys k;
    hold_keys_for(&k, resource_id, hold_id);
    redisReply *reply = redis_command(r, "HGET %s st", k.hold);
    if (!reply)
        return -1;
    int st = reply->type == REDIS_REPLY_STRING && reply->len > 0 ? reply->str[0] : 0;
    freeReplyObject(reply);
    return st;
}

int hold_cache_touch(redis_conn *r, const char *resource_id)
{
    hold_keys k;
    hold_keys_for(&k, resource_id, NULL);
    redisReply *reply = redis_command(r, "XADD %s MAXLEN ~ 10000 * r %s", k.changes, resource_id);
    int ok = reply && reply->type == REDIS_REPLY_STRING;
    freeReplyObject(reply);
    return ok ? 0 : -1;
}
