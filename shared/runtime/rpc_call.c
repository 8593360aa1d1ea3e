/* rpc_call.c — per-call accessors (identity, metadata, deadline), per-call memory and
 * the status a handler sets when it fails. */
#include "rpc_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "timeutil.h"

static int64_t deadline_to_ms(gpr_timespec deadline)
{
    gpr_timespec inf = gpr_inf_future(deadline.clock_type);
    if (gpr_time_cmp(deadline, inf) == 0)
        return INT64_MAX;
    gpr_timespec now = gpr_now(deadline.clock_type);
    int64_t left = gpr_time_to_millis(gpr_time_sub(deadline, now));
    return monotonic_ms() + left;
}

/* A request id is kept only if short and printable; otherwise one is generated. */
static const char *request_id_or_new(rpc_call *call, const char *given)
{
    static _Thread_local unsigned long long counter;
    static _Thread_local unsigned seed;
    if (given) {
        size_t n = strlen(given);
        int ok = n > 0 && n <= 64;
        for (size_t i = 0; ok && i < n; i++)
            ok = given[i] > 0x20 && given[i] < 0x7f && given[i] != '"' && given[i] != '\\';
        if (ok)
            return given;
    }
    if (!seed)
        seed = (unsigned)monotonic_ms() ^ (unsigned)(uintptr_t)&counter;
    /* "%08x%012llx" of (seed, counter), written out by hand: it runs on every call */
    static const char hex[] = "0123456789abcdef";
    char *id = rpc_alloc(call, 21);
    unsigned long long n = ++counter;
    for (int i = 7; i >= 0; i--)
        id[7 - i] = hex[(seed >> (4 * i)) & 15];
    for (int i = 19; i >= 8; i--, n >>= 4)
        id[i] = hex[n & 15];
    return id;
}

void rpc_call_read_metadata(rpc_call *call, const grpc_metadata_array *md, gpr_timespec deadline)
{
    const char *request_id = NULL, *traceparent = NULL, *tracestate = NULL;
    call->user_id = call->role = call->idempotency_key = "";
    call->metadata = rpc_alloc(call, sizeof(rpc_metadata_pair) * (md->count ? md->count : 1));
    for (size_t i = 0; i < md->count; i++) {
        const grpc_slice *k = &md->metadata[i].key, *v = &md->metadata[i].value;
        char *key = arena_strndup(&call->mem, (const char *)GRPC_SLICE_START_PTR(*k), GRPC_SLICE_LENGTH(*k));
        size_t klen = GRPC_SLICE_LENGTH(*k);
        if (klen > 4 && strcmp(key + klen - 4, "-bin") == 0)
            continue;
        char *value = arena_strndup(&call->mem, (const char *)GRPC_SLICE_START_PTR(*v), GRPC_SLICE_LENGTH(*v));
        call->metadata[call->metadata_count++] = (rpc_metadata_pair){key, value};
        if (strcmp(key, "x-user-id") == 0)
            call->user_id = value;
        else if (strcmp(key, "x-user-role") == 0)
            call->role = value;
        else if (strcmp(key, "idempotency-key") == 0)
            call->idempotency_key = value;
        else if (strcmp(key, "x-request-id") == 0)
            request_id = value;
        else if (strcmp(key, "traceparent") == 0)
            traceparent = traceparent ? "" : value; /* sent twice: invalid, a new trace */
        else if (strcmp(key, "tracestate") == 0)
            tracestate = value;
    }
    call->request_id = request_id_or_new(call, request_id);
    trace_begin(&call->trace, traceparent, tracestate);
    call->deadline_ms = deadline_to_ms(deadline);
}

void rpc_call_reset(rpc_call *call)
{
    arena_reset(&call->mem);
    call->request = NULL;
    call->metadata = NULL;
    call->metadata_count = 0;
    call->user_id = call->role = call->idempotency_key = call->request_id = "";
    call->idempotency_token = NULL;
    call->park_ms = call->first_parked_ms = 0;
    call->peer_service = "";
    memset(&call->trace, 0, sizeof call->trace);
    call->deadline_ms = INT64_MAX;
    call->code = RPC_OK;
    call->message = NULL;
    memset(&call->info, 0, sizeof call->info);
    rpc_call_run_deferred(call); /* none left in practice: slot_handle runs them */
}

int rpc_defer(rpc_call *call, void (*fn)(void *), void *arg)
{
    if (call->ndeferred == RPC_DEFER_MAX)
        return -1;
    call->deferred[call->ndeferred].fn = fn;
    call->deferred[call->ndeferred++].arg = arg;
    return 0;
}

void rpc_call_run_deferred(rpc_call *call)
{
    while (call->ndeferred > 0) {
        call->ndeferred--;
        call->deferred[call->ndeferred].fn(call->deferred[call->ndeferred].arg);
    }
}

