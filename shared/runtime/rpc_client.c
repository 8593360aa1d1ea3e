/* rpc_client.c — the gRPC core client: registered calls on a shared channel, one batch
 * per unary call, the serving call's request id and W3C trace passed on, status details
 * decoded into rpc_result. */
#include "rpc_client.h"
#include "rpc_buffer.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "auth.h"
#include "tls_creds.h"
#include "trace.h"
#include "timeutil.h"

#define MAX_METADATA 12
#define RETRY_ATTEMPTS_NO_DEADLINE 5

struct rpc_client {
    grpc_channel *channel;
    const ProtobufCServiceDescriptor *service;
    void **registered;  /* one handle per method of the service */
};

struct rpc_queue {
    grpc_completion_queue *cq;
};

struct rpc_pending {
    grpc_call *call;
    const ProtobufCMethodDescriptor *method;
    void *user_data;
    grpc_metadata md[MAX_METADATA];
    size_t md_count;
    grpc_byte_buffer *send, *recv;
    grpc_metadata_array initial, trailing;
    grpc_status_code status;
    grpc_slice details;
    const char *error_string;
};

static rpc_tls default_tls; /* rpc_client_set_tls: what rpc_client_new uses */

void rpc_client_set_tls(const rpc_tls *tls)
{
    if (tls)
        default_tls = *tls;
    else
        memset(&default_tls, 0, sizeof default_tls);
}

rpc_client *rpc_client_new(const char *target, const ProtobufCServiceDescriptor *service)
{
    return rpc_client_new_tls(target, service, tls_enabled(&default_tls) || default_tls.ca_file[0] ? &default_tls : NULL);
}

rpc_client *rpc_client_new_tls(const char *target, const ProtobufCServiceDescriptor *service, const rpc_tls *tls)
{
    grpc_init();
    rpc_client *c = calloc(1, sizeof *c);
    /* a peer that restarts is found again within a few hundred ms (gRPC's default
     * reconnect backoff starts at 1 s and grows to 2 min) */
    grpc_arg args_array[4] = {
        {.type = GRPC_ARG_STRING, .key = (char *)GRPC_ARG_LB_POLICY_NAME, .value.string = (char *)"round_robin"},
        {.type = GRPC_ARG_INTEGER, .key = (char *)GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, .value.integer = 100},
        {.type = GRPC_ARG_INTEGER, .key = (char *)GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, .value.integer = 2000},
    };
    grpc_channel_args args = {3, args_array};
    grpc_channel_credentials *creds;
    if (tls && tls->ca_file[0]) {
        creds = tls_channel_credentials(tls, &args_array[3]);
        args.num_args += tls->server_name[0] ? 1 : 0;
    } else {
        creds = grpc_insecure_credentials_create();
    }
    c->channel = grpc_channel_create(target, creds, &args);
    grpc_channel_credentials_release(creds);
    c->service = service;
    c->registered = calloc(service->n_methods, sizeof *c->registered);
    char path[256];
    for (unsigned i = 0; i < service->n_methods; i++) {
        snprintf(path, sizeof path, "/%s/%s", service->name, service->methods[i].name);
        c->registered[i] = grpc_channel_register_call(c->channel, path, NULL, NULL);
    }
    return c;
}

void rpc_client_free(rpc_client *c)
{
    if (!c)
        return;
    grpc_channel_destroy(c->channel);
    free(c->registered);
    free(c);
    grpc_shutdown();
}

rpc_queue *rpc_queue_new(void)
{
    grpc_init();
    rpc_queue *q = calloc(1, sizeof *q);
    q->cq = grpc_completion_queue_create_for_next(NULL);
    return q;
}

