/* waitlist_store.c — SQL of the waiting list (waitlist_store.h). */
#include "waitlist_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking/v1/booking.pb-c.h"
#include "inventory_store.h"
#include "states.h"

#define I64(buf, v) (snprintf((buf), sizeof(buf), "%" PRId64, (int64_t)(v)), (buf))
#define WAITING BOOKING__V1__WAITLIST_STATUS__WAITLIST_STATUS_WAITING
#define OFFERED BOOKING__V1__WAITLIST_STATUS__WAITLIST_STATUS_OFFERED

#define ENTRY_COLUMNS                                                                                            \
    "entry_id, user_id, resource_id, coalesce(offered_hold_id, ''), extract(epoch FROM start_time)::bigint, "   \
    "extract(epoch FROM end_time)::bigint, (extract(epoch FROM created_at) * 1000000)::bigint, "                 \
    "coalesce((extract(epoch FROM offered_at) * 1000000)::bigint, 0), "                                         \
    "(extract(epoch FROM updated_at) * 1000000)::bigint, join_seq, quantity, status"

static void entry_from(PGresult *r, int i, waitlist_row *e)
{
    memset(e, 0, sizeof *e);
    snprintf(e->entry_id, sizeof e->entry_id, "%s", PQgetvalue(r, i, 0));
    snprintf(e->user_id, sizeof e->user_id, "%s", PQgetvalue(r, i, 1));
    snprintf(e->resource_id, sizeof e->resource_id, "%s", PQgetvalue(r, i, 2));
    snprintf(e->offered_hold_id, sizeof e->offered_hold_id, "%s", PQgetvalue(r, i, 3));
    int64_t *times[6] = {&e->start_time, &e->end_time, &e->created_us, &e->offered_us, &e->updated_us, &e->join_seq};
    for (int k = 0; k < 6; k++)
        *times[k] = strtoll(PQgetvalue(r, i, 4 + k), NULL, 10);
    e->quantity = atoi(PQgetvalue(r, i, 10));
    e->status = atoi(PQgetvalue(r, i, 11));
}

/* "{1,2,3}" into slots (alloc); returns how many. */
static int parse_slots(const char *text, ProtobufCAllocator *alloc, int64_t **slots)
{
    int n = *text == '{' && text[1] != '}';
    for (const char *c = text; *c; c++)
        n += *c == ',';
    *slots = alloc->alloc(alloc->allocator_data, sizeof **slots * (size_t)(n ? n : 1));
    const char *c = text + 1;
    for (int i = 0; i < n; i++) {
        char *next;
        (*slots)[i] = strtoll(c, &next, 10);
        c = next + 1;
    }
    return n;
}

/* The rows of r (freed) into out; with alloc, the slots of column 12 too. The count, or -1
 * when r is NULL (the query failed). */
static int entries_from(PGresult *r, waitlist_row *out, ProtobufCAllocator *alloc)
{
    if (!r)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        entry_from(r, i, &out[i]);
        if (alloc)
            out[i].n_slots = parse_slots(PQgetvalue(r, i, 12), alloc, &out[i].slots);
    }
    PQclear(r);
    return n;
}

waitlist_join_result waitlist_insert(pg_conn *pg, const waitlist_row *e, const int64_t *slots, int n, int max_open,
                                     const char *actor)
{
    char start[24], end[24], q[24], limit[24];
    char *array = int64_array_literal(slots, n);
    const char *params[9] = {e->entry_id, e->user_id, e->resource_id, I64(start, e->start_time),
                             I64(end, e->end_time), I64(q, e->quantity), array, I64(limit, max_open), actor};
    PGresult *r = pg_exec(pg,
        "WITH open AS (SELECT count(*) AS n FROM waitlist_entries WHERE user_id = $2 AND status IN (1, 2)), "
        "ins AS (INSERT INTO waitlist_entries (entry_id, user_id, resource_id, start_time, end_time, quantity, "
        "slot_starts, status) SELECT $1, $2, $3, to_timestamp($4), to_timestamp($5), $6, $7::bigint[], 1 FROM open "
        "WHERE open.n < $8 ON CONFLICT (entry_id) DO NOTHING RETURNING entry_id), "
        "ev AS (INSERT INTO events (subject_id, event_type, actor_id, metadata) SELECT entry_id, 'waitlist.joined', $9, "
        "jsonb_build_object('resource_id', $3::text, 'user_id', $2::text, 'quantity', $6::text, "
        "'start_time', $4::text, 'end_time', $5::text) FROM ins RETURNING 1) "
        "SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM waitlist_entries WHERE entry_id = $1)",
        9, params);
    free(array);
    if (!r)
        return JOIN_FAILED;
    int inserted = atoi(PQgetvalue(r, 0, 0)), exists = atoi(PQgetvalue(r, 0, 1));
    PQclear(r);
    return inserted ? JOIN_DONE : exists ? JOIN_EXISTS : JOIN_TOO_MANY;
}

int waitlist_load(pg_conn *pg, const char *entry_id, waitlist_row *out)
{
    const char *params[1] = {entry_id};
    PGresult *r = pg_exec(pg, "SELECT " ENTRY_COLUMNS " FROM waitlist_entries WHERE entry_id = $1", 1, params);
    return entries_from(r, out, NULL); /* entry_id is the key: 1 or 0 */
}

