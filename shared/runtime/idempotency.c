/* idempotency.c — claim a key, run the call once, store its outcome, replay it to
 * retries; waiters poll while the first call runs; a claim left by a crashed process
 * is taken over after a lease. */
#include "idempotency.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

long idempotency_lease_seconds = 30;
long idempotency_retention_hours = 24;

#define PURGE_EVERY 1000
#define PURGE_BATCH "1000"
#define POLL_MS 20
#define WAIT_MAX_MS 10000

typedef enum claim { CLAIM_OWNED, CLAIM_DONE, CLAIM_BUSY, CLAIM_MISMATCH, CLAIM_FAILED } claim;

typedef struct record {
    const char *params[5];  /* key, user, method, fingerprint, lease seconds */
    int lengths[5];
    int formats[5];
    char lease[24];
    uint8_t *fingerprint;
    size_t fingerprint_len;
} record;

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

/* Runs sql with the record's first n parameters; binary != 0 asks for binary results. */
static PGresult *exec_record(pg_conn *pg, const char *sql, const record *r, int n, int binary)
{
    return pg_exec_binary(pg, sql, n, r->params, r->lengths, r->formats, binary);
}

/* Inserts the claim; otherwise reads the existing record into *existing. */
static claim try_claim(pg_conn *pg, const record *r, PGresult **existing)
{
    PGresult *res = exec_record(pg,
        "WITH claimed AS (INSERT INTO idempotency_keys (key, user_id, method, fingerprint) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1), "
        "taken AS (UPDATE idempotency_keys SET created_at = now() WHERE key = $1 AND user_id = $2 "
        "AND method = $3 AND fingerprint = $4 AND status_code IS NULL "
        "AND created_at < now() - make_interval(secs => $5::int) RETURNING 1) "
        "SELECT (SELECT count(*) FROM claimed) + (SELECT count(*) FROM taken)", r, 5, 0);
    if (!res)
        return CLAIM_FAILED;
    int owned = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
    PQclear(res);
    if (owned)
        return CLAIM_OWNED;
    res = exec_record(pg,
        "SELECT fingerprint = $4, status_code, response, message, reason FROM idempotency_keys "
        "WHERE key = $1 AND user_id = $2 AND method = $3", r, 4, 1);
    if (!res)
        return CLAIM_FAILED;
    if (PQntuples(res) == 0) { /* dropped meanwhile: claim again */
        PQclear(res);
        return CLAIM_BUSY;
    }
    if (PQgetvalue(res, 0, 0)[0] != 1) { /* binary bool: same fingerprint */
        PQclear(res);
        return CLAIM_MISMATCH;
    }
    if (PQgetisnull(res, 0, 1)) {
        PQclear(res);
        return CLAIM_BUSY;
    }
    *existing = res;
    return CLAIM_DONE;
}

/* Answers from a stored outcome (binary result: code is int4 big-endian). */
static int replay(rpc_call *call, PGresult *res, ProtobufCMessage **response)
{
    const unsigned char *c = (const unsigned char *)PQgetvalue(res, 0, 1);
    rpc_code code = (rpc_code)((c[0] << 24) | (c[1] << 16) | (c[2] << 8) | c[3]);
    int rc;
    if (code == RPC_OK) {
        *response = protobuf_c_message_unpack(rpc_response_type(call), rpc_allocator(call),
                                              (size_t)PQgetlength(res, 0, 2), (const uint8_t *)PQgetvalue(res, 0, 2));
        rc = *response ? 0 : rpc_fail(call, RPC_INTERNAL, "REPLAY_FAILED", "stored response is unreadable");
    } else {
        int stored_code;
        char message[512];
        rpc_error_info info;
        rc = rpc_fail(call, code, PQgetvalue(res, 0, 4), "%s", PQgetvalue(res, 0, 3));
        if (rpc_status_details_unpack((const uint8_t *)PQgetvalue(res, 0, 2), (size_t)PQgetlength(res, 0, 2),
                                      &stored_code, message, sizeof message, &info) == 0)
            for (size_t i = 0; i < info.meta_count; i++)
                rpc_error_detail(call, info.meta_key[i], info.meta_value[i]);
    }
    PQclear(res);
    return rc;
}

