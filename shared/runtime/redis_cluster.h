/* redis_cluster.h — the client side of the Redis Cluster protocol, as pure functions:
 * the hash slot of a key (CRC16 with hash tags), which argument of a command is the key
 * that routes it, MOVED/ASK answers, and the slot table of a CLUSTER SLOTS reply.
 * Debian ships hiredis 0.14 and no hiredis-cluster, so this small layer is ours
 * (docs/redis-cluster.md); redis_nodes.c uses it to route commands to their nodes. */
#ifndef SHARED_REDIS_CLUSTER_H
#define SHARED_REDIS_CLUSTER_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#define REDIS_CLUSTER_SLOTS 16384
#define REDIS_NODES_MAX 64       /* primaries a client follows (the slot table holds indexes) */
#define REDIS_SEEDS_MAX 32       /* addresses remembered to ask for the table again */
#define REDIS_HOST_MAX 256
#define REDIS_SLOT_NONE 255      /* no known primary serves the slot */

typedef struct redis_endpoint {
    char host[REDIS_HOST_MAX];
    int port;
} redis_endpoint;

/* The cluster's shape: its primaries, the primary of every slot, and every address seen
 * (primaries and replicas: where to ask again when primaries are gone). */
typedef struct redis_topology {
    int primaries;
    redis_endpoint primary[REDIS_NODES_MAX];
    unsigned char slot[REDIS_CLUSTER_SLOTS];  /* index into primary[], or REDIS_SLOT_NONE */
    int seeds;
    redis_endpoint seed[REDIS_SEEDS_MAX];
} redis_topology;

/* The hash slot of a key: CRC16 (XMODEM) of the key, or of the part between the first
 * '{' and the next '}' when that part is not empty, modulo 16384. */
unsigned redis_key_slot(const char *key, size_t len);

/* The index in argv of the key that decides where the command runs, or -1 when it runs
 * on any node (PING, SCRIPT, CONFIG, SCAN, KEYS, ...). EVAL/EVALSHA: the first key when
 * numkeys > 0; XREAD/XREADGROUP: the first stream after STREAMS; XINFO/XGROUP/OBJECT/
 * MEMORY: argv[2]; everything else argv[1]. lens may be NULL (strlen). */
int redis_command_key(int argc, const char *const *argv, const size_t *lens);

typedef struct redis_redirect {
    int ask;                  /* 1: ASK (this command only, after ASKING); 0: MOVED */
    int slot;
    redis_endpoint to;        /* host "" when the reply left it out: the node asked */
} redis_redirect;

/* Parses "MOVED <slot> <host>:<port>" or "ASK <slot> <host>:<port>" (the host may be an
 * IPv6 address with colons, or empty). 1 when the error is a redirection, else 0. */
int redis_parse_redirect(const char *err, size_t len, redis_redirect *out);

/* Fills t from a CLUSTER SLOTS reply: [[start, end, [host, port, id...], replica...]...].
 * An endpoint of "" or "?" means the node that answered, whose host is asked_host.
 * 0, or -1 when the reply is not a slot table (t is then unchanged). */
int redis_topology_parse(const redisReply *reply, const char *asked_host, redis_topology *t);

/* The index of host:port among t's primaries, adding it (with no slots) when new; -1
 * when the table is full. */
int redis_topology_primary(redis_topology *t, const char *host, int port);
/* Remembers an address to ask for the table (once; ignored when the list is full). */
void redis_topology_seed(redis_topology *t, const redis_endpoint *e);

#endif
