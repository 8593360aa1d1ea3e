/* subscriber.c — the notification path: a thread SUBSCRIBEd to
 * __keyevent@<db>__:expired on every primary (keyspace events are per node: on a Redis
 * Cluster each primary announces the keys it expires) releases the hold of every expired
 * holdttl:{pNN}:<hold> key. It follows the primaries (a failover promotes a replica; a
 * node may join), reconnects with backoff when a node restarts, and checks
 * notify-keyspace-events on every primary periodically (health is NOT_SERVING while it is
 * missing). See docs/redis-cluster.md. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expiry.h"
#include "log.h"
#include "notify.h"
#include "timeutil.h"

#define READ_WAIT_MS 200
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define TOPOLOGY_EVERY_MS 1000 /* cluster: how often the primaries are listed again */

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

/* The flags of one node: 1 fine, 0 missing (why set), -1 no answer. */
static int node_flags(redis_conn *r, int node, char *flags, size_t fcap, char *why, size_t cap)
{
    redisReply *reply = redis_node_command(r, node, "CONFIG GET notify-keyspace-events");
    if (!reply)
        return -1;
    redis_endpoint at = {"?", 0};
    redis_node_endpoint(r, node, &at);
    int ok = 0;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 && reply->element[1]->type == REDIS_REPLY_STRING) {
        snprintf(flags, fcap, "%s", reply->element[1]->str);
        ok = notify_flags_cover_expired(flags);
        snprintf(why, cap, "notify-keyspace-events is \"%s\" on %s:%d", flags, at.host, at.port);
    } else {
        snprintf(why, cap, "CONFIG GET notify-keyspace-events refused by %s:%d: %s", at.host, at.port,
                 reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    }
    freeReplyObject(reply);
    return ok;
}

int notify_config_check(expiry_app *app, redis_conn *r)
{
    int nodes = redis_node_count(r), ok = 1;
    if (nodes < 0)
        return -1; /* Redis down: nothing learnt */
    char flags[64] = "", why[400] = "";
    for (int i = 0; i < nodes && ok == 1; i++) {
        ok = node_flags(r, i, flags, sizeof flags, why, sizeof why);
        if (ok < 0)
            return -1;
    }
    notify_state(app, ok, flags, why);
    return ok;
}

/* One primary's subscription. */
typedef struct sub_link {
    redis_endpoint at;
    redisContext *ctx;
    int64_t retry_ms, backoff_ms;
    int seen;  /* among the primaries at the last look */
} sub_link;

typedef struct sub_state {
    sub_link link[REDIS_NODES_MAX];
    int n;
    char channel[64];
    int64_t next_check_ms, next_topology_ms;
} sub_state;

static void link_close(sub_link *l)
{
    if (l->ctx)
        redisFree(l->ctx);
    l->ctx = NULL;
}

/* A subscribed connection to the link's node, or -1 (backoff doubled). */
static int link_open(redis_conn *r, sub_state *s, sub_link *l)
{
    char err[256];
    int64_t now = wall_ms();
    if (now < l->retry_ms)
        return -1;
    l->ctx = redis_open_endpoint(r, l->at.host, l->at.port, err, sizeof err);
    redisReply *reply = l->ctx ? redisCommand(l->ctx, "SUBSCRIBE %s", s->channel) : NULL;
    int ok = reply && reply->type == REDIS_REPLY_ARRAY;
    freeReplyObject(reply);
    if (ok) {
        log_info("subscribed to %s on %s:%d", s->channel, l->at.host, l->at.port);
        l->backoff_ms = BACKOFF_MIN_MS;
        return 0;
    }
    if (l->backoff_ms >= BACKOFF_MAX_MS / 2)
        log_warn("cannot subscribe to %s on %s:%d (%s); retrying in %lld ms", s->channel, l->at.host, l->at.port,
                 l->ctx ? "refused" : err, (long long)l->backoff_ms);
    link_close(l);
    l->retry_ms = now + l->backoff_ms;
    l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
    return -1;
}

/* Lists the primaries again: a link per primary; links of nodes no longer primaries
 * are closed. Nothing changes while Redis cannot be reached. */
