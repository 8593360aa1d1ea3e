/* redis.h — a Redis connection (hiredis) that reconnects after the server restarts,
 * and Lua scripts run with EVALSHA (loaded on first use, reloaded on NOSCRIPT). */
#ifndef SHARED_REDIS_H
#define SHARED_REDIS_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stddef.h>

#include "redis_cluster.h"

typedef struct redis_nodes redis_nodes;
typedef struct redis_batch redis_batch;

/* A client of one Redis server or of a Redis Cluster (found out on first contact): on a
 * cluster, each command goes to the primary of its key's hash slot (redis_nodes.h,
 * docs/redis-cluster.md). Used by one thread at a time. */
typedef struct redis_conn {
    char host[256];      /* the URL's server: the first contact, and a seed of the cluster */
    int port;
    int db;
    char username[128];  /* ACL user ("" = default) */
    char password[128];
    int timeout_ms;
    int err;             /* non-zero after a failure; errstr says why */
    char errstr[256];
    redis_nodes *nodes;  /* the servers and their connections */
    redis_batch *batch;  /* pipelined commands not read yet */
    int wait_replicas;   /* > 0: durable script calls are followed by WAIT (redis_set_wait) */
    int wait_timeout_ms;
    int wait_all;        /* every script call waits, not only durable ones */
    long wait_short;     /* script calls fewer replicas acknowledged in time */
} redis_conn;

/* A Lua script embedded at build time. Define one static per script:
 *   static redis_script hold_create = REDIS_SCRIPT("hold_create", hold_create_lua); */
typedef struct redis_script {
    const char *name;
    const char *source;
    char sha[41];        /* set by the first SCRIPT LOAD; the same on every server */
    pthread_mutex_t lock;
    int retry_safe;      /* running it twice changes nothing more than once */
    int durable;         /* its writes wait for replicas when the connection asks (redis_set_wait) */
} redis_script;

#define REDIS_SCRIPT(name, source) {(name), (const char *)(source), "", PTHREAD_MUTEX_INITIALIZER, 0, 0}
/* A script whose repeat is harmless: when the connection breaks under a call (a Redis
 * restart, a stale socket) the call is sent once more on a new connection. */
#define REDIS_SCRIPT_RETRYABLE(name, source) {(name), (const char *)(source), "", PTHREAD_MUTEX_INITIALIZER, 1, 0}
/* A retryable script whose writes should outlive a failover: with redis_set_wait, each
 * call waits for replicas. */
#define REDIS_SCRIPT_DURABLE(name, source) {(name), (const char *)(source), "", PTHREAD_MUTEX_INITIALIZER, 1, 1}

/* Parses redis://[:password@]host[:port][/db]. 0 or -1. */
int redis_parse_url(const char *url, char *host, size_t host_cap, int *port, int *db, char *password,
                    size_t password_cap);

/* Connects (timeouts of timeout_ms for connect and each command). Never NULL: check
 * ->err; a failed connection is retried by the next command, and a connection the server
 * closed meanwhile (a restart) is noticed before a command is written to it. Free with
 * redis_close. */
redis_conn *redis_connect(const char *url, int timeout_ms);
/* The same with credentials: username (ACL user, NULL or "" for the default user) and
 * password (NULL or "": the URL's, if any). */
redis_conn *redis_connect_as(const char *url, const char *username, const char *password, int timeout_ms);
/* With replicas > 0, every call of a durable script (with all set: of every script) is
 * followed on its node, in the same round trip, by WAIT replicas timeout_ms: its answer
 * comes once that many replicas have the write, or the timeout passed (then wait_short
 * is counted; the write stands on the primary). See docs/redis-cluster.md. */
void redis_set_wait(redis_conn *r, int replicas, int timeout_ms, int all);
void redis_close(redis_conn *r);
int redis_ensure(redis_conn *r);

