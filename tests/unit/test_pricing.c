/* test_pricing.c — quotes (weekend, seasonal, occupancy, lead time, fees, taxes, rounding
 * half up, overflow) and the refund percent of cancellation policies; weekend, seasons
 * and lead time on the resource's local clock (tables over the zones of test_slots). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "booking/v1/common.pb-c.h"
#include "pricing.h"

#define DAY INT64_C(86400)
#define MAX_LINES 8

/* ---- helpers ---- */

/* Unix seconds of a UTC date at hh:00, computed by the C library. */
static int64_t utc(int y, int mo, int d, int h)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    return (int64_t)timegm(&tm);
}

/* The slot [start, end) of a UTC resource whose use begins at its start, empty, of
 * capacity 10. */
static price_slot slot_at(int64_t start, int64_t end, int64_t base)
{
    resource_clock utc_clock = resource_clock_make(local_zone_utc(), 60);
    price_slot s = price_slot_at(&utc_clock, start, end);
    s.base_price_minor = base, s.total_capacity = 10, s.available = 10;
    return s;
}

/* A day from 00:00 UTC of t's date, as slot_at. */
static price_slot night(int64_t t, int64_t base) { return slot_at(t, t + DAY, base); }

typedef struct priced {
    int rc;
    quote_line lines[MAX_LINES];
    quote q;
} priced;

static priced quote_of(const Booking__V1__PricingRules *rules, const price_slot *slots, int count, int quantity,
                       int64_t now)
{
    priced p;
    memset(&p, 0, sizeof p);
    assert_true(count <= MAX_LINES);
    p.rc = price_quote(rules, slots, count, quantity, now, p.lines, &p.q);
    /* every quote here also checks that the search's price_total agrees with it */
    quote total;
    int rc = price_total(rules, slots, count, quantity, now, &total);
    assert_int_equal(rc, p.rc);
    if (rc == 0)
        assert_memory_equal(&total, &p.q, sizeof total);
    return p;
}

/* The unit price of one slot priced alone. */
static int64_t unit_of(const Booking__V1__PricingRules *rules, price_slot s, int64_t now)
{
    priced p = quote_of(rules, &s, 1, 1, now);
    assert_int_equal(p.rc, 0);
    return p.lines[0].unit_price_minor;
}

static const char *description_of(const Booking__V1__PricingRules *rules, price_slot s, int64_t now,
                                  quote_line *line)
{
    quote q;
    assert_int_equal(price_quote(rules, &s, 1, 1, now, line, &q), 0);
    return line->description;
}

static Google__Protobuf__Timestamp ts(int64_t seconds)
{
    Google__Protobuf__Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    t.seconds = seconds;
    return t;
}

static const int64_t NOW = 1777593600; /* 2026-05-01T00:00Z, before every slot below */

/* ---- base price ---- */

static void test_no_rules_is_base_times_quantity_times_slots(void **state)
{
    price_slot slots[3] = {night(utc(2026, 6, 3, 0), 10000), night(utc(2026, 6, 4, 0), 10000),
                           night(utc(2026, 6, 5, 0), 12000)};
    Booking__V1__PricingRules empty = BOOKING__V1__PRICING_RULES__INIT;
    const Booking__V1__PricingRules *variants[] = {NULL, &empty};
    for (int v = 0; v < 2; v++) {
        priced p = quote_of(variants[v], slots, 3, 2, NOW);
        assert_int_equal(p.rc, 0);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(p.lines[i].slot_start, slots[i].start);
            assert_int_equal(p.lines[i].slot_end, slots[i].end);
            assert_int_equal(p.lines[i].unit_price_minor, slots[i].base_price_minor);
            assert_int_equal(p.lines[i].amount_minor, 2 * slots[i].base_price_minor);
            assert_string_equal(p.lines[i].description, "");
        }
        assert_int_equal(p.q.subtotal_minor, 64000);
        assert_int_equal(p.q.fees_minor, 0);
        assert_int_equal(p.q.taxes_minor, 0);
        assert_int_equal(p.q.total_minor, 64000);
    }
}

/* ---- weekend ---- */

