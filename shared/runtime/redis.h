/* redis.h — a Redis connection (hiredis) that reconnects after the server restarts,
 * and Lua scripts run with EVALSHA (loaded on first use, reloaded on NOSCRIPT). */
#ifndef SHARED_REDIS_H
#define SHARED_REDIS_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stddef.h>

typedef struct redis_conn {
    redisContext *ctx;   /* NULL until connected */
    char host[256];
    int port;
    int db;
    char password[128];
    int timeout_ms;
    int err;             /* non-zero after a failure; errstr says why */
    char errstr[256];
} redis_conn;

/* A Lua script embedded at build time. Define one static per script:
 *   static redis_script hold_create = REDIS_SCRIPT("hold_create", hold_create_lua); */
typedef struct redis_script {
    const char *name;
    const char *source;
    char sha[41];        /* set by the first SCRIPT LOAD; the same on every server */
    pthread_mutex_t lock;
    int retry_safe;      /* running it twice changes nothing more than once */
} redis_script;

#define REDIS_SCRIPT(name, source) {(name), (const char *)(source), "", PTHREAD_MUTEX_INITIALIZER, 0}
/* A script whose repeat is harmless: when the connection breaks under a call (a Redis
 * restart, a stale socket) the call is sent once more on a new connection. */
#define REDIS_SCRIPT_RETRYABLE(name, source) {(name), (const char *)(source), "", PTHREAD_MUTEX_INITIALIZER, 1}

/* Parses redis://[:password@]host[:port][/db]. 0 or -1. */
int redis_parse_url(const char *url, char *host, size_t host_cap, int *port, int *db, char *password,
                    size_t password_cap);

/* Connects (timeouts of timeout_ms for connect and each command). Never NULL: check
 * ->err; a failed connection is retried by the next command, and a connection the server
 * closed meanwhile (a restart) is noticed before a command is written to it. Free with
 * redis_close. */
redis_conn *redis_connect(const char *url, int timeout_ms);
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

/* Several script calls in one round trip, executed by Redis in this order (the same
 * connection). A call answered NOSCRIPT (not run) is loaded and sent again. 0, or -1 when
 * the connection failed: calls not answered have reply NULL and may or may not have run. */
int redis_eval_many(redis_conn *r, redis_call *calls, int n);

/* The script's SHA (SCRIPT LOAD on first use, or again when reload is set after a
 * NOSCRIPT). 0, or -1 when Redis did not load it. */
int redis_script_sha(redis_conn *r, redis_script *script, int reload, char sha[41]);

/* Pipelining: append many commands (argv form, copied), then read their replies in one
 * round trip. redis_pipeline_begin connects when needed (0 when ready). On a connection
 * failure redis_pipeline_read returns -1 with the unread replies NULL; the next command
 * reconnects. Free each reply with freeReplyObject. */
int redis_pipeline_begin(redis_conn *r);
void redis_pipeline_append(redis_conn *r, int argc, const char **argv);
int redis_pipeline_read(redis_conn *r, int n, redisReply **out);

/* 0 when the server answers PING. */
int redis_ping(redis_conn *r);

#endif
