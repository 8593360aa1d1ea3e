/* rpc_server.c — the gRPC core server: method registration, worker threads with their
 * own completion queues, the per-call state machine (unary, bidi stream, watch) and
 * graceful shutdown. The only file besides rpc_client.c that speaks the core API. */
#include "rpc_server.h"
#include "rpc_buffer.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_services.h"
#include "descriptor_pool.h"
#include "log.h"
#include "proto_check.h"
#include "rpc_internal.h"
#include "tls_creds.h"
#include "trace.h"
#include "work_pool.h"
#include "timeutil.h"

#define STATUS_DETAILS_KEY "grpc-status-details-bin"
#define GENERIC_SLOTS 4
#define STREAM_SLOTS 4

typedef enum slot_state {
    SLOT_IDLE,       /* retired: the server is shutting down */
    SLOT_REQUESTED,  /* waiting for the core to hand us a call */
    SLOT_FINISHING,  /* final batch (status) in flight */
    SLOT_READING,    /* stream: waiting for the next request message */
    SLOT_WRITING,    /* stream: sending an answer */
    SLOT_WATCHING,   /* watch: answer sent; open until the client leaves */
    SLOT_DONE,       /* the call is over; recycle once no op is pending */
} slot_state;

typedef struct call_slot call_slot;
typedef struct slot_tag {
    call_slot *slot;
    bool is_close;
} slot_tag;

struct call_slot {
    work_item job;  /* queued for a handler thread */
    rpc_worker *worker;
    const rpc_method_entry *entry;  /* NULL: the generic slot for unknown methods */
    slot_state state;
    _Atomic bool main_pending, close_pending; /* set before a batch starts, cleared by its completion */
    bool client_gone, counted;
    slot_tag main_tag, close_tag;
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array md;
    grpc_call_details details;
    grpc_byte_buffer *payload, *reply;
    grpc_slice status_message;
    grpc_metadata trailer;
    bool has_trailer;
    grpc_metadata initial[2];  /* x-request-id and traceparent, echoed in the initial metadata */
    size_t n_initial;
    int secure;  /* the call came over TLS (servers with TLS; else unused) */
    int close_cancelled;  /* written by the core for RECV_CLOSE_ON_SERVER */
    int64_t started_ms;
    rpc_call ctx;
};

/* A completion-queue thread: it takes calls and moves them along, never blocking;
 * handlers run in the server's handler pool. */
struct rpc_worker {
    rpc_server *server;
    int index;
    grpc_completion_queue *cq;
    pthread_t thread;
    call_slot *slots;
    size_t slot_count;
    void *state;  /* worker_init's state for RPC_INLINE handlers (when the server has any) */
};

struct rpc_server {
    rpc_server_options opts;
    grpc_server *core;
    grpc_completion_queue *shutdown_cq;
    rpc_worker *workers;       /* opts.cq_threads completion-queue threads */
    work_pool *handlers;       /* opts.workers handler threads with their stores */
    rpc_method_entry *entries;
    size_t entry_count;
    const rpc_service **services;
    size_t service_count;
    descriptor_pool *pool;
    int port;
    atomic_int shutting_down;
    atomic_int active;  /* unary and bidi calls in flight (not watches) */
    bool has_inline;    /* some method is RPC_INLINE: completion-queue threads get a state */
    tls_server_state *tls;  /* certificate reloading, when serving TLS */
};

/* ---- the call state machine ---------------------------------------------------- */

/* A unary method whose handler never blocks runs on the completion-queue thread. */
static bool runs_inline(const rpc_method_entry *e)
{
    return e && e->method && e->kind == RPC_UNARY && (e->method->flags & RPC_INLINE);
}

static void slot_request(call_slot *s)
{
    rpc_server *srv = s->worker->server;
    grpc_call_error err;
    s->state = SLOT_REQUESTED;
    s->main_pending = true;
    if (!s->entry) {
        err = grpc_server_request_call(srv->core, &s->call, &s->details, &s->md, s->worker->cq, s->worker->cq,
                                       &s->main_tag);
    } else {
        grpc_byte_buffer **payload = s->entry->kind == RPC_BIDI_STREAM ? NULL : &s->payload;
        err = grpc_server_request_registered_call(srv->core, s->entry->registered, &s->call, &s->deadline,
                                                  &s->md, payload, s->worker->cq, s->worker->cq, &s->main_tag);
    }
    if (err != GRPC_CALL_OK) {
        s->state = SLOT_IDLE;
        s->main_pending = false;
    }
}

