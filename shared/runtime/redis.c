/* redis.c — the Redis client of the services: URLs, credentials, commands, EVALSHA with
 * NOSCRIPT reload, batches and pipelines. Where each command runs (one server, or the
 * primary of its key's slot on a cluster) is redis_nodes.c's. */
#include "redis.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "log.h"
#include "redis_nodes.h"

#define SCRIPT_MAX_ARGS 4096

/* Digits only (no sign, no space) within [min, max]; *end is set past them. */
static int parse_decimal(const char *s, const char **end, long min, long max, int *out)
{
    long v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > max)
            return -1;
    }
    if (p == s || v < min)
        return -1;
    *out = (int)v;
    *end = p;
    return 0;
}

int redis_parse_url(const char *url, char *host, size_t host_cap, int *port, int *db, char *password,
                    size_t password_cap)
{
    const char *p = url;
    *port = 6379;
    *db = 0;
    password[0] = '\0';
    if (strncmp(p, "redis://", 8) == 0)
        p += 8;
    const char *at = strrchr(p, '@');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        if ((size_t)(at - pw) >= password_cap)
            return -1;
        snprintf(password, password_cap, "%.*s", (int)(at - pw), pw);
        p = at + 1;
    }
    size_t hlen = strcspn(p, ":/");
    if (hlen == 0 || hlen >= host_cap)
        return -1;
    memcpy(host, p, hlen);
    host[hlen] = '\0';
    p += hlen;
    if (*p == ':' && parse_decimal(p + 1, &p, 1, 65535, port) != 0)
        return -1;
    if (*p == '/' && p[1] && parse_decimal(p + 1, &p, 0, 1 << 20, db) != 0)
        return -1;
    return *p == '\0' || (p[0] == '/' && p[1] == '\0') ? 0 : -1;
}

/* AUTH (with the ACL user when set) and SELECT on a fresh connection. */
static int auth_and_select(const redis_conn *r, redisContext *ctx)
{
    redisReply *reply;
    if (r->password[0]) {
        reply = r->username[0] ? redisCommand(ctx, "AUTH %s %s", r->username, r->password)
                               : redisCommand(ctx, "AUTH %s", r->password);
        int ok = reply && reply->type != REDIS_REPLY_ERROR;
        freeReplyObject(reply);
        if (!ok)
            return -1;
    }
    if (r->db) {
        reply = redisCommand(ctx, "SELECT %d", r->db);
        int ok = reply && reply->type != REDIS_REPLY_ERROR;
        freeReplyObject(reply);
        if (!ok)
            return -1;
    }
    return 0;
}

redisContext *redis_open_endpoint(const redis_conn *r, const char *host, int port, char *err, size_t cap)
{
    struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
    redisContext *ctx = redisConnectWithTimeout(host, port, tv);
    if (!ctx || ctx->err) {
        snprintf(err, cap, "connect %s:%d: %s", host, port, ctx ? ctx->errstr : "out of memory");
        redisFree(ctx);
        return NULL;
    }
    redisSetTimeout(ctx, tv);
    if (auth_and_select(r, ctx) != 0) {
        snprintf(err, cap, "auth/select %s:%d: %s", host, port, ctx->err ? ctx->errstr : "refused");
        redisFree(ctx);
        return NULL;
    }
    return ctx;
}

redis_conn *redis_connect_as(const char *url, const char *username, const char *password, int timeout_ms)
{
    redis_conn *r = calloc(1, sizeof *r);
    r->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
    r->nodes = nodes_new();
    if (redis_parse_url(url, r->host, sizeof r->host, &r->port, &r->db, r->password, sizeof r->password) != 0) {
        r->host[0] = '\0';
        r->err = 1;
        snprintf(r->errstr, sizeof r->errstr, "REDIS_URL \"%s\" is not redis://host:port/db", url);
        return r;
    }
    if (username)
        snprintf(r->username, sizeof r->username, "%s", username);
    if (password && password[0])
        snprintf(r->password, sizeof r->password, "%s", password);
    if (nodes_ensure(r) != 0)
        log_warn("redis not reachable yet (%s); will retry", r->errstr);
    return r;
}

