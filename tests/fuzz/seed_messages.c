/* seed_messages.c — the messages of the committed corpus: every request and answer type
 * filled through its descriptor, and real requests (a hotel with every pricing rule, a
 * timed table, a single-slot event, holds, inventory, searches with a page token, each
 * kind of reflection request) built with protobuf-c's structs. */
#include "seed_messages.h"

#include <string.h>

#include "booking/v1/booking.pb-c.h"
#include "booking/v1/search.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "page_token.h"
#include "query.h"

#define DAY 86400
#define JAN_2027 1798761600 /* 2027-01-01T00:00:00Z, a month after FUZZ_NOW */

static void *heap_new(fuzz_heap *h, size_t size)
{
    void *p = h->allocator.alloc(h, size);
    FUZZ_ASSERT(p);
    memset(p, 0, size);
    return p;
}

static ProtobufCMessage *new_message(fuzz_heap *h, const ProtobufCMessageDescriptor *type)
{
    ProtobufCMessage *m = heap_new(h, type->sizeof_message);
    type->message_init(m);
    return m;
}

/* ---- filled through the descriptor ---- */

static void fill(fuzz_heap *h, ProtobufCMessage *m, int depth);

/* The size of one value of a field of this type (an element of a repeated field). */
static size_t value_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE: return 8;
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    default: return 4;
    }
}

/* One value of field f at p; `nth` makes repeated elements (and map keys) differ. */
static void fill_value(fuzz_heap *h, void *p, const ProtobufCFieldDescriptor *f, int depth, int nth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: *(const char **)p = nth ? "seed-2" : "seed"; break;
    case PROTOBUF_C_TYPE_BYTES: *(ProtobufCBinaryData *)p = (ProtobufCBinaryData){4, (uint8_t *)"seed"}; break;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: *(int64_t *)p = 1 + nth; break;
    case PROTOBUF_C_TYPE_DOUBLE: *(double *)p = 1.5; break;
    case PROTOBUF_C_TYPE_FLOAT: *(float *)p = 1.5f; break;
    case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)p = 1; break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *e = f->descriptor;
        *(int *)p = e->n_values > 1 ? e->values[1].value : 0;
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        ProtobufCMessage *sub = new_message(h, f->descriptor);
        fill(h, sub, depth + 1);
        *(ProtobufCMessage **)p = sub;
        break;
    }
    default: *(int32_t *)p = 1 + nth; break;
    }
}

/* Two elements in a repeated field, one value in any other (sub-messages three deep). */
static void fill_field(fuzz_heap *h, char *base, const ProtobufCFieldDescriptor *f, int depth)
{
    if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth >= 3)
        return;
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
        fill_value(h, base + f->offset, f, depth, 0);
        return;
    }
    size_t size = value_size(f->type);
    char *items = heap_new(h, 2 * size);
    for (int i = 0; i < 2; i++)
        fill_value(h, items + (size_t)i * size, f, depth, i);
    *(char **)(base + f->offset) = items;
    *(size_t *)(base + f->quantifier_offset) = 2;
}

static void fill(fuzz_heap *h, ProtobufCMessage *m, int depth)
{
    char *base = (char *)m;
    for (unsigned i = 0; i < m->descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &m->descriptor->fields[i];
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *which = (uint32_t *)(base + f->quantifier_offset);
            if (*which)
                continue;
            *which = f->id;
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset) {
            *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
        }
        fill_field(h, base, f, depth);
    }
}

ProtobufCMessage *seed_filled(fuzz_heap *h, const ProtobufCMessageDescriptor *type)
{
    ProtobufCMessage *m = new_message(h, type);
    fill(h, m, 0);
    return m;
}

uint8_t *seed_pack(const ProtobufCMessage *m, const uint8_t *prefix, size_t prefix_len, size_t *len)
{
    size_t body = m ? protobuf_c_message_get_packed_size(m) : 0;
    uint8_t *out = malloc(prefix_len + body + 1);
    FUZZ_ASSERT(out);
    memcpy(out, prefix, prefix_len);
    if (m)
        protobuf_c_message_pack(m, out + prefix_len);
    *len = prefix_len + body;
    return out;
}

/* ---- real requests ---- */

#define NEW(h, type, init) ((type *)new_message((h), &init))

