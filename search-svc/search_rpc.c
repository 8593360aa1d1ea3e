/* search_rpc.c — SearchAvailability: candidates from the index (the (type, city)
 * buckets, or the geo-grid cells a circle touches), the time-independent filters,
 * then per resource the slots of the range read on its local wall clock (the same
 * rules as a hold), availability for every slot, the price a hold would quote, and
 * keyset paging in rank order. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ebr.h"
#include "filters.h"
#include "geo.h"
#include "query.h"
#include "search.h"
#include "slot_data.h"
#include "timeutil.h"

typedef struct candidate {
    rank_key key;  /* first: rank_sort sorts candidates by it */
    const search_row *row;
    slot_span span;
    const price_slot *times; /* of the span's slots (call memory) */
    int available;
    int priced;    /* key.price_minor is set (else priced when it makes the page) */
} candidate;

/* A run of rows from the index: a bucket or a grid cell. */
typedef struct slice {
    const search_row *rows;
    size_t count;
} slice;

/* The query's range at resources of one clock: most candidates share a few. */
#define SPAN_CACHE 8
typedef struct span_entry {
    resource_clock clock;
    int used, ok;
    slot_span span;
    price_slot *times;       /* span.count, call memory (outlives the entry) */
} span_entry;

typedef struct search_run {
    rpc_call *call;
    const search_query *q;
    int64_t now;
    const rank_key *cursor;  /* NULL on the first page */
    amenity_need need;       /* the query's amenities in the view's dictionary */
    price_slot *prices;      /* room for `room` slots */
    int room;
    span_entry spans[SPAN_CACHE];
    int next_span;
    candidate *found;
    size_t count;
    int borrowing;           /* the read section lasts until the answer is packed */
} search_run;

/* Each worker thread keeps one candidate buffer across calls (not zeroed per call);
 * freed when the thread exits. */
static pthread_key_t buffer_key;
static pthread_once_t buffer_once = PTHREAD_ONCE_INIT;
static void make_buffer_key(void) { pthread_key_create(&buffer_key, free); }

typedef struct found_buffer {
    size_t cap;
    candidate items[];
} found_buffer;

static candidate *candidates(size_t n)
{
    pthread_once(&buffer_once, make_buffer_key);
    found_buffer *b = pthread_getspecific(buffer_key);
    if (!b || b->cap < n) {
        size_t cap = n < 256 ? 256 : n;
        free(b);
        b = malloc(sizeof *b + sizeof(candidate) * cap);
        if (!b)
            abort();
        b->cap = cap;
        pthread_setspecific(buffer_key, b);
    }
    return b->items;
}

/* The slices to look at; *total is how many entries they hold. */
static slice *gather(rpc_call *call, const model_view *v, const search_query *q, size_t *n, size_t *total)
{
    slice *s;
    *n = *total = 0;
    if (q->city[0]) {
        s = rpc_alloc(call, sizeof *s * 7);
        for (int t = q->resource_type ? q->resource_type : 1; t <= (q->resource_type ? q->resource_type : 6); t++) {
            s[*n].count = view_city(v, t, q->city, &s[*n].rows);
            *total += s[(*n)++].count;
        }
        return s;
    }
    geo_cover c;
    int cols[GEO_COLS];
    geo_cover_circle(q->lat, q->lon, q->radius_km, &c);
    int ncols = geo_cover_cols(&c, cols);
    s = rpc_alloc(call, sizeof *s * (size_t)((c.row_hi - c.row_lo + 1) * ncols));
    for (int row = c.row_lo; row <= c.row_hi; row++)
        for (int i = 0; i < ncols; i++) {
            int cell = row * GEO_COLS + cols[i];
            s[*n].rows = v->cell_rows + v->cells[cell];
            s[*n].count = v->cells[cell + 1] - v->cells[cell];
            *total += s[(*n)++].count;
        }
    return s;
}

