/* catalog_rpc.c — GetResource and GetCalendar from the read model. The model answers
 * when it is known to be current for the resource (read-your-writes: no reload
 * pending, and no entry for it in its change stream after the last one applied);
 * otherwise, and outside the model's window, the stores answer, and a resource the
 * model does not know yet is added to it. */
#include <stdio.h>
#include <string.h>

#include "ebr.h"
#include "hold_cache.h"
#include "search.h"
#include "timeutil.h"

#define PEEK 64 /* stream entries looked at; more than this unapplied = behind */

Google__Protobuf__Timestamp *stamp_ms(rpc_call *call, int64_t ms)
{
    Google__Protobuf__Timestamp *t = RPC_NEW(call, Google__Protobuf__Timestamp, google__protobuf__timestamp__init);
    t->seconds = ms / 1000;
    t->nanos = (int32_t)(ms % 1000) * 1000000;
    return t;
}

int64_t model_as_of_ms(const model *m) { return atomic_load(&((model *)m)->watermark_ms); }

/* Entries live as long as the model, so the pointer outlives the read section. */
static model_entry *find_entry(search_app *app, const char *id)
{
    ebr_enter();
    model_entry *e = view_find(model_view_get(app->model), id);
    ebr_exit();
    return e;
}

static int names(const redisReply *entry, const char *id)
{
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || entry->element[1]->type != REDIS_REPLY_ARRAY)
        return 0;
    const redisReply *f = entry->element[1];
    for (size_t i = 0; i + 1 < f->elements; i += 2)
        if (f->element[i]->str && strcmp(f->element[i]->str, "r") == 0 && f->element[i + 1]->str &&
            strcmp(f->element[i + 1]->str, id) == 0)
            return 1;
    return 0;
}

/* 1 when the model may be behind for e. The applied id is read before the pending
 * flag, which the refresher sets before it publishes the id. When Redis cannot say,
 * the model answers (its as_of tells how fresh it is). */
static int model_behind(rpc_call *call, search_app *app, const model_entry *e)
{
    char applied[STREAM_ID_MAX];
    hold_keys k;
    model_applied_get(app->model, e->partition, applied);
    hold_keys_for(&k, e->id, NULL);
    redisReply *r = redis_command(search_redis(call), "XREVRANGE %s + (%s COUNT %d", k.changes, applied, PEEK);
    int behind = r && r->type == REDIS_REPLY_ARRAY && r->elements >= PEEK;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements && !behind; i++)
        behind = names(r->element[i], e->id);
    freeReplyObject(r);
    return behind || atomic_load(&e->behind);
}

static model_entry *current_entry(rpc_call *call, search_app *app, const char *id)
{
    model_entry *e = find_entry(app, id);
    if (e && model_behind(call, app, e)) {
        search_metrics_fallback();
        return NULL;
    }
    return e;
}

/* The resource from PostgreSQL; one the model lacks is added to it. */
static int resource_from_store(rpc_call *call, search_app *app, const char *id, Booking__V1__Resource **out)
{
    if (store_get_resource(call, id, out) != 0)
        return -1;
    if (!find_entry(app, id))
        refresher_request(app->refresher, id);
    return 0;
}

int rpc_get_resource(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__GetResourceRequest *req = (const Booking__V1__GetResourceRequest *)request;
    search_app *app = search_app_of(call);
    if (!req->resource_id || !*req->resource_id)
        return rpc_invalid_argument(call, "resource_id", "is required");
    model_entry *e = current_entry(call, app, req->resource_id);
    Booking__V1__Resource *copy = NULL;
    ebr_enter();
    res_meta *m = e ? atomic_load(&e->meta) : NULL;
    if (m)
        copy = res_meta_copy(m, call);
    ebr_exit();
    if (copy) {
        *response = &copy->base;
        return 0;
    }
    return resource_from_store(call, app, req->resource_id, (Booking__V1__Resource **)response);
}

static Booking__V1__SlotAvailability *slot_message(rpc_call *call, const char *currency, const slot_state *s,
                                                   const local_zone *zone)
{
    Booking__V1__SlotAvailability *m =
        RPC_NEW(call, Booking__V1__SlotAvailability, booking__v1__slot_availability__init);
    m->slot_start = stamp_ms(call, s->start * 1000);
    m->slot_end = stamp_ms(call, s->end * 1000);
    m->total_capacity = s->total;
    m->confirmed = s->confirmed;
    m->available = s->available;
    m->held = s->counter >= 0 && s->total - s->confirmed - s->counter > 0 ? s->total - s->confirmed - s->counter : 0;
    m->price = RPC_NEW(call, Booking__V1__Money, booking__v1__money__init);
    m->price->currency = (char *)currency;
    m->price->amount_minor = s->price;
    slot_local_times(call, m, zone);
    return m;
}

