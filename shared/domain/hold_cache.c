/* hold_cache.c — the Redis side of holds: key names, hold ids, argument marshalling for
 * the embedded Lua scripts (the scripts in lua/), and decoding of their replies. */
#include "hold_cache.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

extern const unsigned char lua_hold_create_lua[];
extern const unsigned char lua_hold_quote_lua[];
extern const unsigned char lua_hold_release_lua[];
extern const unsigned char lua_hold_confirm_lua[];
extern const unsigned char lua_slots_init_lua[];
extern const unsigned char lua_slots_adjust_lua[];
extern const unsigned char lua_hold_extend_lua[];

/* Scripts whose repeat changes nothing may be sent again after a lost connection. */
static redis_script script_take = REDIS_SCRIPT_RETRYABLE("hold_create", lua_hold_create_lua);
static redis_script script_quote = REDIS_SCRIPT_RETRYABLE("hold_quote", lua_hold_quote_lua);
static redis_script script_release = REDIS_SCRIPT_RETRYABLE("hold_release", lua_hold_release_lua);
/* The confirmation's moves are durable: a begin lost in a failover after the payment
 * was authorized would leave a booked hold ACTIVE in Redis (docs/redis-cluster.md). */
static redis_script script_confirm = REDIS_SCRIPT_DURABLE("hold_confirm", lua_hold_confirm_lua);
static redis_script script_init = REDIS_SCRIPT_RETRYABLE("slots_init", lua_slots_init_lua);
static redis_script script_adjust = REDIS_SCRIPT("slots_adjust", lua_slots_adjust_lua);
static redis_script script_extend = REDIS_SCRIPT_RETRYABLE("hold_extend", lua_hold_extend_lua);

/* FNV-1a: stable across processes and releases, as key names depend on it. */
int hold_partition(const char *resource_id)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)resource_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return (int)(h % HOLD_PARTITIONS);
}

static void keys_of_partition(hold_keys *k, int p, const char *resource_id, const char *hold_id)
{
    const char *rid = resource_id ? resource_id : "", *hid = hold_id ? hold_id : "";
    snprintf(k->avail, sizeof k->avail, "avail:{p%02d}:%s", p, rid);
    snprintf(k->info, sizeof k->info, "slotinfo:{p%02d}:%s", p, rid);
    snprintf(k->live, sizeof k->live, "live:{p%02d}:%s", p, rid);
    snprintf(k->deadlines, sizeof k->deadlines, "deadlines:{p%02d}", p);
    snprintf(k->hold, sizeof k->hold, "hold:{p%02d}:%s", p, hid);
    snprintf(k->ttl, sizeof k->ttl, "holdttl:{p%02d}:%s", p, hid);
    snprintf(k->changes, sizeof k->changes, "changes:{p%02d}", p);
    snprintf(k->log, sizeof k->log, "holdlog:{p%02d}", p);
}

void hold_keys_for(hold_keys *k, const char *resource_id, const char *hold_id)
{
    keys_of_partition(k, hold_partition(resource_id), resource_id, hold_id);
}

void hold_id_new(const char *resource_id, const char *body, char *out, size_t cap)
{
    char random[ID_MAX + 1];
    if (!body || strlen(body) != 20) {
        new_id("x", random, sizeof random); /* "x_" + 20 characters */
        body = random + 2;
    }
    if (strlen(resource_id) <= HOLD_ID_RESOURCE_MAX)
        snprintf(out, cap, "hold_%02d_%.20s_%s", hold_partition(resource_id), body, resource_id);
    else
        snprintf(out, cap, "hold_%02d_%.20s", hold_partition(resource_id), body);
}

int hold_id_partition(const char *hold_id)
{
    if (strncmp(hold_id, "hold_", 5) != 0)
        return -1;
    const char *d = hold_id + 5;
    if (d[0] < '0' || d[0] > '9' || d[1] < '0' || d[1] > '9' || d[2] != '_')
        return -1;
    int p = (d[0] - '0') * 10 + (d[1] - '0');
    return p < HOLD_PARTITIONS ? p : -1;
}