static int same_clock(const resource_clock *a, const resource_clock *b)
{
    return a->zone == b->zone && a->slot_minutes == b->slot_minutes && a->check_in == b->check_in &&
           a->check_out == b->check_out;
}

/* The slots of the query's range at a resource with this clock — the range's wall-clock
 * times read in its zone — if a hold could be made of them at all (cached per clock). */
static const span_entry *span_for(search_run *s, const resource_clock *clock)
{
    for (int i = 0; i < SPAN_CACHE; i++)
        if (s->spans[i].used && same_clock(&s->spans[i].clock, clock))
            return s->spans[i].ok ? &s->spans[i] : NULL;
    span_entry *e = &s->spans[s->next_span++ % SPAN_CACHE];
    const char *field;
    char msg[160];
    e->used = 1;
    e->clock = *clock;
    e->ok = slot_span_of(clock, local_instant(clock->zone, s->q->start), local_instant(clock->zone, s->q->end),
                         (int)search_config.max_slots, &e->span, &field, msg, sizeof msg) == 0;
    /* else e.g. off this resource's boundaries; and not in the past (nightly: tonight, local) */
    int64_t earliest = clock->slot_minutes == SLOT_MINUTES_NIGHTLY ? slot_floor(clock, s->now) : s->now;
    if (e->ok && e->span.first_start < earliest)
        e->ok = 0;
    if (e->ok) {
        int64_t *bounds = rpc_alloc(s->call, sizeof *bounds * (size_t)(e->span.count + 1));
        slot_span_bounds(&e->span, bounds);
        e->times = rpc_alloc(s->call, sizeof *e->times * (size_t)e->span.count);
        price_slots_at(clock, bounds, e->span.count, e->times);
    }
    return e->ok ? e : NULL;
}

/* Room for n price slots (grown in the call's memory). */
static void make_room(search_run *s, int n)
{
    if (n <= s->room)
        return;
    s->room = n > 2 * s->room ? n : 2 * s->room;
    s->prices = rpc_alloc(s->call, sizeof *s->prices * (size_t)s->room);
}

/* The total a hold would quote; 0, or -1 when the quote fails (overflow). The prices
 * buffer already holds the span's slots when `loaded`. */
static int quote_total(search_run *s, candidate *c, int loaded)
{
    const search_row *row = c->row;
    quote total;
    if (!loaded) {
        slot_source src = {atomic_load_explicit(&row->entry->rows, memory_order_acquire),
                           atomic_load_explicit(&row->entry->counters, memory_order_acquire), row->capacity,
                           row->slot_minutes == SLOT_MINUTES_SINGLE, row->base_price, row->overbooking_percent};
        make_room(s, c->span.count);
        if (!src.rows || slot_range(&src, c->times, c->span.count, s->prices) < 0)
            return -1;
    }
    if (price_total(row->pricing, s->prices, c->span.count, s->q->quantity, s->now, &total) != 0)
        return -1;
    c->key.price_minor = total.total_minor;
    c->priced = 1;
    return 0;
}

static void consider(search_run *s, const search_row *row)
{
    candidate c = {.row = row};
    long max = row->max_quantity > 0 ? row->max_quantity : search_config.max_quantity;
    const span_entry *span;
    if (!filter_resource(s->q, &s->need, &row->facts, &c.key.distance_km) || s->q->quantity > max || !row->clock ||
        !(span = span_for(s, row->clock)))
        return;
    c.span = span->span;
    c.times = span->times;
    const slot_rows *rows = atomic_load_explicit(&row->entry->rows, memory_order_acquire);
    slot_source src = {rows, atomic_load_explicit(&row->entry->counters, memory_order_acquire), row->capacity,
                       row->slot_minutes == SLOT_MINUTES_SINGLE, row->base_price, row->overbooking_percent};
    make_room(s, c.span.count);
    c.available = rows ? slot_range(&src, c.times, c.span.count, s->prices) : -1;
    if (c.available < s->q->quantity)
        return;
    /* the price decides the order or a filter: quote now; otherwise only for the page */
    if ((s->q->order == RANK_PRICE || s->q->has_max_price) &&
        (quote_total(s, &c, 1) != 0 || !filter_price(s->q, c.key.price_minor)))
        return;
    memcpy(c.key.currency, row->facts.currency, 4);
    c.key.rating = row->facts.rating;
    memcpy(c.key.resource_id, row->entry->id, strnlen(row->entry->id, MODEL_ID_MAX)); /* the hot line only */
    if (s->cursor && rank_compare(s->q->order, &c.key, s->cursor) <= 0)
        return;
    s->found[s->count++] = c;
}

