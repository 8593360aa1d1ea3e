/* redis_nodes.h — inside redis.c: the servers behind one redis_conn and how a batch of
 * commands reaches them. A standalone server is one node that serves every slot; on
 * Redis Cluster each primary is a node with its own connection, commands go to the
 * primary of their key's slot, grouped per node in one round trip, and MOVED, ASK,
 * NOSCRIPT, TRYAGAIN and CLUSTERDOWN answers are followed here (docs/redis-cluster.md). */
#ifndef SHARED_REDIS_NODES_H
#define SHARED_REDIS_NODES_H

#include <stdint.h>

#include "redis.h"
#include "redis_cluster.h"

typedef struct redis_node {
    redisContext *ctx;       /* NULL until connected */
    int64_t retry_ms;        /* cluster: after a failed connect, none before this */
} redis_node;

enum { REDIS_MODE_UNKNOWN, REDIS_MODE_STANDALONE, REDIS_MODE_CLUSTER };

struct redis_nodes {
    int mode;
    redis_topology topo;                /* standalone: one primary (the URL's) serving every slot */
    redis_node node[REDIS_NODES_MAX];   /* parallel to topo.primary */
    int stale;                          /* the slot table must be read again */
    int64_t refresh_ms;                 /* no new CLUSTER SLOTS before this */
};

/* One command of a batch. */
typedef struct redis_cmd {
    const char *buf;          /* the command in RESP (redisFormatCommandArgv) */
    size_t len;
    int slot;                 /* its key's hash slot; -1: no key (any node) */
    int node;                 /* >= 0: this node and no other; -1: by slot */
    redis_script *script;     /* an EVALSHA of this script: NOSCRIPT loads it on that node */
    int wait;                 /* > 0: WAIT for this many replicas after it (r->wait_timeout_ms) */
    redisReply *reply;        /* out: NULL when the connection failed under it */
    int done, target, ask, load, sent;  /* nodes_exec's state */
} redis_cmd;

redis_nodes *nodes_new(void);
void nodes_free(redis_nodes *nodes);

/* Learns whether the server is a cluster (first contact) and reads the slot table when
 * it is stale. 0 when Redis was reached, else -1 (r->err set). */
int nodes_ensure(redis_conn *r);

/* Runs the commands, each on its node (one round trip per round, every node's commands
 * sent before any reply is read). Order is kept among the commands of one node. 0 when
 * every command got a reply, -1 when some did not (reply NULL: the connection failed
 * under it; it may or may not have run). */
int nodes_exec(redis_conn *r, redis_cmd *cmds, int n);

/* The first node that answers, for commands that name no key; -1 when none. */
int nodes_any(redis_conn *r);

#endif
