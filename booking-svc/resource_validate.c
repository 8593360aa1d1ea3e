/* resource_validate.c — what a resource must satisfy before it is stored. */
#include "resource_validate.h"

#include <math.h>
#include <string.h>

#include "ids.h"
#include "local_time.h"
#include "slots.h"

#define MAX_LIST 50
#define MAX_RULES 20

int validate_text(rpc_call *call, const char *field, const char *s, size_t max, int required)
{
    size_t n = s ? strlen(s) : 0;
    if (required && n == 0)
        return rpc_invalid_argument(call, field, "is required");
    if (n > max)
        return rpc_invalid_argument(call, field, "is longer than %zu bytes", max);
    return 0;
}

int validate_money(rpc_call *call, const char *field, const Booking__V1__Money *m)
{
    if (!m)
        return rpc_invalid_argument(call, field, "is required");
    const char *c = m->currency ? m->currency : "";
    if (strlen(c) != 3 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' || c[2] < 'A' || c[2] > 'Z')
        return rpc_invalid_argument(call, field, "currency must be an ISO 4217 code such as \"EUR\"");
    if (m->amount_minor < 0 || m->amount_minor > MAX_PRICE_MINOR)
        return rpc_invalid_argument(call, field, "amount_minor must be between 0 and %lld", MAX_PRICE_MINOR);
    return 0;
}

static int in_range(rpc_call *call, const char *field, double v, double lo, double hi)
{
    if (isnan(v) || v < lo || v > hi)
        return rpc_invalid_argument(call, field, "must be between %g and %g", lo, hi);
    return 0;
}

static int validate_lists(rpc_call *call, const Booking__V1__Resource *r)
{
    if (r->n_amenities > MAX_LIST)
        return rpc_invalid_argument(call, "resource.amenities", "at most %d", MAX_LIST);
    for (size_t i = 0; i < r->n_amenities; i++)
        if (validate_text(call, "resource.amenities", r->amenities[i], 64, 1) != 0)
            return -1;
    if (r->n_metadata > MAX_LIST)
        return rpc_invalid_argument(call, "resource.metadata", "at most %d entries", MAX_LIST);
    for (size_t i = 0; i < r->n_metadata; i++)
        if (validate_text(call, "resource.metadata", r->metadata[i]->key, 64, 1) != 0 ||
            validate_text(call, "resource.metadata", r->metadata[i]->value, 512, 0) != 0)
            return -1;
    if (r->n_cancellation_rules > MAX_RULES)
        return rpc_invalid_argument(call, "resource.cancellation_rules", "at most %d rules", MAX_RULES);
    for (size_t i = 0; i < r->n_cancellation_rules; i++) {
        const Booking__V1__CancellationRule *c = r->cancellation_rules[i];
        if (in_range(call, "resource.cancellation_rules.hours_before_start", c->hours_before_start, 0, 8760) ||
            in_range(call, "resource.cancellation_rules.refund_percent", c->refund_percent, 0, 100))
            return -1;
    }
    return 0;
}

/* The rules; a fixed fee is in the resource's currency (it is added to its totals). */
static int validate_pricing(rpc_call *call, const Booking__V1__PricingRules *p, const char *currency)
{
    if (!p)
        return 0;
    if (in_range(call, "resource.pricing.weekend_multiplier_bp", p->weekend_multiplier_bp, 0, 100000) ||
        in_range(call, "resource.pricing.fee_bp", p->fee_bp, 0, 100000) ||
        in_range(call, "resource.pricing.tax_bp", p->tax_bp, 0, 100000))
        return -1;
    if (p->fee_fixed && validate_money(call, "resource.pricing.fee_fixed", p->fee_fixed) != 0)
        return -1;
    if (p->fee_fixed && strcmp(p->fee_fixed->currency, currency) != 0)
        return rpc_invalid_argument(call, "resource.pricing.fee_fixed", "currency must be the base price's (%s)",
                                    currency);
    if (p->n_seasonal > MAX_RULES || p->n_occupancy > MAX_RULES || p->n_lead_time > MAX_RULES)
        return rpc_invalid_argument(call, "resource.pricing", "at most %d rules of each kind", MAX_RULES);
    for (size_t i = 0; i < p->n_seasonal; i++)
        if (in_range(call, "resource.pricing.seasonal.multiplier_bp", p->seasonal[i]->multiplier_bp, 0, 100000))
            return -1;
    for (size_t i = 0; i < p->n_occupancy; i++)
        if (in_range(call, "resource.pricing.occupancy.min_occupancy_percent", p->occupancy[i]->min_occupancy_percent,
                     0, 100) ||
            in_range(call, "resource.pricing.occupancy.multiplier_bp", p->occupancy[i]->multiplier_bp, 0, 100000))
            return -1;
    for (size_t i = 0; i < p->n_lead_time; i++)
        if (in_range(call, "resource.pricing.lead_time.min_days_before_start", p->lead_time[i]->min_days_before_start,
                     0, 3650) ||
            in_range(call, "resource.pricing.lead_time.discount_bp", p->lead_time[i]->discount_bp, 0, 10000))
            return -1;
    return 0;
}

static int validate_shape(rpc_call *call, Booking__V1__Resource *r)
{
    if (r->resource_type < BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM ||
        r->resource_type > BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_RENTAL_CAR)
        return rpc_invalid_argument(call, "resource.resource_type", "must be one of the RESOURCE_TYPE_ values");
    if (!slot_minutes_valid(r->slot_minutes))
        return rpc_invalid_argument(call, "resource.slot_minutes",
                                    "must be 0 (single slot), 1440 (nightly) or a divisor of 1440");
    if (r->status == BOOKING__V1__RESOURCE_STATUS__RESOURCE_STATUS_UNSPECIFIED)
        r->status = BOOKING__V1__RESOURCE_STATUS__RESOURCE_STATUS_ACTIVE;
    if (r->status != BOOKING__V1__RESOURCE_STATUS__RESOURCE_STATUS_ACTIVE &&
        r->status != BOOKING__V1__RESOURCE_STATUS__RESOURCE_STATUS_INACTIVE)
        return rpc_invalid_argument(call, "resource.status", "must be ACTIVE or INACTIVE");
    return 0;
}

/* The time zone (required, IANA) and the check-in and check-out times ("HH:MM"). */
static int validate_clock(rpc_call *call, const Booking__V1__Resource *r)
{
    resource_clock clock;
    const char *field = NULL;
    if (validate_text(call, "resource.time_zone", r->time_zone, LOCAL_ZONE_NAME_MAX, 1) != 0 ||
        validate_text(call, "resource.check_in_local_time", r->check_in_local_time, 5, 0) != 0 ||
        validate_text(call, "resource.check_out_local_time", r->check_out_local_time, 5, 0) != 0)
        return -1;
    if (resource_clock_of(r, &clock, &field) == 0)
        return 0;
    if (strcmp(field, "time_zone") == 0)
        return rpc_invalid_argument(call, "resource.time_zone",
                                    "\"%s\" is not an IANA time zone name such as \"Europe/Lisbon\" or \"UTC\"",
                                    r->time_zone);
    return rpc_invalid_argument(call,
                                strcmp(field, "check_in_local_time") == 0 ? "resource.check_in_local_time"
                                                                          : "resource.check_out_local_time",
                                "must be HH:MM (00:00-23:59)");
}

int resource_clock_or_status(rpc_call *call, const Booking__V1__Resource *r, resource_clock *out)
{
    const char *field = NULL;
    if (resource_clock_of(r, out, &field) == 0)
        return 0;
    return rpc_fail(call, RPC_FAILED_PRECONDITION, "RESOURCE_TIME_ZONE", "resource %s: its %s \"%s\" is not usable",
                    r->resource_id, field, strcmp(field, "time_zone") == 0 ? r->time_zone : "check-in/out time");
}

int validate_resource(rpc_call *call, Booking__V1__Resource *r)
{
    if (!r)
        return rpc_invalid_argument(call, "resource", "is required");
    if (r->resource_id && *r->resource_id && !id_valid(r->resource_id))
        return rpc_invalid_argument(call, "resource.resource_id", "must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    if (validate_shape(call, r) != 0 || validate_text(call, "resource.name", r->name, NAME_MAX_LEN, 1) != 0 ||
        validate_text(call, "resource.location", r->location, LOCATION_MAX_LEN, 1) != 0 ||
        validate_clock(call, r) != 0)
        return -1;
    if (in_range(call, "resource.latitude", r->latitude, -90, 90) ||
        in_range(call, "resource.longitude", r->longitude, -180, 180) ||
        in_range(call, "resource.capacity", r->capacity, 0, MAX_CAPACITY) ||
        in_range(call, "resource.rating", r->rating, 0, 5) ||
        in_range(call, "resource.hold_ttl_seconds", r->hold_ttl_seconds, 0, 86400) ||
        in_range(call, "resource.max_quantity_per_hold", r->max_quantity_per_hold, 0, MAX_CAPACITY))
        return -1;
    if (validate_money(call, "resource.base_price", r->base_price) != 0 || validate_lists(call, r) != 0)
        return -1;
    return validate_pricing(call, r->pricing, r->base_price->currency);
}
