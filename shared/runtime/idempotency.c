/* idempotency.c — the idempotency flow, whatever the store: claim the key, run the call
 * once, record its outcome, replay it to retries; a concurrent duplicate is parked
 * (rpc_park: no handler thread waits) and asks again while the first call runs; a
 * claim left by a crashed process is taken over after a lease. */
#include "idempotency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "idempotency_store.h"
#include "log.h"
#include "rpc_internal.h"

long idempotency_lease_seconds = 30;
long idempotency_retention_hours = 24;

#define POLL_MS 20
#define PARK_MAX_MS 200
#define WAIT_MAX_MS 10000

int idempotency_code_is_final(rpc_code code)
{
    switch (code) {
    case RPC_OK:
    case RPC_INVALID_ARGUMENT:
    case RPC_NOT_FOUND:
    case RPC_ALREADY_EXISTS:
    case RPC_PERMISSION_DENIED:
    case RPC_FAILED_PRECONDITION:
    case RPC_OUT_OF_RANGE:
        return 1;
    default:
        return 0;
    }
}

static const char token_alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789"; /* as ids.c */

static uint64_t fnv64(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull; /* a separator between fields */
}

/* 20 id characters that depend only on the record (the same for every run of it). */
static void record_token(const idem_record *r, char *out)
{
    uint64_t h[2] = {14695981039346656037ull, 0x9e3779b97f4a7c15ull};
    for (int k = 0; k < 2; k++) {
        h[k] = fnv64(h[k], r->user, strlen(r->user));
        h[k] = fnv64(h[k], r->method, strlen(r->method));
        h[k] = fnv64(h[k], r->key, strlen(r->key));
        h[k] = fnv64(h[k], r->fingerprint, r->fingerprint_len);
    }
    for (int i = 0; i < 20; i++)
        out[i] = token_alphabet[(h[i / 10] >> (5 * (i % 10))) & 31];
    out[20] = '\0';
}

void idempotency_token_of(const char *user, const char *method, const char *key, const ProtobufCMessage *request,
                          char *out)
{
    idem_record r = {.key = key, .user = user, .method = method};
    r.fingerprint_len = protobuf_c_message_get_packed_size(request);
    uint8_t *fp = malloc(r.fingerprint_len + 1);
    protobuf_c_message_pack(request, fp);
    r.fingerprint = fp;
    record_token(&r, out);
    free(fp);
}

static void record_init(idem_record *r, rpc_call *call, const char *key, const ProtobufCMessage *request)
{
    memset(r, 0, sizeof *r);
    r->key = key;
    r->user = rpc_user_id(call);
    r->method = rpc_method_path(call);
    r->fingerprint_len = protobuf_c_message_get_packed_size(request);
    uint8_t *fp = rpc_alloc(call, r->fingerprint_len + 1);
    protobuf_c_message_pack(request, fp);
    r->fingerprint = fp;
    uint8_t bytes[20];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
        abort();
    for (int i = 0; i < 20; i++)
        r->nonce[i] = token_alphabet[bytes[i] & 31];
    r->lease_ms = idempotency_lease_seconds * 1000;
    r->retention_ms = idempotency_retention_hours * 3600 * 1000;
}

/* Answers from a stored outcome. */
static int replay(rpc_call *call, const idem_outcome *o, ProtobufCMessage **response)
{
    if (o->code == RPC_OK) {
        *response = protobuf_c_message_unpack(rpc_response_type(call), rpc_allocator(call), o->len, o->body);
        return *response ? 0 : rpc_fail(call, RPC_INTERNAL, "REPLAY_FAILED", "stored response is unreadable");
    }
    int stored_code;
    char message[512];
    rpc_error_info info;
    int rc = rpc_fail(call, o->code, o->reason, "%s", o->message);
    if (rpc_status_details_unpack(o->body, o->len, &stored_code, message, sizeof message, &info) == 0)
        for (size_t i = 0; i < info.meta_count; i++)
            rpc_error_detail(call, info.meta_key[i], info.meta_value[i]);
    return rc;
}

