/* pricing.c — quotes in integer minor units: per-slot multipliers and the lead-time
 * discount, then fees and taxes; and the refund percent of the cancellation policy. */
#include "pricing.h"

#include <stdio.h>
#include <string.h>

#include "slots.h"

#define BP_ONE 10000 /* basis points of x1.0 */

/* Rules with a negative multiplier, fee or tax, or a discount outside 0..100 %, have no
 * meaningful price: apply_bp answers -1 for them and the quote fails like an overflow. */

int64_t apply_bp(int64_t amount, int64_t bp)
{
    int64_t p;
    if (amount < 0 || bp < 0)
        return -1;
    if (__builtin_mul_overflow(amount, bp, &p) || __builtin_add_overflow(p, BP_ONE / 2, &p))
        return -1;
    return p / BP_ONE;
}

price_slot price_slot_at(const resource_clock *clock, int64_t start, int64_t end)
{
    return (price_slot){.start = start, .end = end, .local_start = local_wall(clock->zone, start),
                        .begins = slot_check_in(clock, start)};
}

void price_slots_at(const resource_clock *clock, const int64_t *bounds, int count, price_slot *out)
{
    for (int i = 0; i < count; i++)
        out[i] = price_slot_at(clock, bounds[i], bounds[i + 1]);
}

/* Writes v / 10^decimals (v >= 0) without trailing zeros: 12500, 4 -> "1.25"; 1500, 2 -> "15". */
static void fixed_point(char *out, size_t cap, int64_t v, int decimals)
{
    int64_t scale = decimals == 4 ? 10000 : 100;
    char frac[24];
    snprintf(frac, sizeof frac, "%0*lld", decimals, (long long)(v % scale));
    size_t n = strlen(frac);
    while (n > 0 && frac[n - 1] == '0')
        frac[--n] = '\0';
    if (n > 0)
        snprintf(out, cap, "%lld.%s", (long long)(v / scale), frac);
    else
        snprintf(out, cap, "%lld", (long long)(v / scale));
}

/* Appends "<label> x<multiplier>" or "<percent> % early booking" to a line's description. */
static void describe(char *desc, size_t cap, const char *label, int64_t bp)
{
    char num[24], item[48];
    if (label) {
        fixed_point(num, sizeof num, bp, 4);
        snprintf(item, sizeof item, "%s x%s", label, num);
    } else {
        fixed_point(num, sizeof num, bp, 2);
        snprintf(item, sizeof item, "%s %% early booking", num);
    }
    size_t len = strlen(desc);
    if (len + 1 < cap)
        snprintf(desc + len, cap - len, "%s%s", len ? "; " : "", item);
}

/* unit x bp when the rule applied (bp >= 0); 0 or -1 (overflow / invalid rule). A
 * neutral x1.0 changes nothing and is not worth a word in the description. */
static int apply_rule(int64_t *unit, int64_t bp, const char *label, char *desc, size_t cap)
{
    *unit = apply_bp(*unit, bp);
    if (*unit < 0)
        return -1;
    if (bp != BP_ONE && desc)
        describe(desc, cap, label, bp);
    return 0;
}

/* The first seasonal rule whose [start_time, end_time) holds t, or NULL. A missing
 * bound is open. t and the bounds are wall-clock times: the rule's dates are the
 * resource's local dates. */
static const Booking__V1__SeasonalRule *seasonal_rule(const Booking__V1__PricingRules *r, int64_t t)
{
    for (size_t i = 0; i < r->n_seasonal; i++) {
        const Booking__V1__SeasonalRule *s = r->seasonal[i];
        if (s && (!s->start_time || s->start_time->seconds <= t) && (!s->end_time || t < s->end_time->seconds))
            return s;
    }
    return NULL;
}

/* The occupancy rule with the largest threshold <= the slot's occupancy percent
 * (capacity 0 counts as full), or NULL. */
static const Booking__V1__OccupancyRule *occupancy_rule(const Booking__V1__PricingRules *r, const price_slot *s)
{
    int64_t pct = 100;
    if (s->total_capacity > 0)
        pct = ((int64_t)s->total_capacity - s->available) * 100 / s->total_capacity;
    const Booking__V1__OccupancyRule *best = NULL;
    for (size_t i = 0; i < r->n_occupancy; i++) {
        const Booking__V1__OccupancyRule *o = r->occupancy[i];
        if (o && o->min_occupancy_percent <= pct && (!best || o->min_occupancy_percent > best->min_occupancy_percent))
            best = o;
    }
    return best;
}

/* The discount of the lead-time rule with the largest min_days_before_start <= the whole
 * days from now to check_in; 0 when none applies. */
static int64_t lead_time_discount_bp(const Booking__V1__PricingRules *r, int64_t check_in, int64_t now)
{
    int64_t ahead;
    if (__builtin_sub_overflow(check_in, now, &ahead))
        ahead = check_in > now ? INT64_MAX : INT64_MIN;
    int64_t days = floor_div64(ahead, SECONDS_PER_DAY);
    const Booking__V1__LeadTimeRule *best = NULL;
    for (size_t i = 0; i < r->n_lead_time; i++) {
        const Booking__V1__LeadTimeRule *l = r->lead_time[i];
        if (l && l->min_days_before_start <= days &&
            (!best || l->min_days_before_start > best->min_days_before_start))
            best = l;
    }
    return best ? best->discount_bp : 0;
}

