/* webhook_store.c — the SQL of webhooks: endpoints, the outbox's direct entry point,
 * deliveries and their attempts as wire messages, and the sender's claims, outcomes,
 * backlog and purge. Every statement is parameterised. */
#include "webhook_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define I64(buf, v) (snprintf((buf), sizeof(buf), "%" PRId64, (int64_t)(v)), (buf))
#define US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

int webhook_emit(pg_conn *pg, const char *type, const char *resource_id, const char *subject_id,
                 const char *data_json)
{
    const char *params[4] = {type, resource_id, subject_id, data_json};
    return pg_run(pg,
                  "SELECT webhook_outbox_add(ARRAY[$1::text], ARRAY[$2::text], ARRAY[$3::text], ARRAY[$4::jsonb], "
                  "ARRAY[clock_timestamp()], ARRAY[NULL::bigint])",
                  4, params);
}

/* ---- wire messages from rows --------------------------------------------------------- */

static void *alloc_zero(ProtobufCAllocator *alloc, size_t size)
{
    void *p = alloc->alloc(alloc->allocator_data, size);
    memset(p, 0, size);
    return p;
}

static char *value_dup(ProtobufCAllocator *alloc, const PGresult *r, int i, int k)
{
    size_t len = (size_t)PQgetlength(r, i, k);
    char *s = alloc->alloc(alloc->allocator_data, len + 1);
    memcpy(s, PQgetvalue(r, i, k), len + 1);
    return s;
}

static int64_t value_i64(const PGresult *r, int i, int k) { return strtoll(PQgetvalue(r, i, k), NULL, 10); }

/* A Timestamp of the microseconds in column k; NULL when the column is NULL. */
static Google__Protobuf__Timestamp *value_time(ProtobufCAllocator *alloc, const PGresult *r, int i, int k)
{
    if (PQgetisnull(r, i, k))
        return NULL;
    Google__Protobuf__Timestamp *t = alloc_zero(alloc, sizeof *t);
    google__protobuf__timestamp__init(t);
    int64_t us = value_i64(r, i, k);
    t->seconds = us / 1000000;
    t->nanos = (int32_t)(us % 1000000) * 1000;
    return t;
}

/* "whd_12" / "evt_12" in alloc. */
static char *wire_id(ProtobufCAllocator *alloc, const char *prefix, int64_t id)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%s_%" PRId64, prefix, id);
    char *s = alloc->alloc(alloc->allocator_data, strlen(buf) + 1);
    memcpy(s, buf, strlen(buf) + 1);
    return s;
}

/* ---- endpoints ----------------------------------------------------------------------- */

#define ENDPOINT_COLUMNS                                                                            \
    "endpoint_id, url, array_to_string(event_types, ','), status, disabled_reason, " US("created_at") \
    ", " US("updated_at") ", secret"

/* The endpoint of row i; its secret only when with_secret is set. */
static Booking__V1__WebhookEndpoint *endpoint_from(ProtobufCAllocator *alloc, const PGresult *r, int i,
                                                   int with_secret)
{
    Booking__V1__WebhookEndpoint *e = alloc_zero(alloc, sizeof *e);
    booking__v1__webhook_endpoint__init(e);
    e->endpoint_id = value_dup(alloc, r, i, 0);
    e->url = value_dup(alloc, r, i, 1);
    char *types = value_dup(alloc, r, i, 2), *save = NULL;
    size_t n = *types ? 1 : 0;
    for (const char *c = types; *c; c++)
        n += *c == ',';
    e->event_types = alloc_zero(alloc, sizeof *e->event_types * (n + 1));
    for (char *t = strtok_r(types, ",", &save); t; t = strtok_r(NULL, ",", &save))
        e->event_types[e->n_event_types++] = t;
    e->status = (Booking__V1__WebhookEndpointStatus)atoi(PQgetvalue(r, i, 3));
    e->disabled_reason = value_dup(alloc, r, i, 4);
    e->created_at = value_time(alloc, r, i, 5);
    e->updated_at = value_time(alloc, r, i, 6);
    if (with_secret)
        e->secret = value_dup(alloc, r, i, 7);
    return e;
}

