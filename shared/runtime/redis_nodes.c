/* redis_nodes.c — the servers behind a redis_conn: whether Redis is a cluster, the slot
 * table (CLUSTER SLOTS, read again after MOVED, CLUSTERDOWN or a lost node), a
 * connection per primary, and the rounds of a batch: every node's commands are written
 * before any reply is read; MOVED re-routes (and marks the table stale), ASK sends
 * ASKING first, NOSCRIPT loads the script on that node, TRYAGAIN and CLUSTERDOWN wait
 * a little. See docs/redis-cluster.md. */
#include "redis_nodes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "socket_check.h"
#include "timeutil.h"

#define ROUNDS 6             /* a batch follows at most this many redirections */
#define REFRESH_EVERY_MS 100 /* CLUSTER SLOTS at most this often */
#define DOWN_RETRY_MS 100    /* cluster: a node that refused a connection is left alone this long */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int is_error(const redisReply *reply, const char *prefix)
{
    return reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, prefix, strlen(prefix)) == 0;
}

redis_nodes *nodes_new(void) { return calloc(1, sizeof(redis_nodes)); }

void nodes_free(redis_nodes *ns)
{
    if (!ns)
        return;
    for (int i = 0; i < REDIS_NODES_MAX; i++)
        if (ns->node[i].ctx)
            redisFree(ns->node[i].ctx);
    free(ns);
}

/* Before the first contact: the URL's server as the one node serving every slot. */
static void nodes_provisional(redis_conn *r)
{
    redis_topology *t = &r->nodes->topo;
    if (t->primaries)
        return;
    redis_topology_primary(t, r->host, r->port);
    memset(t->slot, 0, sizeof t->slot);
}

static void node_fail(redis_conn *r, int i, const char *what)
{
    redis_node *nd = &r->nodes->node[i];
    r->err = 1;
    snprintf(r->errstr, sizeof r->errstr, "%s %.100s:%d: %.100s", what, r->nodes->topo.primary[i].host,
             r->nodes->topo.primary[i].port, nd->ctx ? nd->ctx->errstr : "no connection");
    if (nd->ctx)
        redisFree(nd->ctx);
    nd->ctx = NULL;
    r->nodes->stale = 1;
}

/* Connects node i when needed (a connection its server closed while idle is replaced
 * first). 0 when ready. */
static int node_ready(redis_conn *r, int i)
{
    redis_nodes *ns = r->nodes;
    redis_node *nd = &ns->node[i];
    if (nd->ctx && !nd->ctx->err && !socket_closed_while_idle(nd->ctx->fd))
        return 0;
    if (nd->ctx)
        node_fail(r, i, "lost");
    int64_t now = monotonic_ms();
    if (ns->mode == REDIS_MODE_CLUSTER && now < nd->retry_ms) {
        r->err = 1;
        snprintf(r->errstr, sizeof r->errstr, "node %.100s:%d is down (retried within %d ms)",
                 ns->topo.primary[i].host, ns->topo.primary[i].port, DOWN_RETRY_MS);
        return -1;
    }
    nd->ctx = redis_open_endpoint(r, ns->topo.primary[i].host, ns->topo.primary[i].port, r->errstr,
                                  sizeof r->errstr);
    if (!nd->ctx) {
        r->err = 1;
        nd->retry_ms = now + DOWN_RETRY_MS;
        ns->stale = 1;
        return -1;
    }
    r->err = 0;
    r->errstr[0] = '\0';
    return 0;
}

int nodes_any(redis_conn *r)
{
    for (int i = 0; i < r->nodes->topo.primaries; i++)
        if (node_ready(r, i) == 0)
            return i;
    return -1;
}

/* Installs a table read from the cluster: connections to nodes still primaries are
 * kept, the others closed; the addresses seen before stay seeds. */