redis_conn *redis_connect(const char *url, int timeout_ms) { return redis_connect_as(url, NULL, NULL, timeout_ms); }

void redis_set_wait(redis_conn *r, int replicas, int timeout_ms, int all)
{
    r->wait_replicas = replicas > 0 ? replicas : 0;
    r->wait_timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
    r->wait_all = all;
}

/* ---- batches: commands formatted once, routed by redis_nodes.c ------------------------ */

struct redis_batch {
    redis_cmd *cmds;
    int n, cap;
};

static void batch_clear(redis_batch *b)
{
    for (int i = 0; b && i < b->n; i++)
        redisFreeCommand((char *)b->cmds[i].buf);
    if (b)
        b->n = 0;
}

void redis_close(redis_conn *r)
{
    if (!r)
        return;
    nodes_free(r->nodes);
    batch_clear(r->batch);
    if (r->batch)
        free(r->batch->cmds);
    free(r->batch);
    free(r);
}

int redis_ensure(redis_conn *r) { return nodes_ensure(r); }

static int slot_of(int argc, const char *const *argv, const size_t *lens)
{
    int k = redis_command_key(argc, argv, lens);
    return k < 0 ? -1 : (int)redis_key_slot(argv[k], lens ? lens[k] : strlen(argv[k]));
}

/* Formats a command (argvlen NULL: strlen of each) for a batch: c->buf must be freed
 * with redisFreeCommand. 0 or -1. */
static int cmd_format(redis_cmd *c, int argc, const char **argv, const size_t *argvlen)
{
    char *buf = NULL;
    int len = redisFormatCommandArgv(&buf, argc, argv, argvlen);
    if (len < 0)
        return -1;
    *c = (redis_cmd){buf, (size_t)len, slot_of(argc, argv, argvlen), -1, NULL, 0, NULL, 0, 0, 0, 0, 0};
    return 0;
}

/* The first arguments of a command in RESP ("*N\r\n" then "$len\r\n<bytes>\r\n" each),
 * pointing into buf: enough to find its key. Returns how many were read. */
static int resp_args(const char *buf, size_t len, const char **argv, size_t *lens, int max)
{
    const char *p = buf, *end = buf + len;
    if (p >= end || *p != '*')
        return 0;
    int argc = (int)strtol(p + 1, NULL, 10), n = 0;
    p = memchr(p, '\n', (size_t)(end - p));
    while (p && ++p < end && n < argc && n < max && *p == '$') {
        size_t l = (size_t)strtoul(p + 1, NULL, 10);
        const char *data = memchr(p, '\n', (size_t)(end - p));
        if (!data || (size_t)(end - data - 1) < l + 2)
            break;
        argv[n] = data + 1;
        lens[n++] = l;
        p = data + 1 + l + 1; /* on the '\n' after the bytes */
    }
    return n;
}

/* One command (buf owned by the caller) on its node, or on `node` when >= 0. */
static redisReply *run_one(redis_conn *r, const char *buf, size_t len, int slot, int node, redis_script *s)
{
    redis_cmd c = {buf, len, slot, node, s, 0, NULL, 0, 0, 0, 0, 0};
    nodes_exec(r, &c, 1);
    return c.reply;
}

static redisReply *run_formatted(redis_conn *r, int node, const char *fmt, va_list ap)
{
    char *buf = NULL;
    int len = redisvFormatCommand(&buf, fmt, ap);
    if (len < 0) {
        r->err = 1;
        snprintf(r->errstr, sizeof r->errstr, "cannot format \"%s\"", fmt);
        return NULL;
    }
    const char *argv[16];
    size_t lens[16];
    int argc = resp_args(buf, (size_t)len, argv, lens, 16);
    redisReply *reply = run_one(r, buf, (size_t)len, slot_of(argc, argv, lens), node, NULL);
    redisFreeCommand(buf);
    return reply;
}

