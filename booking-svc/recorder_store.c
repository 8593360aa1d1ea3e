/* recorder_store.c — hold log entries into PostgreSQL, in batches: one statement per
 * table, every column an array parameter. */
#include "recorder_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking/v1/booking.pb-c.h"
#include "states.h"
#include "strbuf.h"

/* A PostgreSQL array literal built one element at a time. */
typedef struct array {
    strbuf b;
    int n;
} array;

static void array_begin(array *a)
{
    memset(a, 0, sizeof *a);
    strbuf_puts(&a->b, "{");
}

static void array_sep(array *a) { strbuf_puts(&a->b, a->n++ ? "," : ""); }

static void array_text(array *a, const char *s)
{
    array_sep(a);
    strbuf_puts(&a->b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            strbuf_append(&a->b, "\\", 1);
        strbuf_append(&a->b, s, 1);
    }
    strbuf_puts(&a->b, "\"");
}

static void array_int(array *a, int64_t v)
{
    array_sep(a);
    strbuf_printf(&a->b, "%" PRId64, v);
}

static void array_hex(array *a, const char *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    array_sep(a);
    strbuf_puts(&a->b, "\"");
    for (size_t i = 0; i < len; i++) {
        char pair[2] = {digits[(unsigned char)bytes[i] >> 4], digits[(unsigned char)bytes[i] & 15]};
        strbuf_append(&a->b, pair, 2);
    }
    strbuf_puts(&a->b, "\"");
}

static const char *array_end(array *a)
{
    strbuf_puts(&a->b, "}");
    return a->b.data;
}

/* A hold ends once, whatever path records it: its end events share one key. */
static void event_key(const hold_event *e, char *out, size_t cap)
{
    if (e->status == 'R' || e->status == 'X' || e->status == 'F')
        snprintf(out, cap, "%s:end", e->hold_id);
    else
        snprintf(out, cap, "p%02d:%s", e->partition, e->entry_id);
}

enum { EV_HOLD, EV_TYPE, EV_ACTOR, EV_META, EV_AT, EV_KEY, EV_COLUMNS };

static const char events_sql[] =
    "INSERT INTO events (subject_id, event_type, actor_id, created_at, metadata, event_key) "
    "SELECT h, t, a, to_timestamp(at / 1000000.0), m::jsonb, k "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[]) AS e(h, t, a, m, at, k) "
    "ON CONFLICT (event_key) DO NOTHING";

static void events_params(const hold_event *events, int n, array *cols)
{
    for (int c = 0; c < EV_COLUMNS; c++)
        array_begin(&cols[c]);
    for (int i = 0; i < n; i++) {
        const hold_event *e = &events[i];
        char key[ID_MAX + HOLD_LOG_ENTRY_ID_MAX + 8];
        event_key(e, key, sizeof key);
        array_text(&cols[EV_HOLD], e->hold_id);
        array_text(&cols[EV_TYPE], e->event_type);
        array_text(&cols[EV_ACTOR], e->actor);
        array_text(&cols[EV_META], e->metadata);
        array_int(&cols[EV_AT], e->at_us);
        array_text(&cols[EV_KEY], key);
    }
}

enum { H_ID, H_USER, H_RES, H_START, H_END, H_Q, H_ST, H_EXP, H_QUOTE, H_BK, H_CREATED, H_AT, H_POS, H_COLUMNS };

/* Whatever order entries arrive in (a redelivery may come after later ones), the row
 * keeps the state of the latest position and the quote of hold.created. */
static const char holds_sql[] =
    "INSERT INTO holds (hold_id, user_id, resource_id, start_time, end_time, quantity, status, expires_at, quote, "
    "booking_id, created_at, updated_at, log_position) "
    "SELECT h, u, r, to_timestamp(s), to_timestamp(e), q, st, to_timestamp(x / 1000.0), decode(nullif(qt, ''), 'hex'), "
    "nullif(bk, ''), to_timestamp(c / 1000.0), to_timestamp(t / 1000.0), pos "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::int[], $7::smallint[], "
    "$8::bigint[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[]) "
    "AS v(h, u, r, s, e, q, st, x, qt, bk, c, t, pos) "
    "ON CONFLICT (hold_id) DO UPDATE SET "
    "status = CASE WHEN holds.log_position < EXCLUDED.log_position THEN EXCLUDED.status ELSE holds.status END, "
    "updated_at = greatest(holds.updated_at, EXCLUDED.updated_at), "
    "booking_id = coalesce(holds.booking_id, EXCLUDED.booking_id), quote = coalesce(holds.quote, EXCLUDED.quote), "
    "log_position = greatest(holds.log_position, EXCLUDED.log_position)";

