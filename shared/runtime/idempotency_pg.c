/* idempotency_pg.c — idempotency records in PostgreSQL (table idempotency_keys of the
 * service's schema): a claim is an inserted row without a status; a retry after the
 * lease takes it over. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idempotency.h"
#include "idempotency_store.h"
#include "log.h"

#define PURGE_EVERY 1000
#define PURGE_BATCH "1000"

/* The record's parameters: key, user, method, fingerprint (binary), lease seconds. */
typedef struct params {
    const char *values[5];
    int lengths[5];
    int formats[5];
    char lease[24];
} params;

static void params_of(params *p, const idem_record *r)
{
    snprintf(p->lease, sizeof p->lease, "%lld", (long long)(r->lease_ms / 1000));
    const char *values[5] = {r->key, r->user, r->method, (const char *)r->fingerprint, p->lease};
    for (int i = 0; i < 5; i++) {
        p->values[i] = values[i];
        p->lengths[i] = i == 3 ? (int)r->fingerprint_len : 0;
        p->formats[i] = i == 3;
    }
}

static PGresult *exec_params(pg_conn *pg, const char *sql, const params *p, int n, int binary)
{
    return pg_exec_binary(pg, sql, n, p->values, p->lengths, p->formats, binary);
}

static idem_claim claim(void *conn, const idem_record *r, idem_outcome *done)
{
    pg_conn *pg = conn;
    params p;
    params_of(&p, r);
    PGresult *res = exec_params(pg,
        "WITH claimed AS (INSERT INTO idempotency_keys (key, user_id, method, fingerprint) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1), "
        "taken AS (UPDATE idempotency_keys SET created_at = now() WHERE key = $1 AND user_id = $2 "
        "AND method = $3 AND fingerprint = $4 AND status_code IS NULL "
        "AND created_at < now() - make_interval(secs => $5::int) RETURNING 1) "
        "SELECT (SELECT count(*) FROM claimed) + (SELECT count(*) FROM taken)", &p, 5, 0);
    if (!res)
        return CLAIM_FAILED;
    int owned = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
    PQclear(res);
    if (owned)
        return CLAIM_OWNED;
    res = exec_params(pg,
        "SELECT fingerprint = $4, status_code, response, message, reason FROM idempotency_keys "
        "WHERE key = $1 AND user_id = $2 AND method = $3", &p, 4, 1);
    if (!res)
        return CLAIM_FAILED;
    idem_claim c = CLAIM_DONE;
    if (PQntuples(res) == 0 || PQgetisnull(res, 0, 1)) /* dropped meanwhile, or still running */
        c = CLAIM_BUSY;
    else if (PQgetvalue(res, 0, 0)[0] != 1) /* binary bool: same fingerprint */
        c = CLAIM_MISMATCH;
    if (c != CLAIM_DONE) {
        PQclear(res);
        return c;
    }
    const unsigned char *code = (const unsigned char *)PQgetvalue(res, 0, 1); /* int4, big-endian */
    done->code = (rpc_code)((code[0] << 24) | (code[1] << 16) | (code[2] << 8) | code[3]);
    done->body = (const uint8_t *)PQgetvalue(res, 0, 2);
    done->len = (size_t)PQgetlength(res, 0, 2);
    done->message = PQgetvalue(res, 0, 3);
    done->reason = PQgetvalue(res, 0, 4);
    done->owner = res;
    return CLAIM_DONE;
}

static int finish(void *conn, const idem_record *r, const idem_outcome *o)
{
    pg_conn *pg = conn;
    params p;
    params_of(&p, r);
    PGresult *res;
    if (!o) {
        static const char drop[] = "DELETE FROM idempotency_keys WHERE key = $1 AND user_id = $2 AND method = $3 "
                                   "AND fingerprint = $4";
        res = exec_params(pg, drop, &p, 4, 0);
        if (!res && pg->lost)
            res = exec_params(pg, drop, &p, 4, 0);
    } else {
        char code[12];
        snprintf(code, sizeof code, "%d", (int)o->code);
        const char *values[7] = {r->key, r->user, r->method, code, (const char *)o->body, o->message, o->reason};
        int lengths[7] = {0, 0, 0, 0, (int)o->len, 0, 0}, formats[7] = {0, 0, 0, 0, 1, 0, 0};
        static const char sql[] = "UPDATE idempotency_keys SET status_code = $4, response = $5, message = $6, "
                                  "reason = $7 WHERE key = $1 AND user_id = $2 AND method = $3";
        res = pg_exec_binary(pg, sql, 7, values, lengths, formats, 0);
        if (!res && pg->lost) /* the server restarted after the call's commit: once more */
            res = pg_exec_binary(pg, sql, 7, values, lengths, formats, 0);
    }
    PQclear(res);
    return res ? 0 : -1;
}

static void release(idem_outcome *o) { PQclear(o->owner); }

/* Keeps the table bounded without a background job: a small batch of expired records. */
static void purge(void *conn)
{
    static _Atomic unsigned long calls;
    if (atomic_fetch_add(&calls, 1) % PURGE_EVERY != PURGE_EVERY - 1)
        return;
    pg_conn *pg = conn;
    char hours[24];
    snprintf(hours, sizeof hours, "%ld", idempotency_retention_hours);
    const char *values[1] = {hours};
    if (pg_run(pg,
               "DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys "
               "WHERE created_at < now() - make_interval(hours => $1::int) LIMIT " PURGE_BATCH ")",
               1, values) != 0)
        log_warn("idempotency purge: %s", pg->errstr);
}

static const char *errstr(void *conn) { return ((pg_conn *)conn)->errstr; }

const idem_store idem_pg_store = {claim, finish, release, purge, errstr};