int waitlist_list(pg_conn *pg, const char *user_id, const char *resource_id, int status, int64_t after, int limit,
                  waitlist_row *out)
{
    char st[24], af[24], lim[24];
    const char *params[5] = {user_id ? user_id : "", resource_id ? resource_id : "", I64(st, status), I64(af, after),
                             I64(lim, limit)};
    PGresult *r = pg_exec(pg,
        "SELECT " ENTRY_COLUMNS " FROM waitlist_entries WHERE (($1 <> '' AND user_id = $1) OR "
        "($1 = '' AND resource_id = $2)) AND ($3::smallint = 0 OR status = $3::smallint) AND join_seq > $4 "
        "ORDER BY join_seq LIMIT $5",
        5, params);
    return entries_from(r, out, NULL);
}

int waitlist_move(pg_conn *pg, const char *entry_id, int to, const char *hold_id, const char *event_type,
                  const char *meta_json, const char *actor)
{
    int from[8];
    int64_t from64[8];
    int n = waitlist_sources(to, from);
    for (int i = 0; i < n; i++)
        from64[i] = from[i];
    char to_s[24], *sources = int64_array_literal(from64, n);
    const char *params[7] = {entry_id, sources, I64(to_s, to), hold_id && *hold_id ? hold_id : NULL, event_type,
                             meta_json ? meta_json : "{}", actor};
    int rows = pg_affected(pg,
        "WITH m AS (UPDATE waitlist_entries SET status = $3::smallint, "
        "offered_hold_id = coalesce($4, offered_hold_id), "
        "offer_seq = CASE WHEN $3::smallint = 2 THEN nextval('waitlist_offer_seq') ELSE offer_seq END, "
        "offered_at = CASE WHEN $3::smallint = 2 THEN clock_timestamp() ELSE offered_at END, "
        "updated_at = clock_timestamp() "
        "WHERE entry_id = $1 AND status = ANY ($2::smallint[]) RETURNING entry_id, resource_id, user_id, quantity, "
        "offered_hold_id) "
        "INSERT INTO events (subject_id, event_type, actor_id, metadata) SELECT entry_id, $5, $7, "
        "jsonb_build_object('entry_id', entry_id, 'resource_id', resource_id, 'user_id', user_id, 'quantity', "
        "quantity::text) || CASE WHEN offered_hold_id IS NULL THEN '{}'::jsonb "
        "ELSE jsonb_build_object('offered_hold_id', offered_hold_id) END "
        "|| $6::jsonb FROM m",
        7, params);
    free(sources);
    return rows < 0 ? -1 : rows > 0;
}

int waitlist_waiting(pg_conn *pg, ProtobufCAllocator *alloc, waitlist_row *out, int cap, int per_resource)
{
    char lim[24], each[24];
    const char *params[2] = {I64(lim, cap), I64(each, per_resource)};
    PGresult *r = pg_exec(pg,
        "SELECT " ENTRY_COLUMNS ", slot_starts::text FROM (SELECT *, row_number() OVER (PARTITION BY resource_id "
        "ORDER BY join_seq) AS place FROM waitlist_entries WHERE status = 1) w WHERE place <= $2 "
        "ORDER BY resource_id, join_seq LIMIT $1",
        2, params);
    return entries_from(r, out, alloc);
}

int waitlist_open_resources(pg_conn *pg, char (*out)[ID_MAX + 1], int cap)
{
    char lim[24];
    const char *params[1] = {I64(lim, cap)};
    PGresult *r = pg_exec(pg,
        "SELECT DISTINCT resource_id FROM waitlist_entries WHERE status IN (1, 2) ORDER BY resource_id LIMIT $1", 1,
        params);
    if (!r)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++)
        snprintf(out[i], ID_MAX + 1, "%s", PQgetvalue(r, i, 0));
    PQclear(r);
    return n;
}

int waitlist_settle_offers(pg_conn *pg, const char *actor)
{
    const char *params[1] = {actor};
    return pg_affected(pg,
        "WITH m AS (UPDATE waitlist_entries w SET status = CASE WHEN h.status = 3 THEN 4 ELSE 3 END, "
        "updated_at = clock_timestamp() FROM holds h WHERE w.status = 2 AND h.hold_id = w.offered_hold_id "
        "AND h.status IN (3, 4, 5) RETURNING w.entry_id, w.resource_id, w.user_id, w.quantity, w.offered_hold_id, "
        "w.status, h.status AS hold_status) "
        "INSERT INTO events (subject_id, event_type, actor_id, metadata) SELECT entry_id, "
        "CASE WHEN status = 4 THEN 'waitlist.converted' ELSE 'waitlist.expired' END, $1, "
        "jsonb_build_object('entry_id', entry_id, 'resource_id', resource_id, 'user_id', user_id, 'quantity', "
        "quantity::text, 'offered_hold_id', offered_hold_id, 'hold_status', hold_status::text) FROM m",
        1, params);
}

int waitlist_lock(pg_conn *pg, const char *resource_id)
{
    const char *params[1] = {resource_id};
    PGresult *r = pg_exec(pg, "SELECT pg_try_advisory_lock(hashtext('waitlist:' || $1))", 1, params);
    if (!r)
        return -1;
    int held = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return held;
}

void waitlist_unlock(pg_conn *pg, const char *resource_id)
{
    const char *params[1] = {resource_id};
    PGresult *r = pg_exec(pg, "SELECT pg_advisory_unlock(hashtext('waitlist:' || $1))", 1, params);
    PQclear(r);
}