static void start_batch(call_slot *s, const grpc_op *ops, size_t n, bool close)
{
    if (close)
        s->close_pending = true;
    else
        s->main_pending = true;
    grpc_call_error err = grpc_call_start_batch(s->call, ops, n, close ? &s->close_tag : &s->main_tag, NULL);
    if (err != GRPC_CALL_OK) {
        /* only a broken invariant of this state machine gets here (a batch started twice):
         * carrying on would leak the call and hang shutdown */
        log_error("grpc_call_start_batch failed (%d) on %s", (int)err, s->entry ? s->entry->path : "?");
        abort();
    }
}

/* SEND_INITIAL_METADATA carrying the call's request id and traceparent (this call's
 * span) back to the caller. */
static void initial_metadata_op(call_slot *s, grpc_op *op)
{
    op->op = GRPC_OP_SEND_INITIAL_METADATA;
    if (!s->n_initial) {
        s->initial[0].key = grpc_slice_from_static_string("x-request-id");
        s->initial[0].value = grpc_slice_from_copied_string(s->ctx.request_id);
        s->n_initial = 1;
        char traceparent[TRACEPARENT_LEN + 1];
        if (trace_child_header(&s->ctx.trace, traceparent, sizeof traceparent) == 0) {
            s->initial[1].key = grpc_slice_from_static_string("traceparent");
            s->initial[1].value = grpc_slice_from_copied_string(traceparent);
            s->n_initial = 2;
        }
    }
    op->data.send_initial_metadata.count = s->n_initial;
    op->data.send_initial_metadata.metadata = s->initial;
}

static void release_initial(call_slot *s)
{
    for (size_t i = 0; i < s->n_initial; i++)
        grpc_slice_unref(s->initial[i].value);
    s->n_initial = 0;
}

/* The request id and trace of the slot's call on every line this thread logs (NULL:
 * none). */
static void log_context(const call_slot *s)
{
    log_set_request_id(s ? s->ctx.request_id : NULL);
    trace_set_current(s ? &s->ctx.trace : NULL);
}

static ProtobufCMessage *unpack_message(call_slot *s, grpc_byte_buffer *bb)
{
    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, bb))
        return NULL;
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    ProtobufCMessage *msg = protobuf_c_message_unpack(s->entry->descriptor->input, &s->ctx.mem.allocator,
                                                      GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
    grpc_slice_unref(all);
    return msg;
}

/* Counts the call and logs its end: method, code and latency as fields of the line
 * (warn for server-side failures, debug otherwise), in the call's log context. */
static void record_outcome(call_slot *s)
{
    rpc_code code = s->ctx.code;
    double seconds = (double)(monotonic_ms() - s->started_ms) / 1000.0;
    if (s->entry) {
        metric_inc_code(s->entry->handled, code);
        metric_observe(s->entry->latency, seconds);
    }
    bool server_fault = code == RPC_INTERNAL || code == RPC_UNKNOWN || code == RPC_DATA_LOSS || code == RPC_UNAVAILABLE;
    if (log_current_level < (server_fault ? LOG_WARN : LOG_DEBUG))
        return;
    const char *path = s->entry ? s->entry->path : "(unknown method)";
    log_field fields[] = {LOG_STR("method", path), LOG_STR("code", rpc_code_name(code)),
                          LOG_NUM("latency_ms", seconds * 1e3), LOG_STR("user", s->ctx.user_id),
                          LOG_STR("parent_span_id", s->ctx.trace.parent_id)};
    log_context(s);
    if (server_fault)
        log_write_fields(LOG_WARN, fields, 5, "%s -> %s: %s (%.1f ms)", path, rpc_code_name(code),
                         rpc_status_message(&s->ctx), seconds * 1e3);
    else
        log_write_fields(LOG_DEBUG, fields, 5, "%s -> %s (%.1f ms)", path, rpc_code_name(code), seconds * 1e3);
    log_context(NULL);
}

