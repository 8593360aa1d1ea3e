/* pricing.h — the price of a hold: per-slot base price (or override) x weekend,
 * seasonal and occupancy multipliers, minus a lead-time discount, times quantity; then
 * fees and taxes. Integer minor units and basis points only, rounded half up. Weekdays,
 * seasons and lead times are read on the resource's local clock. Pure. */
#ifndef SHARED_PRICING_H
#define SHARED_PRICING_H

#include <stddef.h>
#include <stdint.h>

#include "booking/v1/common.pb-c.h"
#include "slots.h"

/* What pricing needs to know of one slot (price_slot_at fills the times). */
typedef struct price_slot {
    int64_t start, end;        /* Unix seconds */
    int64_t base_price_minor;  /* the override when set, else the resource's base price */
    int total_capacity;
    int available;             /* before this hold; drives the occupancy multiplier */
    int64_t local_start;       /* start on the resource's wall clock (local_wall): weekday, season */
    int64_t begins;            /* where the guest's use begins: check-in of a night, else start */
} price_slot;

/* The slot [start, end) of a resource with this clock, its price and capacity left 0. */
price_slot price_slot_at(const resource_clock *clock, int64_t start, int64_t end);
/* price_slot_at of the count slots between count + 1 boundaries. */
void price_slots_at(const resource_clock *clock, const int64_t *bounds, int count, price_slot *out);

typedef struct quote_line {
    int64_t slot_start, slot_end;
    int64_t unit_price_minor;  /* after multipliers and discount */
    int64_t amount_minor;      /* unit x quantity */
    char description[96];      /* e.g. "weekend x1.25; 15 % early booking" ("" = base price) */
} quote_line;

typedef struct quote {
    int64_t subtotal_minor, fees_minor, taxes_minor, total_minor;
} quote;

/* Prices `count` slots for `quantity` units booked at `now` (Unix seconds) under
 * `rules` (may be NULL: no rules): the weekend multiplier on slots whose local start is
 * a Friday or Saturday, a seasonal rule on slots whose local start lies in its range
 * (its bounds read as local wall-clock times), the lead-time discount by whole days
 * from now to the first slot's check-in. Writes count lines into lines and the totals into
 * q. Returns 0, or -1 when an amount would overflow int64 (the caller answers
 * INVALID_ARGUMENT). */
int price_quote(const Booking__V1__PricingRules *rules, const price_slot *slots, int count, int quantity,
                int64_t now, quote_line *lines, quote *q);
/* The same totals as price_quote, without writing the lines (cheaper: searches rank
 * every candidate by it). */
int price_total(const Booking__V1__PricingRules *rules, const price_slot *slots, int count, int quantity,
                int64_t now, quote *q);

/* amount x bp / 10000, rounded half up (amount >= 0). -1 on overflow. */
int64_t apply_bp(int64_t amount, int64_t bp);

/* The refund of a booking cancelled `hours_left` hours before its start under the rules
 * (any order): the percent of the first rule, largest hours_before_start first, whose
 * hours are <= hours_left; 0 when none applies; -1 when hours_left < 0 (started: not
 * cancellable). */
int refund_percent(const Booking__V1__CancellationRule *const *rules, size_t count, double hours_left);

#endif