int hold_id_resource(const char *hold_id, char *out, size_t cap)
{
    size_t n = strlen(hold_id); /* "hold_NN_" 8, body 20, "_" 1, then the resource */
    int p = hold_id_partition(hold_id);
    if (p < 0 || n <= 29 || n - 29 > HOLD_ID_RESOURCE_MAX || hold_id[28] != '_' || n - 29 >= cap)
        return 0;
    memcpy(out, hold_id + 29, n - 29 + 1);
    return hold_partition(out) == p; /* else not an id this code made */
}

/* ---- arguments and replies ------------------------------------------------------------- */

/* Argument strings for a script call: fixed-width cells for numbers. */
typedef struct argbuf {
    const char **argv;
    size_t *len;
    char *cells;
    int argc;
} argbuf;

#define CELL 48

static void args_init(argbuf *a, int capacity)
{
    a->argv = calloc((size_t)capacity, sizeof *a->argv);
    a->len = calloc((size_t)capacity, sizeof *a->len);
    a->cells = calloc((size_t)capacity, CELL);
    a->argc = 0;
}

static void args_bytes(argbuf *a, const void *s, size_t len)
{
    a->argv[a->argc] = s;
    a->len[a->argc++] = len;
}

static void args_str(argbuf *a, const char *s) { args_bytes(a, s, strlen(s)); }

static void args_int(argbuf *a, int64_t v)
{
    char *cell = a->cells + (size_t)a->argc * CELL;
    int n = snprintf(cell, CELL, "%" PRId64, v);
    args_bytes(a, cell, (size_t)n);
}

static void args_free(argbuf *a)
{
    free(a->argv);
    free(a->len);
    free(a->cells);
}