/* Sends the status (and the reply of a successful unary call) and ends the call. */
static void slot_finish(call_slot *s, bool send_initial_metadata)
{
    grpc_op ops[4];
    size_t n = 0;
    bool unary = s->entry == NULL || s->entry->kind == RPC_UNARY;
    memset(ops, 0, sizeof ops);
    if (send_initial_metadata)
        initial_metadata_op(s, &ops[n++]);
    if (unary && s->reply && s->ctx.code == RPC_OK) {
        if (s->entry)
            metric_inc(s->entry->msg_sent, 1);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = s->reply;
    }
    s->status_message = grpc_slice_from_copied_string(rpc_status_message(&s->ctx));
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)s->ctx.code;
    ops[n].data.send_status_from_server.status_details = &s->status_message;
    uint8_t *details;
    size_t details_len;
    if (s->ctx.code != RPC_OK &&
        rpc_status_details_pack(s->ctx.code, rpc_status_message(&s->ctx), &s->ctx.info, &details, &details_len) == 0) {
        s->trailer.key = grpc_slice_from_static_string(STATUS_DETAILS_KEY);
        s->trailer.value = grpc_slice_from_copied_buffer((const char *)details, details_len);
        s->has_trailer = true;
        free(details);
        ops[n].data.send_status_from_server.trailing_metadata_count = 1;
        ops[n].data.send_status_from_server.trailing_metadata = &s->trailer;
    }
    n++;
    if (unary) {
        ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
        ops[n++].data.recv_close_on_server.cancelled = &s->close_cancelled;
    }
    record_outcome(s);
    s->state = SLOT_FINISHING;
    start_batch(s, ops, n, false);
}

/* Runs the handler on a request message; on success s->reply holds the answer. */
static int slot_handle(call_slot *s, grpc_byte_buffer *message)
{
    rpc_call *call = &s->ctx;
    const rpc_method *m = s->entry->method;
    if (!message)
        return rpc_fail(call, RPC_INVALID_ARGUMENT, "MISSING_MESSAGE", "request: no message was sent");
    metric_inc(s->entry->msg_received, 1);
    ProtobufCMessage *request = unpack_message(s, message);
    if (!request)
        return rpc_fail(call, RPC_INVALID_ARGUMENT, "MALFORMED_MESSAGE", "request: not a valid %s message",
                        s->entry->descriptor->input->name);
    call->request = request;
    char field[128];
    if (proto_check_utf8(request, field, sizeof field) != 0)
        return rpc_invalid_argument(call, field, "is not valid UTF-8");
    ProtobufCMessage *response = NULL;
    rpc_interceptor intercept = s->worker->server->opts.intercept;
    int rc = intercept && (m->flags & RPC_IDEMPOTENT) ? intercept(call, request, &response, m->handler)
                                                      : m->handler(call, request, &response);
    if (call->park_ms > 0 && call->code == RPC_OK) {
        rpc_call_run_deferred(call);
        return RPC_PARKED;
    }
    if (rc != 0 || call->code != RPC_OK) {
        if (call->code == RPC_OK)
            rpc_fail(call, RPC_INTERNAL, "HANDLER_FAILED", "%s failed", s->entry->path);
        rc = -1;
    } else if (!response) {
        rc = rpc_fail(call, RPC_INTERNAL, "NO_RESPONSE", "%s returned no response", s->entry->path);
    } else {
        if (s->reply)
            grpc_byte_buffer_destroy(s->reply);
        s->reply = rpc_pack_message(response);
    }
    rpc_call_run_deferred(call); /* the answer is bytes now: what it borrowed may go */
    return rc;
}

/* Checks that apply before any handler runs; sets the status and returns -1. */
static int slot_admit(call_slot *s)
{
    rpc_call *call = &s->ctx;
    if (!s->entry) {
        char method[256];
        size_t n = GRPC_SLICE_LENGTH(s->details.method);
        snprintf(method, sizeof method, "%.*s", (int)(n < 200 ? n : 200),
                 (const char *)GRPC_SLICE_START_PTR(s->details.method));
        return rpc_fail(call, RPC_UNIMPLEMENTED, "UNKNOWN_METHOD", "unknown method %s", method);
    }
    if (!s->entry->method)
        return rpc_fail(call, RPC_UNIMPLEMENTED, "NOT_IMPLEMENTED", "%s is not implemented by this release",
                        s->entry->path);
    if (s->worker->server->tls && !s->secure && s->entry->service != health_service())
        return rpc_fail(call, RPC_UNAUTHENTICATED, "TLS_REQUIRED", "the plaintext port serves only health checks");
    if (rpc_call_identify(call) != 0 || rpc_call_authorize(call, s->entry->method->role) != 0)
        return -1;
    if (rpc_deadline_left_ms(call) <= 0)
        return rpc_fail(call, RPC_DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", "deadline passed before the call started");
    return 0;
}

static void stream_read(call_slot *s)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &s->payload;
    s->state = SLOT_READING;
    start_batch(s, &op, 1, false);
}

static void watch_for_close(call_slot *s)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op.data.recv_close_on_server.cancelled = &s->close_cancelled;
    start_batch(s, &op, 1, true);
}

