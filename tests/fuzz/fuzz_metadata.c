/* fuzz_metadata.c — libFuzzer target: the metadata half of a request, as rpc_call.c
 * reads it from the core (identity, role, idempotency key, request id, W3C traceparent
 * and tracestate) and auth_call.c checks it in headers mode. Input: up to 16 pairs,
 * each a length byte and a key, then a length byte and a value (bytes as sent: any
 * value, NULs included). Checked: the request id is one kept as sent (1-64 printable,
 * no quote or backslash) or a new one; the trace id is 32 lower-case hex digits, the one
 * of a traceparent sent once and valid (whose parent becomes the call's parent), and a
 * child header made from it parses back; every text key is found again; each role
 * check passes or fails with a status. */
#include <grpc/grpc.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <string.h>

#include "fuzz_support.h"
#include "rpc_internal.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAIRS 16

static int is_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static void check_request_id(const char *id)
{
    size_t n = strlen(id);
    FUZZ_ASSERT(n >= 1 && n <= 64);
    for (size_t i = 0; i < n; i++)
        FUZZ_ASSERT(id[i] > 0x20 && id[i] < 0x7f && id[i] != '"' && id[i] != '\\');
}

/* The trace continues a traceparent sent once and valid, else begins anew. */
static void check_trace(const rpc_call *call, const char *sent, int times)
{
    char trace_id[TRACE_ID_HEX + 1], parent[SPAN_ID_HEX + 1], header[TRACEPARENT_LEN + 1];
    unsigned flags;
    FUZZ_ASSERT(is_hex(rpc_trace_id(call), TRACE_ID_HEX) && is_hex(rpc_span_id(call), SPAN_ID_HEX));
    if (times == 1 && trace_parse(sent, trace_id, parent, &flags) == 0) {
        FUZZ_ASSERT(strcmp(rpc_trace_id(call), trace_id) == 0 && strcmp(call->trace.parent_id, parent) == 0);
    } else {
        FUZZ_ASSERT(call->trace.parent_id[0] == '\0');
    }
    FUZZ_ASSERT(trace_child_header(&call->trace, header, sizeof header) == 0);
    FUZZ_ASSERT(strlen(header) == TRACEPARENT_LEN && trace_parse(header, trace_id, parent, &flags) == 0);
    FUZZ_ASSERT(strcmp(trace_id, rpc_trace_id(call)) == 0 && strcmp(parent, rpc_span_id(call)) == 0);
}

static void check_roles(rpc_call *call)
{
    static const rpc_role roles[] = {RPC_ROLE_NONE, RPC_ROLE_CUSTOMER, RPC_ROLE_ADMIN, RPC_ROLE_SERVICE};
    FUZZ_ASSERT(rpc_call_identify(call) == 0); /* headers mode without a JWKS: as read */
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        call->code = RPC_OK;
        int rc = rpc_call_authorize(call, roles[i]);
        FUZZ_ASSERT(rc == 0 ? rpc_status_code(call) == RPC_OK : rc == -1 && rpc_status_code(call) != RPC_OK);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    grpc_metadata items[MAX_PAIRS];
    grpc_metadata_array md = {0, MAX_PAIRS, items};
    const char *traceparent = NULL;
    char copy[256];
    int traceparents = 0;
    memset(items, 0, sizeof items);
    for (size_t at = 0; md.count < MAX_PAIRS && at < size;) {
        size_t klen = data[at++];
        if (klen > size - at)
            break;
        const uint8_t *key = data + at;
        at += klen;
        size_t vlen = at < size ? data[at++] : 0;
        if (vlen > size - at)
            vlen = size - at;
        items[md.count].key = grpc_slice_from_static_buffer(key, klen);
        items[md.count++].value = grpc_slice_from_static_buffer(data + at, vlen);
        /* as rpc_call.c reads keys: up to a NUL, and "-bin" ones skipped */
        int binary = klen > 4 && memcmp(key + klen - 4, "-bin", 4) == 0;
        if (!binary && strnlen((const char *)key, klen) == 11 && memcmp(key, "traceparent", 11) == 0) {
            snprintf(copy, sizeof copy, "%.*s", (int)vlen, (const char *)data + at);
            traceparent = copy;
            traceparents++;
        }
        at += vlen;
    }
    rpc_call *call = fuzz_call_new();
    rpc_call_read_metadata(call, &md, gpr_inf_future(GPR_CLOCK_REALTIME));
    check_request_id(rpc_request_id(call));
    check_trace(call, traceparent, traceparents);
    for (size_t i = 0; i < call->metadata_count; i++)
        FUZZ_ASSERT(rpc_metadata(call, call->metadata[i].key) != NULL);
    (void)rpc_idempotency_key(call);
    check_roles(call);
    fuzz_call_free(call);
    return 0;
}