void rpc_queue_free(rpc_queue *q)
{
    if (!q)
        return;
    grpc_completion_queue_shutdown(q->cq);
    while (grpc_completion_queue_next(q->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(q->cq);
    free(q);
    grpc_shutdown();
}

static gpr_timespec deadline_after(int64_t timeout_ms)
{
    if (timeout_ms <= 0)
        return gpr_inf_future(GPR_CLOCK_MONOTONIC);
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
}

int rpc_client_wait_ready(rpc_client *c, int64_t timeout_ms)
{
    grpc_connectivity_state st = grpc_channel_check_connectivity_state(c->channel, 1);
    if (st == GRPC_CHANNEL_READY)
        return 0;
    grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
    gpr_timespec until = deadline_after(timeout_ms > 0 ? timeout_ms : 1);
    while (st != GRPC_CHANNEL_READY && st != GRPC_CHANNEL_TRANSIENT_FAILURE && st != GRPC_CHANNEL_SHUTDOWN) {
        grpc_channel_watch_connectivity_state(c->channel, st, until, cq, NULL);
        grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type != GRPC_OP_COMPLETE || !ev.success)
            break; /* the time is up */
        st = grpc_channel_check_connectivity_state(c->channel, 0);
    }
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
    return st == GRPC_CHANNEL_READY ? 0 : -1;
}

static int md_has(const rpc_md *md, size_t count, const char *key)
{
    for (size_t i = 0; i < count; i++)
        if (md[i].value && strcmp(md[i].key, key) == 0)
            return 1;
    return 0;
}

static void pending_add(rpc_pending *p, const char *key, const char *value)
{
    if (p->md_count == MAX_METADATA)
        return;
    grpc_metadata *m = &p->md[p->md_count++];
    m->key = grpc_slice_from_copied_string(key);
    m->value = grpc_slice_from_copied_string(value);
}

/* The serving call's trace, continued: traceparent with the same trace id and this
 * call's span as the parent, and its tracestate unchanged. */
static void pending_trace(rpc_pending *p, const rpc_md *md, size_t count)
{
    char traceparent[TRACEPARENT_LEN + 1];
    const trace_context *t = trace_current();
    if (md_has(md, count, "traceparent") || trace_child_header(t, traceparent, sizeof traceparent) != 0)
        return;
    pending_add(p, "traceparent", traceparent);
    if (t->state && !md_has(md, count, "tracestate"))
        pending_add(p, "tracestate", t->state);
}

/* The caller's metadata, plus what travels by itself: the request id and trace of the
 * call this thread is serving, and a service's development identity in headers mode. */
static void pending_metadata(rpc_pending *p, const rpc_md *md, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (md[i].value)
            pending_add(p, md[i].key, md[i].value);
    const char *request_id = log_request_id();
    if (request_id && *request_id && !md_has(md, count, "x-request-id"))
        pending_add(p, "x-request-id", request_id);
    pending_trace(p, md, count);
    const char *keys[2], *values[2];
    size_t n = md_has(md, count, "x-user-id") ? 0 : auth_outgoing_identity(keys, values, 2);
    for (size_t i = 0; i < n; i++)
        pending_add(p, keys[i], values[i]);
}

static int method_index(const rpc_client *c, const char *method)
{
    for (unsigned i = 0; i < c->service->n_methods; i++)
        if (strcmp(c->service->methods[i].name, method) == 0)
            return (int)i;
    return -1;
}

static void pending_start_ops(rpc_pending *p, grpc_completion_queue *cq)
{
    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = p->md_count;
    ops[0].data.send_initial_metadata.metadata = p->md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = p->send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &p->initial;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &p->recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &p->trailing;
    ops[5].data.recv_status_on_client.status = &p->status;
    ops[5].data.recv_status_on_client.status_details = &p->details;
    ops[5].data.recv_status_on_client.error_string = &p->error_string;
    (void)cq;
    if (grpc_call_start_batch(p->call, ops, 6, p, NULL) != GRPC_CALL_OK)
        abort(); /* only a programming error makes a fresh call refuse this batch */
}

static rpc_pending *start_on(rpc_client *c, int index, const ProtobufCMessage *request, const rpc_md *md,
                             size_t md_count, int64_t timeout_ms, grpc_completion_queue *cq, void *user_data)
{
    rpc_pending *p = calloc(1, sizeof *p);
    p->method = &c->service->methods[index];
    p->user_data = user_data;
    grpc_metadata_array_init(&p->initial);
    grpc_metadata_array_init(&p->trailing);
    pending_metadata(p, md, md_count);
    p->send = rpc_pack_message(request);
    p->call = grpc_channel_create_registered_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                                  c->registered[index], deadline_after(timeout_ms), NULL);
    pending_start_ops(p, cq);
    return p;
}

rpc_pending *rpc_client_start(rpc_client *c, const char *method, const ProtobufCMessage *request,
                              const rpc_md *md, size_t md_count, int64_t timeout_ms, rpc_queue *q, void *user_data)
{
    int index = method_index(c, method);
    if (index < 0)
        return NULL;
    return start_on(c, index, request, md, md_count, timeout_ms, q->cq, user_data);
}

rpc_pending *rpc_queue_next(rpc_queue *q, int64_t timeout_ms)
{
    gpr_timespec until = timeout_ms < 0 ? gpr_inf_future(GPR_CLOCK_MONOTONIC) : deadline_after(timeout_ms);
    grpc_event ev = grpc_completion_queue_next(q->cq, until, NULL);
    return ev.type == GRPC_OP_COMPLETE ? ev.tag : NULL;
}

/* The request id and traceparent the server echoed in its initial metadata. */
static void result_from_initial(rpc_pending *p, rpc_result *r)
{
    for (size_t i = 0; i < p->initial.count; i++) {
        const grpc_metadata *m = &p->initial.metadata[i];
        char *into = grpc_slice_str_cmp(m->key, "x-request-id") == 0  ? r->request_id
                     : grpc_slice_str_cmp(m->key, "traceparent") == 0 ? r->traceparent
                                                                      : NULL;
        size_t cap = into == r->request_id ? sizeof r->request_id : sizeof r->traceparent;
        if (into && GRPC_SLICE_LENGTH(m->value) < cap)
            snprintf(into, cap, "%.*s", (int)GRPC_SLICE_LENGTH(m->value), (const char *)GRPC_SLICE_START_PTR(m->value));
    }
}