int webhook_endpoint_insert(pg_conn *pg, const Booking__V1__WebhookEndpoint *e)
{
    strbuf types = STRBUF_INIT;
    strbuf_puts(&types, "{");
    for (size_t i = 0; i < e->n_event_types; i++) {
        strbuf_puts(&types, i ? "," : "");
        strbuf_json_string(&types, e->event_types[i]); /* known type names: a quoted element */
    }
    strbuf_puts(&types, "}");
    const char *params[4] = {e->endpoint_id, e->url, e->secret, types.data};
    int rows = pg_affected(pg,
                           "INSERT INTO webhook_endpoints (endpoint_id, url, secret, event_types) "
                           "VALUES ($1, $2, $3, $4::text[]) ON CONFLICT (endpoint_id) DO NOTHING",
                           4, params);
    strbuf_free(&types);
    return rows < 0 ? -1 : rows;
}

/* Runs a statement answering endpoint rows; *out gets them. The count or -1. */
static int endpoints_query(pg_conn *pg, const char *sql, const char *endpoint_id, int with_secret,
                           ProtobufCAllocator *alloc, Booking__V1__WebhookEndpoint ***out)
{
    const char *params[1] = {endpoint_id};
    PGresult *r = pg_exec(pg, sql, endpoint_id ? 1 : 0, endpoint_id ? params : NULL);
    if (!r)
        return -1;
    int n = PQntuples(r);
    *out = alloc_zero(alloc, sizeof **out * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        (*out)[i] = endpoint_from(alloc, r, i, with_secret);
    PQclear(r);
    return n;
}

int webhook_endpoint_load(pg_conn *pg, const char *endpoint_id, int with_secret, ProtobufCAllocator *alloc,
                          Booking__V1__WebhookEndpoint **out)
{
    Booking__V1__WebhookEndpoint **rows;
    int n = endpoints_query(pg, "SELECT " ENDPOINT_COLUMNS " FROM webhook_endpoints WHERE endpoint_id = $1",
                            endpoint_id, with_secret, alloc, &rows);
    if (n > 0)
        *out = rows[0];
    return n < 0 ? -1 : n > 0;
}

int webhook_endpoints_list(pg_conn *pg, ProtobufCAllocator *alloc, Booking__V1__WebhookEndpoint ***out)
{
    return endpoints_query(pg, "SELECT " ENDPOINT_COLUMNS " FROM webhook_endpoints ORDER BY created_at, endpoint_id",
                           NULL, 0, alloc, out);
}

int webhook_endpoint_delete(pg_conn *pg, const char *endpoint_id, ProtobufCAllocator *alloc,
                            Booking__V1__WebhookEndpoint **out)
{
    Booking__V1__WebhookEndpoint **rows;
    int n = endpoints_query(pg, "DELETE FROM webhook_endpoints WHERE endpoint_id = $1 RETURNING " ENDPOINT_COLUMNS,
                            endpoint_id, 0, alloc, &rows);
    if (n > 0)
        *out = rows[0];
    return n < 0 ? -1 : n > 0;
}

/* ---- deliveries ---------------------------------------------------------------------- */

static Booking__V1__WebhookDelivery *delivery_from(ProtobufCAllocator *alloc, const PGresult *r, int i)
{
    Booking__V1__WebhookDelivery *d = alloc_zero(alloc, sizeof *d);
    booking__v1__webhook_delivery__init(d);
    d->delivery_id = wire_id(alloc, "whd", value_i64(r, i, 0));
    d->endpoint_id = value_dup(alloc, r, i, 1);
    d->event_id = wire_id(alloc, "evt", value_i64(r, i, 2));
    d->event_type = value_dup(alloc, r, i, 3);
    d->resource_id = value_dup(alloc, r, i, 4);
    d->sequence = value_i64(r, i, 5);
    d->status = (Booking__V1__WebhookDeliveryStatus)atoi(PQgetvalue(r, i, 6));
    d->attempt_count = atoi(PQgetvalue(r, i, 7));
    d->next_attempt_at = value_time(alloc, r, i, 8);
    d->created_at = value_time(alloc, r, i, 9);
    d->delivered_at = value_time(alloc, r, i, 10);
    d->last_status_code = atoi(PQgetvalue(r, i, 11));
    d->last_error = value_dup(alloc, r, i, 12);
    d->payload = value_dup(alloc, r, i, 13);
    return d;
}

static Booking__V1__WebhookAttempt *attempt_from(ProtobufCAllocator *alloc, const PGresult *r, int i)
{
    Booking__V1__WebhookAttempt *a = alloc_zero(alloc, sizeof *a);
    booking__v1__webhook_attempt__init(a);
    a->attempt = atoi(PQgetvalue(r, i, 1));
    a->started_at = value_time(alloc, r, i, 2);
    a->status_code = atoi(PQgetvalue(r, i, 3));
    a->latency_ms = strtod(PQgetvalue(r, i, 4), NULL);
    a->error = value_dup(alloc, r, i, 5);
    return a;
}

/* The attempts of the listed deliveries (rows: delivery_id, attempt, ... by delivery). */
static int attach_attempts(pg_conn *pg, const char *ids, ProtobufCAllocator *alloc,
                           Booking__V1__WebhookDelivery **list, int n)
{
    const char *params[1] = {ids};
    PGresult *r = pg_exec(pg,
        "SELECT delivery_id, attempt, " US("started_at") ", coalesce(status_code, 0), coalesce(latency_ms, 0), "
        "CASE WHEN status_code IS NULL THEN 'no outcome recorded' ELSE error END "
        "FROM webhook_attempts WHERE delivery_id = ANY ($1::bigint[]) ORDER BY delivery_id, attempt",
        1, params);
    if (!r)
        return -1;
    for (int i = 0; i < n; i++)
        list[i]->attempts = alloc_zero(alloc, sizeof *list[i]->attempts * ((size_t)list[i]->attempt_count + 1));
    for (int row = 0; row < PQntuples(r); row++) {
        char id[32];
        snprintf(id, sizeof id, "whd_%s", PQgetvalue(r, row, 0));
        for (int i = 0; i < n; i++)
            if (strcmp(list[i]->delivery_id, id) == 0 && list[i]->n_attempts < (size_t)list[i]->attempt_count)
                list[i]->attempts[list[i]->n_attempts++] = attempt_from(alloc, r, row);
    }
    PQclear(r);
    return 0;
}

int webhook_deliveries_list(pg_conn *pg, const char *endpoint_id, int status, int64_t before_id, int limit,
                            ProtobufCAllocator *alloc, Booking__V1__WebhookDelivery ***out)
{
    char st[24], before[24], lim[24];
    const char *params[4] = {endpoint_id, I64(st, status), I64(before, before_id), I64(lim, limit)};
    PGresult *r = pg_exec(pg,
        "SELECT d.delivery_id, d.endpoint_id, d.event_id, e.event_type, e.resource_id, e.sequence, d.status, "
        "d.attempts, CASE WHEN d.status = 1 THEN " US("d.next_attempt_at") " END, " US("d.created_at") ", "
        US("d.delivered_at") ", d.last_status_code, d.last_error, e.body "
        "FROM webhook_deliveries d JOIN webhook_events e USING (event_id) "
        "WHERE ($1 = '' OR d.endpoint_id = $1) AND ($2 = 0 OR d.status = $2) AND ($3 = 0 OR d.delivery_id < $3) "
        "ORDER BY d.delivery_id DESC LIMIT $4",
        4, params);
    if (!r)
        return -1;
    int n = PQntuples(r);
    Booking__V1__WebhookDelivery **list = alloc_zero(alloc, sizeof *list * (size_t)(n + 1));
    strbuf ids = STRBUF_INIT;
    strbuf_puts(&ids, "{");
    for (int i = 0; i < n; i++) {
        list[i] = delivery_from(alloc, r, i);
        strbuf_printf(&ids, "%s%s", i ? "," : "", PQgetvalue(r, i, 0));
    }
    strbuf_puts(&ids, "}");
    PQclear(r);
    int rc = attach_attempts(pg, ids.data, alloc, list, n);
    strbuf_free(&ids);
    *out = list;
    return rc < 0 ? -1 : n;
}

redeliver_result webhook_redeliver(pg_conn *pg, int64_t delivery_id)
{
    char id[24];
    const char *params[1] = {I64(id, delivery_id)};
    PGresult *r = pg_exec(pg,
        "WITH moved AS (UPDATE webhook_deliveries d SET status = 1, round_attempts = 0, round_started_at = now(), "
        "next_attempt_at = now() FROM webhook_endpoints p WHERE d.delivery_id = $1 AND p.endpoint_id = d.endpoint_id "
        "AND p.status = 1 RETURNING 1) "
        "SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM webhook_deliveries WHERE delivery_id = $1), "
        "pg_notify('webhook_outbox', '')",
        1, params);
    if (!r)
        return REDELIVER_ERROR;
    int done = atoi(PQgetvalue(r, 0, 0)), exists = atoi(PQgetvalue(r, 0, 1));
    PQclear(r);
    return done ? REDELIVER_DONE : exists ? REDELIVER_DISABLED : REDELIVER_NOT_FOUND;
}

/* ---- the sender ---------------------------------------------------------------------- */

void webhook_job_clear(webhook_job *j)
{
    free(j->url);
    free(j->secret);
    free(j->body);
    free(j->event_type);
    memset(j, 0, sizeof *j);
}

static const char claim_sql[] =
    "WITH c AS (SELECT d.delivery_id FROM webhook_deliveries d JOIN webhook_endpoints p USING (endpoint_id) "
    "WHERE d.status = 1 AND d.next_attempt_at <= now() AND p.status = 1 "
    "ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED), "
    "u AS (UPDATE webhook_deliveries d SET attempts = d.attempts + 1, round_attempts = d.round_attempts + 1, "
    "next_attempt_at = now() + make_interval(secs => $2) FROM c WHERE d.delivery_id = c.delivery_id "
    "RETURNING d.delivery_id, d.event_id, d.endpoint_id, d.attempts, d.round_attempts, d.round_started_at), "
    "a AS (INSERT INTO webhook_attempts (delivery_id, attempt) SELECT delivery_id, attempts FROM u) "
    "SELECT u.delivery_id, u.event_id, u.attempts, u.round_attempts, " US("u.round_started_at") ", "
    US("e.created_at") ", p.url, p.secret, e.body, e.event_type "
    "FROM u JOIN webhook_events e USING (event_id) JOIN webhook_endpoints p USING (endpoint_id)";

/* A retry or a give-up moves a delivery only if no later claim of it exists; a 2xx or a
 * 410 settles it whatever claim it answered. */
static const char record_sql[] =
    "WITH o AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS o(id bigint, attempt int, code int, "
    "latency float8, delay bigint, result text, error text)), "
    "a AS (UPDATE webhook_attempts w SET status_code = o.code, latency_ms = o.latency, error = o.error FROM o "
    "WHERE w.delivery_id = o.id AND w.attempt = o.attempt), "
    "d AS (UPDATE webhook_deliveries w SET status = CASE o.result WHEN 'delivered' THEN 2 WHEN 'retry' THEN 1 "
    "ELSE 3 END, delivered_at = CASE WHEN o.result = 'delivered' THEN now() END, last_status_code = o.code, "
    "last_error = o.error, next_attempt_at = CASE WHEN o.result = 'retry' THEN now() + "
    "make_interval(secs => o.delay / 1000.0) ELSE w.next_attempt_at END FROM o "
    "WHERE w.delivery_id = o.id AND w.status = 1 AND (o.result IN ('delivered', 'gone') OR w.attempts = o.attempt)), "
    "g AS (UPDATE webhook_endpoints p SET status = 2, disabled_reason = o.error, disabled_at = now(), "
    "updated_at = now() FROM o JOIN webhook_deliveries x ON x.delivery_id = o.id "
    "WHERE o.result = 'gone' AND p.endpoint_id = x.endpoint_id AND p.status = 1 RETURNING p.endpoint_id) "
    "UPDATE webhook_deliveries SET status = 3, last_error = 'endpoint disabled: 410 Gone' "
    "WHERE endpoint_id IN (SELECT endpoint_id FROM g) AND status = 1 AND delivery_id NOT IN (SELECT id FROM o)";

static const char *const result_names[] = {"delivered", "retry", "failed", "gone"};

/* The outcomes as a JSON array of objects (jsonb_to_recordset reads it). */
static void outcomes_json(strbuf *b, const webhook_outcome *o, int n)
{
    strbuf_puts(b, "[");
    for (int i = 0; i < n; i++) {
        strbuf_printf(b, "%s{\"id\":%" PRId64 ",\"attempt\":%d,\"code\":%d,\"latency\":%.3f,\"delay\":%" PRId64
                         ",\"result\":\"%s\",\"error\":",
                      i ? "," : "", o[i].delivery_id, o[i].attempt, o[i].status_code, o[i].latency_ms, o[i].delay_ms,
                      result_names[o[i].result]);
        strbuf_json_string(b, o[i].error);
        strbuf_puts(b, "}");
    }
    strbuf_puts(b, "]");
}

static void jobs_from(const PGresult *r, webhook_job *out)
{
    for (int i = 0; i < PQntuples(r); i++) {
        webhook_job *j = &out[i];
        j->delivery_id = value_i64(r, i, 0);
        j->event_id = value_i64(r, i, 1);
        j->attempt = atoi(PQgetvalue(r, i, 2));
        j->round_attempts = atoi(PQgetvalue(r, i, 3));
        j->round_started_ms = value_i64(r, i, 4) / 1000;
        j->event_created_ms = value_i64(r, i, 5) / 1000;
        j->url = strdup(PQgetvalue(r, i, 6));
        j->secret = strdup(PQgetvalue(r, i, 7));
        j->body = strdup(PQgetvalue(r, i, 8));
        j->event_type = strdup(PQgetvalue(r, i, 9));
    }
}

int webhook_record_and_claim(pg_conn *pg, const webhook_outcome *outcomes, int n, int limit, long lease_s,
                             webhook_job *out)
{
    strbuf json = STRBUF_INIT;
    char lim[24], lease[24];
    outcomes_json(&json, outcomes, n);
    const char *record_params[1] = {json.data}, *claim_params[2] = {I64(lim, limit), I64(lease, lease_s)};
    pg_stmt stmts[2] = {{record_sql, 1, record_params, NULL, NULL}, {claim_sql, 2, claim_params, NULL, NULL}};
    int first = n > 0 ? 0 : 1, last = limit > 0 ? 2 : 1;
    PGresult *r = pg_exec_pipeline(pg, last - first, stmts + first);
    strbuf_free(&json);
    if (!r)
        return -1;
    int claimed = limit > 0 ? PQntuples(r) : 0;
    if (claimed)
        jobs_from(r, out);
    PQclear(r);
    return claimed;
}

int webhook_backlog(pg_conn *pg, long *pending, double *oldest_s)
{
    PGresult *r = pg_exec(pg,
        "SELECT count(*), coalesce(extract(epoch FROM now() - min(round_started_at)), 0) "
        "FROM webhook_deliveries WHERE status = 1",
        0, NULL);
    if (!r)
        return -1;
    *pending = atol(PQgetvalue(r, 0, 0));
    *oldest_s = strtod(PQgetvalue(r, 0, 1), NULL);
    PQclear(r);
    return 0;
}

int webhook_purge(pg_conn *pg, long days, int limit)
{
    char d[24], lim[24];
    const char *params[2] = {I64(d, days), I64(lim, limit)};
    return pg_affected(pg,
        "DELETE FROM webhook_events WHERE event_id IN (SELECT e.event_id FROM webhook_events e "
        "WHERE e.created_at < now() - make_interval(days => $1::int) AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d "
        "WHERE d.event_id = e.event_id AND d.status = 1) ORDER BY e.event_id LIMIT $2)",
        2, params);
}
