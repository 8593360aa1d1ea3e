/* rpc_client.h — unary gRPC calls to another service: one channel per target, TLS or
 * plaintext, the serving call's x-request-id and W3C traceparent (a child of the
 * serving call's span, same trace id) passed along, deadlines, retries of
 * UNAVAILABLE only when the caller says the call is idempotent, round_robin balancing
 * over DNS targets ("dns:///payment-svc:50053"). */
#ifndef SHARED_RPC_CLIENT_H
#define SHARED_RPC_CLIENT_H

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

#include "status.h"
#include "tls_config.h"

typedef struct rpc_client rpc_client;
typedef struct rpc_queue rpc_queue;
typedef struct rpc_pending rpc_pending;

typedef struct rpc_md {
    const char *key, *value;
} rpc_md;

/* The outcome of a call: the status, its message and the ErrorInfo of its details. */
typedef struct rpc_result {
    rpc_code code;
    char message[512];
    rpc_error_info info;
    char request_id[72];   /* echoed by the server in its initial metadata; "" if none */
    char traceparent[64];  /* the server's span of the call (W3C traceparent); "" if none */
} rpc_result;

/* A channel to `target` for the methods of `service`. Never NULL; connects lazily.
 * Free with rpc_client_free. Thread-safe: one client serves every thread. */
rpc_client *rpc_client_new(const char *target, const ProtobufCServiceDescriptor *service);
/* The same over TLS when tls names a CA (mutual TLS when it also names a certificate and
 * key; the files are re-read as they rotate); plaintext when tls is NULL. */
rpc_client *rpc_client_new_tls(const char *target, const ProtobufCServiceDescriptor *service, const rpc_tls *tls);
/* What rpc_client_new uses from now on in this process (NULL: plaintext). Copied. */
void rpc_client_set_tls(const rpc_tls *tls);
void rpc_client_free(rpc_client *client);
/* Connects now and waits until the channel is ready: 0, or -1 when the connection
 * failed or timeout_ms passed first (for a client that would rather fail fast than
 * spend a call's deadline on an address nobody answers). */
int rpc_client_wait_ready(rpc_client *client, int64_t timeout_ms);

/* Calls `method` ("AuthorizePayment") and waits for its answer. On RPC_OK sets
 * *response (free with protobuf_c_message_free_unpacked(*response, NULL)) and returns 0;
 * otherwise fills result and returns -1. timeout_ms <= 0 means no deadline.
 * retry != 0: UNAVAILABLE is retried with backoff until the deadline (idempotent calls). */
int rpc_client_call(rpc_client *client, const char *method, const ProtobufCMessage *request, const rpc_md *md,
                    size_t md_count, int64_t timeout_ms, int retry, ProtobufCMessage **response,
                    rpc_result *result);

/* Asynchronous calls, for load generators: start many, then collect them from a queue. */
rpc_queue *rpc_queue_new(void);
void rpc_queue_free(rpc_queue *queue);
/* Starts a call; its completion is reported by rpc_queue_next. NULL if the method is unknown. */
rpc_pending *rpc_client_start(rpc_client *client, const char *method, const ProtobufCMessage *request,
                              const rpc_md *md, size_t md_count, int64_t timeout_ms, rpc_queue *queue,
                              void *user_data);
/* The next completed call, or NULL after timeout_ms (< 0: wait forever). */
rpc_pending *rpc_queue_next(rpc_queue *queue, int64_t timeout_ms);
/* Reads the outcome of a completed call and frees it; same contract as rpc_client_call.
 * response may be NULL to discard the answer. */
int rpc_pending_finish(rpc_pending *pending, ProtobufCMessage **response, rpc_result *result, void **user_data);

#endif
