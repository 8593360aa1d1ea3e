/* rpc.h — what a service sees of the gRPC runtime: method tables, one handler
 * signature, call accessors (identity, idempotency key, deadline), per-call memory
 * and status replies. No gRPC core type appears here; rpc_server.c owns the core API. */
#ifndef SHARED_RPC_H
#define SHARED_RPC_H

#include <protobuf-c/protobuf-c.h>
#include <stdarg.h>
#include <stdint.h>

#include "status.h"

/* Who may call a method. Identity is a verified bearer token (AUTH_MODE=jwt: sub and a
 * role claim) or, in the development mode AUTH_MODE=headers, x-user-id / x-user-role;
 * the service role belongs to mTLS peers named in SERVICE_PEERS (see auth.h). */
typedef enum rpc_role {
    RPC_ROLE_NONE = 0,  /* no identity needed (public reads, health, reflection); a token sent is still checked */
    RPC_ROLE_CUSTOMER,  /* any authenticated user: customer or admin */
    RPC_ROLE_ADMIN,     /* the admin role */
    RPC_ROLE_SERVICE,   /* platform services only (payment-svc): never a user token */
} rpc_role;

typedef enum rpc_kind {
    RPC_UNARY = 0,
    RPC_BIDI_STREAM,    /* the handler runs once per request message, answering each */
    RPC_SERVER_WATCH,   /* one request, one answer, then open until the client leaves */
} rpc_kind;

typedef struct rpc_call rpc_call;

/* Every RPC handler has this signature. On success it sets *response to a message
 * allocated with rpc_alloc (or static) and returns 0; on failure it returns the -1 of
 * rpc_fail / rpc_invalid_argument, which set the status. */
typedef int (*rpc_handler)(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);

/* Method flags. */
#define RPC_IDEMPOTENT 1u  /* mutating: an idempotency key replays the first outcome */
/* The handler never blocks (memory only, no store round trip): it runs on the
 * completion-queue thread that took the call, skipping the hand-off to a handler
 * thread (two thread wake-ups per call). Its worker state is that thread's own. */
#define RPC_INLINE 2u
/* With RPC_IDEMPOTENT: the method's effects live in Redis, and so does its idempotency
 * record (the same store, lost and kept together); otherwise it is in PostgreSQL. */
#define RPC_KEYS_IN_REDIS 4u

typedef struct rpc_method {
    const char *name;  /* "CreateHold": must name a method of the service descriptor */
    rpc_handler handler;
    rpc_role role;
    rpc_kind kind;
    unsigned flags;
} rpc_method;

/* Runs around the handler of every RPC_IDEMPOTENT method (idempotency records). It
 * calls `handler` itself, or answers from a stored outcome. Same contract as a handler. */
typedef int (*rpc_interceptor)(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response,
                               rpc_handler handler);

/* A service as data: the protoc-c service descriptor gives the names and message
 * types; the table gives handlers. Methods of the descriptor without an entry in
 * the table answer UNIMPLEMENTED. */
typedef struct rpc_service {
    const ProtobufCServiceDescriptor *descriptor;
    const rpc_method *methods;
    size_t method_count;
} rpc_service;

/* Identity and metadata of the current call. Strings are "" when absent. */
const char *rpc_user_id(const rpc_call *call);
const char *rpc_user_role(const rpc_call *call);  /* "customer", "admin" or "" */
int rpc_is_admin(const rpc_call *call);
/* idempotency-key metadata, else the request's idempotency_key field, else "". */
const char *rpc_idempotency_key(const rpc_call *call);
const char *rpc_request_id(const rpc_call *call);
/* The call's W3C trace id (the caller's traceparent, or new) and this call's span id:
 * 32 and 16 lower-case hex digits. Outgoing calls from the handler carry them on. */