static Google__Protobuf__Timestamp *ts(fuzz_heap *h, int64_t seconds)
{
    Google__Protobuf__Timestamp *t = NEW(h, Google__Protobuf__Timestamp, google__protobuf__timestamp__descriptor);
    t->seconds = seconds;
    return t;
}

static Booking__V1__Money *money(fuzz_heap *h, const char *currency, int64_t minor)
{
    Booking__V1__Money *m = NEW(h, Booking__V1__Money, booking__v1__money__descriptor);
    m->currency = (char *)currency;
    m->amount_minor = minor;
    return m;
}

/* Every pricing rule once: weekend, a season, demand, early booking, fees and tax. */
static Booking__V1__PricingRules *pricing(fuzz_heap *h)
{
    Booking__V1__PricingRules *p = NEW(h, Booking__V1__PricingRules, booking__v1__pricing_rules__descriptor);
    p->weekend_multiplier_bp = 12500;
    p->n_seasonal = p->n_occupancy = p->n_lead_time = 1;
    p->seasonal = heap_new(h, sizeof *p->seasonal);
    p->seasonal[0] = NEW(h, Booking__V1__SeasonalRule, booking__v1__seasonal_rule__descriptor);
    p->seasonal[0]->start_time = ts(h, JAN_2027);
    p->seasonal[0]->end_time = ts(h, JAN_2027 + 10 * DAY);
    p->seasonal[0]->multiplier_bp = 15000;
    p->occupancy = heap_new(h, sizeof *p->occupancy);
    p->occupancy[0] = NEW(h, Booking__V1__OccupancyRule, booking__v1__occupancy_rule__descriptor);
    p->occupancy[0]->min_occupancy_percent = 50;
    p->occupancy[0]->multiplier_bp = 13000;
    p->lead_time = heap_new(h, sizeof *p->lead_time);
    p->lead_time[0] = NEW(h, Booking__V1__LeadTimeRule, booking__v1__lead_time_rule__descriptor);
    p->lead_time[0]->min_days_before_start = 30;
    p->lead_time[0]->discount_bp = 1000;
    p->fee_bp = 500;
    p->fee_fixed = money(h, "EUR", 200);
    p->tax_bp = 600;
    return p;
}

static Booking__V1__Resource *resource(fuzz_heap *h, const char *id, int type, int slot_minutes)
{
    static char *amenities[] = {"wifi", "pool"};
    Booking__V1__Resource *r = NEW(h, Booking__V1__Resource, booking__v1__resource__descriptor);
    r->resource_id = (char *)id;
    r->resource_type = type;
    r->name = "Casa do Tejo — quarto duplo";
    r->location = "Lisbon";
    r->latitude = 38.7223;
    r->longitude = -9.1393;
    r->capacity = 10;
    r->slot_minutes = slot_minutes;
    r->time_zone = "Europe/Lisbon";
    r->status = BOOKING__V1__RESOURCE_STATUS__RESOURCE_STATUS_ACTIVE;
    r->rating = 4.5;
    r->n_amenities = 2;
    r->amenities = amenities;
    r->base_price = money(h, "EUR", 12000);
    r->hold_ttl_seconds = 600;
    r->n_cancellation_rules = 2;
    r->cancellation_rules = heap_new(h, 2 * sizeof *r->cancellation_rules);
    for (int i = 0; i < 2; i++) {
        r->cancellation_rules[i] = NEW(h, Booking__V1__CancellationRule, booking__v1__cancellation_rule__descriptor);
        r->cancellation_rules[i]->hours_before_start = 48 / (i + 1);
        r->cancellation_rules[i]->refund_percent = 100 / (i + 1);
    }
    r->n_metadata = 1;
    r->metadata = heap_new(h, sizeof *r->metadata);
    r->metadata[0] = NEW(h, Booking__V1__Resource__MetadataEntry, booking__v1__resource__metadata_entry__descriptor);
    r->metadata[0]->key = "floor";
    r->metadata[0]->value = "3";
    r->pricing = pricing(h);
    r->max_quantity_per_hold = 4;
    return r;
}

static ProtobufCMessage *create_resource(fuzz_heap *h, const char *id, int type, int slot_minutes)
{
    Booking__V1__CreateResourceRequest *req =
        NEW(h, Booking__V1__CreateResourceRequest, booking__v1__create_resource_request__descriptor);
    req->resource = resource(h, id, type, slot_minutes);
    req->idempotency_key = "seed-key-1";
    return &req->base;
}