static void test_weekend_only_on_friday_and_saturday(void **state)
{
    Booking__V1__PricingRules r = BOOKING__V1__PRICING_RULES__INIT;
    r.weekend_multiplier_bp = 12500;
    quote_line line;
    assert_int_equal(unit_of(&r, night(utc(2026, 6, 4, 0), 10000), NOW), 10000); /* Thursday */
    assert_int_equal(unit_of(&r, night(utc(2026, 6, 5, 0), 10000), NOW), 12500); /* Friday */
    assert_int_equal(unit_of(&r, night(utc(2026, 6, 6, 0), 10000), NOW), 12500); /* Saturday */
    assert_int_equal(unit_of(&r, night(utc(2026, 6, 7, 0), 10000), NOW), 10000); /* Sunday */
    assert_string_equal(description_of(&r, night(utc(2026, 6, 5, 0), 10000), NOW, &line), "weekend x1.25");
    assert_string_equal(description_of(&r, night(utc(2026, 6, 4, 0), 10000), NOW, &line), "");

    /* timed slots: the weekday of the slot's (here UTC) start */
    price_slot thu_late = slot_at(utc(2026, 6, 4, 23) + 1800, utc(2026, 6, 5, 0), 1000);
    price_slot sat_late = slot_at(utc(2026, 6, 6, 23) + 1800, utc(2026, 6, 7, 0), 1000);
    assert_int_equal(unit_of(&r, thu_late, NOW), 1000);
    assert_int_equal(unit_of(&r, sat_late, NOW), 1250);

    r.weekend_multiplier_bp = 0; /* 0 = none */
    assert_int_equal(unit_of(&r, night(utc(2026, 6, 5, 0), 10000), NOW), 10000);
}

/* ---- seasonal ---- */

static void test_seasonal_window_start_inclusive_end_exclusive(void **state)
{
    Google__Protobuf__Timestamp from = ts(utc(2026, 6, 10, 0)), to = ts(utc(2026, 6, 12, 0));
    Booking__V1__SeasonalRule high = BOOKING__V1__SEASONAL_RULE__INIT;
    high.start_time = &from;
    high.end_time = &to;
    high.multiplier_bp = 15000;
    Booking__V1__SeasonalRule *seasonal[] = {&high};
    Booking__V1__PricingRules r = BOOKING__V1__PRICING_RULES__INIT;
    r.n_seasonal = 1;
    r.seasonal = seasonal;
    quote_line line;

    assert_int_equal(unit_of(&r, night(utc(2026, 6, 9, 0), 10000), NOW), 10000);
    assert_int_equal(unit_of(&r, night(utc(2026, 6, 10, 0), 10000), NOW), 15000); /* start: inside */
    assert_int_equal(unit_of(&r, night(utc(2026, 6, 11, 0), 10000), NOW), 15000);
    assert_int_equal(unit_of(&r, night(utc(2026, 6, 12, 0), 10000), NOW), 10000); /* end: outside */
    price_slot last_second = slot_at(utc(2026, 6, 12, 0) - 1, utc(2026, 6, 12, 0), 10000);
    price_slot before = slot_at(utc(2026, 6, 10, 0) - 1, utc(2026, 6, 10, 0), 10000);
    assert_int_equal(unit_of(&r, last_second, NOW), 15000);
    assert_int_equal(unit_of(&r, before, NOW), 10000);
    assert_string_equal(description_of(&r, night(utc(2026, 6, 10, 0), 10000), NOW, &line), "seasonal x1.5");
}

static void test_first_matching_seasonal_rule_wins(void **state)
{
    Google__Protobuf__Timestamp a_from = ts(utc(2026, 6, 1, 0)), a_to = ts(utc(2026, 7, 1, 0));
    Google__Protobuf__Timestamp b_from = ts(utc(2026, 6, 10, 0)), b_to = ts(utc(2026, 6, 20, 0));
    Booking__V1__SeasonalRule a = BOOKING__V1__SEASONAL_RULE__INIT, b = BOOKING__V1__SEASONAL_RULE__INIT;
    a.start_time = &a_from, a.end_time = &a_to, a.multiplier_bp = 11000;
    b.start_time = &b_from, b.end_time = &b_to, b.multiplier_bp = 20000;
    Booking__V1__SeasonalRule *seasonal[] = {&a, &b};
    Booking__V1__PricingRules r = BOOKING__V1__PRICING_RULES__INIT;
    r.n_seasonal = 2;
    r.seasonal = seasonal;
    assert_int_equal(unit_of(&r, night(utc(2026, 6, 15, 0), 10000), NOW), 11000);
    /* a neutral x1.0 season changes nothing and says nothing */
    a.multiplier_bp = 10000;
    quote_line line;
    assert_string_equal(description_of(&r, night(utc(2026, 6, 15, 0), 10000), NOW, &line), "");
}

/* ---- occupancy ---- */

