/* rpc_server.h — the gRPC server on the C core: completion-queue threads, each with its
 * own queue, take calls and dispatch them from the services' method tables to a pool of
 * handler threads, each with its own store connections (so a blocking handler never
 * holds up other calls of its connection); RPC_INLINE methods, which never block, run
 * on the completion-queue thread itself. Health and server reflection (v1 and
 * v1alpha) are served for every server. */
#ifndef SHARED_RPC_SERVER_H
#define SHARED_RPC_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "rpc.h"
#include "tls_config.h"

typedef struct rpc_server rpc_server;
typedef struct descriptor_pool descriptor_pool;

typedef struct rpc_server_options {
    const char *listen_addr;   /* "127.0.0.1:50052"; port 0 picks a free one */
    int workers;               /* handler threads, each with its own state (stores); default 4 */
    int cq_threads;            /* completion-queue threads; default 2 */
    int calls_ahead;           /* calls requested ahead per method per worker; default 16 */
    int drain_ms;              /* graceful shutdown: wait this long for calls in flight */
    const rpc_service *const *services;
    size_t service_count;
    /* Per-handler-thread state (store connections): made in the thread before it runs
     * a handler, freed when it ends. Optional. */
    void *(*worker_init)(int worker_index, void *app);
    void (*worker_free)(void *state, void *app);
    /* 0 when the worker's stores answer (health SERVING). Optional: always serving. */
    int (*health_check)(void *state, void *app);
    /* Wraps RPC_IDEMPOTENT methods (optional). */
    rpc_interceptor intercept;
    void *app;
    const rpc_tls *tls;             /* serve TLS with these files (NULL or no certificate: plaintext) */
    const char *health_addr;        /* with TLS: a plaintext port for health checks only ("" = none) */
    const uint8_t *descriptor_set;  /* FileDescriptorSet served by reflection */
    size_t descriptor_set_len;
} rpc_server_options;

/* Checks a method table against its service descriptor: every entry names a method the
 * descriptor has, once, with a handler. 0, or -1 with the reason in err. */
int rpc_service_check(const rpc_service *service, char *err, size_t errlen);

/* Starts serving. Returns NULL with a message in err when the address cannot be bound
 * or a method table names a method its descriptor does not have. */
rpc_server *rpc_server_start(const rpc_server_options *options, char *err, size_t errlen);
/* The bound port. */
int rpc_server_port(const rpc_server *server);
/* Graceful stop: refuse new calls, let calls in flight finish (up to drain_ms), cancel
 * long-lived streams, join the workers and free everything. */
void rpc_server_stop(rpc_server *server);

/* For the built-in services (health, reflection). */
rpc_server *rpc_call_server(const rpc_call *call);
size_t rpc_server_service_count(const rpc_server *server);
const char *rpc_server_service_name(const rpc_server *server, size_t index);
const descriptor_pool *rpc_server_descriptors(const rpc_server *server);
/* 0 when the calling worker's stores answer (and the server is not stopping). */
int rpc_server_health(const rpc_call *call);
/* 1 while the server is not stopping. */
int rpc_server_alive(const rpc_call *call);

#endif