redisReply *redis_command(redis_conn *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *reply = run_formatted(r, -1, fmt, ap);
    va_end(ap);
    return reply;
}

redisReply *redis_node_command(redis_conn *r, int node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *reply = run_formatted(r, node, fmt, ap);
    va_end(ap);
    return reply;
}

redisReply *redis_command_argv(redis_conn *r, int argc, const char **argv, const size_t *argvlen)
{
    redis_cmd c;
    if (cmd_format(&c, argc, argv, argvlen) != 0)
        return NULL;
    nodes_exec(r, &c, 1);
    redisFreeCommand((char *)c.buf);
    return c.reply;
}

/* ---- scripts -------------------------------------------------------------------------- */

int redis_script_sha(redis_conn *r, redis_script *s, int reload, char sha[41])
{
    pthread_mutex_lock(&s->lock);
    memcpy(sha, s->sha, 41);
    pthread_mutex_unlock(&s->lock);
    if (sha[0] && !reload)
        return 0;
    redisReply *reply = redis_command(r, "SCRIPT LOAD %s", s->source); /* any node: the SHA is the same */
    if (!reply)
        return -1;
    int ok = reply->type == REDIS_REPLY_STRING && reply->len == 40;
    if (ok) {
        pthread_mutex_lock(&s->lock);
        memcpy(s->sha, reply->str, 40);
        s->sha[40] = '\0';
        memcpy(sha, s->sha, 41);
        pthread_mutex_unlock(&s->lock);
    } else {
        log_error("SCRIPT LOAD %s failed: %s", s->name, reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
    }
    freeReplyObject(reply);
    return ok ? 0 : -1;
}

/* EVALSHA of one call, formatted for a batch (the script attached: NOSCRIPT reloads). */
static int cmd_evalsha(const redis_conn *r, redis_cmd *c, const char *sha, const redis_call *call)
{
    const char **args = malloc(sizeof *args * (size_t)(call->argc + 3));
    size_t *lens = malloc(sizeof *lens * (size_t)(call->argc + 3));
    char keys[16];
    snprintf(keys, sizeof keys, "%d", call->nkeys);
    args[0] = "EVALSHA", args[1] = sha, args[2] = keys;
    for (int i = 0; i < 3; i++)
        lens[i] = strlen(args[i]);
    for (int i = 0; i < call->argc; i++) {
        args[i + 3] = call->argv[i];
        lens[i + 3] = call->argvlen ? call->argvlen[i] : strlen(call->argv[i]);
    }
    int rc = cmd_format(c, call->argc + 3, args, lens);
    c->script = call->script;
    c->wait = call->script->durable || r->wait_all ? r->wait_replicas : 0;
    free(lens);
    free(args);
    return rc;
}

int redis_eval_many(redis_conn *r, redis_call *calls, int n)
{
    redis_cmd *cmds = calloc((size_t)(n ? n : 1), sizeof *cmds);
    int rc = 0, formatted = 0;
    for (int i = 0; i < n; i++) {
        calls[i].reply = NULL;
        if (calls[i].argc > SCRIPT_MAX_ARGS) {
            r->err = 1;
            snprintf(r->errstr, sizeof r->errstr, "%s: too many arguments (%d)",
                     calls[i].script ? calls[i].script->name : "command", calls[i].argc);
            rc = -1;
        }
    }
    for (int i = 0; rc == 0 && i < n; i++, formatted++) {
        char sha[41];
        if (calls[i].script)
            rc = redis_script_sha(r, calls[i].script, 0, sha) == 0 ? cmd_evalsha(r, &cmds[i], sha, &calls[i]) : -1;
        else
            rc = cmd_format(&cmds[i], calls[i].argc, calls[i].argv, calls[i].argvlen);
    }
    if (rc == 0)
        rc = nodes_exec(r, cmds, n);
    for (int i = 0; i < formatted; i++) {
        calls[i].reply = cmds[i].reply;
        redisFreeCommand((char *)cmds[i].buf);
    }
    free(cmds);
    return rc;
}

redisReply *redis_eval_bin(redis_conn *r, redis_script *s, int nkeys, int argc, const char **argv,
                           const size_t *argvlen)
{
    redis_call call = {s, nkeys, argc, argv, argvlen, NULL};
    redis_eval_many(r, &call, 1);
    if (!call.reply && s->retry_safe && r->host[0] && argc <= SCRIPT_MAX_ARGS)
        redis_eval_many(r, &call, 1); /* the connection broke under it: once more on a new one */
    return call.reply;
}

redisReply *redis_eval(redis_conn *r, redis_script *s, int nkeys, int argc, const char **argv)
{
    return redis_eval_bin(r, s, nkeys, argc, argv, NULL);
}

/* ---- pipelines -------------------------------------------------------------------------- */

int redis_pipeline_begin(redis_conn *r)
{
    if (!r->batch)
        r->batch = calloc(1, sizeof *r->batch);
    return nodes_ensure(r);
}

void redis_pipeline_append(redis_conn *r, int argc, const char **argv)
{
    redis_batch *b = r->batch;
    if (!b)
        b = r->batch = calloc(1, sizeof *r->batch);
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->cmds = realloc(b->cmds, sizeof *b->cmds * (size_t)b->cap);
    }
    if (cmd_format(&b->cmds[b->n], argc, argv, NULL) == 0)
        b->n++;
}

