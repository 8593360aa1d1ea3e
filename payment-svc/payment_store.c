/* payment_store.c — SQL of payment-svc (payments, payment_events, refunds,
 * capture_attempts), parameterised; a state change and its event in one statement. */
#include "payment_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define I64(buf, v) (snprintf((buf), sizeof(buf), "%" PRId64, (int64_t)(v)), (buf))

#define PAYMENT_COLUMNS                                                                                         \
    "payment_id, status, currency, amount_minor, captured_minor, refunded_minor, payment_method_id, reference, " \
    "decline_code, provider, (extract(epoch FROM created_at) * 1000)::bigint, "                                  \
    "(extract(epoch FROM updated_at) * 1000)::bigint"

static void copy(char *out, size_t cap, const char *s) { snprintf(out, cap, "%s", s); }

static void payment_from(PGresult *r, payment_row *out)
{
    memset(out, 0, sizeof *out);
    copy(out->payment_id, sizeof out->payment_id, PQgetvalue(r, 0, 0));
    out->status = (payment_status)atoi(PQgetvalue(r, 0, 1));
    copy(out->currency, sizeof out->currency, PQgetvalue(r, 0, 2));
    out->amount_minor = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
    out->captured_minor = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
    out->refunded_minor = strtoll(PQgetvalue(r, 0, 5), NULL, 10);
    copy(out->payment_method_id, sizeof out->payment_method_id, PQgetvalue(r, 0, 6));
    copy(out->reference, sizeof out->reference, PQgetvalue(r, 0, 7));
    copy(out->decline_code, sizeof out->decline_code, PQgetvalue(r, 0, 8));
    copy(out->provider, sizeof out->provider, PQgetvalue(r, 0, 9));
    out->created_ms = strtoll(PQgetvalue(r, 0, 10), NULL, 10);
    out->updated_ms = strtoll(PQgetvalue(r, 0, 11), NULL, 10);
    if (PQnfields(r) > 12)
        out->capture_attempts = atoi(PQgetvalue(r, 0, 12));
}

/* Runs a query expected to return at most one payment row. 1 / 0 / -1. */
static int load_one(pg_conn *pg, const char *sql, const char *param, payment_row *out)
{
    const char *params[1] = {param};
    PGresult *r = pg_exec(pg, sql, 1, params);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found)
        payment_from(r, out);
    PQclear(r);
    return found;
}

int store_payment_open(pg_conn *pg, const payment_row *p, const char *idempotency_key, const payment_change *c)
{
    payment_step open = payment_next(PAY_NONE, PAYMENT_OPEN);
    char status[24], amount[24];
    const char *params[10] = {p->payment_id, I64(status, open.to), p->currency, I64(amount, p->amount_minor),
                              p->payment_method_id, p->reference, p->provider, idempotency_key,
                              open.event_type, c->actor_id};
    const char *all[11];
    memcpy(all, params, sizeof params);
    all[10] = c->metadata_json ? c->metadata_json : "{}";
    return pg_affected(pg,
        "WITH p AS (INSERT INTO payments (payment_id, status, currency, amount_minor, payment_method_id, reference, "
        "provider, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, '')) "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING payment_id, status) "
        "INSERT INTO payment_events (payment_id, event_type, from_status, to_status, actor_id, metadata) "
        "SELECT payment_id, $9, NULL, status, $10, $11::jsonb FROM p",
        11, all);
}

static int found_in(PGresult *r, payment_row *out)
{
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found && out)
        payment_from(r, out);
    PQclear(r);
    return found;
}

int store_payment_load(pg_conn *pg, const char *payment_id, int for_update, payment_row *out)
{
    if (!for_update)
        return load_one(pg, "SELECT " PAYMENT_COLUMNS " FROM payments WHERE payment_id = $1", payment_id, out);
    /* BEGIN and the row lock in one round trip */
    const char *params[1] = {payment_id};
    const pg_stmt stmts[2] = {{"BEGIN", 0, NULL, NULL, NULL},
                              {"SELECT " PAYMENT_COLUMNS ", (SELECT count(*) FROM capture_attempts a "
                               "WHERE a.payment_id = payments.payment_id) FROM payments WHERE payment_id = $1 "
                               "FOR UPDATE", 1, params, NULL, NULL}};
    return found_in(pg_exec_pipeline(pg, 2, stmts), out);
}

int store_payment_by_key(pg_conn *pg, const char *idempotency_key, payment_row *out)
{
    return load_one(pg, "SELECT " PAYMENT_COLUMNS " FROM payments WHERE idempotency_key = $1", idempotency_key,
                    out);
}

/* The guarded state change and its event ($1 payment, $2 from, $3 to, $4 captured, $5
 * refunded, $6 decline code, $7 event type, $8 actor, $9 metadata); the statement
 * answers the row as moved. */
#define MOVE_CTES                                                                                                 \
    "u AS (UPDATE payments SET status = $3, captured_minor = $4, refunded_minor = $5, decline_code = $6, "        \
    "updated_at = now() WHERE payment_id = $1 AND status = $2 RETURNING " PAYMENT_COLUMNS "), "                  \
    "e AS (INSERT INTO payment_events (payment_id, event_type, from_status, to_status, actor_id, metadata) "      \
    "SELECT payment_id, $7, $2, $3, $8, $9::jsonb FROM u) "

int store_payment_move(pg_conn *pg, const char *payment_id, payment_status from, const payment_step *step,
                       int64_t captured_minor, int64_t refunded_minor, const char *decline_code, int capture_attempt,
                       const payment_change *c, payment_row *moved)
{
    char f[24], t[24], cap[24], ref[24], a[24];
    const char *params[10] = {payment_id, I64(f, from), I64(t, step->to), I64(cap, captured_minor),
                              I64(ref, refunded_minor), decline_code, step->event_type, c->actor_id,
                              c->metadata_json ? c->metadata_json : "{}", I64(a, capture_attempt)};
    if (capture_attempt > 0)
        return found_in(pg_exec(pg, "WITH a AS (INSERT INTO capture_attempts (payment_id, attempt, succeeded) "
                                    "VALUES ($1, $10, true)), " MOVE_CTES "SELECT * FROM u", 10, params), moved);
    return found_in(pg_exec(pg, "WITH " MOVE_CTES "SELECT * FROM u", 9, params), moved);
}

int store_capture_attempt_add(pg_conn *pg, const char *payment_id, int attempt, const char *error)
{
    char a[24];
    const char *params[3] = {payment_id, I64(a, attempt), error ? error : ""};
    return pg_run(pg, "INSERT INTO capture_attempts (payment_id, attempt, succeeded, error) VALUES ($1, $2, false, $3)",
                  3, params);
}

int store_refund_exists(pg_conn *pg, const char *refund_id)
{
    const char *params[1] = {refund_id};
    PGresult *r = pg_exec(pg, "SELECT 1 FROM refunds WHERE refund_id = $1", 1, params);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    PQclear(r);
    return found;
}

int store_refund_insert(pg_conn *pg, const char *refund_id, const char *payment_id, int64_t amount_minor,
                        const char *currency, const char *reason)
{
    char a[24];
    const char *params[5] = {refund_id, payment_id, I64(a, amount_minor), currency, reason ? reason : ""};
    return pg_run(pg, "INSERT INTO refunds (refund_id, payment_id, amount_minor, currency, reason) "
                      "VALUES ($1, $2, $3, $4, $5)", 5, params);
}
