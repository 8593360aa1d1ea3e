/* redis.c — hiredis connection handling, reconnects, and EVALSHA with NOSCRIPT reload. */
#include "redis.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "log.h"
#include "socket_check.h"

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

static void redis_fail(redis_conn *r, const char *what)
{
    r->err = 1;
    snprintf(r->errstr, sizeof r->errstr, "%s: %s", what, r->ctx ? r->ctx->errstr : "no connection");
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
}

static int redis_select_and_auth(redis_conn *r)
{
    redisReply *reply;
    if (r->password[0]) {
        reply = redisCommand(r->ctx, "AUTH %s", r->password);
        int ok = reply && reply->type != REDIS_REPLY_ERROR;
        freeReplyObject(reply);
        if (!ok)
            return -1;
    }
    if (r->db) {
        reply = redisCommand(r->ctx, "SELECT %d", r->db);
        int ok = reply && reply->type != REDIS_REPLY_ERROR;
        freeReplyObject(reply);
        if (!ok)
            return -1;
    }
    return 0;
}

static int redis_open(redis_conn *r)
{
    struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = redisConnectWithTimeout(r->host, r->port, tv);
    if (!r->ctx || r->ctx->err) {
        redis_fail(r, "connect");
        return -1;
    }
    redisSetTimeout(r->ctx, tv);
    if (redis_select_and_auth(r) != 0) {
        redis_fail(r, "auth/select");
        return -1;
    }
    r->err = 0;
    r->errstr[0] = '\0';
    return 0;
}

redis_conn *redis_connect(const char *url, int timeout_ms)
{
    redis_conn *r = calloc(1, sizeof *r);
    r->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
    if (redis_parse_url(url, r->host, sizeof r->host, &r->port, &r->db, r->password, sizeof r->password) != 0) {
        r->err = 1;
        snprintf(r->errstr, sizeof r->errstr, "REDIS_URL \"%s\" is not redis://host:port/db", url);
        return r;
    }
    if (redis_open(r) != 0)
        log_warn("redis not reachable yet (%s); will retry", r->errstr);
    return r;
}

void redis_close(redis_conn *r)
{
    if (!r)
        return;
    if (r->ctx)
        redisFree(r->ctx);
    free(r);
}

int redis_ensure(redis_conn *r)
{
    if (r->ctx && !r->ctx->err && !socket_closed_while_idle(r->ctx->fd))
        return 0;
    if (!r->host[0])
        return -1;
    return redis_open(r);
}

redisReply *redis_command_argv(redis_conn *r, int argc, const char **argv, const size_t *argvlen)
{
    if (redis_ensure(r) != 0)
        return NULL;
    redisReply *reply = redisCommandArgv(r->ctx, argc, argv, argvlen);
    if (!reply)
        redis_fail(r, "command");
    return reply;
}

redisReply *redis_command(redis_conn *r, const char *fmt, ...)
{
    if (redis_ensure(r) != 0)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    redisReply *reply = redisvCommand(r->ctx, fmt, ap);
    va_end(ap);
    if (!reply)
        redis_fail(r, "command");
    return reply;
}