/* Runs in a handler thread: the handler, then the batches that answer. The slot is
 * this thread's alone until its first batch starts, so both watch batches are marked
 * pending before either starts. */
static void slot_run(work_item *item, void *state, void *ctx)
{
    call_slot *s = (call_slot *)((char *)item - offsetof(call_slot, job));
    (void)ctx;
    s->ctx.state = state;
    log_context(s);
    if (s->entry->kind == RPC_UNARY) {
        if (slot_handle(s, s->payload) == RPC_PARKED && !runs_inline(s->entry)) {
            int64_t ms = s->ctx.park_ms; /* runs again later; this thread moves on */
            rpc_call_rearm(&s->ctx);
            log_context(NULL);
            work_pool_push_after(s->worker->server->handlers, &s->job, ms);
            return;
        }
        slot_finish(s, true);
    } else if (slot_handle(s, s->payload) != 0) {
        slot_finish(s, true);
    } else {
        grpc_op ops[2];
        memset(ops, 0, sizeof ops);
        initial_metadata_op(s, &ops[0]);
        ops[1].op = GRPC_OP_SEND_MESSAGE;
        ops[1].data.send_message.send_message = s->reply;
        metric_inc(s->entry->msg_sent, 1);
        s->state = SLOT_WATCHING;
        s->main_pending = s->close_pending = true;
        watch_for_close(s);
        start_batch(s, ops, 2, false);
    }
    log_context(NULL);
}

/* Returns true when the slot went to a handler thread: from then on that thread owns it
 * until its first batch completes, and this thread must not look at it. */
static bool slot_begin(call_slot *s)
{
    rpc_server *srv = s->worker->server;
    s->started_ms = monotonic_ms();
    rpc_call_read_metadata(&s->ctx, &s->md, s->entry ? s->deadline : s->details.deadline);
    if (srv->tls)
        s->ctx.peer_service = tls_peer_service(s->call, &s->ctx.mem, &s->secure);
    if (s->entry)
        metric_inc(s->entry->started, 1);
    log_context(s);
    rpc_kind kind = s->entry ? s->entry->kind : RPC_UNARY;
    s->counted = kind != RPC_SERVER_WATCH;
    if (s->counted)
        atomic_fetch_add(&srv->active, 1);
    if (slot_admit(s) != 0) {
        slot_finish(s, true);
    } else if (kind != RPC_BIDI_STREAM) {
        log_context(NULL);
        if (runs_inline(s->entry))
            slot_run(&s->job, s->worker->state, srv);
        else
            work_pool_push(srv->handlers, &s->job);
        return true;
    } else { /* streams run on this thread: their handlers (reflection) never block */
        grpc_op op;
        memset(&op, 0, sizeof op);
        initial_metadata_op(s, &op);
        s->state = SLOT_WRITING; /* initial metadata sent: then read */
        s->main_pending = s->close_pending = true;
        watch_for_close(s);
        start_batch(s, &op, 1, false);
    }
    log_context(NULL);
    return false;
}

static void slot_stream_message(call_slot *s)
{
    grpc_byte_buffer *message = s->payload;
    s->payload = NULL;
    if (!message) { /* the client half-closed: end with OK */
        slot_finish(s, false);
        return;
    }
    int rc = slot_handle(s, message);
    grpc_byte_buffer_destroy(message);
    if (rc != 0) {
        slot_finish(s, false);
        return;
    }
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = s->reply;
    metric_inc(s->entry->msg_sent, 1);
    s->state = SLOT_WRITING;
    start_batch(s, &op, 1, false);
}

static void slot_recycle(call_slot *s)
{
    rpc_server *srv = s->worker->server;
    if (s->call)
        grpc_call_unref(s->call);
    s->call = NULL;
    grpc_metadata_array_destroy(&s->md);
    grpc_metadata_array_init(&s->md);
    if (!s->entry) {
        grpc_call_details_destroy(&s->details);
        grpc_call_details_init(&s->details);
    }
    if (s->payload)
        grpc_byte_buffer_destroy(s->payload);
    if (s->reply)
        grpc_byte_buffer_destroy(s->reply);
    s->payload = s->reply = NULL;
    grpc_slice_unref(s->status_message);
    s->status_message = grpc_empty_slice();
    if (s->has_trailer)
        grpc_slice_unref(s->trailer.value);
    s->has_trailer = false;
    release_initial(s);
    s->client_gone = false;
    if (s->counted)
        atomic_fetch_sub(&srv->active, 1);
    s->counted = false;
    rpc_call_reset(&s->ctx);
    if (atomic_load(&srv->shutting_down))
        s->state = SLOT_IDLE;
    else
        slot_request(s);
}