const char *rpc_trace_id(const rpc_call *call);
const char *rpc_span_id(const rpc_call *call);
/* Any request metadata value by lower-case key (text values only); NULL if absent. */
const char *rpc_metadata(const rpc_call *call, const char *key);
/* Milliseconds left before the client's deadline (INT64_MAX when it set none). */
int64_t rpc_deadline_left_ms(const rpc_call *call);
/* "/booking.v1.BookingService/CreateHold" */
const char *rpc_method_path(const rpc_call *call);
/* The method's flags (RPC_IDEMPOTENT, ...). */
unsigned rpc_method_flags(const rpc_call *call);
/* While an idempotent call runs under a key: 20 id characters that stay the same for
 * every run of the same key and request (also one that takes over after a crash), so a
 * handler can name what it creates after them and find it again. NULL without a key. */
const char *rpc_idempotency_token(const rpc_call *call);
/* The message type the method answers with. */
const ProtobufCMessageDescriptor *rpc_response_type(const rpc_call *call);
/* The worker's state, made by the server's worker_init (store connections). */
void *rpc_worker_state(const rpc_call *call);

/* Runs fn(arg) once the handler's answer has been packed (or the call has failed), on
 * the thread that ran the handler: for what the answer borrows and must stay valid
 * until then (e.g. a read section over shared data the answer points into). At most
 * RPC_DEFER_MAX per call; returns -1 (and runs nothing) when full. */
#define RPC_DEFER_MAX 4
int rpc_defer(rpc_call *call, void (*fn)(void *), void *arg);

/* Answers later instead of waiting in the handler thread (e.g. while a concurrent
 * duplicate of the call runs): the handler runs again from its start after `ms`, on any
 * handler thread, and no thread is held meanwhile. Unary methods on the handler pool
 * only. The handler returns what this returns (RPC_PARKED); during shutdown the call is
 * answered ABORTED instead (-1). */
#define RPC_PARKED (-2)
int rpc_park(rpc_call *call, int64_t ms);
/* Milliseconds since the call was first parked (0 when it never was). */
int64_t rpc_parked_for_ms(const rpc_call *call);

/* A call context for background work of a service (a worker loop that runs the steps
 * a handler runs, e.g. creating a hold): per-call memory, a status and the worker state
 * (its store connections), as user_id with role, and no gRPC call behind it (method
 * path and response type are empty). rpc_call_background_reset clears memory and status
 * for the next step; free with rpc_call_background_free. */
rpc_call *rpc_call_background_new(void *worker_state, const char *user_id, const char *role);
void rpc_call_background_reset(rpc_call *call);
void rpc_call_background_free(rpc_call *call);

/* Per-call memory, zeroed, released when the call ends. Never NULL. */
void *rpc_alloc(rpc_call *call, size_t size);
char *rpc_strdup(rpc_call *call, const char *s);
char *rpc_sprintf(rpc_call *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The protobuf-c allocator of the call's memory (to unpack nested messages). */
ProtobufCAllocator *rpc_allocator(rpc_call *call);
#define RPC_NEW(call, type, init_fn) ((type *)rpc_init_message((call), sizeof(type), (void (*)(void *))(init_fn)))
void *rpc_init_message(rpc_call *call, size_t size, void (*init)(void *));

/* Fails the call: sets code, the message and an ErrorInfo reason; returns -1. */
int rpc_fail(rpc_call *call, rpc_code code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int rpc_vfail(rpc_call *call, rpc_code code, const char *reason, const char *fmt, va_list ap);
/* INVALID_ARGUMENT whose message starts with the field name and whose ErrorInfo
 * carries field=<field>; returns -1. */
int rpc_invalid_argument(rpc_call *call, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds key=value to the failure's ErrorInfo metadata (after rpc_fail). */
void rpc_error_detail(rpc_call *call, const char *key, const char *value);
/* The failure's ErrorInfo reason ("" when none) and whole ErrorInfo. */
const char *rpc_status_reason(const rpc_call *call);
const rpc_error_info *rpc_status_info(const rpc_call *call);

/* The status set so far (RPC_OK until a failure). */
rpc_code rpc_status_code(const rpc_call *call);
const char *rpc_status_message(const rpc_call *call);

#endif