/* The index of the latest entry of each hold (one row each: an UPSERT may not touch a
 * row twice), and of each hold's hold.created entry (-1 when not in the batch). */
static int latest_per_hold(const hold_event *events, int n, int *last, int *created)
{
    int holds = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < holds && strcmp(events[last[k]].hold_id, events[i].hold_id) != 0)
            k++;
        if (k == holds) {
            last[holds] = i;
            created[holds++] = -1;
        } else if (events[i].position > events[last[k]].position) {
            last[k] = i;
        }
        if (events[i].quote)
            created[k] = i;
    }
    return holds;
}

static void holds_params(const hold_event *events, int n, array *cols)
{
    int *last = malloc(sizeof *last * (size_t)n), *created = malloc(sizeof *created * (size_t)n);
    int holds = latest_per_hold(events, n, last, created);
    for (int c = 0; c < H_COLUMNS; c++)
        array_begin(&cols[c]);
    for (int k = 0; k < holds; k++) {
        const hold_event *e = &events[last[k]];
        const hold_event *c = created[k] >= 0 ? &events[created[k]] : NULL;
        array_text(&cols[H_ID], e->hold_id);
        array_text(&cols[H_USER], e->user_id);
        array_text(&cols[H_RES], e->resource_id);
        array_int(&cols[H_START], e->start);
        array_int(&cols[H_END], e->end);
        array_int(&cols[H_Q], e->quantity);
        array_int(&cols[H_ST], hold_status_of_letter(e->status));
        array_int(&cols[H_EXP], e->expires_ms);
        array_hex(&cols[H_QUOTE], c ? c->quote : "", c ? c->quote_len : 0);
        array_text(&cols[H_BK], e->booking_id);
        array_int(&cols[H_CREATED], e->created_ms);
        array_int(&cols[H_AT], e->at_ms);
        array_int(&cols[H_POS], e->position);
    }
    free(last);
    free(created);
}

int recorder_write(pg_conn *pg, const hold_event *events, int n)
{
    array ev[EV_COLUMNS], ho[H_COLUMNS];
    const char *ev_params[EV_COLUMNS], *ho_params[H_COLUMNS];
    events_params(events, n, ev);
    holds_params(events, n, ho);
    for (int c = 0; c < EV_COLUMNS; c++)
        ev_params[c] = array_end(&ev[c]);
    for (int c = 0; c < H_COLUMNS; c++)
        ho_params[c] = array_end(&ho[c]);
    const pg_stmt stmts[4] = {
        {"BEGIN", 0, NULL, NULL, NULL},
        {holds_sql, H_COLUMNS, ho_params, NULL, NULL},
        {events_sql, EV_COLUMNS, ev_params, NULL, NULL},
        {"COMMIT", 0, NULL, NULL, NULL},
    };
    PGresult *r = pg_exec_pipeline(pg, 4, stmts);
    for (int c = 0; c < EV_COLUMNS; c++)
        strbuf_free(&ev[c].b);
    for (int c = 0; c < H_COLUMNS; c++)
        strbuf_free(&ho[c].b);
    if (!r) {
        pg_rollback(pg);
        return -1;
    }
    PQclear(r);
    return 0;
}

int recorder_stale_holds(pg_conn *pg, int grace_s, stale_hold *out, int cap)
{
    char grace[24], limit[24];
    snprintf(grace, sizeof grace, "%d", grace_s);
    snprintf(limit, sizeof limit, "%d", cap);
    const char *params[2] = {grace, limit};
    PGresult *r = pg_exec(pg,
        "SELECT h.hold_id, coalesce(b.booking_id, '') FROM holds h LEFT JOIN bookings b USING (hold_id) "
        "WHERE h.status IN (1, 2) AND h.expires_at < now() - make_interval(secs => $1) "
        "ORDER BY h.expires_at LIMIT $2",
        2, params);
    if (!r)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        snprintf(out[i].hold_id, sizeof out[i].hold_id, "%s", PQgetvalue(r, i, 0));
        snprintf(out[i].booking_id, sizeof out[i].booking_id, "%s", PQgetvalue(r, i, 1));
    }
    PQclear(r);
    return n;
}