static void test_occupancy_thresholds(void **state)
{
    Booking__V1__OccupancyRule high = BOOKING__V1__OCCUPANCY_RULE__INIT, mid = BOOKING__V1__OCCUPANCY_RULE__INIT;
    high.min_occupancy_percent = 80, high.multiplier_bp = 12000;
    mid.min_occupancy_percent = 50, mid.multiplier_bp = 11000;
    Booking__V1__OccupancyRule *occupancy[] = {&high, &mid}; /* not sorted ascending */
    Booking__V1__PricingRules r = BOOKING__V1__PRICING_RULES__INIT;
    r.n_occupancy = 2;
    r.occupancy = occupancy;
    price_slot s = night(utc(2026, 6, 3, 0), 10000);

    s.available = 6; /* 40 % */
    assert_int_equal(unit_of(&r, s, NOW), 10000);
    s.available = 5; /* exactly 50 % */
    assert_int_equal(unit_of(&r, s, NOW), 11000);
    s.available = 3; /* 70 % */
    assert_int_equal(unit_of(&r, s, NOW), 11000);
    s.available = 2; /* exactly 80 % */
    assert_int_equal(unit_of(&r, s, NOW), 12000);
    s.available = 0; /* full */
    assert_int_equal(unit_of(&r, s, NOW), 12000);
    quote_line line;
    assert_string_equal(description_of(&r, s, NOW, &line), "demand x1.2");

    /* total 0 (blocked) counts as 100 % */
    s.total_capacity = 0, s.available = 0;
    assert_int_equal(unit_of(&r, s, NOW), 12000);

    /* 2 of 3 taken is 66 %, below a 67 % threshold */
    mid.min_occupancy_percent = 67;
    s.total_capacity = 3, s.available = 1;
    assert_int_equal(unit_of(&r, s, NOW), 10000);
}

/* ---- lead time ---- */

static void test_lead_time_whole_days_to_the_first_slot(void **state)
{
    Booking__V1__LeadTimeRule week = BOOKING__V1__LEAD_TIME_RULE__INIT, month = BOOKING__V1__LEAD_TIME_RULE__INIT;
    week.min_days_before_start = 7, week.discount_bp = 1000;
    month.min_days_before_start = 30, month.discount_bp = 1500;
    Booking__V1__LeadTimeRule *lead[] = {&month, &week};
    Booking__V1__PricingRules r = BOOKING__V1__PRICING_RULES__INIT;
    r.n_lead_time = 2;
    r.lead_time = lead;
    int64_t start = utc(2026, 7, 1, 0); /* a Wednesday */
    price_slot s = night(start, 10000);

    assert_int_equal(unit_of(&r, s, start - 7 * DAY), 9000);     /* exactly 7 days */
    assert_int_equal(unit_of(&r, s, start - 7 * DAY + 1), 10000); /* one second short */
    assert_int_equal(unit_of(&r, s, start - 29 * DAY), 9000);
    assert_int_equal(unit_of(&r, s, start - 30 * DAY), 8500);     /* exactly 30 days */
    assert_int_equal(unit_of(&r, s, start - 365 * DAY), 8500);
    assert_int_equal(unit_of(&r, s, start + 3600), 10000);        /* after the start */
    quote_line line;
    assert_string_equal(description_of(&r, s, start - 7 * DAY, &line), "10 % early booking");

    /* every slot gets the first slot's discount, even one that is 7 days ahead itself */
    price_slot slots[2] = {night(start, 10000), night(start + DAY, 10000)};
    priced p = quote_of(&r, slots, 2, 1, start - 7 * DAY + 1);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.lines[0].unit_price_minor, 10000);
    assert_int_equal(p.lines[1].unit_price_minor, 10000);
    p = quote_of(&r, slots, 2, 1, start - 7 * DAY);
    assert_int_equal(p.lines[1].unit_price_minor, 9000);
}

/* ---- order, rounding, description ---- */