static Booking__V1__AvailabilityResult *result_message(const search_run *s, const candidate *c)
{
    rpc_call *call = s->call;
    const search_query *q = s->q;
    Booking__V1__AvailabilityResult *r =
        RPC_NEW(call, Booking__V1__AvailabilityResult, booking__v1__availability_result__init);
    r->resource = s->borrowing ? res_meta_borrow(c->row->meta, call) : res_meta_copy(c->row->meta, call);
    r->available_quantity = c->available;
    r->total_price = RPC_NEW(call, Booking__V1__Money, booking__v1__money__init);
    r->total_price->currency = rpc_strdup(call, c->key.currency);
    r->total_price->amount_minor = c->key.price_minor;
    r->distance_km = q->geo ? c->key.distance_km : 0;
    const resource_clock *clock = &c->span.clock;
    int64_t from = slot_check_in(clock, c->span.first_start), to = slot_check_out(clock, c->span.end);
    char text[40];
    r->start_time = stamp_ms(call, from * 1000);
    r->end_time = stamp_ms(call, to * 1000);
    r->local_start = rpc_strdup(call, local_rfc3339(clock->zone, from, text, sizeof text));
    r->local_end = rpc_strdup(call, local_rfc3339(clock->zone, to, text, sizeof text));
    return r;
}

/* Ranks what was found and writes one page (and the token of the next) into resp.
 * A candidate whose price cannot be quoted is left out. */
static void write_page(search_run *s, search_app *app, uint64_t fingerprint, Booking__V1__SearchAvailabilityResponse *resp)
{
    const rank_key **order = rpc_alloc(s->call, sizeof *order * (s->count + 1));
    for (size_t i = 0; i < s->count; i++)
        order[i] = &s->found[i].key;
    /* the page and one more (is there a next page?) in order; the rest only when a
     * quote fails and the page needs more */
    size_t ordered = (size_t)s->q->page_size + 1;
    rank_select_refs(s->q->order, order, s->count, ordered);
    resp->results = rpc_alloc(s->call, sizeof *resp->results * ((size_t)s->q->page_size + 1));
    size_t i = 0, n = 0;
    for (; i < s->count && n < (size_t)s->q->page_size; i++) {
        if (i == ordered) {
            rank_sort_refs(s->q->order, order + i, s->count - i);
            ordered = s->count;
        }
        candidate *c = (candidate *)order[i];
        if (c->priced || quote_total(s, c, 0) == 0)
            resp->results[n++] = result_message(s, c);
    }
    resp->n_results = n;
    if (i < s->count && n > 0) {
        resp->next_page_token = rpc_alloc(s->call, PAGE_TOKEN_MAX);
        page_token_encode(&app->token_key, fingerprint, s->q->order, order[i - 1], resp->next_page_token);
    }
}

int search_parse_or_fail(rpc_call *call, const page_key *key, const Booking__V1__SearchAvailabilityRequest *req,
                         search_query *q, rank_key *cursor, int *has_cursor)
{
    const char *field;
    char msg[200];
    int64_t now = wall_seconds();
    query_limits lim = {now, now - now % SECONDS_PER_DAY + search_config.horizon_days * SECONDS_PER_DAY,
                        (int)search_config.max_range_days};
    if (query_parse(req, &lim, q, &field, msg, sizeof msg) != 0)
        return rpc_invalid_argument(call, field, "%s", msg);
    *has_cursor = req->page_token && *req->page_token;
    if (!*has_cursor)
        return 0;
    page_token_status st = page_token_decode(key, query_fingerprint(q), q->order, req->page_token, cursor);
    return st == PAGE_TOKEN_OK ? 0 : rpc_invalid_argument(call, "page_token", "%s", page_token_error(st));
}

