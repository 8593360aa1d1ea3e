/* expiry_store.c — the SQL of expiry-svc (see expiry_store.h). */
#include "expiry_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* The transition and its event in one statement: a hold moves at most once, so it gets
 * exactly one event whoever else tries (booking-svc, another replica, a retry). */
static const char record_sql[] =
    "WITH u AS (SELECT * FROM unnest($1::text[], $2::smallint[], $3::bigint[], $4::text[]) "
    "AS u(hold_id, st, lag, path)), "
    "h AS (UPDATE holds SET status = u.st, updated_at = now() FROM u "
    "WHERE holds.hold_id = u.hold_id AND holds.status = ANY (CASE WHEN u.st = 5 THEN '{1,2}'::smallint[] "
    "ELSE '{1}'::smallint[] END) RETURNING holds.hold_id, u.st, u.lag, u.path) "
    "INSERT INTO events (subject_id, event_type, actor_id, metadata) "
    "SELECT hold_id, CASE WHEN st = 5 THEN 'hold.expired' ELSE 'hold.released' END, 'expiry-svc', "
    "jsonb_strip_nulls(jsonb_build_object('path', path, 'lag_ms', CASE WHEN lag >= 0 THEN lag END)) "
    "FROM h RETURNING subject_id";

/* Appends s as an element of a PostgreSQL array literal (always quoted). */
static void array_text(strbuf *b, const char *s)
{
    strbuf_puts(b, b->len > 1 ? ",\"" : "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            strbuf_append(b, "\\", 1);
        strbuf_append(b, s, 1);
    }
    strbuf_puts(b, "\"");
}

static void array_int(strbuf *b, int64_t v) { strbuf_printf(b, "%s%" PRId64, b->len > 1 ? "," : "", v); }

typedef struct record_arrays {
    strbuf ids, tos, lags, paths;
} record_arrays;

static void arrays_build(record_arrays *a, const expiry_record *recs, int n)
{
    strbuf *all[] = {&a->ids, &a->tos, &a->lags, &a->paths};
    for (int i = 0; i < 4; i++) {
        *all[i] = (strbuf)STRBUF_INIT;
        strbuf_puts(all[i], "{");
    }
    for (int i = 0; i < n; i++) {
        array_text(&a->ids, recs[i].hold_id);
        array_int(&a->tos, recs[i].to);
        array_int(&a->lags, recs[i].lag_ms);
        array_text(&a->paths, recs[i].path);
    }
    for (int i = 0; i < 4; i++)
        strbuf_puts(all[i], "}");
}

static void arrays_free(record_arrays *a)
{
    strbuf_free(&a->ids);
    strbuf_free(&a->tos);
    strbuf_free(&a->lags);
    strbuf_free(&a->paths);
}

int store_record_holds(pg_conn *pg, const expiry_record *recs, int n, int *moved)
{
    record_arrays a;
    arrays_build(&a, recs, n);
    const char *params[4] = {a.ids.data, a.tos.data, a.lags.data, a.paths.data};
    PGresult *r = pg_exec(pg, record_sql, 4, params);
    arrays_free(&a);
    if (!r)
        return -1;
    memset(moved, 0, sizeof *moved * (size_t)n);
    for (int row = 0; row < PQntuples(r); row++)
        for (int i = 0; i < n; i++)
            if (strcmp(recs[i].hold_id, PQgetvalue(r, row, 0)) == 0)
                moved[i] = 1;
    PQclear(r);
    return 0;
}

int store_hold_statuses(pg_conn *pg, const expiry_record *recs, int n, int *status)
{
    strbuf ids = STRBUF_INIT;
    strbuf_puts(&ids, "{");
    for (int i = 0; i < n; i++)
        array_text(&ids, recs[i].hold_id);
    strbuf_puts(&ids, "}");
    const char *params[1] = {ids.data};
    PGresult *r = pg_exec(pg, "SELECT hold_id, status FROM holds WHERE hold_id = ANY ($1::text[])", 1, params);
    strbuf_free(&ids);
    if (!r)
        return -1;
    memset(status, 0, sizeof *status * (size_t)n);
    for (int row = 0; row < PQntuples(r); row++)
        for (int i = 0; i < n; i++)
            if (strcmp(recs[i].hold_id, PQgetvalue(r, row, 0)) == 0)
                status[i] = atoi(PQgetvalue(r, row, 1));
    PQclear(r);
    return 0;
}

int store_overdue_active(pg_conn *pg, int older_than_s, int64_t after_us, const char *after_id, overdue_hold *out,
                         int cap)
{
    char older[16], after[24], limit[16];
    snprintf(older, sizeof older, "%d", older_than_s);
    snprintf(after, sizeof after, "%" PRId64, after_us);
    snprintf(limit, sizeof limit, "%d", cap);
    const char *params[4] = {older, after, after_id, limit};
    PGresult *r = pg_exec(pg,
        "SELECT hold_id, resource_id, (extract(epoch FROM expires_at) * 1000000)::bigint FROM holds "
        "WHERE status = 1 AND expires_at < now() - make_interval(secs => $1::int) "
        "AND (expires_at, hold_id) > (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3) "
        "ORDER BY expires_at, hold_id LIMIT $4::int",
        4, params);
    if (!r)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        snprintf(out[i].hold_id, sizeof out[i].hold_id, "%s", PQgetvalue(r, i, 0));
        snprintf(out[i].resource_id, sizeof out[i].resource_id, "%s", PQgetvalue(r, i, 1));
        out[i].expires_us = strtoll(PQgetvalue(r, i, 2), NULL, 10);
    }
    PQclear(r);
    return n;
}