/* Advances the slot on a main-tag completion; true when it was handed to a handler. */
static bool slot_on_main(call_slot *s, bool ok)
{
    switch (s->state) {
    case SLOT_REQUESTED:
        if (!ok) {
            s->state = SLOT_IDLE; /* shutdown: the request was cancelled */
            return false;
        }
        return slot_begin(s);
    case SLOT_READING:
        if (ok)
            slot_stream_message(s);
        else
            s->state = SLOT_DONE;
        break;
    case SLOT_WRITING:
        if (ok)
            stream_read(s);
        else
            s->state = SLOT_DONE;
        break;
    case SLOT_WATCHING:
        if (s->client_gone || !ok) {
            record_outcome(s);
            s->state = SLOT_DONE;
        }
        break;
    case SLOT_FINISHING:
        s->state = SLOT_DONE;
        break;
    default:
        break;
    }
    return false;
}

static void slot_event(slot_tag *tag, bool ok)
{
    call_slot *s = tag->slot;
    if (tag->is_close) {
        s->close_pending = false;
        s->client_gone = true;
        if (s->state == SLOT_WATCHING && !s->main_pending) {
            record_outcome(s);
            s->state = SLOT_DONE;
        }
    } else {
        s->main_pending = false;
        if (slot_on_main(s, ok))
            return;
    }
    if (s->state == SLOT_DONE && !s->main_pending && !s->close_pending)
        slot_recycle(s);
}

/* ---- workers ------------------------------------------------------------------- */

static void slot_init(call_slot *s, rpc_worker *w, const rpc_method_entry *entry)
{
    memset(s, 0, sizeof *s);
    s->worker = w;
    s->entry = entry;
    s->main_tag = (slot_tag){s, false};
    s->close_tag = (slot_tag){s, true};
    grpc_metadata_array_init(&s->md);
    grpc_call_details_init(&s->details);
    s->status_message = grpc_empty_slice();
    arena_init(&s->ctx.mem);
    s->ctx.worker = w;
    s->ctx.entry = entry;
    rpc_call_reset(&s->ctx);
}

static void worker_make_slots(rpc_worker *w)
{
    rpc_server *srv = w->server;
    int ahead = srv->opts.calls_ahead;
    size_t total = GENERIC_SLOTS;
    for (size_t i = 0; i < srv->entry_count; i++)
        total += srv->entries[i].kind == RPC_UNARY ? (size_t)ahead : STREAM_SLOTS;
    w->slots = calloc(total, sizeof *w->slots);
    size_t k = 0;
    for (size_t i = 0; i < srv->entry_count; i++) {
        size_t n = srv->entries[i].kind == RPC_UNARY ? (size_t)ahead : STREAM_SLOTS;
        for (size_t j = 0; j < n; j++)
            slot_init(&w->slots[k++], w, &srv->entries[i]);
    }
    for (size_t j = 0; j < GENERIC_SLOTS; j++)
        slot_init(&w->slots[k++], w, NULL);
    w->slot_count = total;
}

static void *handler_init(int index, void *ctx)
{
    rpc_server *srv = ctx;
    return srv->opts.worker_init ? srv->opts.worker_init(index, srv->opts.app) : NULL;
}

static void handler_fini(void *state, void *ctx)
{
    rpc_server *srv = ctx;
    if (srv->opts.worker_free)
        srv->opts.worker_free(state, srv->opts.app);
}

static void *worker_main(void *arg)
{
    rpc_worker *w = arg;
    if (w->server->has_inline)
        w->state = handler_init(w->server->opts.workers + w->index, w->server);
    for (size_t i = 0; i < w->slot_count; i++)
        slot_request(&w->slots[i]);
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_OP_COMPLETE)
            slot_event(ev.tag, ev.success != 0);
    }
    if (w->server->has_inline)
        handler_fini(w->state, w->server);
    return NULL;
}

static void worker_free_slots(rpc_worker *w)
{
    for (size_t i = 0; i < w->slot_count; i++) {
        call_slot *s = &w->slots[i];
        if (s->call)
            grpc_call_unref(s->call);
        grpc_metadata_array_destroy(&s->md);
        grpc_call_details_destroy(&s->details);
        if (s->payload)
            grpc_byte_buffer_destroy(s->payload);
        if (s->reply)
            grpc_byte_buffer_destroy(s->reply);
        grpc_slice_unref(s->status_message);
        if (s->has_trailer)
            grpc_slice_unref(s->trailer.value);
        release_initial(s);
        arena_free(&s->ctx.mem);
    }
    free(w->slots);
}