int recorder_unrecorded_bookings(pg_conn *pg, int grace_s, char since[40], stale_hold *out, int cap)
{
    char grace[24], limit[24];
    snprintf(grace, sizeof grace, "%d", grace_s);
    snprintf(limit, sizeof limit, "%d", cap);
    const char *params[3] = {grace, since, limit};
    /* one row at least: the window's upper end, then the bookings found (bookings_created) */
    PGresult *r = pg_exec(pg,
        "WITH w AS (SELECT coalesce(nullif($2, '')::timestamptz, now() - interval '1 day') AS since, "
        "now() - make_interval(secs => $1::int) AS upto) "
        "SELECT w.upto::text, b.hold_id, b.booking_id, b.created_at::text FROM w LEFT JOIN LATERAL ("
        "SELECT b.hold_id, b.booking_id, b.created_at FROM bookings b WHERE b.created_at > w.since "
        "AND b.created_at <= w.upto AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.hold_id = b.hold_id) "
        "ORDER BY b.created_at LIMIT $3::int) b ON true ORDER BY b.created_at",
        3, params);
    if (!r)
        return -1;
    int rows = PQntuples(r), n = 0;
    for (int i = 0; i < rows; i++) {
        if (PQgetisnull(r, i, 1))
            continue;
        snprintf(out[n].hold_id, sizeof out[n].hold_id, "%s", PQgetvalue(r, i, 1));
        snprintf(out[n].booking_id, sizeof out[n].booking_id, "%s", PQgetvalue(r, i, 2));
        n++;
    }
    /* a full page: the next call starts after its last booking; else after the window */
    snprintf(since, 40, "%s", n == cap ? PQgetvalue(r, rows - 1, 3) : PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

int recorder_record_booked(pg_conn *pg, const char *booking_id, const char *actor)
{
    const char *params[2] = {booking_id, actor};
    /* the highest position: no entry of the hold log can move it back */
    return pg_run(pg,
        "WITH h AS (INSERT INTO holds (hold_id, user_id, resource_id, start_time, end_time, quantity, status, "
        "expires_at, quote, booking_id, created_at, updated_at, log_position) SELECT hold_id, user_id, resource_id, "
        "start_time, end_time, quantity, 3, created_at, price, booking_id, created_at, now(), 9223372036854775807 "
        "FROM bookings WHERE booking_id = $1 ON CONFLICT (hold_id) DO UPDATE SET status = 3, "
        "booking_id = EXCLUDED.booking_id, updated_at = now(), log_position = EXCLUDED.log_position "
        "WHERE holds.status IN (1, 2) RETURNING hold_id) "
        "INSERT INTO events (subject_id, event_type, actor_id, metadata, event_key) "
        "SELECT hold_id, 'hold.confirmed', $2, jsonb_build_object('path', 'lost', 'booking_id', $1::text), "
        "hold_id || ':end' FROM h ON CONFLICT (event_key) DO NOTHING",
        2, params);
}

int recorder_record_lost(pg_conn *pg, const stale_hold *h, const char *actor)
{
    if (h->booking_id[0])
        return recorder_record_booked(pg, h->booking_id, actor);
    char status[8];
    snprintf(status, sizeof status, "%d", BOOKING__V1__HOLD_STATUS__HOLD_STATUS_EXPIRED);
    const char *params[3] = {h->hold_id, status, actor};
    return pg_run(pg,
        "WITH h AS (UPDATE holds SET status = $2::smallint, updated_at = now(), log_position = 9223372036854775807 "
        "WHERE hold_id = $1 AND status IN (1, 2) RETURNING hold_id) "
        "INSERT INTO events (subject_id, event_type, actor_id, metadata, event_key) "
        "SELECT hold_id, 'hold.expired', $3, '{\"path\":\"lost\"}', hold_id || ':end' FROM h "
        "ON CONFLICT (event_key) DO NOTHING",
        3, params);
}
