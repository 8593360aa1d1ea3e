/* loader.c — bulk reads for the read model: two queries per batch (resources, then
 * their slot rows in one index range or id list) in one read-only snapshot, results in
 * binary (no text formatting in PostgreSQL, no parsing here), and pipelined HGETALLs
 * for counters. */
#include "loader.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define RES_COLS "SELECT resource_id, body, created_at, updated_at "
#define SLOT_COLS "SELECT resource_id, slot_start, slot_end, total_capacity, confirmed, coalesce(price_minor, -1) FROM slots "
#define PIPELINE 512
#define PG_EPOCH_OFFSET 946684800LL /* 2000-01-01 in Unix seconds: binary timestamps count from it */

static uint64_t be(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

/* A binary column as a number: int4, int8, or timestamptz (microseconds since 2000,
 * returned as Unix seconds). */
static int64_t num(PGresult *r, int row, int col)
{
    const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
    Oid type = PQftype(r, col);
    if (type == 23) /* int4 */
        return (int32_t)be(p, 4);
    int64_t v = (int64_t)be(p, 8);
    if (type != 1184) /* int8 */
        return v;
    return (v >= 0 ? v / 1000000 : -((-v + 999999) / 1000000)) + PG_EPOCH_OFFSET; /* floor to seconds */
}

/* One read-only snapshot for a batch's two queries. Its slot query reads the slots'
 * primary key in order for a list of resources: the rows come grouped and sorted as
 * attach_rows wants them, with no sort. For a chunk of 500 resources (~180,000 rows)
 * the planner would rather scan the whole table, or run a bitmap scan, and sort
 * (spilling to disk): 2-8 times slower, and as slow for a shard's chunk as for the
 * whole catalogue's. SET LOCAL lasts for the transaction only, so it holds through a
 * transaction pooler too. 0 or -1. */
static int begin_snapshot(pg_conn *pg)
{
    static const pg_stmt begin[] = {{"BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL, NULL, NULL},
                                    {"SET LOCAL enable_seqscan = off", 0, NULL, NULL, NULL},
                                    {"SET LOCAL enable_bitmapscan = off", 0, NULL, NULL, NULL}};
    PGresult *r = pg_exec_pipeline(pg, 3, begin);
    int ok = r != NULL;
    PQclear(r);
    if (!ok)
        pg_rollback(pg);
    return ok ? 0 : -1;
}

/* pg_exec with results in binary. */
static PGresult *exec_bin(pg_conn *pg, const char *sql, int n, const char *const *params)
{
    return pg_exec_binary(pg, sql, n, params, NULL, NULL, 1);
}

char *text_array_literal(char *const *ids, int n)
{
    strbuf b = STRBUF_INIT;
    strbuf_puts(&b, "{");
    for (int i = 0; i < n; i++) {
        strbuf_puts(&b, i ? ",\"" : "\"");
        for (const char *p = ids[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                strbuf_append(&b, "\\", 1);
            strbuf_append(&b, p, 1);
        }
        strbuf_puts(&b, "\"");
    }
    strbuf_puts(&b, "}");
    return b.data;
}

static res_meta *meta_from(PGresult *r, int row)
{
    return res_meta_new((const uint8_t *)PQgetvalue(r, row, 1), (size_t)PQgetlength(r, row, 1), num(r, row, 2),
                        num(r, row, 3));
}

/* What one resource's slot-result rows [first, first + count) need: how many are slots
 * of the window (a nightly resource's rows must start a local night of it), how many
 * carry an override price, and whether a count passes what a narrow cell holds. */
typedef struct rows_shape {
    int rows, prices, wide;
} rows_shape;

/* 1 when start is the first instant of a local night of zone (NULL: any slot). */
static int night_start(const local_zone *zone, int64_t start)
{
    return !zone || local_day_start(zone, local_day(zone, start)) == start;
}

static rows_shape shape_of(PGresult *r, int first, int count, const local_zone *nights)
{
    rows_shape sh = {0, 0, 0};
    for (int i = first; i < first + count; i++) {
        if (!night_start(nights, num(r, i, 1)))
            continue;
        sh.rows++;
        sh.prices += num(r, i, 5) >= 0;
        sh.wide |= !slot_rows_narrow_fits(num(r, i, 3), num(r, i, 4));
    }
    return sh;
}

/* Rows of one resource from slot-result rows [first, first + count), ordered by start.
 * A nightly resource gets a cell per local night of the window, or — when it has rows
 * for few nights (no inventory set, a few bookings) — only those rows with their times,
 * whichever takes less memory (docs/scale-out.md, "Memory per resource"). */
static slot_rows *rows_build(const res_meta *m, PGresult *r, int first, int count, load_window w)
{
    const local_zone *nights =
        m->res->slot_minutes == SLOT_MINUTES_NIGHTLY && m->has_clock ? m->clock.zone : NULL;
    rows_shape sh = shape_of(r, first, count, nights);
    size_t cell = sh.wide ? sizeof(slot_cell) : sizeof(slot_cell16);
    int64_t window_nights = (w.hi - w.lo) / SECONDS_PER_DAY; /* about: only to choose the layout */
    int dense = nights && (size_t)sh.rows * (2 * sizeof(int64_t) + cell) >= (size_t)window_nights * cell;
    slot_rows *rows = slot_rows_new(dense, w.lo, w.hi, dense ? nights : NULL, sh.rows, sh.prices, sh.wide);
    for (int k = 0, i = first; i < first + count; i++) {
        int64_t start = num(r, i, 1);
        if (!night_start(nights, start))
            continue; /* not a night */
        int cell_index = dense ? slot_rows_index(rows, start) : k++;
        if (cell_index < 0)
            continue; /* not a night of this window */
        if (!dense) {
            rows->start[cell_index] = start;
            rows->end[cell_index] = num(r, i, 2);
        }
        slot_rows_set(rows, cell_index, (int32_t)num(r, i, 3), (int32_t)num(r, i, 4), num(r, i, 5));
    }
    return rows;
}

static int by_id(const void *a, const void *b) { return strcmp((*(loaded *const *)a)->id, (*(loaded *const *)b)->id); }

/* Attaches rows to every loaded resource with a meta; slot rows come grouped by id. */
static void attach_rows(loaded *items, int n, PGresult *slots, load_window w)
{
    loaded **index = malloc(sizeof *index * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        index[i] = &items[i];
    qsort(index, (size_t)n, sizeof *index, by_id);
    int rows = PQntuples(slots);
    for (int i = 0; i < rows;) {
        int j = i;
        const char *id = PQgetvalue(slots, i, 0);
        while (j < rows && strcmp(PQgetvalue(slots, j, 0), id) == 0)
            j++;
        loaded key, *kp = &key, **hit;
        snprintf(key.id, sizeof key.id, "%s", id);
        hit = bsearch(&kp, index, (size_t)n, sizeof *index, by_id);
        if (hit && (*hit)->meta && !(*hit)->rows)
            (*hit)->rows = rows_build((*hit)->meta, slots, i, j - i, w);
        i = j;
    }
    for (int i = 0; i < n; i++)
        if (items[i].meta && !items[i].rows)
            items[i].rows = rows_build(items[i].meta, slots, 0, 0, w);
    free(index);
}

static void fill_from(loaded *item, PGresult *r, int row)
{
    snprintf(item->id, sizeof item->id, "%s", PQgetvalue(r, row, 0));
    item->meta = meta_from(r, row);
    item->rows = NULL;
}

static int window_params(load_window w, char lo[24], char hi[24])
{
    snprintf(lo, 24, "%" PRId64, w.lo);
    snprintf(hi, 24, "%" PRId64, w.hi);
    return 0;
}

/* The slot rows in the window of the resources in `array` (a text[] literal). */
static PGresult *slots_of(pg_conn *pg, const char *array, load_window w)
{
    char lo[24], hi[24];
    window_params(w, lo, hi);
    const char *params[3] = {array, lo, hi};
    return exec_bin(pg, SLOT_COLS "WHERE resource_id = ANY($1::text[]) AND slot_start >= to_timestamp($2) "
                    "AND slot_start < to_timestamp($3) ORDER BY resource_id, slot_start", 3, params);
}

/* The slot rows of the first n resources of a resource result. */
static PGresult *chunk_slots(pg_conn *pg, PGresult *res, int n, load_window w)
{
    char **ids = calloc((size_t)n + 1, sizeof *ids);
    for (int i = 0; i < n; i++)
        ids[i] = PQgetvalue(res, i, 0);
    char *array = text_array_literal(ids, n);
    PGresult *slots = slots_of(pg, array, w);
    free(array);
    free(ids);
    return slots;
}

int load_chunk(pg_conn *pg, load_cursor *at, int hi, int limit, load_window w, loaded **out, int *count)
{
    char lim[16], part[16], end[16];
    snprintf(lim, sizeof lim, "%d", limit);
    snprintf(part, sizeof part, "%d", at->partition);
    snprintf(end, sizeof end, "%d", hi);
    const char *params[4] = {part, at->id, end, lim};
    *out = NULL;
    *count = 0;
    if (begin_snapshot(pg) != 0)
        return -1;
    PGresult *res = exec_bin(pg, RES_COLS ", partition_id FROM resources WHERE (partition_id, resource_id) > "
                             "($1::smallint, $2) AND partition_id < $3::smallint AND length(resource_id) <= 64 "
                             "ORDER BY partition_id, resource_id LIMIT $4",
                             4, params);
    int n = res ? PQntuples(res) : 0;
    PGresult *slots = res && n ? chunk_slots(pg, res, n, w) : NULL;
    if (!res || (n && !slots)) {
        PQclear(res);
        pg_rollback(pg);
        return -1;
    }
    pg_rollback(pg); /* read-only: nothing to commit */
    *out = calloc((size_t)n + 1, sizeof **out);
    for (int i = 0; i < n; i++)
        fill_from(&(*out)[i], res, i);
    if (slots)
        attach_rows(*out, n, slots, w);
    if (n > 0) {
        at->partition = (int)(int16_t)be((const unsigned char *)PQgetvalue(res, n - 1, 4), 2);
        snprintf(at->id, sizeof at->id, "%s", PQgetvalue(res, n - 1, 0));
    }
    *count = n;
    PQclear(res);
    PQclear(slots);
    return 0;
}

/* The loaded resource of each id (NULL meta when the id has no row). */
static void match_ids(char *const *ids, int n, PGresult *res, loaded *out)
{
    for (int i = 0; i < n; i++) {
        snprintf(out[i].id, sizeof out[i].id, "%s", ids[i]);
        out[i].meta = NULL;
        out[i].rows = NULL;
        for (int row = 0; row < PQntuples(res) && !out[i].meta; row++)
            if (strcmp(PQgetvalue(res, row, 0), ids[i]) == 0)
                out[i].meta = meta_from(res, row);
    }
}

int load_ids(pg_conn *pg, char *const *ids, int n, load_window w, loaded *out)
{
    char *array = text_array_literal(ids, n);
    const char *params[1] = {array};
    PGresult *res = NULL, *slots = NULL;
    int rc = begin_snapshot(pg);
    if (rc == 0 && (res = exec_bin(pg, RES_COLS "FROM resources WHERE resource_id = ANY($1::text[])", 1, params)))
        slots = slots_of(pg, array, w);
    free(array);
    if (rc == 0)
        pg_rollback(pg);
    if (!res || !slots) {
        PQclear(res);
        return -1;
    }
    match_ids(ids, n, res, out);
    attach_rows(out, n, slots, w);
    PQclear(res);
    PQclear(slots);
    return 0;
}

/* Counters in the window from an HGETALL reply (field = slot start, value = units). */
static slot_counters *counters_from(const redisReply *reply, load_window w)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2)
        return NULL;
    slot_counters *c = slot_counters_new((int)(reply->elements / 2));
    int k = 0;
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        int64_t start = strtoll(reply->element[i]->str ? reply->element[i]->str : "", NULL, 10);
        if (start < w.lo || start >= w.hi)
            continue;
        c->start[k] = start;
        c->value[k++] = (int32_t)strtol(reply->element[i + 1]->str ? reply->element[i + 1]->str : "", NULL, 10);
    }
    c->n = k;
    slot_counters_sort(c);
    return c;
}

/* One pipelined batch of HGETALLs (one round trip per node); replies go to out. 0 or -1. */
static int counters_batch(redis_conn *r, char *const *ids, int n, load_window w, slot_counters **out)
{
    redisReply **replies = malloc(sizeof *replies * (size_t)n);
    for (int i = 0; i < n; i++) {
        hold_keys k;
        hold_keys_for(&k, ids[i], NULL);
        const char *argv[] = {"HGETALL", k.avail};
        redis_pipeline_append(r, 2, argv);
    }
    int rc = redis_pipeline_read(r, n, replies);
    for (int i = 0; i < n; i++) {
        if (rc == 0)
            out[i] = counters_from(replies[i], w);
        freeReplyObject(replies[i]);
    }
    free(replies);
    return rc;
}

int load_counters(redis_conn *r, char *const *ids, int n, load_window w, slot_counters **out)
{
    slot_counters **tmp = calloc((size_t)n + 1, sizeof *tmp);
    int rc = redis_ensure(r);
    for (int i = 0; rc == 0 && i < n; i += PIPELINE)
        rc = counters_batch(r, ids + i, n - i < PIPELINE ? n - i : PIPELINE, w, tmp + i);
    if (rc != 0) {
        for (int i = 0; i < n; i++)
            slot_counters_free(tmp[i]);
        if (!r->err) {
            snprintf(r->errstr, sizeof r->errstr, "HGETALL: error reply");
            r->err = 1;
        }
    } else {
        memcpy(out, tmp, sizeof *tmp * (size_t)n);
    }
    free(tmp);
    return rc;
}