static void follow_primaries(redis_conn *r, sub_state *s)
{
    if (wall_ms() < s->next_topology_ms)
        return;
    s->next_topology_ms = wall_ms() + TOPOLOGY_EVERY_MS;
    if (redis_is_cluster(r) == 1)
        redis_topology_stale(r); /* a failover or a new node shows in CLUSTER SLOTS */
    int nodes = redis_node_count(r);
    if (nodes <= 0)
        return;
    for (int j = 0; j < s->n; j++)
        s->link[j].seen = 0;
    for (int i = 0; i < nodes; i++) {
        redis_endpoint at;
        int j = 0;
        if (redis_node_endpoint(r, i, &at) != 0)
            continue;
        while (j < s->n && (s->link[j].at.port != at.port || strcmp(s->link[j].at.host, at.host) != 0))
            j++;
        if (j == s->n && s->n < REDIS_NODES_MAX)
            s->link[s->n++] = (sub_link){at, NULL, 0, BACKOFF_MIN_MS, 0};
        if (j < s->n)
            s->link[j].seen = 1;
    }
    for (int j = 0; j < s->n;) {
        if (s->link[j].seen) {
            j++;
            continue;
        }
        if (s->link[j].ctx)
            log_info("%s:%d is no longer a primary; unsubscribed", s->link[j].at.host, s->link[j].at.port);
        link_close(&s->link[j]);
        s->link[j] = s->link[--s->n];
    }
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

/* Handles every complete message buffered on the link. -1 when the link broke. */
static int drain(expiry_app *app, redis_conn *r, sub_link *l)
{
    for (;;) {
        void *reply = NULL;
        if (redisGetReplyFromReader(l->ctx, &reply) != REDIS_OK)
            return -1;
        if (!reply)
            return 0;
        on_reply(app, r, reply);
    }
}

static void link_lost(redis_conn *r, sub_state *s, sub_link *l)
{
    log_warn("lost the subscription to %s on %s:%d (%s); reconnecting", s->channel, l->at.host, l->at.port,
             l->ctx->errstr[0] ? l->ctx->errstr : "closed");
    link_close(l);
    redis_topology_stale(r);  /* a node lost may be a failover */
    s->next_topology_ms = 0;
}

/* Opens what is closed, then waits up to READ_WAIT_MS for messages on every link. The
 * command connection is refreshed after a (re)subscription: it may predate a restart. */
static void listen_round(expiry_app *app, redis_conn *r, sub_state *s)
{
    struct pollfd fds[REDIS_NODES_MAX];
    int map[REDIS_NODES_MAX], nfds = 0, opened = 0;
    for (int j = 0; j < s->n; j++) {
        sub_link *l = &s->link[j];
        if (!l->ctx && link_open(r, s, l) == 0)
            opened = 1;
        if (l->ctx && drain(app, r, l) != 0)
            link_lost(r, s, l);
        if (l->ctx) {
            map[nfds] = j;
            fds[nfds++] = (struct pollfd){.fd = l->ctx->fd, .events = POLLIN};
        }
    }
    if (opened)
        redis_ping(r);
    if (nfds == 0) {
        app_wait(app, BACKOFF_MIN_MS);
        return;
    }
    if (poll(fds, (nfds_t)nfds, READ_WAIT_MS) <= 0)
        return;
    for (int i = 0; i < nfds; i++) {
        sub_link *l = &s->link[map[i]];
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        if (redisBufferRead(l->ctx) != REDIS_OK || drain(app, r, l) != 0)
            link_lost(r, s, l);
    }
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
    sub_state *s = calloc(1, sizeof *s);
    s->next_check_ms = wall_ms() + expiry_config.notify_check_interval_ms;
    notify_channel(app->redis_db, s->channel, sizeof s->channel);
    while (!app_stopping(app)) {
        periodic_check(app, w->redis, s);
        follow_primaries(w->redis, s);
        if (s->n == 0) { /* Redis not reached yet */
            app_wait(app, BACKOFF_MIN_MS);
            continue;
        }
        listen_round(app, w->redis, s);
    }
    for (int j = 0; j < s->n; j++)
        link_close(&s->link[j]);
    free(s);
    service_worker_close(w);
    return NULL;
}