int redis_script_sha(redis_conn *r, redis_script *s, int reload, char sha[41])
{
    pthread_mutex_lock(&s->lock);
    memcpy(sha, s->sha, 41);
    pthread_mutex_unlock(&s->lock);
    if (sha[0] && !reload)
        return 0;
    redisReply *reply = redis_command(r, "SCRIPT LOAD %s", s->source);
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

static redisReply *evalsha(redis_conn *r, const char *sha, int nkeys, int argc, const char **argv,
                           const size_t *argvlen)
{
    const char **args = malloc(sizeof *args * (size_t)(argc + 3));
    size_t *lens = malloc(sizeof *lens * (size_t)(argc + 3));
    char keys[16];
    snprintf(keys, sizeof keys, "%d", nkeys);
    args[0] = "EVALSHA";
    args[1] = sha;
    args[2] = keys;
    for (int i = 0; i < argc; i++) {
        args[i + 3] = argv[i];
        lens[i + 3] = argvlen ? argvlen[i] : strlen(argv[i]);
    }
    for (int i = 0; i < 3; i++)
        lens[i] = strlen(args[i]);
    redisReply *reply = redis_command_argv(r, argc + 3, args, lens);
    free(lens);
    free(args);
    return reply;
}

static int is_noscript(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

/* One EVALSHA, reloading the script on NOSCRIPT (a restarted or flushed server). */
static redisReply *eval_once(redis_conn *r, redis_script *s, int nkeys, int argc, const char **argv,
                             const size_t *argvlen)
{
    char sha[41];
    if (redis_script_sha(r, s, 0, sha) != 0)
        return NULL;
    redisReply *reply = evalsha(r, sha, nkeys, argc, argv, argvlen);
    if (is_noscript(reply)) {
        freeReplyObject(reply);
        if (redis_script_sha(r, s, 1, sha) != 0)
            return NULL;
        reply = evalsha(r, sha, nkeys, argc, argv, argvlen);
    }
    return reply;
}

redisReply *redis_eval_bin(redis_conn *r, redis_script *s, int nkeys, int argc, const char **argv,
                           const size_t *argvlen)
{
    if (argc > SCRIPT_MAX_ARGS) {
        r->err = 1;
        snprintf(r->errstr, sizeof r->errstr, "%s: too many arguments (%d)", s->name, argc);
        return NULL;
    }
    redisReply *reply = eval_once(r, s, nkeys, argc, argv, argvlen);
    if (!reply && s->retry_safe && r->host[0])
        reply = eval_once(r, s, nkeys, argc, argv, argvlen);
    return reply;
}

redisReply *redis_eval(redis_conn *r, redis_script *s, int nkeys, int argc, const char **argv)
{
    return redis_eval_bin(r, s, nkeys, argc, argv, NULL);
}

/* Appends EVALSHA of one call (lengths as given, or strlen). */
static void append_evalsha(redis_conn *r, const char *sha, const redis_call *c)
{
    const char **args = malloc(sizeof *args * (size_t)(c->argc + 3));
    size_t *lens = malloc(sizeof *lens * (size_t)(c->argc + 3));
    char keys[16];
    snprintf(keys, sizeof keys, "%d", c->nkeys);
    args[0] = "EVALSHA", args[1] = sha, args[2] = keys;
    for (int i = 0; i < 3; i++)
        lens[i] = strlen(args[i]);
    for (int i = 0; i < c->argc; i++) {
        args[i + 3] = c->argv[i];
        lens[i + 3] = c->argvlen ? c->argvlen[i] : strlen(c->argv[i]);
    }
    redisAppendCommandArgv(r->ctx, c->argc + 3, args, lens);
    free(lens);
    free(args);
}

int redis_eval_many(redis_conn *r, redis_call *calls, int n)
{
    char (*sha)[41] = malloc(sizeof *sha * (size_t)n);
    int rc = redis_pipeline_begin(r);
    for (int i = 0; i < n; i++) {
        calls[i].reply = NULL;
        if (rc == 0 && calls[i].script && redis_script_sha(r, calls[i].script, 0, sha[i]) != 0)
            rc = -1;
    }
    for (int i = 0; rc == 0 && i < n; i++)
        if (calls[i].script)
            append_evalsha(r, sha[i], &calls[i]);
        else
            redisAppendCommandArgv(r->ctx, calls[i].argc, calls[i].argv, calls[i].argvlen);
    redisReply **replies = calloc((size_t)(n ? n : 1), sizeof *replies);
    if (rc == 0)
        rc = redis_pipeline_read(r, n, replies);
    for (int i = 0; i < n; i++) {
        if (calls[i].script && is_noscript(replies[i])) { /* not run: load it and run it alone */
            freeReplyObject(replies[i]);
            replies[i] = redis_eval_bin(r, calls[i].script, calls[i].nkeys, calls[i].argc, calls[i].argv,
                                        calls[i].argvlen);
        }
        calls[i].reply = replies[i];
    }
    free(replies);
    free(sha);
    return rc;
}

int redis_pipeline_begin(redis_conn *r) { return redis_ensure(r); }

void redis_pipeline_append(redis_conn *r, int argc, const char **argv)
{
    redisAppendCommandArgv(r->ctx, argc, argv, NULL);
}

int redis_pipeline_read(redis_conn *r, int n, redisReply **out)
{
    int i = 0;
    for (; i < n; i++) {
        void *reply = NULL;
        if (redisGetReply(r->ctx, &reply) != REDIS_OK || !reply)
            break;
        out[i] = reply;
    }
    if (i == n)
        return 0;
    redis_fail(r, "pipeline");
    for (; i < n; i++)
        out[i] = NULL;
    return -1;
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