/* ---- registration -------------------------------------------------------------- */

static const rpc_method *table_lookup(const rpc_service *svc, const char *name)
{
    for (size_t i = 0; i < svc->method_count; i++)
        if (strcmp(svc->methods[i].name, name) == 0)
            return &svc->methods[i];
    return NULL;
}

int rpc_service_check(const rpc_service *svc, char *err, size_t errlen)
{
    for (size_t i = 0; i < svc->method_count; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(svc->methods[i].name, svc->methods[j].name) == 0) {
                snprintf(err, errlen, "%s lists %s twice", svc->descriptor->name, svc->methods[i].name);
                return -1;
            }
        if (!svc->methods[i].handler) {
            snprintf(err, errlen, "%s.%s has no handler", svc->descriptor->name, svc->methods[i].name);
            return -1;
        }
        if (!protobuf_c_service_descriptor_get_method_by_name(svc->descriptor, svc->methods[i].name)) {
            snprintf(err, errlen, "%s has no method %s", svc->descriptor->name, svc->methods[i].name);
            return -1;
        }
    }
    return 0;
}

static void entry_metrics(rpc_server *srv)
{
    static const char *const kinds[] = {"unary", "bidi_stream", "server_stream"};
    char **labels = calloc(srv->entry_count, sizeof *labels);
    for (size_t i = 0; i < srv->entry_count; i++) {
        rpc_method_entry *e = &srv->entries[i];
        size_t n = strlen(e->path) + 128;
        labels[i] = malloc(n); /* referenced by the registry for the life of the process */
        snprintf(labels[i], n, "grpc_service=\"%s\",grpc_method=\"%s\",grpc_type=\"%s\"", e->service->descriptor->name,
                 e->descriptor->name, kinds[e->kind]);
    }
    /* go-grpc-prometheus's server metrics; one name's series must be registered together */
    for (size_t i = 0; i < srv->entry_count; i++)
        srv->entries[i].started = metrics_counter("grpc_server_started_total", labels[i],
                                                  "Total number of RPCs started on the server.");
    for (size_t i = 0; i < srv->entry_count; i++)
        srv->entries[i].handled = metrics_code_counter("grpc_server_handled_total", labels[i],
                                                       "Total number of RPCs completed on the server, regardless of success or failure.");
    for (size_t i = 0; i < srv->entry_count; i++)
        srv->entries[i].latency = metrics_histogram("grpc_server_handling_seconds", labels[i],
                                                    "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.");
    for (size_t i = 0; i < srv->entry_count; i++)
        srv->entries[i].msg_received = metrics_counter("grpc_server_msg_received_total", labels[i],
                                                       "Total number of RPC stream messages received on the server.");
    for (size_t i = 0; i < srv->entry_count; i++)
        srv->entries[i].msg_sent = metrics_counter("grpc_server_msg_sent_total", labels[i],
                                                   "Total number of gRPC stream messages sent by the server.");
    free(labels);
}