const char *rpc_user_id(const rpc_call *call) { return call->user_id; }
const char *rpc_user_role(const rpc_call *call) { return call->role; }
int rpc_is_admin(const rpc_call *call) { return strcmp(call->role, "admin") == 0; }
const char *rpc_request_id(const rpc_call *call) { return call->request_id; }
const char *rpc_trace_id(const rpc_call *call) { return call->trace.trace_id; }
const char *rpc_span_id(const rpc_call *call) { return call->trace.span_id; }
const char *rpc_method_path(const rpc_call *call) { return call->entry->path; }
unsigned rpc_method_flags(const rpc_call *call) { return call->entry->method ? call->entry->method->flags : 0; }
const char *rpc_idempotency_token(const rpc_call *call) { return call->idempotency_token; }
const ProtobufCMessageDescriptor *rpc_response_type(const rpc_call *call) { return call->entry->descriptor->output; }
const char *rpc_status_reason(const rpc_call *call) { return call->info.reason; }
const rpc_error_info *rpc_status_info(const rpc_call *call) { return &call->info; }
void *rpc_worker_state(const rpc_call *call) { return call->state; }
rpc_worker *rpc_call_worker(const rpc_call *call) { return call->worker; }

const char *rpc_idempotency_key(const rpc_call *call)
{
    if (*call->idempotency_key || !call->request)
        return call->idempotency_key;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(call->request->descriptor, "idempotency_key");
    if (!f || f->type != PROTOBUF_C_TYPE_STRING)
        return "";
    const char *value = *(char *const *)((const char *)call->request + f->offset);
    return value ? value : "";
}

const char *rpc_metadata(const rpc_call *call, const char *key)
{
    for (size_t i = 0; i < call->metadata_count; i++)
        if (strcmp(call->metadata[i].key, key) == 0)
            return call->metadata[i].value;
    return NULL;
}

int64_t rpc_deadline_left_ms(const rpc_call *call)
{
    return call->deadline_ms == INT64_MAX ? INT64_MAX : call->deadline_ms - monotonic_ms();
}

void *rpc_alloc(rpc_call *call, size_t size) { return arena_alloc(&call->mem, size); }
char *rpc_strdup(rpc_call *call, const char *s) { return arena_strdup(&call->mem, s ? s : ""); }
ProtobufCAllocator *rpc_allocator(rpc_call *call) { return &call->mem.allocator; }

char *rpc_sprintf(rpc_call *call, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = rpc_alloc(call, (size_t)(n > 0 ? n : 0) + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
    va_end(ap);
    return s;
}

void *rpc_init_message(rpc_call *call, size_t size, void (*init)(void *))
{
    void *m = rpc_alloc(call, size);
    init(m);
    return m;
}

int rpc_vfail(rpc_call *call, rpc_code code, const char *reason, const char *fmt, va_list ap)
{
    char message[512];
    vsnprintf(message, sizeof message, fmt, ap);
    call->code = code == RPC_OK ? RPC_UNKNOWN : code;
    call->message = rpc_strdup(call, message);
    memset(&call->info, 0, sizeof call->info);
    snprintf(call->info.reason, sizeof call->info.reason, "%s", reason ? reason : rpc_code_name(call->code));
    return -1;
}

int rpc_fail(rpc_call *call, rpc_code code, const char *reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rpc_vfail(call, code, reason, fmt, ap);
    va_end(ap);
    return -1;
}

int rpc_invalid_argument(rpc_call *call, const char *field, const char *fmt, ...)
{
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    rpc_fail(call, RPC_INVALID_ARGUMENT, "INVALID_FIELD", "%s: %s", field, detail);
    rpc_error_info_add(&call->info, "field", field);
    return -1;
}

void rpc_error_detail(rpc_call *call, const char *key, const char *value)
{
    rpc_error_info_add(&call->info, key, value);
}

rpc_code rpc_status_code(const rpc_call *call) { return call->code; }
const char *rpc_status_message(const rpc_call *call) { return call->message ? call->message : ""; }

int rpc_park(rpc_call *call, int64_t ms)
{
    if (rpc_call_server_stopping(call))
        return rpc_fail(call, RPC_ABORTED, "SHUTTING_DOWN", "the server is stopping; retry");
    call->park_ms = ms > 0 ? ms : 1;
    if (!call->first_parked_ms)
        call->first_parked_ms = monotonic_ms();
    return RPC_PARKED;
}

int64_t rpc_parked_for_ms(const rpc_call *call)
{
    return call->first_parked_ms ? monotonic_ms() - call->first_parked_ms : 0;
}

void rpc_call_rearm(rpc_call *call)
{
    call->park_ms = 0;
    call->request = NULL;
    call->code = RPC_OK;
    call->message = NULL;
    memset(&call->info, 0, sizeof call->info);
    call->idempotency_token = NULL;
}
