/* booking_store.c — SQL of booking-svc: resources, inventory writes, hold history reads. */
#include "booking_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_store.h"
#include "strbuf.h"

#define I64(buf, v) (snprintf((buf), sizeof(buf), "%" PRId64, (int64_t)(v)), (buf))

static uint8_t *pack_message(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len + 1);
    protobuf_c_message_pack(m, buf);
    return buf;
}

/* ---- resources ------------------------------------------------------------------ */

static PGresult *resource_write(pg_conn *pg, const Booking__V1__Resource *r, const char *sql)
{
    char type[24], lat[32], lon[32], cap[24], slot[24], status[24], rating[32], price[24];
    size_t len;
    uint8_t *body = pack_message(&r->base, &len);
    snprintf(lat, sizeof lat, "%.9f", r->latitude);
    snprintf(lon, sizeof lon, "%.9f", r->longitude);
    snprintf(rating, sizeof rating, "%.4f", r->rating);
    const char *params[12] = {r->resource_id, I64(type, r->resource_type), r->name, r->location, lat, lon,
                              I64(cap, r->capacity), I64(slot, r->slot_minutes), I64(status, r->status), rating,
                              r->base_price->currency, I64(price, r->base_price->amount_minor)};
    const char *all[13];
    int lengths[13] = {0}, formats[13] = {0};
    memcpy(all, params, sizeof params);
    all[12] = (const char *)body;
    lengths[12] = (int)len;
    formats[12] = 1;
    PGresult *res = pg_exec_binary(pg, sql, 13, all, lengths, formats, 0);
    free(body);
    return res;
}

int store_resource_insert(pg_conn *pg, const Booking__V1__Resource *r)
{
    PGresult *res = resource_write(pg, r,
        "INSERT INTO resources (resource_id, resource_type, name, location, latitude, longitude, capacity, "
        "slot_minutes, status, rating, currency, base_price_minor, body) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING");
    if (!res)
        return -1;
    int inserted = atoi(PQcmdTuples(res)) == 1;
    PQclear(res);
    return inserted;
}

int store_resource_update(pg_conn *pg, const Booking__V1__Resource *r)
{
    PGresult *res = resource_write(pg, r,
        "UPDATE resources SET resource_type = $2, name = $3, location = $4, latitude = $5, longitude = $6, "
        "capacity = $7, slot_minutes = $8, status = $9, rating = $10, currency = $11, base_price_minor = $12, "
        "body = $13, updated_at = now(), version = version + 1 WHERE resource_id = $1");
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* ---- inventory ------------------------------------------------------------------ */

int store_slots_confirmed_above(pg_conn *pg, const char *resource_id, int64_t from, int64_t to, int total)
{
    char f[24], t[24], n[24];
    const char *params[4] = {resource_id, I64(f, from), I64(t, to), I64(n, total)};
    PGresult *r = pg_exec(pg,
                          "SELECT count(*) FROM slots WHERE resource_id = $1 AND slot_start >= to_timestamp($2) "
                          "AND slot_start < to_timestamp($3) AND confirmed > $4",
                          4, params);
    if (!r)
        return -1;
    int count = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return count;
}

int store_slots_set(pg_conn *pg, const char *resource_id, const int64_t *starts, int n, const int64_t *ends,
                    int total, int64_t price_minor)
{
    char cap[24], price[24];
    char *array = int64_array_literal(starts, n), *end_array = int64_array_literal(ends, n);
    const char *params[5] = {resource_id, array, end_array, I64(cap, total),
                             price_minor >= 0 ? I64(price, price_minor) : NULL};
    int rows = pg_affected(pg,
        "INSERT INTO slots (resource_id, slot_start, slot_end, total_capacity, price_minor) "
        "SELECT $1, to_timestamp(s), to_timestamp(e), $4, $5 FROM unnest($2::bigint[], $3::bigint[]) AS u (s, e) "
        "ON CONFLICT (resource_id, slot_start) DO UPDATE SET total_capacity = EXCLUDED.total_capacity, inherits = false, "
        "price_minor = EXCLUDED.price_minor, updated_at = now()",
        5, params);
    free(array);
    free(end_array);
    return rows;
}

int store_resource_bump_version(pg_conn *pg, const char *resource_id)
{
    const char *params[1] = {resource_id};
    return pg_run(pg, "UPDATE resources SET version = version + 1, updated_at = now() WHERE resource_id = $1", 1,
                  params);
}

int store_slots_follow_capacity(pg_conn *pg, const char *resource_id, int capacity)
{
    char cap[24];
    const char *params[2] = {resource_id, I64(cap, capacity)};
    PGresult *r = pg_exec(pg,
                          "SELECT count(*) FILTER (WHERE confirmed > $2) FROM slots "
                          "WHERE resource_id = $1 AND inherits",
                          2, params);
    if (!r)
        return -1;
    int above = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (above > 0)
        return 1;
    return pg_run(pg,
                  "UPDATE slots SET total_capacity = $2, updated_at = now() WHERE resource_id = $1 AND inherits",
                  2, params) == 0 ? 0 : -1;
}

int store_slot_overlaps(pg_conn *pg, const char *resource_id, int64_t start, int64_t end)
{
    char s[24], e[24];
    const char *params[3] = {resource_id, I64(s, start), I64(e, end)};
    PGresult *r = pg_exec(pg,
                          "SELECT count(*) FROM slots WHERE resource_id = $1 AND slot_start <> to_timestamp($2) "
                          "AND slot_start < to_timestamp($3) AND slot_end > to_timestamp($2)",
                          3, params);
    if (!r)
        return -1;
    int overlaps = atoi(PQgetvalue(r, 0, 0)) > 0;
    PQclear(r);
    return overlaps;
}

/* ---- holds ---------------------------------------------------------------------- */

static void hold_from(PGresult *r, ProtobufCAllocator *alloc, hold_row *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->hold_id, sizeof out->hold_id, "%s", PQgetvalue(r, 0, 0));
    snprintf(out->user_id, sizeof out->user_id, "%s", PQgetvalue(r, 0, 1));
    snprintf(out->resource_id, sizeof out->resource_id, "%s", PQgetvalue(r, 0, 2));
    out->start_time = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
    out->end_time = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
    out->quantity = atoi(PQgetvalue(r, 0, 5));
    out->status = atoi(PQgetvalue(r, 0, 6));
    out->expires_at = strtoll(PQgetvalue(r, 0, 7), NULL, 10);
    if (!PQgetisnull(r, 0, 8)) {
        size_t len;
        unsigned char *quote = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 8), &len);
        out->quote = booking__v1__price__unpack(alloc, len, quote);
        PQfreemem(quote);
    }
    snprintf(out->booking_id, sizeof out->booking_id, "%s", PQgetvalue(r, 0, 9));
    out->created_at = strtoll(PQgetvalue(r, 0, 10), NULL, 10);
}

int store_hold_load(pg_conn *pg, const char *hold_id, ProtobufCAllocator *alloc, hold_row *out)
{
    const char *params[1] = {hold_id};
    PGresult *r = pg_exec(pg,
        "SELECT hold_id, user_id, resource_id, extract(epoch FROM start_time)::bigint, "
        "extract(epoch FROM end_time)::bigint, quantity, status, "
        "(extract(epoch FROM expires_at) * 1000)::bigint, quote, coalesce(booking_id, ''), "
        "extract(epoch FROM created_at)::bigint FROM holds WHERE hold_id = $1",
        1, params);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found)
        hold_from(r, alloc, out);
    PQclear(r);
    return found;
}
