/* stream_tail.c — one blocking XREAD per change stream, multiplexed with poll(): the
 * command is written with the context's buffer, replies are read only when poll()
 * says the socket is readable, so no call blocks the thread. Each stream's connection
 * goes to the node serving its hash slot (the route's slot table, read again when a
 * connection fails or is answered MOVED). */
#include "stream_tail.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timeutil.h"

#define XREAD_COUNT 1000
#define RETRY_MS 500
#define WARN_EVERY_MS 5000

typedef struct tail_conn {
    redisContext *ctx;
    int waiting;            /* an XREAD is outstanding */
    int failed;             /* the last connection failed */
    int64_t retry_ms;       /* no reconnect before this */
    int64_t sent_ms;        /* when the outstanding XREAD was sent */
    char key[32];
    char pos[STREAM_ID_MAX];
} tail_conn;

struct stream_tail {
    redis_conn *route;      /* where each stream lives, and the credentials */
    int timeout_ms, block_ms;
    int lo, hi;             /* the partitions followed */
    int64_t warned_ms;      /* last warning logged (one per WARN_EVERY_MS) */
    tail_conn conns[HOLD_PARTITIONS];
};

stream_tail *tail_new(redis_conn *route, int timeout_ms, int block_ms, int lo, int hi)
{
    stream_tail *t = calloc(1, sizeof *t);
    t->route = route;
    t->lo = lo;
    t->hi = hi;
    t->timeout_ms = timeout_ms;
    t->block_ms = block_ms;
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        snprintf(t->conns[p].key, sizeof t->conns[p].key, "changes:{p%02d}", p);
        snprintf(t->conns[p].pos, sizeof t->conns[p].pos, "0-0");
    }
    return t;
}

/* Closes a failed link; the stream may have moved to another node (a failover). */
static void drop(stream_tail *t, tail_conn *c, int64_t now)
{
    redis_topology_stale(t->route);
    if (c->ctx)
        redisFree(c->ctx);
    c->ctx = NULL;
    c->waiting = 0;
    c->failed = 1;
    c->retry_ms = now + RETRY_MS;
}

void tail_free(stream_tail *t)
{
    if (!t)
        return;
    for (int p = 0; p < HOLD_PARTITIONS; p++)
        if (t->conns[p].ctx)
            redisFree(t->conns[p].ctx);
    free(t);
}

void tail_set_position(stream_tail *t, int partition, const char *id)
{
    snprintf(t->conns[partition].pos, STREAM_ID_MAX, "%s", id);
}

const char *tail_position(const stream_tail *t, int partition) { return t->conns[partition].pos; }

int tail_capture_heads(stream_tail *t, redis_conn *sync)
{
    for (int p = t->lo; p < t->hi; p++) {
        redisReply *r = redis_command(sync, "XREVRANGE %s + - COUNT 1", t->conns[p].key);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(r);
            return -1;
        }
        if (r->elements == 1 && r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements >= 1)
            tail_set_position(t, p, r->element[0]->element[0]->str);
        freeReplyObject(r);
    }
    return 0;
}

/* Logs at most one warning per WARN_EVERY_MS (64 links fail together). */
static void tail_warn(stream_tail *t, const tail_conn *c, const char *what)
{
    int64_t now = wall_ms();
    if (now - t->warned_ms < WARN_EVERY_MS)
        return;
    t->warned_ms = now;
    log_warn("change stream %s: %s (retrying every %d ms)", c->key, what, RETRY_MS);
}

static int open_conn(stream_tail *t, tail_conn *c, int *reconnected)
{
    redis_endpoint at;
    char err[256] = "cannot connect";
    int found = redis_key_endpoint(t->route, c->key, &at) == 0;
    c->ctx = found ? redis_open_endpoint(t->route, at.host, at.port, err, sizeof err) : NULL;
    if (!c->ctx) {
        tail_warn(t, c, found ? err : t->route->errstr);
        drop(t, c, wall_ms());
        return -1;
    }
    if (c->failed) {
        *reconnected = 1;
        log_debug("change stream %s: reconnected to %s:%d", c->key, at.host, at.port);
    }
    c->failed = 0;
    return 0;
}

static int send_xread(stream_tail *t, tail_conn *c)
{
    int done = 0;
    if (redisAppendCommand(c->ctx, "XREAD COUNT %d BLOCK %d STREAMS %s %s", XREAD_COUNT, t->block_ms, c->key,
                           c->pos) != REDIS_OK)
        return -1;
    while (!done)
        if (redisBufferWrite(c->ctx, &done) != REDIS_OK)
            return -1;
    c->waiting = 1;
    c->sent_ms = wall_ms();
    return 0;
}

