/* test_search_slots.c — the read model's slot data: dense (nightly) and sparse (timed,
 * single-slot) rows, implicit slots, counters over rows, the window's edges, the
 * minimum over a range, and the same quote as a hold given the same inputs; local
 * nights (a DST night of Los Angeles, Kathmandu's +05:45) as dense cells. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pricing.h"
#include "slot_data.h"

#define DAY 86400
#define D0 (20000 * (int64_t)DAY)

static slot_rows *nightly(int days)
{
    slot_rows *r = slot_rows_new(1, D0, D0 + days * (int64_t)DAY, local_zone_utc(), 0, 2, 0);
    slot_rows_set(r, 2, 5, 3, 15000); /* a row: capacity 5, 3 confirmed, override 150.00 */
    slot_rows_set(r, 3, 0, 0, -1);    /* blocked */
    return r;
}

/* The times of n UTC nights from first (a midnight), as a span gives them. */
static void night_times(int64_t first, int n, price_slot *out)
{
    resource_clock c = resource_clock_make(local_zone_utc(), SLOT_MINUTES_NIGHTLY);
    int64_t bounds[16];
    for (int i = 0; i <= n; i++)
        bounds[i] = first + i * (int64_t)DAY;
    price_slots_at(&c, bounds, n, out);
}

static void test_dense_resolve(void **state)
{
    (void)state;
    slot_rows *rows = nightly(10);
    slot_source src = {rows, NULL, 4, 0, 10000, 0};
    slot_state s;
    assert_int_equal(slot_resolve(&src, D0, D0 + DAY, &s), 0); /* no row: capacity, base price */
    assert_int_equal(s.total, 4);
    assert_int_equal(s.available, 4);
    assert_int_equal(s.price, 10000);
    assert_int_equal(slot_resolve(&src, D0 + 2 * DAY, D0 + 2 * DAY + DAY, &s), 0);
    assert_int_equal(s.total, 5);
    assert_int_equal(s.confirmed, 3);
    assert_int_equal(s.available, 2);
    assert_int_equal(s.price, 15000);
    assert_int_equal(s.counter, -1);
    assert_int_equal(slot_resolve(&src, D0 + 3 * DAY, D0 + 3 * DAY + DAY, &s), 0);
    assert_int_equal(s.available, 0);
    assert_int_equal(slot_resolve(&src, D0 - DAY, D0 - DAY + DAY, &s), -1);       /* before the window */
    assert_int_equal(slot_resolve(&src, D0 + 10 * DAY, D0 + 10 * DAY + DAY, &s), -1);  /* past it */
    assert_int_equal(slot_resolve(&src, D0 + 3600, D0 + 3600 + DAY, &s), -1);      /* not a night */
    slot_rows_free(rows);
}

/* Overbooking: availability counts from the sell limit, floor(total x (1 + p/100)). */
static void test_overbooking_allowance(void **state)
{
    (void)state;
    slot_rows *rows = nightly(10);
    slot_source src = {rows, NULL, 4, 0, 10000, 25};
    slot_state s;
    assert_int_equal(slot_resolve(&src, D0, D0 + DAY, &s), 0); /* no row: 4 + floor(4 x 0.25) */
    assert_int_equal(s.total, 4);
    assert_int_equal(s.limit, 5);
    assert_int_equal(s.available, 5);
    assert_int_equal(slot_resolve(&src, D0 + 2 * DAY, D0 + 2 * DAY + DAY, &s), 0); /* 5 + floor(1.25), 3 sold */
    assert_int_equal(s.limit, 6);
    assert_int_equal(s.available, 3);
    assert_int_equal(slot_resolve(&src, D0 + 3 * DAY, D0 + 3 * DAY + DAY, &s), 0); /* blocked stays blocked */
    assert_int_equal(s.available, 0);
    slot_rows_free(rows);
    assert_int_equal(slot_sell_limit(10, 0), 10);
    assert_int_equal(slot_sell_limit(10, 10), 11);
    assert_int_equal(slot_sell_limit(9, 10), 9);    /* floor(9.9) */
    assert_int_equal(slot_sell_limit(100000, 50), 150000);
    assert_int_equal(slot_sell_limit(7, -5), 7);
}