static void result_from_trailers(rpc_pending *p, rpc_result *r)
{
    memset(r, 0, sizeof *r);
    result_from_initial(p, r);
    r->code = (rpc_code)p->status;
    snprintf(r->message, sizeof r->message, "%.*s", (int)GRPC_SLICE_LENGTH(p->details),
             (const char *)GRPC_SLICE_START_PTR(p->details));
    for (size_t i = 0; i < p->trailing.count; i++) {
        const grpc_metadata *m = &p->trailing.metadata[i];
        if (grpc_slice_str_cmp(m->key, "grpc-status-details-bin") != 0)
            continue;
        int code;
        char message[8];
        rpc_status_details_unpack(GRPC_SLICE_START_PTR(m->value), GRPC_SLICE_LENGTH(m->value), &code, message,
                                  sizeof message, &r->info);
    }
}

static ProtobufCMessage *unpack_reply(rpc_pending *p)
{
    grpc_byte_buffer_reader reader;
    if (!p->recv || !grpc_byte_buffer_reader_init(&reader, p->recv))
        return NULL;
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    ProtobufCMessage *msg =
        protobuf_c_message_unpack(p->method->output, NULL, GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
    grpc_slice_unref(all);
    return msg;
}

static void pending_free(rpc_pending *p)
{
    for (size_t i = 0; i < p->md_count; i++) {
        grpc_slice_unref(p->md[i].key);
        grpc_slice_unref(p->md[i].value);
    }
    grpc_metadata_array_destroy(&p->initial);
    grpc_metadata_array_destroy(&p->trailing);
    grpc_byte_buffer_destroy(p->send);
    if (p->recv)
        grpc_byte_buffer_destroy(p->recv);
    grpc_slice_unref(p->details);
    gpr_free((void *)p->error_string);
    grpc_call_unref(p->call);
    free(p);
}

int rpc_pending_finish(rpc_pending *p, ProtobufCMessage **response, rpc_result *result, void **user_data)
{
    rpc_result local;
    rpc_result *r = result ? result : &local;
    result_from_trailers(p, r);
    if (user_data)
        *user_data = p->user_data;
    if (r->code == RPC_OK && response) {
        *response = unpack_reply(p);
        if (!*response) {
            r->code = RPC_INTERNAL;
            snprintf(r->message, sizeof r->message, "reply is not a valid %s", p->method->output->name);
        }
    }
    pending_free(p);
    return r->code == RPC_OK ? 0 : -1;
}

static int call_once(rpc_client *c, int index, const ProtobufCMessage *request, const rpc_md *md, size_t md_count,
                     int64_t timeout_ms, ProtobufCMessage **response, rpc_result *result)
{
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    rpc_pending *p = start_on(c, index, request, md, md_count, timeout_ms, cq, NULL);
    grpc_completion_queue_pluck(cq, p, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    int rc = rpc_pending_finish(p, response, result, NULL);
    grpc_completion_queue_shutdown(cq);
    grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_completion_queue_destroy(cq);
    return rc;
}

int rpc_client_call(rpc_client *c, const char *method, const ProtobufCMessage *request, const rpc_md *md,
                    size_t md_count, int64_t timeout_ms, int retry, ProtobufCMessage **response, rpc_result *result)
{
    rpc_result local;
    rpc_result *r = result ? result : &local;
    int index = method_index(c, method);
    if (index < 0) {
        memset(r, 0, sizeof *r);
        r->code = RPC_UNIMPLEMENTED;
        snprintf(r->message, sizeof r->message, "%s has no method %s", c->service->name, method);
        return -1;
    }
    int64_t give_up = timeout_ms > 0 ? monotonic_ms() + timeout_ms : INT64_MAX;
    int64_t backoff = 25;
    for (int attempt = 1;; attempt++) {
        int64_t left = give_up == INT64_MAX ? 0 : give_up - monotonic_ms();
        if (give_up != INT64_MAX && left <= 0)
            left = 1; /* let the core report DEADLINE_EXCEEDED */
        int rc = call_once(c, index, request, md, md_count, left, response, r);
        bool last = give_up == INT64_MAX ? attempt >= RETRY_ATTEMPTS_NO_DEADLINE : monotonic_ms() + backoff >= give_up;
        if (rc == 0 || !retry || r->code != RPC_UNAVAILABLE || last)
            return rc;
        struct timespec pause = {backoff / 1000, (backoff % 1000) * 1000000L};
        nanosleep(&pause, NULL);
        backoff = backoff * 2 > 1000 ? 1000 : backoff * 2;
    }
}