/* Opens what is closed and sends reads; after one failed connect the others wait for
 * the next round, so an unreachable Redis costs one connect timeout per round. */
static int arm(stream_tail *t, int *reconnected)
{
    int64_t now = wall_ms();
    int failures = 0, down = 0;
    for (int p = t->lo; p < t->hi; p++) {
        tail_conn *c = &t->conns[p];
        if (c->waiting && now - c->sent_ms > t->block_ms + 2 * t->timeout_ms)
            drop(t, c, now); /* the answer is overdue: the link is dead */
        if (!c->ctx && (now < c->retry_ms || failures)) {
            down++;
            continue;
        }
        if (!c->ctx && open_conn(t, c, reconnected) != 0) {
            failures++;
            continue;
        }
        if (!c->waiting && send_xread(t, c) != 0) {
            drop(t, c, now);
            failures++;
        }
    }
    return failures || down ? -1 : 0;
}

static const char *field_r(const redisReply *fields)
{
    for (size_t i = 0; fields->type == REDIS_REPLY_ARRAY && i + 1 < fields->elements; i += 2)
        if (fields->element[i]->type == REDIS_REPLY_STRING && strcmp(fields->element[i]->str, "r") == 0 &&
            fields->element[i + 1]->type == REDIS_REPLY_STRING)
            return fields->element[i + 1]->str;
    return NULL;
}

/* [[key, [[id, [f, v, ...]], ...]]] or nil on timeout. */
static int deliver(tail_conn *c, int p, const redisReply *reply, tail_entry_fn fn, void *ctx)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1)
        return 0;
    const redisReply *entries = reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2
                                    ? reply->element[0]->element[1]
                                    : NULL;
    int n = 0;
    for (size_t i = 0; entries && entries->type == REDIS_REPLY_ARRAY && i < entries->elements; i++) {
        const redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        const char *rid = field_r(e->element[1]);
        if (rid)
            fn(p, e->element[0]->str, rid, ctx);
        snprintf(c->pos, sizeof c->pos, "%s", e->element[0]->str);
        n++;
    }
    return n;
}

/* Reads what the socket has; delivers a complete reply. -1 when the link failed. */
static int receive(stream_tail *t, tail_conn *c, int p, tail_entry_fn fn, void *ctx)
{
    void *reply = NULL;
    if (redisBufferRead(c->ctx) != REDIS_OK || redisGetReplyFromReader(c->ctx, &reply) != REDIS_OK) {
        tail_warn(t, c, c->ctx->errstr);
        return -1;
    }
    if (!reply)
        return 0; /* partial: more to come */
    c->waiting = 0;
    int n = ((redisReply *)reply)->type == REDIS_REPLY_ERROR ? -1 : deliver(c, p, reply, fn, ctx);
    if (n < 0)
        tail_warn(t, c, ((redisReply *)reply)->str);
    freeReplyObject(reply);
    return n;
}

int tail_poll(stream_tail *t, int wake_fd, int timeout_ms, tail_entry_fn fn, void *ctx, int *reconnected)
{
    int rc = arm(t, reconnected);
    struct pollfd fds[HOLD_PARTITIONS + 1];
    int map[HOLD_PARTITIONS + 1], nfds = 0, total = 0;
    fds[nfds++] = (struct pollfd){.fd = wake_fd, .events = POLLIN};
    for (int p = t->lo; p < t->hi; p++)
        if (t->conns[p].waiting) {
            map[nfds] = p;
            fds[nfds++] = (struct pollfd){.fd = t->conns[p].ctx->fd, .events = POLLIN};
        }
    if (poll(fds, (nfds_t)nfds, rc == 0 ? timeout_ms : (timeout_ms < RETRY_MS ? timeout_ms : RETRY_MS)) <= 0)
        return rc == 0 ? 0 : -1;
    for (int i = 1; i < nfds; i++) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        int n = receive(t, &t->conns[map[i]], map[i], fn, ctx);
        if (n < 0) {
            drop(t, &t->conns[map[i]], wall_ms());
            rc = -1;
        } else {
            total += n;
        }
    }
    return rc == 0 ? total : -1;
}

int tail_healthy(const stream_tail *t)
{
    for (int p = t->lo; p < t->hi; p++)
        if (!t->conns[p].ctx)
            return 0;
    return 1;
}