static ProtobufCMessage *update_resource(fuzz_heap *h)
{
    static char *paths[] = {"name", "basePrice", "Pricing.FeeBp"};
    Booking__V1__UpdateResourceRequest *req =
        NEW(h, Booking__V1__UpdateResourceRequest, booking__v1__update_resource_request__descriptor);
    req->resource = resource(h, "seed-hotel", BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM, 1440);
    req->update_mask = NEW(h, Google__Protobuf__FieldMask, google__protobuf__field_mask__descriptor);
    req->update_mask->n_paths = 3;
    req->update_mask->paths = paths;
    return &req->base;
}

static ProtobufCMessage *set_inventory(fuzz_heap *h)
{
    Booking__V1__SetInventoryRequest *req =
        NEW(h, Booking__V1__SetInventoryRequest, booking__v1__set_inventory_request__descriptor);
    req->resource_id = "seed-table";
    req->start_time = ts(h, JAN_2027 + 19 * 3600);
    req->end_time = ts(h, JAN_2027 + 22 * 3600);
    req->total_capacity = 6;
    req->price_override = money(h, "EUR", 4500);
    return &req->base;
}

static ProtobufCMessage *create_hold(fuzz_heap *h, int64_t start, int64_t end)
{
    Booking__V1__CreateHoldRequest *req =
        NEW(h, Booking__V1__CreateHoldRequest, booking__v1__create_hold_request__descriptor);
    req->user_id = "ana";
    req->resource_id = "seed-hotel";
    req->start_time = ts(h, start);
    req->end_time = ts(h, end);
    req->quantity = 2;
    req->idempotency_key = "seed-key-2";
    return &req->base;
}

static ProtobufCMessage *cancel_booking(fuzz_heap *h)
{
    Booking__V1__CancelBookingRequest *req =
        NEW(h, Booking__V1__CancelBookingRequest, booking__v1__cancel_booking_request__descriptor);
    req->booking_id = "bk_0123456789abcdefghij";
    req->reason = "mudança de planos";
    return &req->base;
}

static ProtobufCMessage *create_webhook_endpoint(fuzz_heap *h)
{
    static char *types[] = {"booking.confirmed", "hold.expired"};
    Booking__V1__CreateWebhookEndpointRequest *req = NEW(h, Booking__V1__CreateWebhookEndpointRequest,
                                                         booking__v1__create_webhook_endpoint_request__descriptor);
    req->url = "https://hooks.example.com/booking?source=seed";
    req->secret = "whsec_0123456789abcdef";
    req->event_types = types;
    req->n_event_types = 2;
    return &req->base;
}

/* A search with every filter; with `paged`, the page token search-svc would hand out
 * for it (signed with FUZZ_TOKEN_SECRET, bound to its fingerprint). */
static ProtobufCMessage *search(fuzz_heap *h, int geo, int paged)
{
    static char *amenities[] = {"WiFi", "pool"};
    Booking__V1__SearchAvailabilityRequest *req =
        NEW(h, Booking__V1__SearchAvailabilityRequest, booking__v1__search_availability_request__descriptor);
    req->resource_type = BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM;
    if (geo) {
        req->latitude = 38.7223;
        req->longitude = -9.1393;
        req->radius_km = 25;
        req->sort = BOOKING__V1__SORT_ORDER__SORT_ORDER_DISTANCE;
    } else {
        req->location = "Lisbon";
        req->sort = BOOKING__V1__SORT_ORDER__SORT_ORDER_PRICE;
    }
    req->start_time = ts(h, JAN_2027);
    req->end_time = ts(h, JAN_2027 + 2 * DAY);
    req->quantity = 2;
    req->max_price = money(h, "EUR", 50000);
    req->min_rating = 4;
    req->n_amenities = 2;
    req->amenities = amenities;
    req->page_size = 10;
    if (paged) {
        const query_limits lim = {FUZZ_NOW, FUZZ_NOW + 400 * DAY, 366};
        search_query q;
        const char *field;
        char msg[200];
        FUZZ_ASSERT(query_parse(req, &lim, &q, &field, msg, sizeof msg) == 0);
        page_key key;
        page_key_init(&key, FUZZ_TOKEN_SECRET);
        rank_key last = {24000, "EUR", 1.25, 4.5, "seed-hotel"};
        req->page_token = heap_new(h, PAGE_TOKEN_MAX);
        page_token_encode(&key, query_fingerprint(&q), q.order, &last, req->page_token);
    }
    return &req->base;
}