static void store_outcome(pg_conn *pg, rpc_call *call, const record *r, int rc, const ProtobufCMessage *response)
{
    rpc_code code = rc == 0 ? RPC_OK : rpc_status_code(call);
    if (!idempotency_code_is_final(code)) { /* a retry must run it again: drop the claim */
        static const char drop[] = "DELETE FROM idempotency_keys WHERE key = $1 AND user_id = $2 AND method = $3 "
                                   "AND fingerprint = $4";
        PGresult *res = exec_record(pg, drop, r, 4, 0);
        if (!res && pg->lost)
            res = exec_record(pg, drop, r, 4, 0);
        PQclear(res);
        return;
    }
    size_t len = 0;
    uint8_t *body = NULL;
    if (code == RPC_OK) {
        len = protobuf_c_message_get_packed_size(response);
        body = malloc(len + 1);
        protobuf_c_message_pack(response, body);
    } else if (rpc_status_details_pack(code, rpc_status_message(call), rpc_status_info(call), &body, &len) != 0) {
        body = NULL;
        len = 0;
    }
    char code_s[12];
    snprintf(code_s, sizeof code_s, "%d", (int)code);
    const char *params[7] = {r->params[0], r->params[1], r->params[2], code_s, (const char *)body,
                             rpc_status_message(call), rpc_status_reason(call)};
    int lengths[7] = {0, 0, 0, 0, (int)len, 0, 0}, formats[7] = {0, 0, 0, 0, 1, 0, 0};
    static const char sql[] = "UPDATE idempotency_keys SET status_code = $4, response = $5, message = $6, "
                              "reason = $7 WHERE key = $1 AND user_id = $2 AND method = $3";
    PGresult *res = pg_exec_binary(pg, sql, 7, params, lengths, formats, 0);
    if (!res && pg->lost) /* the server restarted after the call's commit: once more */
        res = pg_exec_binary(pg, sql, 7, params, lengths, formats, 0);
    if (!res)
        log_warn("idempotency record not stored: %s", pg->errstr);
    PQclear(res);
    free(body);
}

static void record_init(record *r, rpc_call *call, const char *key, const ProtobufCMessage *request)
{
    r->fingerprint_len = protobuf_c_message_get_packed_size(request);
    r->fingerprint = rpc_alloc(call, r->fingerprint_len + 1);
    protobuf_c_message_pack(request, r->fingerprint);
    snprintf(r->lease, sizeof r->lease, "%ld", idempotency_lease_seconds);
    const char *params[5] = {key, rpc_user_id(call), rpc_method_path(call), (const char *)r->fingerprint, r->lease};
    for (int i = 0; i < 5; i++) {
        r->params[i] = params[i];
        r->lengths[i] = i == 3 ? (int)r->fingerprint_len : 0;
        r->formats[i] = i == 3;
    }
}

static void pause_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Keeps the table bounded without a background job: a small batch of expired records. */
static void purge_now_and_then(pg_conn *pg)
{
    static _Atomic unsigned long calls;
    if (atomic_fetch_add(&calls, 1) % PURGE_EVERY != PURGE_EVERY - 1)
        return;
    char hours[24];
    snprintf(hours, sizeof hours, "%ld", idempotency_retention_hours);
    const char *params[1] = {hours};
    if (pg_run(pg,
               "DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys "
               "WHERE created_at < now() - make_interval(hours => $1::int) LIMIT " PURGE_BATCH ")",
               1, params) != 0)
        log_warn("idempotency purge: %s", pg->errstr);
}

int idempotency_run(pg_conn *pg, rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response,
                    rpc_handler handler)
{
    const char *key = rpc_idempotency_key(call);
    if (!*key)
        return handler(call, request, response);
    if (strlen(key) > IDEMPOTENCY_KEY_MAX)
        return rpc_invalid_argument(call, "idempotency_key", "longer than %d characters", IDEMPOTENCY_KEY_MAX);
    record r;
    record_init(&r, call, key, request);
    purge_now_and_then(pg);
    for (int waited = 0; waited < WAIT_MAX_MS && rpc_deadline_left_ms(call) > POLL_MS; waited += POLL_MS) {
        PGresult *existing = NULL;
        switch (try_claim(pg, &r, &existing)) {
        case CLAIM_OWNED: {
            int rc = handler(call, request, response);
            store_outcome(pg, call, &r, rc, *response);
            return rc;
        }
        case CLAIM_DONE:
            return replay(call, existing, response);
        case CLAIM_MISMATCH:
            return rpc_fail(call, RPC_ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED",
                            "idempotency-key \"%s\" was already used with a different request", key);
        case CLAIM_FAILED:
            log_warn("idempotency store: %s", pg->errstr);
            return rpc_fail(call, RPC_UNAVAILABLE, "STORE_UNAVAILABLE", "database unavailable; safe to retry");
        case CLAIM_BUSY:
            pause_ms(POLL_MS);
            break;
        }
    }
    return rpc_fail(call, RPC_ABORTED, "IDEMPOTENCY_KEY_IN_USE",
                    "a call with idempotency-key \"%s\" is still running; retry later", key);
}