static void test_rules_apply_in_order_and_round_each_step(void **state)
{
    Google__Protobuf__Timestamp from = ts(utc(2026, 6, 1, 0)), to = ts(utc(2026, 7, 1, 0));
    Booking__V1__SeasonalRule season = BOOKING__V1__SEASONAL_RULE__INIT;
    season.start_time = &from, season.end_time = &to, season.multiplier_bp = 15000;
    Booking__V1__SeasonalRule *seasonal[] = {&season};
    Booking__V1__PricingRules r = BOOKING__V1__PRICING_RULES__INIT;
    r.weekend_multiplier_bp = 15000;
    r.n_seasonal = 1;
    r.seasonal = seasonal;
    /* 1 x1.5 = 1.5 -> 2; 2 x1.5 = 3 (one rounding at the end would give 2.25 -> 2) */
    assert_int_equal(unit_of(&r, night(utc(2026, 6, 5, 0), 1), NOW), 3);

    /* 999 x1.25 = 1248.75 -> 1249; x1.1 = 1373.9 -> 1374; x1.2 = 1648.8 -> 1649;
     * 15 % off: 1401.65 -> 1402 */
    Booking__V1__OccupancyRule full = BOOKING__V1__OCCUPANCY_RULE__INIT;
    full.min_occupancy_percent = 90, full.multiplier_bp = 12000;
    Booking__V1__OccupancyRule *occupancy[] = {&full};
    Booking__V1__LeadTimeRule early = BOOKING__V1__LEAD_TIME_RULE__INIT;
    early.min_days_before_start = 0, early.discount_bp = 1500;
    Booking__V1__LeadTimeRule *lead[] = {&early};
    r.weekend_multiplier_bp = 12500;
    season.multiplier_bp = 11000;
    r.n_occupancy = 1, r.occupancy = occupancy;
    r.n_lead_time = 1, r.lead_time = lead;
    price_slot s = night(utc(2026, 6, 6, 0), 999);
    s.available = 1;
    priced p = quote_of(&r, &s, 1, 3, NOW);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.lines[0].unit_price_minor, 1402);
    assert_int_equal(p.lines[0].amount_minor, 3 * 1402);
    assert_string_equal(p.lines[0].description, "weekend x1.25; seasonal x1.1; demand x1.2; 15 % early booking");
}

static void test_longest_description_fits(void **state)
{
    Booking__V1__SeasonalRule season = BOOKING__V1__SEASONAL_RULE__INIT; /* no bounds: always */
    season.multiplier_bp = 2147483647;
    Booking__V1__SeasonalRule *seasonal[] = {&season};
    Booking__V1__OccupancyRule any = BOOKING__V1__OCCUPANCY_RULE__INIT;
    any.min_occupancy_percent = 0, any.multiplier_bp = 2147483647;
    Booking__V1__OccupancyRule *occupancy[] = {&any};
    Booking__V1__LeadTimeRule early = BOOKING__V1__LEAD_TIME_RULE__INIT;
    early.discount_bp = 1234;
    Booking__V1__LeadTimeRule *lead[] = {&early};
    Booking__V1__PricingRules r = BOOKING__V1__PRICING_RULES__INIT;
    r.weekend_multiplier_bp = 2147483647;
    r.n_seasonal = 1, r.seasonal = seasonal;
    r.n_occupancy = 1, r.occupancy = occupancy;
    r.n_lead_time = 1, r.lead_time = lead;
    quote_line line;
    assert_string_equal(description_of(&r, night(utc(2026, 6, 5, 0), 0), NOW, &line),
                        "weekend x214748.3647; seasonal x214748.3647; demand x214748.3647; 12.34 % early booking");
}

/* ---- apply_bp, fees, taxes ---- */

static void test_apply_bp_rounds_half_up(void **state)
{
    assert_int_equal(apply_bp(1, 5000), 1);    /* 0.5 -> 1 */
    assert_int_equal(apply_bp(1, 4999), 0);    /* 0.4999 -> 0 */
    assert_int_equal(apply_bp(3, 5000), 2);    /* 1.5 -> 2 */
    assert_int_equal(apply_bp(5, 1000), 1);    /* 0.5 -> 1 */
    assert_int_equal(apply_bp(14, 1000), 1);   /* 1.4 -> 1 */
    assert_int_equal(apply_bp(12345, 10000), 12345);
    assert_int_equal(apply_bp(0, 12345), 0);
    assert_int_equal(apply_bp(12345, 0), 0);
    assert_int_equal(apply_bp(INT64_MAX / 10000, 10000), INT64_MAX / 10000);
    assert_int_equal(apply_bp(INT64_MAX, 2), -1);
    assert_int_equal(apply_bp(INT64_MAX / 2, 10000), -1);
}

