/* domain_checks.c — the fuzz targets' only calls into shared/domain (slots and pricing
 * on resource clocks in several zones): the slot span of a range for every kind of
 * resource, and a valid resource's quote and refunds, with what callers rely on. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pricing.h"
#include "request_checks.h"
#include "slots.h"

#define QUOTE_SLOTS_MAX 31

/* slot_span_of for a range as each kind of resource sees it (single slot, 15 min,
 * hourly, nightly, and a slot size no resource may have) on clocks of several zones
 * (UTC, one with DST, +05:45, Lord Howe's half-hour DST), with what callers rely on:
 * 1..max slots with strictly increasing boundaries, the first starting at or before
 * start, the last ending after start and at or before end; on failure a field and a
 * reason. */
void check_spans(int64_t start, int64_t end, int max)
{
    static const int kinds[] = {SLOT_MINUTES_SINGLE, 15, 60, SLOT_MINUTES_NIGHTLY, 7};
    static const char *const zones[] = {"UTC", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"};
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        const local_zone *zone = local_zone_get(zones[z]);
        FUZZ_ASSERT(zone);
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            resource_clock clock = resource_clock_make(zone, kinds[k]);
            slot_span span;
            const char *field = NULL;
            char msg[200] = "";
            if (slot_span_of(&clock, start, end, max, &span, &field, msg, sizeof msg) != 0) {
                FUZZ_ASSERT(field && msg[0]);
                continue;
            }
            FUZZ_ASSERT(slot_minutes_valid(kinds[k]));
            FUZZ_ASSERT(span.count >= 1 && span.count <= max);
            FUZZ_ASSERT(span.first_start <= start);
            FUZZ_ASSERT(span.end > start && span.end <= end);
            int64_t *bounds = malloc(sizeof *bounds * ((size_t)span.count + 1));
            slot_span_bounds(&span, bounds);
            FUZZ_ASSERT(bounds[0] == span.first_start && bounds[span.count] == span.end);
            for (int i = 0; i < span.count; i++)
                FUZZ_ASSERT(bounds[i] < bounds[i + 1]);
            free(bounds);
        }
    }
}

/* A quote of `count` slots under r's rules, twice (price_quote with lines, price_total
 * without): both agree, and the totals add up. */
static void check_quote(const Booking__V1__Resource *r, const price_slot *slots, int count, int quantity, int64_t now)
{
    quote_line lines[QUOTE_SLOTS_MAX];
    quote q, total;
    int rc = price_quote(r->pricing, slots, count, quantity, now, lines, &q);
    FUZZ_ASSERT(rc == price_total(r->pricing, slots, count, quantity, now, &total));
    if (rc != 0)
        return;
    FUZZ_ASSERT(memcmp(&q, &total, sizeof q) == 0);
    int64_t sum = 0;
    for (int i = 0; i < count; i++) {
        FUZZ_ASSERT(lines[i].amount_minor >= 0 && strnlen(lines[i].description, sizeof lines[i].description) <
                                                      sizeof lines[i].description);
        sum += lines[i].amount_minor;
    }
    FUZZ_ASSERT(sum == q.subtotal_minor && q.fees_minor >= 0 && q.taxes_minor >= 0);
    FUZZ_ASSERT(q.total_minor == q.subtotal_minor + q.fees_minor + q.taxes_minor);
}

/* Prices a valid resource: slots of its own size from about 2027-01-01 (a Friday: weekend
 * rules apply), their number from capacity, the lead time from the latitude (0-180
 * days), the quantity from max_quantity_per_hold, occupancy falling slot by slot, so
 * the fuzzer steers every rule. */
void check_prices(const Booking__V1__Resource *r)
{
    resource_clock clock;
    const char *field;
    FUZZ_ASSERT(resource_clock_of(r, &clock, &field) == 0); /* a valid resource has a valid clock */
    const int64_t utc_new_year = 1798761600;                /* 2027-01-01T00:00:00Z */
    const int64_t first = r->slot_minutes ? slot_floor(&clock, utc_new_year) : utc_new_year;
    int count = 1 + r->capacity % QUOTE_SLOTS_MAX;
    int64_t bounds[QUOTE_SLOTS_MAX + 1];
    bounds[0] = first;
    for (int i = 1; i <= count; i++) /* slots of its own size on its own clock (single: an hour) */
        bounds[i] = r->slot_minutes ? slot_next(&clock, bounds[i - 1]) : bounds[i - 1] + 3600;
    price_slot slots[QUOTE_SLOTS_MAX];
    price_slots_at(&clock, bounds, count, slots);
    for (int i = 0; i < count; i++) {
        slots[i].base_price_minor = r->base_price->amount_minor;
        slots[i].total_capacity = r->capacity;
        slots[i].available = r->capacity > i ? r->capacity - i : 0;
    }
    int quantity = r->max_quantity_per_hold > 0 ? r->max_quantity_per_hold : 1;
    check_quote(r, slots, count, quantity, utc_new_year - (int64_t)(r->latitude + 90) * SECONDS_PER_DAY);
}

/* refund_percent of a valid resource's rules: -1 once started, else a percent. */
void check_refunds(const Booking__V1__Resource *r)
{
    static const double hours[] = {-1, 0, 1, 24, 8760, 1e9, NAN};
    for (size_t i = 0; i < sizeof hours / sizeof hours[0]; i++) {
        int p = refund_percent((const Booking__V1__CancellationRule *const *)r->cancellation_rules,
                               r->n_cancellation_rules, hours[i]);
        FUZZ_ASSERT(hours[i] >= 0 ? p >= 0 && p <= 100 : p == -1);
    }
}