static redisReply *args_eval(redis_conn *r, redis_script *s, int nkeys, argbuf *a)
{
    redisReply *reply = redis_eval_bin(r, s, nkeys, a->argc, a->argv, a->len);
    args_free(a);
    return reply;
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

/* Element i as a string ("" when absent or not a string). */
static const char *reply_str(const redisReply *r, size_t i)
{
    return r && r->type == REDIS_REPLY_ARRAY && r->elements > i && r->element[i]->type == REDIS_REPLY_STRING
               ? r->element[i]->str
               : "";
}

static void log_bad_reply(const char *script, const char *id, const redisReply *reply)
{
    log_error("%s %s: %s", script, id, reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
}

/* ---- creating a hold ---------------------------------------------------------------- */

/* "total price end" of a slot's info. */
static void info_parse(const char *info, int *total, int64_t *price, int64_t *end)
{
    long long t = 0, p = -1, e = 0;
    sscanf(info, "%lld %lld %lld", &t, &p, &e);
    *total = (int)t;
    *price = p;
    *end = e;
}

static void take_ok(const redisReply *reply, int n, hold_take *out)
{
    out->status = HOLD_TAKEN;
    for (int i = 0; i < n && (size_t)(2 * i + 2) < reply->elements; i++) {
        out->before[i] = (int)reply_int(reply->element[2 * i + 1]);
        info_parse(reply_str(reply, (size_t)(2 * i + 2)), &out->total[i], &out->price[i], &out->end[i]);
    }
    out->first_end = out->end[0];
}

static void take_decode(const redisReply *reply, int n, hold_take *out)
{
    if (reply_is(reply, 0, "OK")) {
        take_ok(reply, n, out);
    } else if (reply_is(reply, 0, "STALE")) {
        out->status = HOLD_STALE;
        out->stale_version = *reply_str(reply, 1) ? strtoll(reply_str(reply, 1), NULL, 10) : -1;
    } else if (reply_is(reply, 0, "MISSING")) {
        out->status = HOLD_MISSING;
        for (size_t i = 1; i < reply->elements && out->missing_count < n; i++)
            out->missing[out->missing_count++] = reply_int(reply->element[i]);
    } else if (reply_is(reply, 0, "SHORT") && reply->elements == 4) {
        int total;
        int64_t price;
        out->status = HOLD_SHORT;
        out->short_slot = reply_int(reply->element[1]);
        out->short_available = (int)reply_int(reply->element[2]);
        info_parse(reply_str(reply, 3), &total, &price, &out->first_end);
    } else if (reply_is(reply, 0, "EXISTS")) {
        out->status = HOLD_EXISTS;
        snprintf(out->exists_user, sizeof out->exists_user, "%s", reply_str(reply, 1));
        out->exists_status = reply_str(reply, 2)[0];
    } else {
        out->status = HOLD_FAILED;
        snprintf(out->errstr, sizeof out->errstr, "hold_create: %s",
                 reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    }
}

void hold_cache_take(redis_conn *r, const hold_take_args *t, hold_take *out)
{
    hold_cache_take_after(r, NULL, t, out);
}

void hold_cache_take_after(redis_conn *r, redis_call *first, const hold_take_args *t, hold_take *out)
{
    hold_keys k;
    argbuf a;
    hold_keys_for(&k, t->resource_id, t->hold_id);
    args_init(&a, t->n + 20);
    const char *keys[] = {k.avail, k.info, k.hold, k.ttl, k.deadlines, k.live, k.changes, k.log};
    for (int i = 0; i < 8; i++)
        args_str(&a, keys[i]);
    args_str(&a, t->hold_id);
    args_str(&a, t->resource_id);
    args_str(&a, t->user_id);
    args_int(&a, t->quantity);
    args_int(&a, t->expires_ms);
    args_int(&a, t->ttl_ms > 0 ? t->ttl_ms : 1);
    args_int(&a, t->version);
    args_int(&a, t->start);
    args_int(&a, t->end);
    args_int(&a, t->now_ms);
    args_bytes(&a, t->quote ? t->quote : (const uint8_t *)"", t->quote ? t->quote_len : 0);
    args_str(&a, t->actor ? t->actor : "");
    for (int i = 0; i < t->n; i++)
        args_int(&a, t->slots[i]);
    out->missing_count = 0;
    redis_call calls[2], take = {&script_take, 8, a.argc, a.argv, a.len, NULL};
    int n = 0;
    if (first)
        calls[n++] = *first;
    calls[n++] = take;
    redis_eval_many(r, calls, n);
    if (first)
        first->reply = calls[0].reply;
    redisReply *reply = calls[n - 1].reply;
    args_free(&a);
    if (!reply) {
        out->status = HOLD_FAILED;
        snprintf(out->errstr, sizeof out->errstr, "%s", r->errstr);
        return;
    }
    take_decode(reply, t->n, out);
    freeReplyObject(reply);
}

hold_quote_status hold_cache_quote(redis_conn *r, const char *resource_id, const char *hold_id, const uint8_t *quote,
                                   size_t len, const char *actor, int64_t now_ms)
{
    hold_keys k;
    argbuf a;
    hold_keys_for(&k, resource_id, hold_id);
    args_init(&a, 8);
    args_str(&a, k.hold);
    args_str(&a, k.log);
    args_str(&a, hold_id);
    args_bytes(&a, quote, len);
    args_str(&a, actor);
    args_int(&a, now_ms);
    redisReply *reply = args_eval(r, &script_quote, 2, &a);
    hold_quote_status st = QUOTE_FAILED;
    if (reply_is(reply, 0, "OK"))
        st = QUOTE_STORED;
    else if (reply_is(reply, 0, "DONE"))
        st = QUOTE_ALREADY;
    else if (reply_is(reply, 0, "GONE"))
        st = QUOTE_GONE;
    else if (reply)
        log_bad_reply("hold_quote", hold_id, reply);
    freeReplyObject(reply);
    return st;
}

/* ---- reading a hold ----------------------------------------------------------------- */

typedef enum hold_field {
    F_RID, F_USER, F_Q, F_ST, F_EXP, F_START, F_END, F_CREATED, F_CU, F_CE, F_BK, F_QUOTE, F_EXT, F_COUNT
} hold_field;
static const char *const field_names[F_COUNT] = {"rid", "user", "q", "st", "exp", "start", "end", "created",
                                                 "cu", "ce", "bk", "quote", "ext"};

static int64_t field_int(const redisReply *v) { return v->type == REDIS_REPLY_STRING ? strtoll(v->str, NULL, 10) : 0; }

static void copy_field(char *dst, size_t cap, const redisReply *v)
{
    snprintf(dst, cap, "%s", v->type == REDIS_REPLY_STRING ? v->str : "");
}

static void record_from(const redisReply *reply, const char *hold_id, ProtobufCAllocator *alloc, hold_record *out)
{
    redisReply **v = reply->element;
    memset(out, 0, sizeof *out);
    snprintf(out->hold_id, sizeof out->hold_id, "%s", hold_id);
    copy_field(out->resource_id, sizeof out->resource_id, v[F_RID]);
    copy_field(out->user_id, sizeof out->user_id, v[F_USER]);
    copy_field(out->booking_id, sizeof out->booking_id, v[F_BK]);
    out->status = v[F_ST]->type == REDIS_REPLY_STRING ? v[F_ST]->str[0] : 0;
    out->quantity = (int)field_int(v[F_Q]);
    out->epoch = (int)field_int(v[F_CE]);
    out->start = field_int(v[F_START]);
    out->end = field_int(v[F_END]);
    out->expires_ms = field_int(v[F_EXP]);
    out->created_ms = field_int(v[F_CREATED]);
    out->confirm_until_ms = field_int(v[F_CU]);
    out->extensions = (int)field_int(v[F_EXT]);
    if (v[F_QUOTE]->type == REDIS_REPLY_STRING) {
        out->quote_len = v[F_QUOTE]->len;
        out->quote = alloc->alloc(alloc->allocator_data, out->quote_len + 1);
        memcpy(out->quote, v[F_QUOTE]->str, out->quote_len);
    }
}

int hold_cache_load(redis_conn *r, const char *hold_id, ProtobufCAllocator *alloc, hold_record *out)
{
    int p = hold_id_partition(hold_id);
    if (p < 0)
        return 0;
    hold_keys k;
    keys_of_partition(&k, p, NULL, hold_id);
    const char *argv[2 + F_COUNT] = {"HMGET", k.hold};
    memcpy(argv + 2, field_names, sizeof field_names);
    redisReply *reply = NULL;
    for (int attempt = 0; attempt < 2 && !reply; attempt++) /* a read: safe to send again */
        reply = redis_command_argv(r, 2 + F_COUNT, argv, NULL);
    if (!reply)
        return -1;
    int found = reply->type == REDIS_REPLY_ARRAY && reply->elements == F_COUNT &&
                reply->element[F_ST]->type == REDIS_REPLY_STRING;
    if (found)
        record_from(reply, hold_id, alloc, out);
    freeReplyObject(reply);
    return found;
}

/* ---- ending a hold ------------------------------------------------------------------ */

static hold_release release_decode(const redisReply *reply, const char *hold_id)
{
    hold_release out = {RELEASE_FAILED, 0, 0, 0, ""};
    if (reply_is(reply, 0, "RELEASED") && reply->elements >= 6) {
        out.quantity = (int)reply_int(reply->element[1]);
        out.final_status = reply_str(reply, 2)[0];
        out.expires_ms = reply_int(reply->element[3]);
        snprintf(out.user_id, sizeof out.user_id, "%s", reply_str(reply, 4));
        out.status = RELEASE_DONE;
    } else if (reply_is(reply, 0, "FINAL") && reply->elements >= 3) {
        out.final_status = reply_str(reply, 1)[0];
        snprintf(out.user_id, sizeof out.user_id, "%s", reply_str(reply, 2));
        out.status = RELEASE_FINAL;
    } else if (reply_is(reply, 0, "NOTDUE")) {
        out.status = RELEASE_NOT_DUE;
    } else if (reply_is(reply, 0, "NOTOWNER")) {
        out.status = RELEASE_NOT_OWNER;
    } else if (reply_is(reply, 0, "GONE")) {
        out.status = RELEASE_GONE;
    } else if (reply) {
        log_bad_reply("hold_release", hold_id, reply);
    }
    return out;
}

#define RELEASE_ARGC 14 /* 7 keys, 7 arguments */

/* The script's KEYS and ARGV for one hold into argv[0..RELEASE_ARGC); strings live in k
 * and cells (2 cells of 24). */
static void release_args(hold_keys *k, const char *resource_id, const char *hold_id, const hold_end *how,
                         int64_t now_ms, char *cells, const char **argv)
{
    hold_keys_for(k, resource_id, hold_id);
    char *mode = cells, *now = cells + 24, *epoch = cells + 48;
    snprintf(mode, 24, "%c", how->mode);
    snprintf(now, 24, "%" PRId64, now_ms);
    snprintf(epoch, 24, "%d", how->epoch);
    const char *args[RELEASE_ARGC] = {k->avail, k->hold, k->ttl, k->deadlines, k->live,
                                      k->changes, k->log, hold_id, mode, now, how->caller ? how->caller : "",
                                      how->actor ? how->actor : "", how->detail ? how->detail : "", epoch};
    memcpy(argv, args, sizeof args);
}

hold_release hold_cache_release(redis_conn *r, const char *resource_id, const char *hold_id, const hold_end *how,
                                int64_t now_ms)
{
    return hold_cache_release_before(r, resource_id, hold_id, how, now_ms, NULL);
}

hold_release hold_cache_release_before(redis_conn *r, const char *resource_id, const char *hold_id,
                                       const hold_end *how, int64_t now_ms, redis_call *next)
{
    return hold_cache_release_read(r, resource_id, hold_id, how, now_ms, next, NULL, NULL);
}

hold_release hold_cache_release_read(redis_conn *r, const char *resource_id, const char *hold_id,
                                     const hold_end *how, int64_t now_ms, redis_call *next, ProtobufCAllocator *alloc,
                                     hold_record *after)
{
    hold_keys k;
    char cells[72];
    const char *argv[RELEASE_ARGC + F_COUNT];
    release_args(&k, resource_id, hold_id, how, now_ms, cells, argv);
    if (after) {
        memset(after, 0, sizeof *after);
        memcpy(argv + RELEASE_ARGC, field_names, sizeof field_names);
    }
    redis_call calls[2] = {{&script_release, 7, RELEASE_ARGC + (after ? F_COUNT : 0), argv, NULL, NULL}};
    if (next)
        calls[1] = *next;
    redis_eval_many(r, calls, next ? 2 : 1);
    if (next)
        next->reply = calls[1].reply;
    hold_release out = release_decode(calls[0].reply, hold_id);
    const redisReply *fields = NULL;
    if (after && (out.status == RELEASE_DONE || out.status == RELEASE_FINAL))
        fields = calls[0].reply->element[calls[0].reply->elements - 1];
    if (fields && fields->type == REDIS_REPLY_ARRAY && fields->elements == F_COUNT &&
        fields->element[F_ST]->type == REDIS_REPLY_STRING)
        record_from(fields, hold_id, alloc, after);
    freeReplyObject(calls[0].reply);
    return out;
}

int hold_cache_release_many(redis_conn *r, hold_release_item *items, int n, const hold_end *how, int64_t now_ms)
{
    for (int i = 0; i < n; i++)
        items[i].rel = (hold_release){RELEASE_FAILED, 0, 0, 0, ""};
    if (n <= 0)
        return 0;
    hold_keys *keys = malloc(sizeof *keys * (size_t)n);
    char (*cells)[72] = malloc(sizeof *cells * (size_t)n);
    const char *(*argv)[RELEASE_ARGC] = malloc(sizeof *argv * (size_t)n);
    redis_call *calls = malloc(sizeof *calls * (size_t)n);
    for (int i = 0; i < n; i++) {
        release_args(&keys[i], items[i].resource_id, items[i].hold_id, how, now_ms, cells[i], argv[i]);
        calls[i] = (redis_call){&script_release, 7, RELEASE_ARGC, argv[i], NULL, NULL};
    }
    int rc = redis_eval_many(r, calls, n); /* grouped per node on a cluster */
    for (int i = 0; i < n; i++) {
        items[i].rel = release_decode(calls[i].reply, items[i].hold_id);
        freeReplyObject(calls[i].reply);
    }
    free(calls);
    free(argv);
    free(cells);
    free(keys);
    return rc;
}

/* ---- the confirmation saga's moves ---------------------------------------------------- */

static hold_confirm confirm_decode(const redisReply *reply, const char *hold_id)
{
    hold_confirm out = {CONFIRM_FAILED, 0, 0, 0, "", ""};
    if (reply_is(reply, 0, "OK") && reply->elements == 5) {
        out.status = CONFIRM_OK;
        out.epoch = atoi(reply_str(reply, 1));
        out.state = reply_str(reply, 2)[0];
        snprintf(out.user_id, sizeof out.user_id, "%s", reply_str(reply, 3));
        snprintf(out.booking_id, sizeof out.booking_id, "%s", reply_str(reply, 4));
    } else if (reply_is(reply, 0, "STATE") && reply->elements == 6) {
        out.status = CONFIRM_STATE;
        out.state = reply_str(reply, 1)[0];
        out.epoch = atoi(reply_str(reply, 2));
        out.until_ms = strtoll(reply_str(reply, 3), NULL, 10);
        snprintf(out.booking_id, sizeof out.booking_id, "%s", reply_str(reply, 4));
        snprintf(out.user_id, sizeof out.user_id, "%s", reply_str(reply, 5));
    } else if (reply_is(reply, 0, "LATE")) {
        out.status = CONFIRM_LATE;
    } else if (reply_is(reply, 0, "NOTOWNER")) {
        out.status = CONFIRM_NOT_OWNER;
    } else if (reply_is(reply, 0, "GONE")) {
        out.status = CONFIRM_GONE;
    } else if (reply) {
        log_bad_reply("hold_confirm", hold_id, reply);
    }
    return out;
}

hold_confirm hold_cache_confirm(redis_conn *r, const char *resource_id, const char *hold_id, const hold_move *m,
                                int64_t now_ms)
{
    static const char *const modes[] = {"begin", "done", "undo"};
    hold_keys k;
    char now_s[24], epoch_s[24];
    hold_keys_for(&k, resource_id, hold_id);
    snprintf(now_s, sizeof now_s, "%" PRId64, now_ms);
    snprintf(epoch_s, sizeof epoch_s, "%d", m->epoch);
    const char *argv[] = {k.hold, k.ttl, k.deadlines, k.live, k.changes, k.log, hold_id, modes[m->mode], now_s,
                          m->caller ? m->caller : "", m->actor ? m->actor : "", m->arg ? m->arg : "",
                          m->mode == CONFIRM_BEGIN ? (m->nonce ? m->nonce : "") : epoch_s};
    redisReply *reply = redis_eval(r, &script_confirm, 6, (int)(sizeof argv / sizeof argv[0]), argv);
    hold_confirm out = confirm_decode(reply, hold_id);
    freeReplyObject(reply);
    return out;
}

/* ---- extending a hold ------------------------------------------------------------------ */

static hold_extend extend_decode(const redisReply *reply, const char *hold_id)
{
    hold_extend out = {.status = EXTEND_FAILED};
    if (reply_is(reply, 0, "OK") && reply->elements == 5) {
        out.status = EXTEND_DONE;
        out.expires_ms = reply_int(reply->element[1]);
        out.extensions = (int)reply_int(reply->element[2]);
        snprintf(out.user_id, sizeof out.user_id, "%s", reply_str(reply, 3));
        out.quantity = (int)reply_int(reply->element[4]);
    } else if (reply_is(reply, 0, "REFUSED") && reply->elements == 5) {
        out.status = EXTEND_REFUSED;
        snprintf(out.why, sizeof out.why, "%s", reply_str(reply, 1));
        out.state = reply_str(reply, 2)[0];
        out.expires_ms = reply_int(reply->element[3]);
        out.extensions = (int)reply_int(reply->element[4]);
    } else if (reply_is(reply, 0, "NOTOWNER")) {
        out.status = EXTEND_NOT_OWNER;
    } else if (reply_is(reply, 0, "GONE")) {
        out.status = EXTEND_GONE;
    } else if (reply) {
        log_bad_reply("hold_extend", hold_id, reply);
    }
    return out;
}

hold_extend hold_cache_extend(redis_conn *r, const char *resource_id, const char *hold_id,
                              const hold_extend_args *x, int64_t now_ms)
{
    hold_keys k;
    argbuf a;
    hold_keys_for(&k, resource_id, hold_id);
    args_init(&a, 12);
    args_str(&a, k.hold);
    args_str(&a, k.ttl);
    args_str(&a, k.deadlines);
    args_str(&a, k.log);
    args_str(&a, hold_id);
    args_int(&a, now_ms);
    args_str(&a, x->caller ? x->caller : "");
    args_str(&a, x->actor ? x->actor : "");
    args_int(&a, x->extend_ms);
    args_int(&a, x->max_extensions);
    args_int(&a, x->max_life_ms);
    args_str(&a, x->nonce ? x->nonce : "");
    redisReply *reply = args_eval(r, &script_extend, 4, &a);
    hold_extend out = extend_decode(reply, hold_id);
    freeReplyObject(reply);
    return out;
}

/* ---- counters and slot info ----------------------------------------------------------- */

#define SLOTS_PER_SCRIPT 1000

int hold_cache_init_slots(redis_conn *r, const char *resource_id, int64_t version, const slot_row *rows, int n,
                          int rows_only)
{
    int done = 0;
    do { /* at least once: the version stamp alone is a change */
        int m = n - done < SLOTS_PER_SCRIPT ? n - done : SLOTS_PER_SCRIPT;
        hold_keys k;
        argbuf a;
        hold_keys_for(&k, resource_id, NULL);
        args_init(&a, 3 * m + 5);
        args_str(&a, k.avail);
        args_str(&a, k.info);
        args_str(&a, k.changes);
        args_str(&a, resource_id);
        args_int(&a, version);
        char *infos = calloc((size_t)(m ? m : 1), CELL * 2);
        for (int i = 0; i < m; i++) {
            const slot_row *row = &rows[done + i];
            char *cell = infos + (size_t)i * CELL * 2;
            snprintf(cell, CELL * 2, "%d %" PRId64 " %" PRId64, row->total, row->price_minor,
                     row->exists || !rows_only ? row->end : 0);
            args_int(&a, row->start);
            args_int(&a, row->limit - row->confirmed);
            args_str(&a, cell);
        }
        redisReply *reply = args_eval(r, &script_init, 3, &a);
        free(infos);
        int ok = reply && reply->type == REDIS_REPLY_INTEGER;
        if (reply && !ok)
            log_bad_reply("slots_init", resource_id, reply);
        freeReplyObject(reply);
        if (!ok)
            return -1;
    } while ((done += SLOTS_PER_SCRIPT) < n);
    return 0;
}

/* Callers hold the resource row lock, so chunks cannot interleave with another writer
 * of these counters. */
int hold_cache_adjust(redis_conn *r, const char *resource_id, const int64_t *slots, const int *deltas, int n)
{
    for (int done = 0; done < n; done += SLOTS_PER_SCRIPT) {
        int m = n - done < SLOTS_PER_SCRIPT ? n - done : SLOTS_PER_SCRIPT;
        hold_keys k;
        argbuf a;
        hold_keys_for(&k, resource_id, NULL);
        args_init(&a, 2 * m + 3);
        args_str(&a, k.avail);
        args_str(&a, k.changes);
        args_str(&a, resource_id);
        for (int i = 0; i < m; i++) {
            args_int(&a, slots[done + i]);
            args_int(&a, deltas[done + i]);
        }
        redisReply *reply = args_eval(r, &script_adjust, 2, &a);
        int ok = reply && reply->type == REDIS_REPLY_INTEGER;
        if (reply && !ok)
            log_bad_reply("slots_adjust", resource_id, reply);
        freeReplyObject(reply);
        if (!ok)
            return -1;
    }
    return 0;
}

int hold_cache_forget_resource(redis_conn *r, const char *resource_id)
{
    hold_keys k;
    hold_keys_for(&k, resource_id, NULL);
    redisReply *reply = redis_command(r, "DEL %s", k.info);
    int ok = reply && reply->type == REDIS_REPLY_INTEGER;
    freeReplyObject(reply);
    return ok ? 0 : -1;
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
    redisReply *reply = redis_command_argv(r, a.argc, a.argv, a.len);
    args_free(&a);
    int ok = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == (size_t)n;
    for (int i = 0; ok && i < n; i++)
        values[i] = reply->element[i]->type == REDIS_REPLY_STRING ? (int)reply_int(reply->element[i]) : -1;
    freeReplyObject(reply);
    return ok ? 0 : -1;
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