static void test_fees_and_taxes_round_half_up(void **state)
{
    Booking__V1__Money fixed = BOOKING__V1__MONEY__INIT;
    fixed.currency = (char *)"EUR";
    fixed.amount_minor = 50;
    Booking__V1__PricingRules r = BOOKING__V1__PRICING_RULES__INIT;
    r.fee_bp = 250;
    r.fee_fixed = &fixed;
    r.tax_bp = 1000;
    price_slot s = night(utc(2026, 6, 3, 0), 100);
    /* fee 2.5 % of 100 = 2.5 -> 3, + 50 = 53; tax 10 % of 153 = 15.3 -> 15 */
    priced p = quote_of(&r, &s, 1, 1, NOW);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.q.subtotal_minor, 100);
    assert_int_equal(p.q.fees_minor, 53);
    assert_int_equal(p.q.taxes_minor, 15);
    assert_int_equal(p.q.total_minor, 168);

    /* half a minor unit of fee and of tax rounds up; no fixed fee */
    r.fee_fixed = NULL;
    r.fee_bp = 5000;
    r.tax_bp = 2500;
    s.base_price_minor = 1; /* fee 0.5 -> 1; tax 25 % of 2 = 0.5 -> 1 */
    p = quote_of(&r, &s, 1, 1, NOW);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.q.fees_minor, 1);
    assert_int_equal(p.q.taxes_minor, 1);
    assert_int_equal(p.q.total_minor, 3);

    /* tax is on subtotal + fees */
    r.fee_bp = 1000;
    r.tax_bp = 2000;
    price_slot two[2] = {night(utc(2026, 6, 3, 0), 500), night(utc(2026, 6, 4, 0), 500)};
    p = quote_of(&r, two, 2, 1, NOW);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.q.subtotal_minor, 1000);
    assert_int_equal(p.q.fees_minor, 100);
    assert_int_equal(p.q.taxes_minor, 220);
    assert_int_equal(p.q.total_minor, 1320);
}

/* ---- overflow ---- */

static void test_overflow_returns_minus_one(void **state)
{
    Booking__V1__PricingRules r = BOOKING__V1__PRICING_RULES__INIT;
    int64_t half = INT64_MAX / 2 + 1;
    price_slot big = night(utc(2026, 6, 3, 0), half);
    /* unit x quantity */
    assert_int_equal(quote_of(NULL, &big, 1, 2, NOW).rc, -1);
    /* sum of amounts */
    price_slot two[2] = {big, night(utc(2026, 6, 4, 0), half)};
    assert_int_equal(quote_of(NULL, two, 2, 1, NOW).rc, -1);
    /* a multiplier */
    r.weekend_multiplier_bp = 20000;
    price_slot friday = night(utc(2026, 6, 5, 0), half);
    assert_int_equal(quote_of(&r, &friday, 1, 1, NOW).rc, -1);
    r.weekend_multiplier_bp = 0;
    /* fixed fee */
    Booking__V1__Money fixed = BOOKING__V1__MONEY__INIT;
    fixed.amount_minor = INT64_MAX;
    r.fee_fixed = &fixed;
    price_slot one = night(utc(2026, 6, 3, 0), 1);
    assert_int_equal(quote_of(&r, &one, 1, 1, NOW).rc, -1);
    /* tax of 100 %: just fits, then one minor unit too much */
    r.fee_fixed = NULL;
    r.tax_bp = 10000;
    price_slot large = night(utc(2026, 6, 3, 0), INT64_MAX / 10000);
    priced ok = quote_of(&r, &large, 1, 1, NOW);
    assert_int_equal(ok.rc, 0);
    assert_int_equal(ok.q.total_minor, 2 * (INT64_MAX / 10000));
    large.base_price_minor++;
    assert_int_equal(quote_of(&r, &large, 1, 1, NOW).rc, -1);
    /* the largest quote that fits is fine */
    r.tax_bp = 0;
    price_slot max = night(utc(2026, 6, 3, 0), INT64_MAX);
    priced p = quote_of(&r, &max, 1, 1, NOW);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.q.total_minor, INT64_MAX);
}

static void test_invalid_rules_are_refused(void **state)
{
    Booking__V1__PricingRules r = BOOKING__V1__PRICING_RULES__INIT;
    price_slot s = night(utc(2026, 6, 3, 0), 1000);
    r.tax_bp = -100;
    assert_int_equal(quote_of(&r, &s, 1, 1, NOW).rc, -1);
    r.tax_bp = 0;
    Booking__V1__LeadTimeRule free_plus = BOOKING__V1__LEAD_TIME_RULE__INIT;
    free_plus.discount_bp = 10001; /* more than 100 % off */
    Booking__V1__LeadTimeRule *lead[] = {&free_plus};
    r.n_lead_time = 1, r.lead_time = lead;
    assert_int_equal(quote_of(&r, &s, 1, 1, NOW).rc, -1);
    free_plus.discount_bp = 10000; /* free is a price */
    priced p = quote_of(&r, &s, 1, 1, NOW);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.q.total_minor, 0);
    s.base_price_minor = -1;
    assert_int_equal(quote_of(NULL, &s, 1, 1, NOW).rc, -1);
}