/* Runs a command (hiredis format). Returns the reply (freeReplyObject) or NULL when
 * the connection failed (err/errstr set; the next call reconnects). An error reply
 * (REDIS_REPLY_ERROR) is returned as a reply, not NULL. */
redisReply *redis_command(redis_conn *r, const char *fmt, ...);
redisReply *redis_command_argv(redis_conn *r, int argc, const char **argv, const size_t *argvlen);

/* EVALSHA script with nkeys keys followed by args (argc strings in total). On NOSCRIPT
 * the script is loaded and the call repeated once; a retry_safe script is also repeated
 * once on a new connection when the connection failed under it. Same reply contract as
 * redis_command. */
redisReply *redis_eval(redis_conn *r, redis_script *script, int nkeys, int argc, const char **argv);
/* The same with explicit argument lengths (binary-safe). */
redisReply *redis_eval_bin(redis_conn *r, redis_script *script, int nkeys, int argc, const char **argv,
                           const size_t *argvlen);

/* One call of a batch (redis_eval_many): a script, or with script NULL a plain command
 * (argv is the whole command). */
typedef struct redis_call {
    redis_script *script;
    int nkeys, argc;
    const char **argv;
    const size_t *argvlen;  /* NULL: strlen of each */
    redisReply *reply;      /* set by redis_eval_many (freeReplyObject it); NULL when unanswered */
} redis_call;

/* Several script calls in one round trip, executed by Redis in this order (on a
 * cluster: in this order per node, every node's calls sent before any reply is read).
 * A call answered NOSCRIPT (not run) is loaded on that node and sent again. 0, or -1
 * when a connection failed: calls not answered have reply NULL and may or may not have
 * run. */
int redis_eval_many(redis_conn *r, redis_call *calls, int n);

/* The script's SHA (SCRIPT LOAD on first use, or again when reload is set after a
 * NOSCRIPT). 0, or -1 when Redis did not load it. */
int redis_script_sha(redis_conn *r, redis_script *script, int reload, char sha[41]);

/* Pipelining: append many commands (argv form, copied), then read their replies in one
 * round trip (on a cluster, one per node, all nodes at once). redis_pipeline_begin
 * connects when needed (0 when ready). redis_pipeline_read(n) answers the n commands
 * appended since the last read; on a connection failure it returns -1 with the
 * unanswered replies NULL; the next command reconnects. Free each reply with
 * freeReplyObject. */
int redis_pipeline_begin(redis_conn *r);
void redis_pipeline_append(redis_conn *r, int argc, const char **argv);
int redis_pipeline_read(redis_conn *r, int n, redisReply **out);

/* 0 when the server (on a cluster: a node) answers PING. */
int redis_ping(redis_conn *r);

/* ---- per node: what concerns one server (SCAN, KEYS, CONFIG, subscriptions) ---- */

/* 1 on a Redis Cluster, 0 on one server, -1 when Redis was never reached. */
int redis_is_cluster(redis_conn *r);
/* How many primaries (1 on one server); -1 when Redis cannot be reached. Node numbers
 * 0..n-1 hold until the cluster's shape changes (a failover, a new node). */
int redis_node_count(redis_conn *r);
/* The address of node i. 0 or -1. */
int redis_node_endpoint(redis_conn *r, int node, redis_endpoint *out);
/* A command on node i; same reply contract as redis_command. */
redisReply *redis_node_command(redis_conn *r, int node, const char *fmt, ...);
/* The address of the primary serving key. 0 or -1. */
int redis_key_endpoint(redis_conn *r, const char *key, redis_endpoint *out);
/* Says the cluster's shape may have changed (a connection of the caller's own to a node
 * failed or was answered MOVED): the slot table is read again before the next command. */
void redis_topology_stale(redis_conn *r);
/* A new connection of the caller's own to host:port, with r's credentials, database and
 * timeouts (subscriptions, blocking reads). NULL with the reason in err on failure. */
redisContext *redis_open_endpoint(const redis_conn *r, const char *host, int port, char *err, size_t cap);

#endif
