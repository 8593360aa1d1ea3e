/* cmd_resources.c — `bookingctl resources create|get`: define and show resources. */
#include <stdio.h>
#include <string.h>

#include "booking/v1/booking.pb-c.h"
#include "booking/v1/search.pb-c.h"
#include "ctl.h"
#include "format.h"
#include "strbuf.h"
#include "table.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

/* The options of `resources create` and the storage the request points into. */
typedef struct resource_args {
    const char *type, *name, *city, *id, *tz, *currency, *check_in, *check_out;
    double lat, lon, rating;
    int32_t capacity, slot_minutes, hold_ttl, weekend_bp, tax_bp, fee_bp;
    int64_t price;
    ctl_list amenities, cancel;
    Booking__V1__Resource resource;
    Booking__V1__Money base_price;
    Booking__V1__PricingRules pricing;
    Booking__V1__CancellationRule rules[CTL_LIST_MAX];
    Booking__V1__CancellationRule *rule_ptrs[CTL_LIST_MAX];
} resource_args;

/* "1.20" for 12000 basis points: at least two decimals, at most four. */
static void append_bp(strbuf *b, int32_t bp)
{
    char frac[8];
    snprintf(frac, sizeof frac, "%04d", (bp < 0 ? -bp : bp) % 10000);
    for (int n = 4; n > 2 && frac[n - 1] == '0'; n--)
        frac[n - 1] = '\0';
    strbuf_printf(b, "%s%d.%s", bp < 0 ? "-" : "", (bp < 0 ? -bp : bp) / 10000, frac);
}

static void add_row(ctl_table *t, const char *label, const char *value)
{
    table_add(t, label);
    table_add(t, value);
}

/* "100% if >=24h before, 50% if >=2h before". */
static void cancellation_row(ctl_table *t, const Booking__V1__Resource *r)
{
    strbuf b = STRBUF_INIT;
    for (size_t i = 0; i < r->n_cancellation_rules; i++)
        strbuf_printf(&b, "%s%d%% if >=%dh before", i ? ", " : "", r->cancellation_rules[i]->refund_percent,
                      r->cancellation_rules[i]->hours_before_start);
    add_row(t, "cancellation", b.data ? b.data : "no refund");
    strbuf_free(&b);
}

/* "weekend x1.2, fee 5.00%, tax 10.00%" plus how many other rules there are. */
static void pricing_row(ctl_table *t, const Booking__V1__PricingRules *p)
{
    char money[FMT_MONEY_CAP];
    strbuf b = STRBUF_INIT;
    strbuf_puts(&b, "weekend x");
    append_bp(&b, p->weekend_multiplier_bp ? p->weekend_multiplier_bp : 10000);
    strbuf_printf(&b, ", fee %d.%02d%%, tax %d.%02d%%", p->fee_bp / 100, p->fee_bp % 100, p->tax_bp / 100,
                  p->tax_bp % 100);
    if (p->fee_fixed && p->fee_fixed->amount_minor)
        strbuf_printf(&b, ", fixed fee %s", fmt_money(p->fee_fixed, money, sizeof money));
    if (p->n_seasonal || p->n_occupancy || p->n_lead_time)
        strbuf_printf(&b, ", %zu seasonal, %zu occupancy, %zu lead-time rules", p->n_seasonal, p->n_occupancy,
                      p->n_lead_time);
    add_row(t, "pricing", b.data);
    strbuf_free(&b);
}

static void list_rows(ctl_table *t, const Booking__V1__Resource *r)
{
    strbuf b = STRBUF_INIT;
    for (size_t i = 0; i < r->n_amenities; i++)
        strbuf_printf(&b, "%s%s", i ? ", " : "", r->amenities[i]);
    add_row(t, "amenities", b.data ? b.data : "-");
    strbuf_free(&b);
    cancellation_row(t, r);
    if (r->pricing)
        pricing_row(t, r->pricing);
    for (size_t i = 0; i < r->n_metadata; i++) {
        table_addf(t, "metadata.%s", r->metadata[i]->key);
        table_add(t, r->metadata[i]->value);
    }
}