/* ---- refund_percent ---- */

static void test_refund_exactly_at_rule_hours(void **state)
{
    Booking__V1__CancellationRule full = BOOKING__V1__CANCELLATION_RULE__INIT,
                                  half = BOOKING__V1__CANCELLATION_RULE__INIT;
    full.hours_before_start = 24, full.refund_percent = 100;
    half.hours_before_start = 0, half.refund_percent = 50;
    const Booking__V1__CancellationRule *rules[] = {&full, &half};
    assert_int_equal(refund_percent(rules, 2, 24.0), 100);
    assert_int_equal(refund_percent(rules, 2, 200.0), 100);
    assert_int_equal(refund_percent(rules, 2, 23.99), 50);
    assert_int_equal(refund_percent(rules, 2, 0.0), 50);
}

static void test_refund_between_rules_and_unsorted_input(void **state)
{
    Booking__V1__CancellationRule a = BOOKING__V1__CANCELLATION_RULE__INIT,
                                  b = BOOKING__V1__CANCELLATION_RULE__INIT,
                                  c = BOOKING__V1__CANCELLATION_RULE__INIT;
    a.hours_before_start = 0, a.refund_percent = 10;
    b.hours_before_start = 72, b.refund_percent = 100;
    c.hours_before_start = 24, c.refund_percent = 50;
    const Booking__V1__CancellationRule *rules[] = {&a, &b, &c};
    assert_int_equal(refund_percent(rules, 3, 100.0), 100);
    assert_int_equal(refund_percent(rules, 3, 72.0), 100);
    assert_int_equal(refund_percent(rules, 3, 48.0), 50); /* between 72 and 24 */
    assert_int_equal(refund_percent(rules, 3, 24.0), 50);
    assert_int_equal(refund_percent(rules, 3, 5.5), 10);
}

static void test_refund_none_applies_or_no_rules(void **state)
{
    Booking__V1__CancellationRule full = BOOKING__V1__CANCELLATION_RULE__INIT;
    full.hours_before_start = 24, full.refund_percent = 100;
    const Booking__V1__CancellationRule *rules[] = {&full};
    assert_int_equal(refund_percent(rules, 1, 10.0), 0);
    assert_int_equal(refund_percent(NULL, 0, 10.0), 0);
    assert_int_equal(refund_percent(rules, 0, 48.0), 0);
}

static void test_refund_after_start_is_not_cancellable(void **state)
{
    Booking__V1__CancellationRule any = BOOKING__V1__CANCELLATION_RULE__INIT;
    any.hours_before_start = 0, any.refund_percent = 100;
    const Booking__V1__CancellationRule *rules[] = {&any};
    assert_int_equal(refund_percent(rules, 1, -0.01), -1);
    assert_int_equal(refund_percent(rules, 1, -48.0), -1);
    assert_int_equal(refund_percent(NULL, 0, -1.0), -1);
}

/* ---- the local clock ---- */

/* The slot of a resource in zone `zone` (slot_minutes) starting at the local civil time
 * y-mo-d h:mi, priced at 10000. */
static price_slot local_slot(const char *zone, int slot_minutes, int y, int mo, int d, int h, int mi)
{
    const local_zone *z = local_zone_get(zone);
    assert_non_null(z);
    resource_clock c = resource_clock_make(z, slot_minutes);
    int64_t start = local_instant(z, utc(y, mo, d, h) + mi * 60);
    assert_true(slot_aligned(&c, start));
    price_slot s = price_slot_at(&c, start, slot_next(&c, start));
    s.base_price_minor = 10000, s.total_capacity = 10, s.available = 10;
    return s;
}

typedef struct weekend_case {
    const char *zone;
    int slot_minutes;
    int y, mo, d, h, mi; /* local start */
    int64_t unit;        /* with weekend x1.25 */
} weekend_case;