static void test_counters_win_over_rows(void **state)
{
    (void)state;
    slot_rows *rows = nightly(10);
    slot_counters *c = slot_counters_new(2);
    c->start[0] = D0 + 2 * DAY; /* filled out of order, then sorted */
    c->value[0] = 1;
    c->start[1] = D0;
    c->value[1] = 2;
    slot_counters_sort(c);
    assert_true(c->start[0] < c->start[1]);
    slot_source src = {rows, c, 4, 0, 10000, 0};
    slot_state s;
    assert_int_equal(slot_resolve(&src, D0, D0 + DAY, &s), 0);
    assert_int_equal(s.counter, 2);
    assert_int_equal(s.available, 2); /* 2 held */
    assert_int_equal(slot_resolve(&src, D0 + 2 * DAY, D0 + 2 * DAY + DAY, &s), 0);
    assert_int_equal(s.available, 1);
    assert_int_equal(slot_resolve(&src, D0 + DAY, D0 + DAY + DAY, &s), 0);
    assert_int_equal(s.counter, -1);
    assert_int_equal(s.available, 4);
    slot_rows_free(rows);
    slot_counters_free(c);
}

static void test_range_minimum(void **state)
{
    (void)state;
    slot_rows *rows = nightly(10);
    slot_source src = {rows, NULL, 4, 0, 10000, 0};
    price_slot p[8], t[3];
    night_times(D0, 3, t); /* nights 0, 1, 2 */
    assert_int_equal(slot_range(&src, t, 3, p), 2);
    assert_int_equal(p[2].base_price_minor, 15000);
    assert_int_equal(p[2].total_capacity, 5);
    night_times(D0 + DAY, 3, t); /* crosses the blocked night */
    assert_int_equal(slot_range(&src, t, 3, p), 0);
    night_times(D0 + 8 * DAY, 3, t); /* runs out of the window */
    assert_int_equal(slot_range(&src, t, 3, p), -1);
    slot_rows_free(rows);
}

static void test_sparse_timed_and_single(void **state)
{
    (void)state;
    slot_rows *rows = slot_rows_new(0, D0, D0 + 10 * (int64_t)DAY, NULL, 2, 0, 0);
    rows->start[0] = D0 + 19 * 3600; /* 19:00-21:00 */
    rows->end[0] = D0 + 21 * 3600;
    slot_rows_set(rows, 0, 50, 10, -1);
    rows->start[1] = D0 + DAY + 19 * 3600;
    rows->end[1] = D0 + DAY + 21 * 3600;
    slot_rows_set(rows, 1, 50, 0, -1);
    slot_source timed = {rows, NULL, 3, 0, 2000, 0}, single = {rows, NULL, 0, 1, 2000, 0};
    slot_state s;
    assert_int_equal(slot_resolve(&timed, D0 + 18 * 3600, D0 + 18 * 3600 + 1800, &s), 0); /* implicit timed slot */
    assert_int_equal(s.total, 3);
    assert_int_equal(s.end, D0 + 18 * 3600 + 1800);
    assert_int_equal(slot_resolve(&single, D0 + 18 * 3600, D0 + 18 * 3600 + 1800, &s), -1); /* no such event */
    assert_int_equal(slot_resolve(&single, D0 + 19 * 3600, D0 + 19 * 3600 + 7200, &s), 0);
    assert_int_equal(s.available, 40);
    assert_int_equal(s.end, D0 + 21 * 3600);
    price_slot p[1];
    price_slot exact = {.start = D0 + 19 * 3600, .end = D0 + 21 * 3600};
    price_slot shorter = {.start = D0 + 19 * 3600, .end = D0 + 20 * 3600};
    assert_int_equal(slot_range(&single, &exact, 1, p), 40);
    assert_int_equal(slot_range(&single, &shorter, 1, p), -1); /* a single slot is exactly [start, end) */
    int first;
    assert_int_equal(slot_rows_between(rows, D0, D0 + 2 * (int64_t)DAY, &first), 2);
    assert_int_equal(first, 0);
    assert_int_equal(slot_rows_between(rows, D0 + 20 * 3600, D0 + 2 * (int64_t)DAY, &first), 1);
    assert_int_equal(first, 1);
    slot_rows_free(rows);
}

/* The three layouts of a nightly resource's rows answer alike: narrow dense cells, wide
 * dense cells (counts past 65,534), and only the rows that exist (few nights). */