/* id, type, name, status, place and time zone. */
static void identity_rows(ctl_table *t, const Booking__V1__Resource *r)
{
    char buf[64];
    add_row(t, "id", r->resource_id);
    add_row(t, "type", fmt_enum_label(&booking__v1__resource_type__descriptor, r->resource_type, buf, sizeof buf));
    add_row(t, "name", r->name);
    add_row(t, "status", fmt_enum_label(&booking__v1__resource_status__descriptor, r->status, buf, sizeof buf));
    add_row(t, "city", r->location);
    table_add(t, "coordinates");
    table_addf(t, "%.6f, %.6f", r->latitude, r->longitude);
    add_row(t, "time zone", *r->time_zone ? r->time_zone : "-");
    if (r->slot_minutes == SLOT_MINUTES_NIGHTLY) {
        add_row(t, "check-in (local)", *r->check_in_local_time ? r->check_in_local_time : "15:00");
        add_row(t, "check-out (local)", *r->check_out_local_time ? r->check_out_local_time : "11:00");
    }
}

/* Capacity, slots, price, rating and limits; 0 limits are the service's defaults. */
static void capacity_rows(ctl_table *t, const Booking__V1__Resource *r)
{
    char buf[FMT_MONEY_CAP];
    table_add(t, "capacity");
    table_addf(t, "%d", r->capacity);
    table_add(t, "slots");
    if (r->slot_minutes == 0 || r->slot_minutes == 1440)
        table_add(t, r->slot_minutes ? "nightly (1440 min)" : "single slot");
    else
        table_addf(t, "%d min", r->slot_minutes);
    add_row(t, "base price", fmt_money(r->base_price, buf, sizeof buf));
    table_add(t, "rating");
    table_addf(t, "%.1f", r->rating);
    table_add(t, "hold ttl");
    if (r->hold_ttl_seconds)
        table_addf(t, "%d s", r->hold_ttl_seconds);
    else
        table_add(t, "service default");
    table_add(t, "max per hold");
    if (r->max_quantity_per_hold)
        table_addf(t, "%d", r->max_quantity_per_hold);
    else
        table_add(t, "service default");
}

static void print_resource(const ProtobufCMessage *m)
{
    const Booking__V1__Resource *r = (const Booking__V1__Resource *)m;
    char buf[FMT_TIME_CAP];
    ctl_table *t = table_new(2, NULL);
    identity_rows(t, r);
    capacity_rows(t, r);
    list_rows(t, r);
    add_row(t, "created", fmt_time(r->created_at, buf, sizeof buf));
    add_row(t, "updated", fmt_time(r->updated_at, buf, sizeof buf));
    table_print(t, stdout);
    table_free(t);
}

/* "24:100" → a rule; returns 0 or 2 (usage error printed). */
static int parse_rule(ctl_context *ctx, const char *s, Booking__V1__CancellationRule *rule)
{
    char hours[16];
    const char *colon = strchr(s, ':');
    int64_t h, p;
    if (!colon || (size_t)(colon - s) >= sizeof hours)
        return ctl_usage_error(ctx, "--cancel: \"%s\" is not HOURS:PERCENT such as 24:100", s);
    memcpy(hours, s, (size_t)(colon - s));
    hours[colon - s] = '\0';
    if (fmt_parse_int(hours, 0, INT32_MAX, &h) != 0 || fmt_parse_int(colon + 1, 0, 100, &p) != 0)
        return ctl_usage_error(ctx, "--cancel: \"%s\" is not HOURS:PERCENT such as 24:100", s);
    booking__v1__cancellation_rule__init(rule);
    rule->hours_before_start = (int32_t)h;
    rule->refund_percent = (int32_t)p;
    return 0;
}

/* Fills a->resource from the parsed options; returns 0 or 2 (usage error printed). */
static int build_resource(ctl_context *ctx, resource_args *a, const ctl_opt *opts, size_t n_opts)
{
    Booking__V1__Resource *r = &a->resource;
    int type;
    if (fmt_parse_enum(&booking__v1__resource_type__descriptor, a->type, &type) != 0)
        return ctl_usage_error(ctx, "--type: \"%s\" is not hotel_room, restaurant_table, appointment, "
                                    "flight_seat, event_ticket or rental_car", a->type);
    if (!fmt_currency_valid(a->currency))
        return ctl_usage_error(ctx, "--currency: \"%s\" is not an ISO 4217 code such as EUR", a->currency);
    if (ctl_opt_seen(opts, n_opts, "--lat") != ctl_opt_seen(opts, n_opts, "--lon"))
        return ctl_usage_error(ctx, "--lat and --lon go together");
    for (size_t i = 0; i < a->cancel.count; i++) {
        if (parse_rule(ctx, a->cancel.item[i], &a->rules[i]) != 0)
            return 2;
        a->rule_ptrs[i] = &a->rules[i];
    }
    r->resource_type = (Booking__V1__ResourceType)type;
    r->resource_id = (char *)(a->id ? a->id : "");
    r->name = (char *)a->name;
    r->location = (char *)a->city;
    r->time_zone = (char *)(a->tz ? a->tz : "");
    r->check_in_local_time = (char *)(a->check_in ? a->check_in : "");
    r->check_out_local_time = (char *)(a->check_out ? a->check_out : "");
    r->latitude = a->lat;
    r->longitude = a->lon;
    r->rating = a->rating;
    r->capacity = a->capacity;
    r->slot_minutes = a->slot_minutes;
    r->hold_ttl_seconds = a->hold_ttl;
    return 0;
}