static void apply(redis_conn *r, redis_topology *t)
{
    redis_nodes *ns = r->nodes;
    if (t->primaries == 0)
        redis_topology_primary(t, r->host, r->port); /* a node to send keyless commands to */
    for (int i = 0; i < ns->topo.seeds && t->seeds < REDIS_SEEDS_MAX; i++)
        redis_topology_seed(t, &ns->topo.seed[i]);
    redis_node keep[REDIS_NODES_MAX] = {{0}};
    for (int i = 0; i < t->primaries; i++)
        for (int j = 0; j < ns->topo.primaries; j++)
            if (t->primary[i].port == ns->topo.primary[j].port &&
                strcmp(t->primary[i].host, ns->topo.primary[j].host) == 0) {
                keep[i] = ns->node[j]; /* its connection, or when it refused one, when to try again */
                ns->node[j].ctx = NULL;
            }
    for (int j = 0; j < REDIS_NODES_MAX; j++)
        if (ns->node[j].ctx)
            redisFree(ns->node[j].ctx);
    memcpy(ns->node, keep, sizeof keep);
    ns->topo = *t;
    ns->stale = 0;
}

/* CLUSTER SLOTS on a connection. 1 applied, 0 not a cluster, -1 no answer or refused. */
static int ask_slots(redis_conn *r, redisContext *ctx, const char *host)
{
    redisReply *reply = redisCommand(ctx, "CLUSTER SLOTS");
    if (!reply)
        return -1;
    int rc = -1;
    redis_topology *t = malloc(sizeof *t);
    if (reply->type == REDIS_REPLY_ARRAY && redis_topology_parse(reply, host, t) == 0) {
        apply(r, t);
        rc = 1;
    } else if (reply->type == REDIS_REPLY_ERROR && strstr(reply->str, "cluster support disabled")) {
        rc = 0;
    } else if (reply->type == REDIS_REPLY_ERROR) {
        log_warn("redis: CLUSTER SLOTS refused (%s); routing by MOVED answers only", reply->str);
        rc = 0;
    }
    free(t);
    freeReplyObject(reply);
    return rc;
}

/* First contact: a cluster or a standalone server. */
static int detect(redis_conn *r)
{
    nodes_provisional(r);
    if (node_ready(r, 0) != 0)
        return -1;
    int rc = ask_slots(r, r->nodes->node[0].ctx, r->nodes->topo.primary[0].host);
    if (rc < 0) {
        node_fail(r, 0, "CLUSTER SLOTS");
        return -1;
    }
    r->nodes->mode = rc == 1 ? REDIS_MODE_CLUSTER : REDIS_MODE_STANDALONE;
    if (rc == 1)
        log_debug("redis: cluster of %d primaries", r->nodes->topo.primaries);
    return 0;
}

/* Asks the primaries, then every address seen, then the URL's, for the slot table. */
static void refresh(redis_conn *r)
{
    redis_nodes *ns = r->nodes;
    int64_t now = monotonic_ms();
    if (now < ns->refresh_ms)
        return;
    ns->refresh_ms = now + REFRESH_EVERY_MS;
    for (int i = 0; i < ns->topo.primaries; i++)
        if (node_ready(r, i) == 0 && ask_slots(r, ns->node[i].ctx, ns->topo.primary[i].host) == 1)
            return;
    int n = ns->topo.seeds;
    redis_endpoint *seeds = malloc(sizeof *seeds * (size_t)(n + 1));
    memcpy(seeds, ns->topo.seed, sizeof *seeds * (size_t)n);
    snprintf(seeds[n].host, sizeof seeds[n].host, "%s", r->host);
    seeds[n++].port = r->port;
    int done = 0;
    for (int i = 0; i < n && !done; i++) {
        char err[256];
        redisContext *ctx = redis_open_endpoint(r, seeds[i].host, seeds[i].port, err, sizeof err);
        done = ctx && ask_slots(r, ctx, seeds[i].host) == 1;
        if (ctx)
            redisFree(ctx);
    }
    free(seeds);
    if (!done)
        log_debug("redis: no node answered CLUSTER SLOTS; the table stays as it was");
}

/* nodes_ensure; with keep_table, a stale table is not read again (node numbers held by
 * commands that were answered ASK must keep their meaning). */