static void resolve_all(const slot_rows *rows, slot_state *out)
{
    slot_source src = {rows, NULL, 4, 0, 10000, 0};
    for (int d = 0; d < 10; d++)
        assert_int_equal(slot_resolve(&src, D0 + d * (int64_t)DAY, D0 + (d + 1) * (int64_t)DAY, &out[d]), 0);
}

static void test_layouts_answer_alike(void **state)
{
    (void)state;
    assert_true(slot_rows_narrow_fits(-1, 0));
    assert_true(slot_rows_narrow_fits(SLOT_NARROW_MAX, SLOT_NARROW_MAX));
    assert_false(slot_rows_narrow_fits(SLOT_NARROW_MAX + 1, 0));
    assert_false(slot_rows_narrow_fits(5, -1));
    slot_rows *narrow = nightly(10);
    slot_rows *wide = slot_rows_new(1, D0, D0 + 10 * (int64_t)DAY, local_zone_utc(), 0, 2, 1);
    slot_rows_set(wide, 2, 5, 3, 15000);
    slot_rows_set(wide, 3, 0, 0, -1);
    slot_rows *few = slot_rows_new(0, D0, D0 + 10 * (int64_t)DAY, NULL, 2, 1, 0);
    few->start[0] = D0 + 2 * (int64_t)DAY, few->end[0] = D0 + 3 * (int64_t)DAY;
    few->start[1] = D0 + 3 * (int64_t)DAY, few->end[1] = D0 + 4 * (int64_t)DAY;
    slot_rows_set(few, 0, 5, 3, 15000);
    slot_rows_set(few, 1, 0, 0, -1);
    slot_state a[10], b[10], c[10];
    memset(a, 0, sizeof a), memset(b, 0, sizeof b), memset(c, 0, sizeof c); /* padding compares too */
    resolve_all(narrow, a);
    resolve_all(wide, b);
    resolve_all(few, c);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_equal(a, c, sizeof a);
    assert_true(few->bytes < wide->bytes && narrow->bytes < wide->bytes);
    slot_rows_set(wide, 4, 100000, 99999, -1); /* a stadium: only a wide cell holds it */
    slot_source src = {wide, NULL, 4, 0, 10000, 0};
    slot_state s;
    assert_int_equal(slot_resolve(&src, D0 + 4 * (int64_t)DAY, D0 + 5 * (int64_t)DAY, &s), 0);
    assert_int_equal(s.total, 100000);
    assert_int_equal(s.available, 1);
    slot_rows_free(narrow);
    slot_rows_free(wide);
    slot_rows_free(few);
}

static void test_equality(void **state)
{
    (void)state;
    slot_rows *a = nightly(10), *b = nightly(10);
    assert_true(slot_rows_equal(a, b));
    slot_rows_set(b, 5, -1, 1, -1);
    assert_false(slot_rows_equal(a, b));
    slot_rows *c = nightly(10);
    slot_rows_set(c, 7, -1, 0, 15000); /* the same price again: one distinct price */
    assert_int_equal(c->nprices, 1);
    slot_rows_free(c);
    slot_counters *x = slot_counters_new(1), *y = slot_counters_new(1);
    x->start[0] = y->start[0] = D0;
    x->value[0] = y->value[0] = 3;
    assert_true(slot_counters_equal(x, y));
    y->value[0] = 2;
    assert_false(slot_counters_equal(x, y));
    assert_true(slot_counters_equal(NULL, NULL));
    assert_false(slot_counters_equal(x, NULL));
    slot_rows_free(a);
    slot_rows_free(b);
    slot_counters_free(x);
    slot_counters_free(y);
}

/* The model feeds price_quote exactly what a hold would: per-slot price, capacity and
 * the units available before the hold. */