/* Attaches price, amenities, rules and pricing (only when a pricing option was given). */
static void attach_lists(resource_args *a, const ctl_opt *opts, size_t n_opts)
{
    Booking__V1__Resource *r = &a->resource;
    a->base_price.currency = (char *)a->currency;
    a->base_price.amount_minor = a->price;
    r->base_price = &a->base_price;
    r->n_amenities = a->amenities.count;
    r->amenities = (char **)a->amenities.item;
    r->n_cancellation_rules = a->cancel.count;
    r->cancellation_rules = a->rule_ptrs;
    if (ctl_opt_seen(opts, n_opts, "--weekend-bp") || ctl_opt_seen(opts, n_opts, "--tax-bp") ||
        ctl_opt_seen(opts, n_opts, "--fee-bp")) {
        a->pricing.weekend_multiplier_bp = a->weekend_bp;
        a->pricing.tax_bp = a->tax_bp;
        a->pricing.fee_bp = a->fee_bp;
        r->pricing = &a->pricing;
    }
}

int ctl_resources_create(ctl_context *ctx, int argc, char **argv)
{
    resource_args a;
    memset(&a, 0, sizeof a);
    booking__v1__resource__init(&a.resource);
    booking__v1__money__init(&a.base_price);
    booking__v1__pricing_rules__init(&a.pricing);
    ctl_opt opts[] = {
        {"--type", CTL_OPT_STR, &a.type, 1, 0},          {"--name", CTL_OPT_STR, &a.name, 1, 0},
        {"--city", CTL_OPT_STR, &a.city, 1, 0},          {"--capacity", CTL_OPT_INT, &a.capacity, 1, 0},
        {"--slot-minutes", CTL_OPT_INT, &a.slot_minutes, 1, 0},
        {"--price", CTL_OPT_AMOUNT, &a.price, 1, 0},     {"--currency", CTL_OPT_STR, &a.currency, 1, 0},
        {"--lat", CTL_OPT_DOUBLE, &a.lat, 0, 0},         {"--lon", CTL_OPT_DOUBLE, &a.lon, 0, 0},
        {"--rating", CTL_OPT_DOUBLE, &a.rating, 0, 0},   {"--amenity", CTL_OPT_LIST, &a.amenities, 0, 0},
        {"--hold-ttl", CTL_OPT_INT, &a.hold_ttl, 0, 0},  {"--cancel", CTL_OPT_LIST, &a.cancel, 0, 0},
        {"--weekend-bp", CTL_OPT_INT, &a.weekend_bp, 0, 0}, {"--tax-bp", CTL_OPT_INT, &a.tax_bp, 0, 0},
        {"--fee-bp", CTL_OPT_INT, &a.fee_bp, 0, 0},      {"--id", CTL_OPT_STR, &a.id, 0, 0},
        {"--tz", CTL_OPT_STR, &a.tz, 1, 0},             {"--check-in", CTL_OPT_STR, &a.check_in, 0, 0},
        {"--check-out", CTL_OPT_STR, &a.check_out, 0, 0},
    };
    if (ctl_parse_opts(ctx, argc, argv, opts, N_OPTS(opts), NULL, 0) != 0 ||
        build_resource(ctx, &a, opts, N_OPTS(opts)) != 0)
        return 2;
    attach_lists(&a, opts, N_OPTS(opts));
    Booking__V1__CreateResourceRequest req = BOOKING__V1__CREATE_RESOURCE_REQUEST__INIT;
    req.resource = &a.resource;
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_BOOKING, "CreateResource", &req.base, 1, &resp) != 0)
        return 1;
    return ctl_output(ctx, resp, print_resource);
}

int ctl_resources_get(ctl_context *ctx, int argc, char **argv)
{
    ProtobufCMessage *resp;
    int rc = ctl_call_with_id(ctx, argc, argv, CTL_SEARCH, "GetResource", &booking__v1__get_resource_request__descriptor,
                              "resource_id", 0, &resp);
    return rc ? rc : ctl_output(ctx, resp, print_resource);
}
