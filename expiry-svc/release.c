/* release.c — the one way expiry-svc gives holds back: the shared release script
 * (lua/hold_release.lua of shared/, the same script hold_cache_release runs; exactly one
 * caller, across every path and replica, gets RELEASED), then the lag and the
 * PostgreSQL record for that caller only. The sweep pipelines many EVALSHAs of it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expiry.h"
#include "log.h"
#include "pipeline.h"
#include "timeutil.h"

extern const unsigned char lua_hold_release_lua[];
static redis_script release_script = REDIS_SCRIPT("hold_release", lua_hold_release_lua);

static void released(expiry_app *app, const char *resource_id, const char *hold_id, const hold_release *rel,
                     release_path path)
{
    int64_t lag = wall_ms() - rel->expires_ms;
    if (lag < 0)
        lag = 0;
    stats_released(path, (double)lag);
    recorder_push(app->rec, hold_id, HOLD_STATUS_EXPIRED, lag, release_path_name(path));
    log_debug("hold %s of %s expired: %d unit(s) back, %" PRId64 " ms after expires_at (%s)", hold_id, resource_id,
              rel->quantity, lag, release_path_name(path));
}

hold_release expiry_release(expiry_app *app, redis_conn *r, const char *resource_id, const char *hold_id,
                            release_path path, int64_t now_ms)
{
    hold_release rel = hold_cache_release(r, resource_id, hold_id, 'X', now_ms);
    if (rel.status == RELEASE_DONE)
        released(app, resource_id, hold_id, &rel, path);
    return rel;
}

/* The script's SHA (SCRIPT LOAD once per process and after NOSCRIPT). 0 or -1. */
static int script_sha(redis_conn *r, char sha[41], int reload)
{
    pthread_mutex_lock(&release_script.lock);
    memcpy(sha, release_script.sha, 41);
    pthread_mutex_unlock(&release_script.lock);
    if (sha[0] && !reload)
        return 0;
    redisReply *reply = redis_command(r, "SCRIPT LOAD %s", release_script.source);
    int ok = reply && reply->type == REDIS_REPLY_STRING && reply->len == 40;
    if (ok) {
        pthread_mutex_lock(&release_script.lock);
        memcpy(release_script.sha, reply->str, 40);
        release_script.sha[40] = '\0';
        memcpy(sha, release_script.sha, 41);
        pthread_mutex_unlock(&release_script.lock);
    }
    freeReplyObject(reply);
    return ok ? 0 : -1;
}

static void append_release(redis_conn *r, const char *sha, const release_item *it, const char *now_s)
{
    hold_keys k;
    hold_keys_for(&k, it->resource_id, it->hold_id);
    const char *argv[] = {"EVALSHA", sha, "6", k.avail, k.hold, k.ttl, k.deadlines, k.live, k.changes,
                          it->hold_id, "X", now_s};
    pipe_append(r, 12, argv);
}

static int64_t reply_int(const redisReply *r)
{
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    return r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
}

static char reply_letter(const redisReply *r) { return r->type == REDIS_REPLY_STRING && r->len ? r->str[0] : '?'; }

/* Decodes the script's reply as hold_cache_release does. */
static hold_release decode(const redisReply *reply)
{
    hold_release out = {RELEASE_FAILED, 0, 0, 0};
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
        reply->element[0]->type != REDIS_REPLY_STRING)
        return out;
    const char *word = reply->element[0]->str;
    if (strcmp(word, "RELEASED") == 0 && reply->elements == 4) {
        out = (hold_release){RELEASE_DONE, (int)reply_int(reply->element[1]), reply_letter(reply->element[2]),
                             reply_int(reply->element[3])};
    } else if (strcmp(word, "FINAL") == 0 && reply->elements == 2) {
        out = (hold_release){RELEASE_FINAL, 0, reply_letter(reply->element[1]), 0};
    } else if (strcmp(word, "NOTDUE") == 0) {
        out.status = RELEASE_NOT_DUE;
    } else if (strcmp(word, "GONE") == 0) {
        out.status = RELEASE_GONE;
    }
    return out;
}

static int is_noscript(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

/* Settles one reply; a NOSCRIPT (scripts flushed, Redis restarted) is retried alone. */
static void settle(expiry_app *app, redis_conn *r, release_item *it, redisReply *reply, release_path path,
                   int64_t now_ms)
{
    if (is_noscript(reply)) {
        it->rel = hold_cache_release(r, it->resource_id, it->hold_id, 'X', now_ms);
    } else {
        it->rel = decode(reply);
        if (reply && it->rel.status == RELEASE_FAILED)
            log_error("hold_release %s: %s", it->hold_id, reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected");
    }
    if (it->rel.status == RELEASE_DONE)
        released(app, it->resource_id, it->hold_id, &it->rel, path);
}

int expiry_release_batch(expiry_app *app, redis_conn *r, release_item *items, int n, release_path path,
                         int64_t now_ms)
{
    char sha[41], now_s[24];
    for (int i = 0; i < n; i++)
        items[i].rel = (hold_release){RELEASE_FAILED, 0, 0, 0};
    if (n == 0)
        return 0;
    if (script_sha(r, sha, 0) != 0 || pipe_begin(r) != 0)
        return -1;
    snprintf(now_s, sizeof now_s, "%" PRId64, now_ms);
    for (int i = 0; i < n; i++)
        append_release(r, sha, &items[i], now_s);
    redisReply **replies = malloc(sizeof *replies * (size_t)n);
    int rc = pipe_read(r, n, replies);
    for (int i = 0; i < n && replies[i]; i++) {
        settle(app, r, &items[i], replies[i], path, now_ms);
        freeReplyObject(replies[i]);
    }
    free(replies);
    return rc;
}