static int register_methods(rpc_server *srv, char *err, size_t errlen)
{
    size_t total = 0;
    for (size_t i = 0; i < srv->service_count; i++) {
        if (rpc_service_check(srv->services[i], err, errlen) != 0)
            return -1;
        total += srv->services[i]->descriptor->n_methods;
    }
    srv->entries = calloc(total, sizeof *srv->entries);
    for (size_t i = 0; i < srv->service_count; i++) {
        const rpc_service *svc = srv->services[i];
        for (unsigned j = 0; j < svc->descriptor->n_methods; j++) {
            rpc_method_entry *e = &srv->entries[srv->entry_count++];
            e->service = svc;
            e->descriptor = &svc->descriptor->methods[j];
            e->method = table_lookup(svc, e->descriptor->name);
            e->kind = e->method ? e->method->kind : RPC_UNARY;
            srv->has_inline = srv->has_inline || runs_inline(e);
            snprintf(e->path, sizeof e->path, "/%s/%s", svc->descriptor->name, e->descriptor->name);
            e->registered = grpc_server_register_method(
                srv->core, e->path, NULL,
                e->kind == RPC_BIDI_STREAM ? GRPC_SRM_PAYLOAD_NONE : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
        }
    }
    entry_metrics(srv);
    return 0;
}

static void collect_services(rpc_server *srv)
{
    const rpc_service *builtin[] = {health_service(), reflection_service_v1(), reflection_service_v1alpha()};
    size_t nb = sizeof builtin / sizeof builtin[0];
    srv->services = calloc(srv->opts.service_count + nb, sizeof *srv->services);
    for (size_t i = 0; i < srv->opts.service_count; i++)
        srv->services[srv->service_count++] = srv->opts.services[i];
    for (size_t i = 0; i < nb; i++)
        srv->services[srv->service_count++] = builtin[i];
}

/* ---- lifecycle ----------------------------------------------------------------- */

static void apply_defaults(rpc_server_options *o)
{
    if (o->workers <= 0)
        o->workers = 4;
    if (o->cq_threads <= 0)
        o->cq_threads = 2;
    if (o->calls_ahead <= 0)
        o->calls_ahead = 16;
    if (o->drain_ms <= 0)
        o->drain_ms = 10000;
}

static int bind_and_start(rpc_server *srv, char *err, size_t errlen)
{
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    if (tls_enabled(srv->opts.tls)) {
        grpc_server_credentials_release(creds);
        creds = tls_server_credentials(srv->opts.tls, &srv->tls, err, errlen);
        if (!creds)
            return -1;
    }
    srv->port = grpc_server_add_http2_port(srv->core, srv->opts.listen_addr, creds);
    grpc_server_credentials_release(creds);
    if (srv->port <= 0) {
        snprintf(err, errlen, "cannot listen on %s", srv->opts.listen_addr);
        return -1;
    }
    /* Kubelet's gRPC probes speak plaintext: with TLS on they get a port of their own
     * that answers grpc.health.v1.Health and nothing else (slot_admit). */
    if (srv->tls && srv->opts.health_addr && *srv->opts.health_addr) {
        creds = grpc_insecure_server_credentials_create();
        int port = grpc_server_add_http2_port(srv->core, srv->opts.health_addr, creds);
        grpc_server_credentials_release(creds);
        if (port <= 0) {
            snprintf(err, errlen, "cannot listen on %s (HEALTH_LISTEN)", srv->opts.health_addr);
            return -1;
        }
    }
    grpc_server_start(srv->core);
    return 0;
}

static void server_destroy(rpc_server *srv)
{
    if (srv->core)
        grpc_server_destroy(srv->core);
    for (int i = 0; srv->workers && i < srv->opts.cq_threads; i++) {
        if (srv->workers[i].cq)
            grpc_completion_queue_destroy(srv->workers[i].cq);
        worker_free_slots(&srv->workers[i]);
    }
    if (srv->shutdown_cq)
        grpc_completion_queue_destroy(srv->shutdown_cq);
    descriptor_pool_free(srv->pool);
    tls_server_state_free(srv->tls); /* the server, which called its fetcher, is gone */
    free(srv->workers);
    free(srv->entries);
    free(srv->services);
    free(srv);
    grpc_shutdown();
}

rpc_server *rpc_server_start(const rpc_server_options *options, char *err, size_t errlen)
{
    grpc_init();
    rpc_server *srv = calloc(1, sizeof *srv);
    srv->opts = *options;
    apply_defaults(&srv->opts);
    if (srv->opts.descriptor_set)
        srv->pool = descriptor_pool_new(srv->opts.descriptor_set, srv->opts.descriptor_set_len);
    collect_services(srv);
    /* Clients re-resolve DNS when a connection ages out, so new replicas get traffic.
     * Metadata up to 32 KiB reaches the runtime, so an oversized bearer token is answered
     * UNAUTHENTICATED (TOKEN_TOO_LARGE) by auth_call.c rather than cut off by the core. */
    grpc_arg args[3] = {
        {.type = GRPC_ARG_INTEGER, .key = (char *)GRPC_ARG_MAX_CONNECTION_AGE_MS, .value.integer = 300000},
        {.type = GRPC_ARG_INTEGER, .key = (char *)GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, .value.integer = 30000},
        {.type = GRPC_ARG_INTEGER, .key = (char *)GRPC_ARG_MAX_METADATA_SIZE, .value.integer = 32768},
    };
    grpc_channel_args channel_args = {3, args};
    srv->core = grpc_server_create(&channel_args, NULL);
    if (register_methods(srv, err, errlen) != 0)
        goto fail;
    srv->workers = calloc((size_t)srv->opts.cq_threads, sizeof *srv->workers);
    for (int i = 0; i < srv->opts.cq_threads; i++) {
        srv->workers[i] = (rpc_worker){.server = srv, .index = i};
        srv->workers[i].cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(srv->core, srv->workers[i].cq, NULL);
        worker_make_slots(&srv->workers[i]);
    }
    srv->shutdown_cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(srv->core, srv->shutdown_cq, NULL);
    if (bind_and_start(srv, err, errlen) != 0)
        goto fail;
    work_pool_hooks hooks = {handler_init, handler_fini, slot_run, srv};
    srv->handlers = work_pool_start(srv->opts.workers, &hooks);
    for (int i = 0; i < srv->opts.cq_threads; i++)
        pthread_create(&srv->workers[i].thread, NULL, worker_main, &srv->workers[i]);
    return srv;
fail:
    /* nothing started: no threads, no calls */
    for (int i = 0; srv->workers && i < srv->opts.cq_threads; i++)
        if (srv->workers[i].cq)
            grpc_completion_queue_shutdown(srv->workers[i].cq);
    if (srv->shutdown_cq)
        grpc_completion_queue_shutdown(srv->shutdown_cq);
    server_destroy(srv);
    return NULL;
}

/* Waits for the core's shutdown tag; cancels what is left once unary calls have
 * drained (watches never end by themselves) or the drain time is up. */
static void await_shutdown(rpc_server *srv)
{
    int64_t give_up = monotonic_ms() + srv->opts.drain_ms;
    bool cancelled = false;
    for (;;) {
        gpr_timespec wake = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(20, GPR_TIMESPAN));
        grpc_event ev = grpc_completion_queue_next(srv->shutdown_cq, wake, NULL);
        if (ev.type == GRPC_OP_COMPLETE)
            return;
        if (!cancelled && (atomic_load(&srv->active) == 0 || monotonic_ms() >= give_up)) {
            if (atomic_load(&srv->active) > 0)
                log_warn("drain time up: cancelling %d calls in flight", atomic_load(&srv->active));
            grpc_server_cancel_all_calls(srv->core);
            cancelled = true;
        }
    }
}