static void test_quote_matches_hold_inputs(void **state)
{
    (void)state;
    slot_rows *rows = nightly(10);
    slot_source src = {rows, NULL, 4, 0, 10000, 0};
    Booking__V1__OccupancyRule busy = BOOKING__V1__OCCUPANCY_RULE__INIT, *occ[] = {&busy};
    busy.min_occupancy_percent = 50;
    busy.multiplier_bp = 12000;
    Booking__V1__PricingRules rules = BOOKING__V1__PRICING_RULES__INIT;
    rules.occupancy = occ;
    rules.n_occupancy = 1;
    rules.tax_bp = 1000;
    price_slot mine[3], hold[3], t[3];
    night_times(D0, 3, hold); /* what hold_create prices: each night's times, price, capacity, units left */
    hold[0].base_price_minor = 10000, hold[0].total_capacity = 4, hold[0].available = 4;
    hold[1].base_price_minor = 10000, hold[1].total_capacity = 4, hold[1].available = 4;
    hold[2].base_price_minor = 15000, hold[2].total_capacity = 5, hold[2].available = 2;
    night_times(D0, 3, t);
    assert_int_equal(slot_range(&src, t, 3, mine), 2);
    assert_memory_equal(mine, hold, sizeof hold);
    quote_line l1[3], l2[3];
    quote q1, q2;
    assert_int_equal(price_quote(&rules, mine, 3, 2, D0 - DAY, l1, &q1), 0);
    assert_int_equal(price_quote(&rules, hold, 3, 2, D0 - DAY, l2, &q2), 0);
    assert_int_equal(q1.total_minor, q2.total_minor);
    /* (100 + 100 + 150 x 1.2 demand) x 2 units, + 10 % tax */
    assert_int_equal(q1.total_minor, (10000 + 10000 + 18000) * 2 * 11 / 10);
    slot_rows_free(rows);
}

/* Dense cells are local nights: in Los Angeles across the spring-forward night, in
 * Kathmandu at +05:45; a range from slot_span_of resolves cell by cell. */
static void test_local_nights_are_cells(void **state)
{
    (void)state;
    static const char *const zones[] = {"America/Los_Angeles", "Asia/Kathmandu", "Pacific/Kiritimati"};
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        const local_zone *zone = local_zone_get(zones[z]);
        assert_non_null(zone);
        /* the window as the refresher gives it: UTC days; the cells are the nights starting in it */
        int64_t lo = days_from_civil(2027, 3, 10) * DAY, hi = days_from_civil(2027, 3, 20) * DAY;
        slot_rows *rows = slot_rows_new(1, lo, hi, zone, 0, 1, 0);
        assert_true(rows->lo >= lo && rows->hi <= hi);
        assert_int_equal(rows->lo, local_day_start(zone, rows->day0));
        int64_t night13 = local_day_start(zone, days_from_civil(2027, 3, 13));
        int cell = slot_rows_index(rows, night13);
        assert_int_equal(cell, (int)(days_from_civil(2027, 3, 13) - rows->day0));
        slot_rows_set(rows, cell + 1, 2, 1, 20000); /* the night of 14 March */
        assert_int_equal(slot_rows_index(rows, night13 + 3600), -2); /* not a night's first instant */
        assert_int_equal(slot_rows_index(rows, days_from_civil(2027, 3, 13) * DAY + (z == 0 ? 0 : 86400)), -2);
        resource_clock clock = resource_clock_make(zone, SLOT_MINUTES_NIGHTLY);
        slot_span span;
        /* check-in 15:00 on the 13th, check-out 11:00 on the 16th, local */
        int64_t in = local_instant(zone, days_from_civil(2027, 3, 13) * DAY + 15 * 3600);
        int64_t out = local_instant(zone, days_from_civil(2027, 3, 16) * DAY + 11 * 3600);
        assert_int_equal(slot_span_of(&clock, in, out, 10, &span, NULL, NULL, 0), 0);
        assert_int_equal(span.count, 3);
        int64_t bounds[4];
        price_slot t[3], p[3];
        slot_span_bounds(&span, bounds);
        price_slots_at(&clock, bounds, 3, t);
        slot_source src = {rows, NULL, 4, 0, 10000, 0};
        assert_int_equal(slot_range(&src, t, 3, p), 1);
        assert_int_equal(p[1].base_price_minor, 20000);
        assert_int_equal(p[1].start, local_day_start(zone, days_from_civil(2027, 3, 14)));
        if (z == 0)
            assert_int_equal(p[1].end - p[1].start, 23 * 3600); /* the spring-forward night */
        slot_rows_free(rows);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_resolve),
        cmocka_unit_test(test_counters_win_over_rows),
        cmocka_unit_test(test_range_minimum),
        cmocka_unit_test(test_sparse_timed_and_single),
        cmocka_unit_test(test_layouts_answer_alike),
        cmocka_unit_test(test_equality),
        cmocka_unit_test(test_overbooking_allowance),
        cmocka_unit_test(test_quote_matches_hold_inputs),
        cmocka_unit_test(test_local_nights_are_cells),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