/* The slot starts of [from, to) the calendar shows (nightly and timed: count + 1
 * boundaries); 0 when the model's window does not cover them, -1 (status set) when
 * too many. */
static int calendar_starts(rpc_call *call, const res_meta *m, const slot_rows *rows, int64_t from, int64_t to,
                           int64_t **starts, int *count)
{
    if (m->res->slot_minutes == SLOT_MINUTES_SINGLE) {
        int first, n = from < rows->lo || to > rows->hi ? -1 : slot_rows_between(rows, from, to, &first);
        if (n < 0)
            return 0;
        *count = n < CALENDAR_MAX_SLOTS ? n : CALENDAR_MAX_SLOTS;
        *starts = rpc_alloc(call, sizeof **starts * (size_t)(*count + 1));
        memcpy(*starts, rows->start + first, sizeof **starts * (size_t)*count);
        return 1;
    }
    if (!m->has_clock)
        return 0; /* the stores say why */
    if (calendar_bounds(call, &m->clock, from, to, starts, count) != 0)
        return -1;
    return (*starts)[0] >= rows->lo && (*starts)[*count] <= rows->hi;
}

/* 1 when the model answered, 0 when it cannot, -1 on a bad request. */
static int calendar_from_model(rpc_call *call, search_app *app, model_entry *e, int64_t from, int64_t to,
                               Booking__V1__GetCalendarResponse *resp)
{
    int64_t *starts = NULL;
    int count = 0, rc = 0;
    resp->as_of = stamp_ms(call, model_as_of_ms(app->model)); /* before the data: the claim holds */
    ebr_enter();
    const res_meta *m = atomic_load(&e->meta);
    const slot_rows *rows = atomic_load(&e->rows);
    if (m && rows && (rc = calendar_starts(call, m, rows, from, to, &starts, &count)) == 1) {
        slot_source src = {rows, atomic_load(&e->counters), m->res->capacity, m->res->slot_minutes == 0,
                           m->res->base_price->amount_minor};
        const char *currency = rpc_strdup(call, m->res->base_price->currency);
        int single = m->res->slot_minutes == SLOT_MINUTES_SINGLE; /* its rows say where slots end */
        resp->slots = rpc_alloc(call, sizeof *resp->slots * (size_t)(count + 1));
        for (int i = 0; i < count && rc == 1; i++) {
            slot_state s;
            rc = slot_resolve(&src, starts[i], single ? starts[i] : starts[i + 1], &s) == 0;
            resp->slots[i] = rc ? slot_message(call, currency, &s, m->clock.zone) : NULL;
        }
        resp->n_slots = (size_t)count;
        resp->time_zone = rpc_strdup(call, local_zone_name(m->clock.zone));
    }
    ebr_exit();
    return rc;
}

static int check_times(rpc_call *call, const Booking__V1__GetCalendarRequest *req)
{
    if (!ts_valid(req->start_time) || !ts_valid(req->end_time))
        return rpc_invalid_argument(call, ts_valid(req->start_time) ? "end_time" : "start_time", "is required");
    if (ts_seconds(req->end_time) <= ts_seconds(req->start_time))
        return rpc_invalid_argument(call, "end_time", "must be after start_time");
    return 0;
}

int rpc_get_calendar(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__GetCalendarRequest *req = (const Booking__V1__GetCalendarRequest *)request;
    search_app *app = search_app_of(call);
    if (!req->resource_id || !*req->resource_id)
        return rpc_invalid_argument(call, "resource_id", "is required");
    model_entry *e = current_entry(call, app, req->resource_id);
    Booking__V1__GetCalendarResponse *resp =
        RPC_NEW(call, Booking__V1__GetCalendarResponse, booking__v1__get_calendar_response__init);
    int64_t from = ts_seconds(req->start_time), to = ts_seconds(req->end_time);
    if (e) {
        int rc = check_times(call, req) != 0 ? -1 : calendar_from_model(call, app, e, from, to, resp);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            *response = &resp->base;
            return 0;
        }
    }
    Booking__V1__Resource *r;
    if (resource_from_store(call, app, req->resource_id, &r) != 0 || check_times(call, req) != 0 ||
        store_get_calendar(call, r, from, to, &resp) != 0)
        return -1;
    *response = &resp->base;
    return 0;
}