static int ensure(redis_conn *r, int keep_table)
{
    redis_nodes *ns = r->nodes;
    if (!r->host[0])
        return -1;
    if (ns->mode == REDIS_MODE_UNKNOWN)
        return detect(r);
    if (ns->mode == REDIS_MODE_STANDALONE)
        return node_ready(r, 0);
    if (ns->stale && !keep_table)
        refresh(r);
    return nodes_any(r) >= 0 ? 0 : -1;
}

int nodes_ensure(redis_conn *r) { return ensure(r, 0); }

/* Where a command goes this round: -1 when nowhere (node unknown). */
static int target_of(redis_conn *r, const redis_cmd *c)
{
    redis_nodes *ns = r->nodes;
    if (c->ask >= 0)
        return c->ask;
    if (c->node >= 0)
        return c->node < ns->topo.primaries ? c->node : -1;
    if (ns->mode != REDIS_MODE_CLUSTER)
        return 0;
    if (c->slot < 0)
        return nodes_any(r);
    int s = ns->topo.slot[c->slot];
    if (s == REDIS_SLOT_NONE) {
        ns->stale = 1;
        return nodes_any(r); /* it answers MOVED or CLUSTERDOWN */
    }
    return s;
}

/* The node a redirection names (added as a primary when new), or -1. */
static int redirect_node(redis_conn *r, int from, const redis_redirect *to)
{
    const char *host = to->to.host[0] ? to->to.host : r->nodes->topo.primary[from].host;
    int i = redis_topology_primary(&r->nodes->topo, host, to->to.port);
    if (i >= 0 && !to->ask)
        r->nodes->topo.slot[to->slot] = (unsigned char)i;
    return i;
}

/* What a reply means for its command; *wait_ms is raised when the cluster asks to wait. */
static void settle(redis_conn *r, redis_cmd *c, redisReply *reply, int last, int round, int *wait_ms)
{
    redis_redirect to;
    c->ask = -1;
    if (!last && reply->type == REDIS_REPLY_ERROR) {
        if (redis_parse_redirect(reply->str, reply->len, &to)) {
            int i = redirect_node(r, c->target, &to);
            if (i >= 0) {
                c->ask = to.ask ? i : -1;
                r->nodes->stale |= !to.ask;
                if (!to.ask && r->nodes->mode != REDIS_MODE_CLUSTER)
                    r->nodes->mode = REDIS_MODE_CLUSTER; /* CLUSTER SLOTS was refused: MOVED teaches */
                freeReplyObject(reply);
                return;
            }
        } else if (c->script && is_error(reply, "NOSCRIPT")) {
            c->reply = reply;
            c->load = 1;
            return;
        } else if (is_error(reply, "TRYAGAIN") || is_error(reply, "CLUSTERDOWN")) {
            r->nodes->stale |= is_error(reply, "CLUSTERDOWN");
            *wait_ms = 25 * (round + 1);
            freeReplyObject(reply);
            return;
        }
    }
    c->reply = reply;
    c->done = 1;
}

/* SCRIPT LOAD on the node that answered NOSCRIPT; then the command goes again. */
static void load_script(redis_conn *r, redis_cmd *c)
{
    redis_node *nd = &r->nodes->node[c->target];
    c->load = 0;
    redisReply *reply = nd->ctx ? redisCommand(nd->ctx, "SCRIPT LOAD %s", c->script->source) : NULL;
    int ok = reply && reply->type == REDIS_REPLY_STRING;
    if (!reply && nd->ctx)
        node_fail(r, c->target, "SCRIPT LOAD");
    if (ok) {
        freeReplyObject(c->reply);
        c->reply = NULL;
    } else {
        log_error("SCRIPT LOAD %s failed: %s", c->script->name,
                  reply && reply->type == REDIS_REPLY_ERROR ? reply->str : r->errstr);
        c->done = 1; /* the NOSCRIPT answer stands */
    }
    freeReplyObject(reply);
}

