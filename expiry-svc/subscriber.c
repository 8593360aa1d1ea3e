/* subscriber.c — the notification path: a thread with its own hiredis connection
 * SUBSCRIBEd to __keyevent@<db>__:expired releases the hold of every expired
 * holdttl:{pNN}:<hold> key; it reconnects with backoff when Redis restarts, and checks
 * notify-keyspace-events periodically (health is NOT_SERVING while it is missing). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "expiry.h"
#include "log.h"
#include "notify.h"
#include "timeutil.h"

#define READ_WAIT_MS 200
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

static void notify_state(expiry_app *app, int ok, const char *flags, const char *why)
{
    int before = atomic_exchange(&app->notify_ok, ok);
    stats_notify_config(ok);
    if (before == ok)
        return;
    if (ok)
        log_info("redis notify-keyspace-events=\"%s\" publishes expired events; notifications are on", flags);
    else
        log_error("redis does not publish expired key events (%s): %s; health is NOT_SERVING, the deadline sweep "
                  "keeps releasing holds", why, NOTIFY_ADVICE);
}

int notify_config_check(expiry_app *app, redis_conn *r)
{
    redisReply *reply = redis_command(r, "CONFIG GET notify-keyspace-events");
    if (!reply)
        return -1; /* Redis down: nothing learnt */
    char why[300];
    int ok = 0;
    const char *flags = "";
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 && reply->element[1]->type == REDIS_REPLY_STRING) {
        flags = reply->element[1]->str;
        ok = notify_flags_cover_expired(flags);
        snprintf(why, sizeof why, "notify-keyspace-events is \"%s\"", flags);
    } else {
        snprintf(why, sizeof why, "CONFIG GET notify-keyspace-events refused: %s",
                 reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    }
    notify_state(app, ok, flags, why);
    freeReplyObject(reply);
    return ok;
}

static int auth_and_subscribe(redisContext *c, const char *password, const char *channel)
{
    redisReply *reply;
    if (password[0]) {
        reply = redisCommand(c, "AUTH %s", password);
        int ok = reply && reply->type != REDIS_REPLY_ERROR;
        freeReplyObject(reply);
        if (!ok)
            return -1;
    }
    reply = redisCommand(c, "SUBSCRIBE %s", channel);
    int ok = reply && reply->type == REDIS_REPLY_ARRAY;
    freeReplyObject(reply);
    return ok ? 0 : -1;
}

/* A subscribed connection, or NULL (logged by the caller). */
static redisContext *subscribe_open(const expiry_app *app, const char *channel)
{
    char host[256], password[128];
    int port, db;
    if (redis_parse_url(app->settings.redis_url, host, sizeof host, &port, &db, password, sizeof password) != 0)
        return NULL;
    long ms = app->settings.store_timeout_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (c && !c->err)
        redisSetTimeout(c, tv); /* AUTH and SUBSCRIBE may not hang the thread (or shutdown) */
    if (!c || c->err || auth_and_subscribe(c, password, channel) != 0) {
        if (c)
            redisFree(c);
        return NULL;
    }
    return c;
}

/* 1 with *out set, 0 when nothing arrived within wait_ms, -1 when the connection broke. */
static int next_reply(redisContext *c, int wait_ms, redisReply **out)
{
    void *reply = NULL;
    if (redisGetReplyFromReader(c, &reply) != REDIS_OK)
        return -1;
    if (!reply) {
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int n = poll(&pfd, 1, wait_ms);
        if (n <= 0)
            return n == 0 || errno == EINTR ? 0 : -1;
        if (redisBufferRead(c) != REDIS_OK || redisGetReplyFromReader(c, &reply) != REDIS_OK)
            return -1;
    }
    *out = reply;
    return reply ? 1 : 0;
}

static void on_expired_key(expiry_app *app, redis_conn *r, const char *key)
{
    char hold_id[ID_MAX + 1], hold_key[HOLD_KEY_MAX];
    int p;
    if (notify_parse_ttl_key(key, &p, hold_id, sizeof hold_id) != 0)
        return;
    stats_notification();
    snprintf(hold_key, sizeof hold_key, "hold:{p%02d}:%s", p, hold_id);
    redisReply *rid = redis_command(r, "HGET %s rid", hold_key);
    if (!rid) /* a connection left over from before a Redis restart fails once */
        rid = redis_command(r, "HGET %s rid", hold_key);
    if (rid && rid->type == REDIS_REPLY_STRING)
        expiry_release(app, r, rid->str, hold_id, PATH_NOTIFICATION, wall_ms());
    freeReplyObject(rid);
}

static void on_reply(expiry_app *app, redis_conn *r, redisReply *m)
{
    if (m->type == REDIS_REPLY_ARRAY && m->elements == 3 && m->element[0]->type == REDIS_REPLY_STRING &&
        strcmp(m->element[0]->str, "message") == 0 && m->element[2]->type == REDIS_REPLY_STRING)
        on_expired_key(app, r, m->element[2]->str);
    freeReplyObject(m);
}

typedef struct sub_state {
    redisContext *ctx;
    char channel[64];
    int64_t backoff_ms, next_check_ms;
} sub_state;

/* Connects when needed; returns 0 when subscribed, else waits out the backoff. The
 * command connection is refreshed too: it may predate a Redis restart. */
static int ensure_subscribed(expiry_app *app, redis_conn *r, sub_state *s)
{
    if (s->ctx)
        return 0;
    s->ctx = subscribe_open(app, s->channel);
    if (s->ctx) {
        redis_ping(r);
        log_info("subscribed to %s", s->channel);
        s->backoff_ms = BACKOFF_MIN_MS;
        return 0;
    }
    if (s->backoff_ms >= BACKOFF_MAX_MS / 2)
        log_warn("cannot subscribe to %s; retrying in %lld ms", s->channel, (long long)s->backoff_ms);
    app_wait(app, s->backoff_ms);
    s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
    return -1;
}

static void periodic_check(expiry_app *app, redis_conn *r, sub_state *s)
{
    if (wall_ms() < s->next_check_ms)
        return;
    int rc = notify_config_check(app, r);
    s->next_check_ms = wall_ms() + (rc < 0 ? 1000 : expiry_config.notify_check_interval_ms);
}

void *subscriber_main(void *arg)
{
    expiry_app *app = arg;
    service_worker *w = service_worker_open(expiry_definition(), &app->settings, app, 200);
    sub_state s = {NULL, "", BACKOFF_MIN_MS, wall_ms() + expiry_config.notify_check_interval_ms};
    notify_channel(app->redis_db, s.channel, sizeof s.channel);
    while (!app_stopping(app)) {
        periodic_check(app, w->redis, &s);
        if (ensure_subscribed(app, w->redis, &s) != 0)
            continue;
        redisReply *m = NULL;
        int rc = next_reply(s.ctx, READ_WAIT_MS, &m);
        if (rc > 0)
            on_reply(app, w->redis, m);
        if (rc < 0) {
            log_warn("lost the subscription to %s (%s); reconnecting", s.channel, s.ctx->errstr);
            redisFree(s.ctx);
            s.ctx = NULL;
        }
    }
    if (s.ctx)
        redisFree(s.ctx);
    service_worker_close(w);
    return NULL;
}