/* Candidates live in scattered memory: start loading the entry, rows header and slot
 * cells of the ones a few steps ahead while this one is evaluated. */
static void prefetch_ahead(const slice *sl, size_t k, int64_t first_day)
{
    if (k + 12 < sl->count)
        __builtin_prefetch(sl->rows[k + 12].entry);
    if (k + 6 < sl->count) {
        const slot_rows *r = atomic_load_explicit(&sl->rows[k + 6].entry->rows, memory_order_relaxed);
        if (r)
            __builtin_prefetch(r);
    }
    if (k + 3 < sl->count) {
        const model_entry *e = sl->rows[k + 3].entry;
        const slot_rows *r = atomic_load_explicit(&e->rows, memory_order_relaxed);
        const slot_counters *c = atomic_load_explicit(&e->counters, memory_order_relaxed);
        int64_t cell = r && r->dense ? first_day - r->day0 : -1; /* the range's first local date */
        if (cell >= 0 && cell < r->n)
            __builtin_prefetch(slot_rows_cell_addr(r, (int)cell));
        if (c)
            __builtin_prefetch(c);
    }
}

static void leave_read_section(void *unused)
{
    (void)unused;
    ebr_exit();
}

/* Looks at the candidates of the current view; returns how many there were. */
static size_t search_model(search_run *s, search_app *app, uint64_t fingerprint,
                           Booking__V1__SearchAvailabilityResponse *resp)
{
    size_t nslices, total;
    ebr_enter();
    /* answers point into the snapshot: leave the read section once they are packed */
    s->borrowing = rpc_defer(s->call, leave_read_section, NULL) == 0;
    const model_view *v = model_view_get(app->model);
    slice *slices = gather(s->call, v, s->q, &nslices, &total);
    s->found = candidates(total + 1);
    s->need = amenity_need_of(s->q, (char *const *)v->dict, v->dict_len);
    int64_t first_day = floor_div64(s->q->start, SECONDS_PER_DAY); /* a local date at every resource */
    for (size_t i = 0; i < nslices; i++)
        for (size_t k = 0; k < slices[i].count; k++) {
            prefetch_ahead(&slices[i], k, first_day);
            consider(s, &slices[i].rows[k]);
        }
    write_page(s, app, fingerprint, resp);
    if (!s->borrowing)
        ebr_exit();
    return total;
}

int rpc_search_availability(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__SearchAvailabilityRequest *req = (const Booking__V1__SearchAvailabilityRequest *)request;
    search_app *app = search_app_of(call);
    double started = monotonic_seconds();
    search_query q;
    rank_key cursor;
    int has_cursor;
    if (search_parse_or_fail(call, &app->token_key, req, &q, &cursor, &has_cursor) != 0)
        return -1;
    if (!atomic_load(&app->model->ready))
        return rpc_fail(call, RPC_UNAVAILABLE, "MODEL_LOADING", "the search index is loading; retry shortly");
    search_run s = {.call = call, .q = &q, .now = wall_seconds(), .cursor = has_cursor ? &cursor : NULL};
    Booking__V1__SearchAvailabilityResponse *resp =
        RPC_NEW(call, Booking__V1__SearchAvailabilityResponse, booking__v1__search_availability_response__init);
    resp->as_of = stamp_ms(call, model_as_of_ms(app->model)); /* read first: the data is at least this fresh */
    size_t examined = search_model(&s, app, query_fingerprint(&q), resp);
    search_metrics_query(examined, resp->n_results, monotonic_seconds() - started);
    *response = &resp->base;
    return 0;
}