static void test_weekend_by_local_weekday(void **state)
{
    static const weekend_case cases[] = {
        /* a Friday night in Auckland begins on Thursday in UTC */
        {"Pacific/Auckland", 1440, 2027, 3, 12, 0, 0, 12500},
        {"Pacific/Auckland", 1440, 2027, 3, 11, 0, 0, 10000},
        {"Pacific/Auckland", 1440, 2027, 3, 14, 0, 0, 10000},
        {"Pacific/Kiritimati", 1440, 2027, 3, 12, 0, 0, 12500},
        {"Pacific/Kiritimati", 1440, 2027, 3, 14, 0, 0, 10000},
        /* a Sunday night in Los Angeles begins on Sunday 08:00Z; Thursday's ends on Friday UTC */
        {"America/Los_Angeles", 1440, 2027, 3, 13, 0, 0, 12500},
        {"America/Los_Angeles", 1440, 2027, 3, 14, 0, 0, 10000},
        {"America/Los_Angeles", 1440, 2027, 3, 11, 0, 0, 10000},
        {"Pacific/Honolulu", 1440, 2027, 3, 12, 0, 0, 12500},
        {"Pacific/Honolulu", 1440, 2027, 3, 14, 0, 0, 10000},
        {"America/New_York", 1440, 2027, 11, 6, 0, 0, 12500},
        {"America/New_York", 1440, 2027, 11, 7, 0, 0, 10000}, /* the 25-hour Sunday */
        {"Europe/Lisbon", 1440, 2027, 10, 30, 0, 0, 12500},
        {"Europe/Lisbon", 1440, 2027, 10, 31, 0, 0, 10000},
        {"Australia/Lord_Howe", 1440, 2027, 4, 3, 0, 0, 12500},
        {"Australia/Lord_Howe", 1440, 2027, 4, 4, 0, 0, 10000},
        /* timed: 00:30 on Sunday in Kolkata is still Saturday in UTC; 01:00 on Saturday is Friday */
        {"Asia/Kolkata", 30, 2027, 3, 14, 0, 30, 10000},
        {"Asia/Kolkata", 30, 2027, 3, 13, 1, 0, 12500},
        {"Asia/Kolkata", 60, 2027, 3, 11, 23, 0, 10000},
        {"Asia/Kathmandu", 15, 2027, 3, 12, 0, 15, 12500},
        {"Asia/Kathmandu", 15, 2027, 3, 11, 23, 45, 10000},
        {"UTC", 1440, 2027, 3, 12, 0, 0, 12500},
        {"UTC", 1440, 2027, 3, 14, 0, 0, 10000},
    };
    Booking__V1__PricingRules r = BOOKING__V1__PRICING_RULES__INIT;
    r.weekend_multiplier_bp = 12500;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const weekend_case *c = &cases[i];
        price_slot s = local_slot(c->zone, c->slot_minutes, c->y, c->mo, c->d, c->h, c->mi);
        int64_t unit = unit_of(&r, s, s.start - 400 * DAY);
        if (unit != c->unit)
            fail_msg("case %zu (%s %d-%02d-%02d %02d:%02d): %lld, expected %lld", i, c->zone, c->y, c->mo, c->d,
                     c->h, c->mi, (long long)unit, (long long)c->unit);
    }
}

static void test_dst_nights_are_priced_as_one_night_each(void **state)
{
    /* 13 March (24 h), 14 March (23 h) in Los Angeles; 6 (24 h), 7 November (25 h) in New York */
    price_slot la[2] = {local_slot("America/Los_Angeles", 1440, 2027, 3, 13, 0, 0),
                        local_slot("America/Los_Angeles", 1440, 2027, 3, 14, 0, 0)};
    price_slot ny[2] = {local_slot("America/New_York", 1440, 2027, 11, 6, 0, 0),
                        local_slot("America/New_York", 1440, 2027, 11, 7, 0, 0)};
    assert_int_equal(la[1].end - la[1].start, 23 * 3600);
    assert_int_equal(ny[1].end - ny[1].start, 25 * 3600);
    priced p = quote_of(NULL, la, 2, 1, la[0].start - DAY);
    assert_int_equal(p.q.total_minor, 20000);
    p = quote_of(NULL, ny, 2, 1, ny[0].start - DAY);
    assert_int_equal(p.q.total_minor, 20000);
    assert_int_equal(p.lines[1].slot_end - p.lines[1].slot_start, 25 * 3600);
}