int redis_pipeline_read(redis_conn *r, int n, redisReply **out)
{
    redis_batch *b = r->batch;
    int have = b ? b->n : 0, rc = have == n ? 0 : -1;
    if (have > 0 && nodes_exec(r, b->cmds, have) != 0)
        rc = -1;
    for (int i = 0; i < n; i++)
        out[i] = i < have ? b->cmds[i].reply : NULL;
    for (int i = n; i < have; i++)
        freeReplyObject(b->cmds[i].reply);
    batch_clear(b);
    return rc;
}

int redis_ping(redis_conn *r)
{
    /* a connection left over from before a restart fails once; PING is safe to repeat */
    for (int attempt = 0; attempt < 2; attempt++) {
        redisReply *reply = redis_command(r, "PING");
        int ok = reply && reply->type == REDIS_REPLY_STATUS;
        freeReplyObject(reply);
        if (ok)
            return 0;
    }
    return -1;
}

/* ---- per node --------------------------------------------------------------------------- */

int redis_is_cluster(redis_conn *r)
{
    if (nodes_ensure(r) != 0 && r->nodes->mode == REDIS_MODE_UNKNOWN)
        return -1;
    return r->nodes->mode == REDIS_MODE_CLUSTER;
}

int redis_node_count(redis_conn *r)
{
    if (nodes_ensure(r) != 0 && r->nodes->mode == REDIS_MODE_UNKNOWN)
        return -1;
    return r->nodes->topo.primaries;
}

int redis_node_endpoint(redis_conn *r, int node, redis_endpoint *out)
{
    if (node < 0 || node >= r->nodes->topo.primaries)
        return -1;
    *out = r->nodes->topo.primary[node];
    return 0;
}

int redis_key_endpoint(redis_conn *r, const char *key, redis_endpoint *out)
{
    if (nodes_ensure(r) != 0 && r->nodes->mode == REDIS_MODE_UNKNOWN)
        return -1;
    int node = r->nodes->mode == REDIS_MODE_CLUSTER ? r->nodes->topo.slot[redis_key_slot(key, strlen(key))] : 0;
    if (node == REDIS_SLOT_NONE) {
        r->nodes->stale = 1;
        return -1;
    }
    return redis_node_endpoint(r, node, out);
}

void redis_topology_stale(redis_conn *r) { r->nodes->stale = 1; }