/* Records the outcome of the call that owned the key (a retryable failure drops it). */
static void record_outcome(const idem_store *s, void *conn, rpc_call *call, const idem_record *r, int rc,
                           const ProtobufCMessage *response)
{
    idem_outcome o = {rc == 0 ? RPC_OK : rpc_status_code(call), NULL, 0, "", "", NULL};
    uint8_t *body = NULL;
    int final = idempotency_code_is_final(o.code);
    if (final && o.code == RPC_OK) {
        o.len = protobuf_c_message_get_packed_size(response);
        body = malloc(o.len + 1);
        protobuf_c_message_pack(response, body);
    } else if (final && rpc_status_details_pack(o.code, rpc_status_message(call), rpc_status_info(call), &body,
                                                &o.len) != 0) {
        body = NULL;
        o.len = 0;
    }
    o.body = body;
    o.message = final && o.code != RPC_OK ? rpc_status_message(call) : "";
    o.reason = final && o.code != RPC_OK ? rpc_status_reason(call) : "";
    if (s->finish(conn, r, final ? &o : NULL) != 0)
        log_warn("idempotency record not %s: %s", final ? "stored" : "dropped", s->errstr(conn));
    free(body);
}

/* What a claim that is not BUSY leads to: the call run once under the key, a replay, or
 * a refusal. */
static int settle(const idem_store *s, void *conn, rpc_call *call, idem_claim c, idem_outcome *done,
                  const idem_record *r, const char *token, const ProtobufCMessage *request,
                  ProtobufCMessage **response, rpc_handler handler)
{
    switch (c) {
    case CLAIM_OWNED: {
        call->idempotency_token = token;
        int rc = handler(call, request, response);
        if (call->park_ms > 0) /* it runs again later and claims again: no claim left behind */
            s->finish(conn, r, NULL);
        else
            record_outcome(s, conn, call, r, rc, *response);
        return rc;
    }
    case CLAIM_DONE: {
        int rc = replay(call, done, response);
        s->release(done);
        return rc;
    }
    case CLAIM_MISMATCH:
        return rpc_fail(call, RPC_ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED",
                        "idempotency-key \"%s\" was already used with a different request", r->key);
    default:
        log_warn("idempotency store: %s", s->errstr(conn));
        return rpc_fail(call, RPC_UNAVAILABLE, "STORE_UNAVAILABLE", "store unavailable; safe to retry");
    }
}

static int run(const idem_store *s, void *conn, rpc_call *call, const ProtobufCMessage *request,
               ProtobufCMessage **response, rpc_handler handler)
{
    const char *key = rpc_idempotency_key(call);
    if (!*key)
        return handler(call, request, response);
    if (strlen(key) > IDEMPOTENCY_KEY_MAX)
        return rpc_invalid_argument(call, "idempotency_key", "longer than %d characters", IDEMPOTENCY_KEY_MAX);
    idem_record r;
    record_init(&r, call, key, request);
    char *token = rpc_alloc(call, 21);
    record_token(&r, token);
    if (s->purge)
        s->purge(conn);
    idem_outcome done;
    idem_claim c = s->claim(conn, &r, &done);
    if (c != CLAIM_BUSY)
        return settle(s, conn, call, c, &done, &r, token, request, response, handler);
    /* a concurrent duplicate: the call is parked (no thread waits) and asks again, with
     * a growing pause, for at most WAIT_MAX_MS and within its deadline */
    int64_t parked = rpc_parked_for_ms(call), pause = parked < POLL_MS ? POLL_MS : parked / 2;
    pause = pause > PARK_MAX_MS ? PARK_MAX_MS : pause;
    if (parked >= WAIT_MAX_MS || rpc_deadline_left_ms(call) <= pause)
        return rpc_fail(call, RPC_ABORTED, "IDEMPOTENCY_KEY_IN_USE",
                        "a call with idempotency-key \"%s\" is still running; retry later", key);
    return rpc_park(call, pause);
}

int idempotency_run_pg(pg_conn *pg, rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response,
                       rpc_handler handler)
{
    return run(&idem_pg_store, pg, call, request, response, handler);
}

int idempotency_run_redis(redis_conn *redis, rpc_call *call, const ProtobufCMessage *request,
                          ProtobufCMessage **response, rpc_handler handler)
{
    return run(&idem_redis_store, redis, call, request, response, handler);
}