static void drain_queue(grpc_completion_queue *cq)
{
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN)
        ;
}

/* Handlers can outlive the core's shutdown: a call cancelled at the end of the drain
 * is answered when its handler returns, with a batch on its worker's completion queue,
 * so the queues stay up until every call has ended (within a second drain time).
 * 0, or -1 when some handler still runs. */
static int await_handlers(rpc_server *srv)
{
    int64_t give_up = monotonic_ms() + srv->opts.drain_ms;
    while (atomic_load(&srv->active) > 0 && monotonic_ms() < give_up)
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    return atomic_load(&srv->active) > 0 ? -1 : 0;
}

void rpc_server_stop(rpc_server *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->shutting_down, 1);
    grpc_server_shutdown_and_notify(srv->core, srv->shutdown_cq, srv);
    await_shutdown(srv);
    if (await_handlers(srv) != 0) { /* tearing down under a running handler would crash it */
        log_error("%d call(s) still in their handlers after the drain; exiting without tearing the server down",
                  atomic_load(&srv->active));
        return;
    }
    for (int i = 0; i < srv->opts.cq_threads; i++) {
        grpc_completion_queue_shutdown(srv->workers[i].cq);
        pthread_join(srv->workers[i].thread, NULL);
    }
    work_pool_stop(srv->handlers); /* every call has ended: the queue is empty */
    drain_queue(srv->shutdown_cq);
    server_destroy(srv);
}

int rpc_server_port(const rpc_server *srv) { return srv->port; }

rpc_server *rpc_worker_server(const rpc_worker *w) { return w->server; }
int rpc_call_server_stopping(const rpc_call *call) { return atomic_load(&call->worker->server->shutting_down); }
rpc_server *rpc_call_server(const rpc_call *call) { return call->worker->server; }
size_t rpc_server_service_count(const rpc_server *srv) { return srv->service_count; }
const descriptor_pool *rpc_server_descriptors(const rpc_server *srv) { return srv->pool; }

const char *rpc_server_service_name(const rpc_server *srv, size_t index)
{
    return index < srv->service_count ? srv->services[index]->descriptor->name : NULL;
}

int rpc_server_alive(const rpc_call *call) { return !atomic_load(&call->worker->server->shutting_down); }

int rpc_server_health(const rpc_call *call)
{
    rpc_server *srv = call->worker->server;
    if (atomic_load(&srv->shutting_down))
        return -1;
    return srv->opts.health_check ? srv->opts.health_check(call->state, srv->opts.app) : 0;
}