static void test_lead_time_to_local_check_in(void **state)
{
    Booking__V1__LeadTimeRule week = BOOKING__V1__LEAD_TIME_RULE__INIT;
    week.min_days_before_start = 7, week.discount_bp = 1000;
    Booking__V1__LeadTimeRule *lead[] = {&week};
    Booking__V1__PricingRules r = BOOKING__V1__PRICING_RULES__INIT;
    r.n_lead_time = 1, r.lead_time = lead;
    /* the night of 20 March in Los Angeles: it starts at 07:00Z, check-in is 15:00 PDT = 22:00Z */
    price_slot s = local_slot("America/Los_Angeles", 1440, 2027, 3, 20, 0, 0);
    assert_int_equal(s.start, utc(2027, 3, 20, 7));
    assert_int_equal(s.begins, utc(2027, 3, 20, 22));
    assert_int_equal(unit_of(&r, s, s.begins - 7 * DAY), 9000);
    assert_int_equal(unit_of(&r, s, s.begins - 7 * DAY + 1), 10000);
    assert_int_equal(unit_of(&r, s, s.start - 7 * DAY + 3600), 9000); /* past local midnight, before check-in */
    /* Kathmandu 14:00 check-in of 1 April = 08:15Z */
    const local_zone *ktm = local_zone_get("Asia/Kathmandu");
    resource_clock c = resource_clock_make(ktm, 1440);
    c.check_in = 14 * 60;
    price_slot k = price_slot_at(&c, local_day_start(ktm, days_from_civil(2027, 4, 1)),
                                 local_day_start(ktm, days_from_civil(2027, 4, 2)));
    k.base_price_minor = 10000, k.total_capacity = 10, k.available = 10;
    assert_int_equal(k.begins, utc(2027, 4, 1, 8) + 900);
    assert_int_equal(unit_of(&r, k, k.begins - 7 * DAY), 9000);
    assert_int_equal(unit_of(&r, k, k.begins - 7 * DAY + 1), 10000);
}

static void test_seasons_are_local_dates(void **state)
{
    /* "20 to 27 December", written as UTC midnights, is read at every resource as its own dates */
    Google__Protobuf__Timestamp from = ts(utc(2027, 12, 20, 0)), to = ts(utc(2027, 12, 27, 0));
    Booking__V1__SeasonalRule xmas = BOOKING__V1__SEASONAL_RULE__INIT;
    xmas.start_time = &from, xmas.end_time = &to, xmas.multiplier_bp = 20000;
    Booking__V1__SeasonalRule *seasonal[] = {&xmas};
    Booking__V1__PricingRules r = BOOKING__V1__PRICING_RULES__INIT;
    r.n_seasonal = 1, r.seasonal = seasonal;
    static const char *const zones[] = {"Pacific/Auckland", "Pacific/Kiritimati", "America/Los_Angeles",
                                        "Pacific/Honolulu", "Asia/Kolkata",       "UTC"};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        price_slot s19 = local_slot(zones[i], 1440, 2027, 12, 19, 0, 0);
        price_slot s20 = local_slot(zones[i], 1440, 2027, 12, 20, 0, 0);
        price_slot s26 = local_slot(zones[i], 1440, 2027, 12, 26, 0, 0);
        price_slot s27 = local_slot(zones[i], 1440, 2027, 12, 27, 0, 0);
        assert_int_equal(unit_of(&r, s19, s19.start - DAY), 10000);
        assert_int_equal(unit_of(&r, s20, s20.start - DAY), 20000);
        assert_int_equal(unit_of(&r, s26, s26.start - DAY), 20000);
        assert_int_equal(unit_of(&r, s27, s27.start - DAY), 10000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_rules_is_base_times_quantity_times_slots),
        cmocka_unit_test(test_weekend_only_on_friday_and_saturday),
        cmocka_unit_test(test_seasonal_window_start_inclusive_end_exclusive),
        cmocka_unit_test(test_first_matching_seasonal_rule_wins),
        cmocka_unit_test(test_occupancy_thresholds),
        cmocka_unit_test(test_lead_time_whole_days_to_the_first_slot),
        cmocka_unit_test(test_rules_apply_in_order_and_round_each_step),
        cmocka_unit_test(test_longest_description_fits),
        cmocka_unit_test(test_apply_bp_rounds_half_up),
        cmocka_unit_test(test_fees_and_taxes_round_half_up),
        cmocka_unit_test(test_overflow_returns_minus_one),
        cmocka_unit_test(test_invalid_rules_are_refused),
        cmocka_unit_test(test_refund_exactly_at_rule_hours),
        cmocka_unit_test(test_refund_between_rules_and_unsorted_input),
        cmocka_unit_test(test_refund_none_applies_or_no_rules),
        cmocka_unit_test(test_refund_after_start_is_not_cancellable),
        cmocka_unit_test(test_weekend_by_local_weekday),
        cmocka_unit_test(test_dst_nights_are_priced_as_one_night_each),
        cmocka_unit_test(test_lead_time_to_local_check_in),
        cmocka_unit_test(test_seasons_are_local_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