/* Writes the round's commands to their nodes (each node checked once a round). */
static void send_round(redis_conn *r, redis_cmd *c, int n, int last, int *queued)
{
    int standalone = r->nodes->mode != REDIS_MODE_CLUSTER;
    signed char state[REDIS_NODES_MAX] = {0}; /* 0 unchecked, 1 ready, -1 down */
    for (int i = 0; i < n; i++) {
        if (c[i].done)
            continue;
        c[i].sent = 0;
        int t = c[i].target = target_of(r, &c[i]);
        if (t >= 0 && !state[t])
            state[t] = node_ready(r, t) == 0 ? 1 : -1;
        if (t < 0 || state[t] < 0) {
            c[i].done = last || standalone; /* a cluster may have a new primary next round */
            continue;
        }
        redisContext *ctx = r->nodes->node[c[i].target].ctx;
        if (c[i].ask >= 0)
            redisAppendCommand(ctx, "ASKING");
        redisAppendFormattedCommand(ctx, c[i].buf, c[i].len);
        if (c[i].wait)
            redisAppendCommand(ctx, "WAIT %d %d", c[i].wait, r->wait_timeout_ms);
        c[i].sent = 1;
        queued[c[i].target]++;
    }
    for (int t = 0; t < REDIS_NODES_MAX; t++) {
        int done = 0;
        while (queued[t] && !done)
            if (redisBufferWrite(r->nodes->node[t].ctx, &done) != REDIS_OK) {
                node_fail(r, t, "write");
                break;
            }
    }
}

/* WAIT's answer after a command: how many replicas have it. Fewer than asked (the
 * timeout passed, or a replica is away) is counted; the command's own reply stands. */
static void read_wait(redis_conn *r, int t, const redis_cmd *c)
{
    void *reply = NULL;
    if (redisGetReply(r->nodes->node[t].ctx, &reply) != REDIS_OK || !reply) {
        node_fail(r, t, "WAIT");
        return;
    }
    redisReply *w = reply;
    if (w->type != REDIS_REPLY_INTEGER || w->integer < c->wait)
        r->wait_short++;
    freeReplyObject(reply);
}

/* Reads node t's replies, in the order its commands were written. */
static void read_node(redis_conn *r, redis_cmd *c, int n, int t, int last, int round, int *wait_ms)
{
    for (int i = 0; i < n; i++) {
        if (c[i].done || !c[i].sent || c[i].target != t)
            continue;
        redisContext *ctx = r->nodes->node[t].ctx;
        void *reply = NULL;
        if (ctx && c[i].ask >= 0 && redisGetReply(ctx, &reply) == REDIS_OK) { /* ASKING's +OK */
            freeReplyObject(reply);
            reply = NULL;
        }
        if (!ctx || ctx->err || redisGetReply(ctx, &reply) != REDIS_OK || !reply) {
            if (ctx)
                node_fail(r, t, "reply");
            c[i].done = 1; /* written: it may have run */
            continue;
        }
        if (c[i].wait)
            read_wait(r, t, &c[i]);
        settle(r, &c[i], reply, last, round, wait_ms);
    }
}

int nodes_exec(redis_conn *r, redis_cmd *c, int n)
{
    for (int i = 0; i < n; i++)
        c[i].reply = NULL, c[i].done = 0, c[i].ask = -1, c[i].load = 0, c[i].sent = 0, c[i].target = -1;
    int wait_ms = 0, asked = 0;
    for (int round = 0; round < ROUNDS; round++) {
        if (wait_ms)
            sleep_ms(wait_ms);
        wait_ms = 0;
        int last = round == ROUNDS - 1, queued[REDIS_NODES_MAX] = {0}, pending = 0;
        if (ensure(r, asked) != 0 && r->nodes->mode != REDIS_MODE_CLUSTER)
            break; /* standalone (or never reached) and down: fail now, as before */
        send_round(r, c, n, last, queued);
        for (int t = 0; t < REDIS_NODES_MAX; t++)
            if (queued[t])
                read_node(r, c, n, t, last, round, &wait_ms);
        asked = 0;
        for (int i = 0; i < n; i++) {
            if (c[i].load)
                load_script(r, &c[i]);
            pending += !c[i].done;
            asked |= !c[i].done && c[i].ask >= 0;
        }
        if (!pending)
            break;
        if (!wait_ms)
            wait_ms = 10 * round; /* a node down: the next round may find its replacement */
    }
    int rc = 0;
    for (int i = 0; i < n; i++)
        if (!c[i].reply)
            rc = -1;
    return rc;
}