/* The multipliers of the rules that apply to slot s, in order, and their description
 * (desc NULL: none wanted). */
static int apply_multipliers(const Booking__V1__PricingRules *r, const price_slot *s, int64_t *unit, char *desc,
                             size_t cap)
{
    int wd = weekday_of_day(floor_div64(s->local_start, SECONDS_PER_DAY));
    if (r->weekend_multiplier_bp > 0 && (wd == 5 || wd == 6) &&
        apply_rule(unit, r->weekend_multiplier_bp, "weekend", desc, cap) != 0)
        return -1;
    const Booking__V1__SeasonalRule *season = seasonal_rule(r, s->local_start);
    if (season && apply_rule(unit, season->multiplier_bp, "seasonal", desc, cap) != 0)
        return -1;
    const Booking__V1__OccupancyRule *demand = occupancy_rule(r, s);
    if (demand && apply_rule(unit, demand->multiplier_bp, "demand", desc, cap) != 0)
        return -1;
    return 0;
}

/* Prices one slot into line: base, multipliers, then the lead-time discount; the
 * description only when `described`. */
static int price_line(const Booking__V1__PricingRules *r, const price_slot *s, int quantity, int64_t discount_bp,
                      int described, quote_line *line)
{
    line->slot_start = s->start;
    line->slot_end = s->end;
    line->description[0] = '\0';
    char *desc = described ? line->description : NULL;
    int64_t unit = s->base_price_minor;
    if (unit < 0 || (r && apply_multipliers(r, s, &unit, desc, sizeof line->description) != 0))
        return -1;
    if (discount_bp != 0) {
        if ((unit = apply_bp(unit, BP_ONE - discount_bp)) < 0)
            return -1;
        if (desc)
            describe(desc, sizeof line->description, NULL, discount_bp);
    }
    line->unit_price_minor = unit;
    return __builtin_mul_overflow(unit, (int64_t)quantity, &line->amount_minor) ? -1 : 0;
}

/* Fees and taxes on the subtotal, and the total. */
static int totals(const Booking__V1__PricingRules *r, int64_t subtotal, quote *q)
{
    int64_t fixed = r && r->fee_fixed ? r->fee_fixed->amount_minor : 0;
    int64_t fees = apply_bp(subtotal, r ? r->fee_bp : 0);
    int64_t base, taxes;
    if (fixed < 0 || fees < 0 || __builtin_add_overflow(fees, fixed, &fees) ||
        __builtin_add_overflow(subtotal, fees, &base))
        return -1;
    taxes = apply_bp(base, r ? r->tax_bp : 0);
    if (taxes < 0 || __builtin_add_overflow(base, taxes, &q->total_minor))
        return -1;
    q->subtotal_minor = subtotal;
    q->fees_minor = fees;
    q->taxes_minor = taxes;
    return 0;
}

/* price_quote and price_total: lines NULL = the totals alone, nothing described. */
static int quote_slots(const Booking__V1__PricingRules *rules, const price_slot *slots, int count, int quantity,
                       int64_t now, quote_line *lines, quote *q)
{
    if (!q || count < 0 || quantity < 0 || (count > 0 && !slots))
        return -1;
    memset(q, 0, sizeof *q);
    int64_t discount_bp = rules && count > 0 ? lead_time_discount_bp(rules, slots[0].begins, now) : 0;
    if (discount_bp < 0 || discount_bp > BP_ONE)
        return -1;
    int64_t subtotal = 0;
    for (int i = 0; i < count; i++) {
        quote_line scratch, *line = lines ? &lines[i] : &scratch;
        if (price_line(rules, &slots[i], quantity, discount_bp, lines != NULL, line) != 0 ||
            __builtin_add_overflow(subtotal, line->amount_minor, &subtotal))
            return -1;
    }
    return totals(rules, subtotal, q);
}

int price_quote(const Booking__V1__PricingRules *rules, const price_slot *slots, int count, int quantity,
                int64_t now, quote_line *lines, quote *q)
{
    if (count > 0 && !lines)
        return -1;
    return quote_slots(rules, slots, count, quantity, now, lines, q);
}

int price_total(const Booking__V1__PricingRules *rules, const price_slot *slots, int count, int quantity,
                int64_t now, quote *q)
{
    return quote_slots(rules, slots, count, quantity, now, NULL, q);
}

int refund_percent(const Booking__V1__CancellationRule *const *rules, size_t count, double hours_left)
{
    if (!(hours_left >= 0)) /* started (or NaN): not cancellable */
        return -1;
    const Booking__V1__CancellationRule *best = NULL;
    for (size_t i = 0; rules && i < count; i++) {
        const Booking__V1__CancellationRule *c = rules[i];
        if (c && c->hours_before_start <= hours_left && (!best || c->hours_before_start > best->hours_before_start))
            best = c;
    }
    if (!best)
        return 0;
    return best->refund_percent < 0 ? 0 : best->refund_percent > 100 ? 100 : best->refund_percent;
}
