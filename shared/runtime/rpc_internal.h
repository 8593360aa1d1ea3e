/* rpc_internal.h — the call state shared by rpc_server.c (dispatch) and rpc_call.c
 * (accessors and replies). Only the runtime includes this header. */
#ifndef SHARED_RPC_INTERNAL_H
#define SHARED_RPC_INTERNAL_H

#include <grpc/grpc.h>
#include <stdbool.h>

#include "arena.h"
#include "metrics.h"
#include "rpc.h"
#include "status.h"
#include "trace.h"

typedef struct rpc_server rpc_server;
typedef struct rpc_worker rpc_worker;

/* One method as registered with the core: its table entry (NULL = unimplemented). */
typedef struct rpc_method_entry {
    const rpc_service *service;
    const rpc_method *method;
    const ProtobufCMethodDescriptor *descriptor;
    char path[192];
    void *registered;     /* grpc_server_register_method handle */
    rpc_kind kind;
    metric *started;      /* grpc_server_started_total */
    metric *handled;      /* grpc_server_handled_total by code */
    metric *latency;      /* grpc_server_handling_seconds */
    metric *msg_received; /* grpc_server_msg_received_total */
    metric *msg_sent;     /* grpc_server_msg_sent_total */
} rpc_method_entry;

typedef struct rpc_metadata_pair {
    const char *key, *value;
} rpc_metadata_pair;

struct rpc_call {
    arena mem;
    rpc_worker *worker;
    void *state;  /* the handler thread's state (stores); NULL on stream threads */
    const rpc_method_entry *entry;
    const ProtobufCMessage *request;
    rpc_metadata_pair *metadata;
    size_t metadata_count;
    const char *user_id, *role, *idempotency_key, *request_id;
    const char *idempotency_token;  /* the claim's token (idempotency.c), NULL without a key */
    const char *peer_service;       /* SERVICE_PEERS name of the mTLS client certificate, or "" */
    trace_context trace;            /* W3C trace: the caller's, or a new one; this call's span */
    int64_t deadline_ms;  /* CLOCK_MONOTONIC ms; INT64_MAX = none */
    int64_t park_ms;          /* rpc_park: run again after this many ms (0 = not parked) */
    int64_t first_parked_ms;  /* CLOCK_MONOTONIC ms of the first rpc_park (0 = never) */
    rpc_code code;
    char *message;
    rpc_error_info info;
    struct {
        void (*fn)(void *);
        void *arg;
    } deferred[RPC_DEFER_MAX];
    int ndeferred;
};

/* Runs (and forgets) what rpc_defer registered, last first. */
void rpc_call_run_deferred(rpc_call *call);

/* Reads the request metadata of a new call into call (copies into its arena). */
void rpc_call_read_metadata(rpc_call *call, const grpc_metadata_array *md, gpr_timespec deadline);
/* jwt mode: verifies the bearer token and sets user_id/role from its claims; refuses
 * x-user-id/x-user-role. Sets the status and returns -1 on a bad token (auth_call.c). */
int rpc_call_identify(rpc_call *call);
/* Checks the method's role against the caller's identity; sets the status, returns -1
 * (auth_call.c). */
int rpc_call_authorize(rpc_call *call, rpc_role role);
/* Clears per-call state so the struct can serve the next call. */
void rpc_call_reset(rpc_call *call);
/* Clears what one run of a parked call's handler left (its status, its request), so it
 * can run again; keeps the call's memory, metadata and parking time. */
void rpc_call_rearm(rpc_call *call);
/* 1 while the server is shutting down (rpc_server.c). */
int rpc_call_server_stopping(const rpc_call *call);

rpc_worker *rpc_call_worker(const rpc_call *call);
rpc_server *rpc_worker_server(const rpc_worker *worker);

#endif
