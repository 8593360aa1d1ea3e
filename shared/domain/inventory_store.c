/* inventory_store.c — catalogue reads shared by the services on the booking schema. */
#include "inventory_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slots.h"
#include "strbuf.h"

#define SLOT_COLUMNS                                                                              \
    "extract(epoch FROM slot_start)::bigint, extract(epoch FROM slot_end)::bigint, total_capacity, " \
    "confirmed, coalesce(price_minor, -1), inherits, overbooking_percent"

#define RESOURCE_SELECT \
    "SELECT body, extract(epoch FROM created_at)::bigint, extract(epoch FROM updated_at)::bigint, version " \
    "FROM resources WHERE resource_id = $1"
static const char *const resource_select[] = {RESOURCE_SELECT, RESOURCE_SELECT " FOR SHARE",
                                              RESOURCE_SELECT " FOR UPDATE"};

static Google__Protobuf__Timestamp *timestamp_in(ProtobufCAllocator *alloc, const char *seconds)
{
    Google__Protobuf__Timestamp *t = alloc->alloc(alloc->allocator_data, sizeof *t);
    google__protobuf__timestamp__init(t);
    t->seconds = strtoll(seconds, NULL, 10);
    return t;
}

int inventory_load_resource(pg_conn *pg, const char *resource_id, row_lock lock, ProtobufCAllocator *alloc,
                            Booking__V1__Resource **out)
{
    return inventory_load_versioned(pg, resource_id, lock, alloc, out, NULL);
}

/* The resource of a resource_select result: 1, 0 (no row) or -1 (a body that does not
 * unpack). */
static int resource_from(PGresult *r, ProtobufCAllocator *alloc, Booking__V1__Resource **out, int64_t *version)
{
    if (PQntuples(r) == 0)
        return 0;
    size_t len;
    unsigned char *body = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &len);
    *out = booking__v1__resource__unpack(alloc, len, body);
    PQfreemem(body);
    if (*out) { /* the columns say when; a body stored with its times must not leak them */
        if ((*out)->created_at)
            protobuf_c_message_free_unpacked(&(*out)->created_at->base, alloc);
        if ((*out)->updated_at)
            protobuf_c_message_free_unpacked(&(*out)->updated_at->base, alloc);
        (*out)->created_at = timestamp_in(alloc, PQgetvalue(r, 0, 1));
        (*out)->updated_at = timestamp_in(alloc, PQgetvalue(r, 0, 2));
    }
    if (version)
        *version = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
    return *out ? 1 : -1;
}

int inventory_load_versioned(pg_conn *pg, const char *resource_id, row_lock lock, ProtobufCAllocator *alloc,
                             Booking__V1__Resource **out, int64_t *version)
{
    const char *params[1] = {resource_id};
    PGresult *r = pg_exec(pg, resource_select[lock], 1, params);
    if (!r)
        return -1;
    int found = resource_from(r, alloc, out, version);
    PQclear(r);
    return found;
}

char *int64_array_literal(const int64_t *values, int n)
{
    strbuf b = STRBUF_INIT;
    strbuf_puts(&b, "{");
    for (int i = 0; i < n; i++)
        strbuf_printf(&b, "%s%" PRId64, i ? "," : "", values[i]);
    strbuf_puts(&b, "}");
    return b.data;
}

static void row_from(PGresult *r, int i, slot_row *out)
{
    out->start = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    out->end = strtoll(PQgetvalue(r, i, 1), NULL, 10);
    out->total = atoi(PQgetvalue(r, i, 2));
    out->confirmed = atoi(PQgetvalue(r, i, 3));
    out->price_minor = strtoll(PQgetvalue(r, i, 4), NULL, 10);
    out->exists = 1;
    out->inherits = PQgetvalue(r, i, 5)[0] == 't';
    out->limit = slot_sell_limit(out->total, atoi(PQgetvalue(r, i, 6)));
}

static const char slots_select[] = "SELECT " SLOT_COLUMNS " FROM slots WHERE resource_id = $1 "
                                   "AND slot_start = ANY (SELECT to_timestamp(unnest($2::bigint[])))";

/* out[0..n) from the defaults, then the rows of a slots_select result over them. */
static void slots_from(PGresult *r, const int64_t *starts, int n, const int64_t *ends, int default_capacity,
                       int overbooking_percent, slot_row *out)
{
    int limit = slot_sell_limit(default_capacity, overbooking_percent);
    for (int i = 0; i < n; i++)
        out[i] = (slot_row){starts[i], ends ? ends[i] : starts[i], default_capacity, limit, 0, -1, 0, 0};
    for (int row = 0; row < PQntuples(r); row++) {
        slot_row found;
        row_from(r, row, &found);
        for (int i = 0; i < n; i++)
            if (out[i].start == found.start)
                out[i] = found;
    }
}

int inventory_load_slots(pg_conn *pg, const char *resource_id, const int64_t *starts, int n, const int64_t *ends,
                         int default_capacity, int overbooking_percent, slot_row *out)
{
    char *array = int64_array_literal(starts, n);
    const char *params[2] = {resource_id, array};
    PGresult *r = pg_exec(pg, slots_select, 2, params);
    free(array);
    if (!r)
        return -1;
    slots_from(r, starts, n, ends, default_capacity, overbooking_percent, out);
    PQclear(r);
    return 0;
}

int inventory_lock_slots_for_load(pg_conn *pg, const char *resource_id, const int64_t *starts, int n,
                                  const int64_t *ends, int single, ProtobufCAllocator *alloc,
                                  Booking__V1__Resource **locked, int64_t *version, slot_row *out)
{
    char *array = int64_array_literal(starts, n);
    const char *params[2] = {resource_id, array};
    const pg_stmt stmts[3] = {{"BEGIN", 0, NULL, NULL, NULL},
                              {resource_select[LOCK_UPDATE], 1, params, NULL, NULL},
                              {slots_select, 2, params, NULL, NULL}};
    PGresult *r[3];
    int rc = pg_exec_pipeline_each(pg, 3, stmts, r);
    free(array);
    int found = rc != 0 ? -1 : resource_from(r[1], alloc, locked, version);
    if (found == 1)
        slots_from(r[2], starts, n, ends, single ? 0 : (*locked)->capacity, (*locked)->overbooking_percent, out);
    for (int i = 0; i < 3; i++)
        PQclear(r[i]);
    return found;
}

int inventory_load_range(pg_conn *pg, const char *resource_id, int64_t from, int64_t to, slot_row *out, int cap,
                         int *count)
{
    char from_s[24], to_s[24], cap_s[16];
    snprintf(from_s, sizeof from_s, "%" PRId64, from);
    snprintf(to_s, sizeof to_s, "%" PRId64, to);
    snprintf(cap_s, sizeof cap_s, "%d", cap);
    const char *params[4] = {resource_id, from_s, to_s, cap_s};
    PGresult *r = pg_exec(pg,
                          "SELECT " SLOT_COLUMNS " FROM slots WHERE resource_id = $1 "
                          "AND slot_start >= to_timestamp($2) AND slot_start < to_timestamp($3) "
                          "ORDER BY slot_start LIMIT $4",
                          4, params);
    if (!r)
        return -1;
    *count = PQntuples(r);
    for (int i = 0; i < *count; i++)
        row_from(r, i, &out[i]);
    PQclear(r);
    return 0;
}