static ProtobufCMessage *calendar(fuzz_heap *h)
{
    Booking__V1__GetCalendarRequest *req =
        NEW(h, Booking__V1__GetCalendarRequest, booking__v1__get_calendar_request__descriptor);
    req->resource_id = "seed-hotel";
    req->start_time = ts(h, JAN_2027);
    req->end_time = ts(h, JAN_2027 + 7 * DAY);
    return &req->base;
}

/* One reflection request of each kind (kind: the oneof case). */
static ProtobufCMessage *reflection(fuzz_heap *h, int kind)
{
    Grpc__Reflection__V1__ServerReflectionRequest *req = NEW(
        h, Grpc__Reflection__V1__ServerReflectionRequest, grpc__reflection__v1__server_reflection_request__descriptor);
    req->host = "localhost";
    req->message_request_case = kind;
    switch (kind) {
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        req->file_by_filename = "booking/v1/booking.proto";
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
        req->file_containing_symbol = ".booking.v1.BookingService.CreateHold";
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
        req->file_containing_extension =
            NEW(h, Grpc__Reflection__V1__ExtensionRequest, grpc__reflection__v1__extension_request__descriptor);
        req->file_containing_extension->containing_type = "google.protobuf.MethodOptions";
        req->file_containing_extension->extension_number = 72295728; /* google.api.http */
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        req->all_extension_numbers_of_type = "google.protobuf.MethodOptions";
        break;
    default:
        req->list_services = "*";
        break;
    }
    return &req->base;
}

static ProtobufCMessage *health_check(fuzz_heap *h)
{
    Grpc__Health__V1__HealthCheckRequest *req =
        NEW(h, Grpc__Health__V1__HealthCheckRequest, grpc__health__v1__health_check_request__descriptor);
    req->service = "booking.v1.BookingService";
    return &req->base;
}

size_t seed_requests(fuzz_heap *h, seed_request *out, size_t cap)
{
    static const char *const kinds[] = {"list_services", "file_by_filename", "file_containing_symbol",
                                        "file_containing_extension", "all_extension_numbers"};
    static const int cases[] = {
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES,
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME,
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL,
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION,
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE};
    const char *b = "booking.v1.BookingService", *s = "booking.v1.SearchService";
    seed_request all[] = {
        {b, "CreateResource", "hotel", create_resource(h, "seed-hotel", 1, 1440)},
        {b, "CreateResource", "table_30min", create_resource(h, "seed-table", 2, 30)},
        {b, "CreateResource", "event_single_slot", create_resource(h, "", 5, 0)},
        {b, "UpdateResource", "with_mask", update_resource(h)},
        {b, "SetInventory", "evening", set_inventory(h)},
        {b, "CreateHold", "two_nights", create_hold(h, JAN_2027 + 15 * 3600, JAN_2027 + 2 * DAY + 11 * 3600)},
        {b, "CreateHold", "one_hour", create_hold(h, JAN_2027 + 19 * 3600, JAN_2027 + 20 * 3600)},
        {b, "CancelBooking", "reason", cancel_booking(h)},
        {b, "CreateWebhookEndpoint", "https", create_webhook_endpoint(h)},
        {s, "SearchAvailability", "city", search(h, 0, 0)},
        {s, "SearchAvailability", "geo", search(h, 1, 0)},
        {s, "SearchAvailability", "city_page_2", search(h, 0, 1)},
        {s, "SearchAvailability", "geo_page_2", search(h, 1, 1)},
        {s, "GetCalendar", "week", calendar(h)},
        {"grpc.health.v1.Health", "Check", "booking", health_check(h)},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0] && n < cap; i++)
        out[n++] = all[i];
    for (size_t i = 0; i < 5 && n + 1 < cap; i++) {
        out[n++] = (seed_request){"grpc.reflection.v1.ServerReflection", "ServerReflectionInfo", kinds[i],
                                  reflection(h, cases[i])};
        out[n++] = (seed_request){"grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo", kinds[i],
                                  reflection(h, cases[i])};
    }
    return n;
}
