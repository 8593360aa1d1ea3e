/* test_slots.c — slot spans of nightly, timed and single-slot ranges (UTC, negative
 * times, month/year/leap-day edges), validation errors naming the field, weekdays; and
 * tables of the same in local time: nights as local dates and timed slots on the local
 * wall clock in Pacific/Auckland, Pacific/Honolulu, America/Los_Angeles, Asia/Kolkata,
 * Asia/Kathmandu, Australia/Lord_Howe, Pacific/Kiritimati, Europe/Lisbon and
 * America/New_York, on their 2027 DST change days; check-in, check-out and clocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "slots.h"

/* ---- helpers ---- */

/* Unix seconds of a UTC civil time, computed by the C library (independent of slots.c). */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm);
}

typedef struct span_result {
    int rc;
    slot_span span;
    const char *field;
    char msg[128];
} span_result;

static span_result span_in(const char *zone, int slot_minutes, int64_t start, int64_t end, int max_slots)
{
    span_result r;
    memset(&r, 0, sizeof r);
    const local_zone *z = local_zone_get(zone);
    assert_non_null(z);
    resource_clock c = resource_clock_make(z, slot_minutes);
    r.rc = slot_span_of(&c, start, end, max_slots, &r.span, &r.field, r.msg, sizeof r.msg);
    return r;
}

static span_result span_of(int slot_minutes, int64_t start, int64_t end, int max_slots)
{
    return span_in("UTC", slot_minutes, start, end, max_slots);
}

/* Boundary i of a span (0 .. count). */
static int64_t slot_span_start(const slot_span *span, int i)
{
    int64_t bounds[400];
    assert_true(span->count < 400);
    slot_span_bounds(span, bounds);
    return bounds[i];
}

/* A span of count slots of slot_seconds each from first_start. */
static void assert_span(const span_result *r, int64_t first_start, int64_t slot_seconds, int count)
{
    assert_int_equal(r->rc, 0);
    assert_int_equal(r->span.first_start, first_start);
    assert_int_equal(r->span.count, count);
    if (count < 400) {
        int64_t bounds[400];
        slot_span_bounds(&r->span, bounds);
        for (int i = 0; i <= count; i++)
            assert_int_equal(bounds[i], first_start + i * slot_seconds);
        assert_int_equal(r->span.end, bounds[count]);
    }
}

static void assert_error(const span_result *r, const char *field, const char *msg)
{
    assert_int_equal(r->rc, -1);
    assert_non_null(r->field);
    assert_string_equal(r->field, field);
    assert_string_equal(r->msg, msg);
}

/* ---- slot_minutes ---- */

static void test_slot_minutes_valid_divisors_of_a_day(void **state)
{
    static const int ok[] = {0, 1, 5, 15, 30, 45, 60, 90, 120, 720, 1440};
    static const int bad[] = {-30, -1, 7, 50, 100, 1441, 2880};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_true(slot_minutes_valid(ok[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(slot_minutes_valid(bad[i]));
}

static void test_invalid_slot_minutes_is_refused(void **state)
{
    span_result r = span_of(50, utc(2026, 6, 1, 9, 0, 0), utc(2026, 6, 1, 10, 0, 0), 100);
    assert_int_equal(r.rc, -1);
    assert_string_equal(r.field, "slot_minutes");
}

/* ---- nightly ---- */

static void test_nightly_spec_example_is_two_nights_at_utc_midnights(void **state)
{
    span_result r = span_of(SLOT_MINUTES_NIGHTLY, utc(2026, 6, 1, 15, 0, 0), utc(2026, 6, 3, 11, 0, 0), 366);
    assert_span(&r, utc(2026, 6, 1, 0, 0, 0), SECONDS_PER_DAY, 2);
    assert_int_equal(slot_span_start(&r.span, 0), utc(2026, 6, 1, 0, 0, 0));
    assert_int_equal(slot_span_start(&r.span, 1), utc(2026, 6, 2, 0, 0, 0));
}

static void test_nightly_same_day_checkout_fails_on_end_time(void **state)
{
    span_result r = span_of(SLOT_MINUTES_NIGHTLY, utc(2026, 6, 1, 15, 0, 0), utc(2026, 6, 1, 23, 59, 59), 366);
    assert_error(&r, "end_time", "check-out must be at least one night after check-in");
}

static void test_nightly_checkout_at_next_midnight_is_one_night(void **state)
{
    span_result r = span_of(SLOT_MINUTES_NIGHTLY, utc(2026, 6, 1, 15, 0, 0), utc(2026, 6, 2, 0, 0, 0), 366);
    assert_span(&r, utc(2026, 6, 1, 0, 0, 0), SECONDS_PER_DAY, 1);
    r = span_of(SLOT_MINUTES_NIGHTLY, utc(2026, 6, 1, 0, 0, 0), utc(2026, 6, 2, 0, 0, 0), 366);
    assert_span(&r, utc(2026, 6, 1, 0, 0, 0), SECONDS_PER_DAY, 1);
}

static void test_nightly_across_month_and_year(void **state)
{
    span_result r = span_of(SLOT_MINUTES_NIGHTLY, utc(2026, 1, 30, 14, 0, 0), utc(2026, 2, 2, 10, 0, 0), 366);
    assert_span(&r, utc(2026, 1, 30, 0, 0, 0), SECONDS_PER_DAY, 3);
    assert_int_equal(slot_span_start(&r.span, 2), utc(2026, 2, 1, 0, 0, 0));

    r = span_of(SLOT_MINUTES_NIGHTLY, utc(2026, 12, 31, 18, 0, 0), utc(2027, 1, 2, 9, 0, 0), 366);
    assert_span(&r, utc(2026, 12, 31, 0, 0, 0), SECONDS_PER_DAY, 2);
    assert_int_equal(slot_span_start(&r.span, 1), utc(2027, 1, 1, 0, 0, 0));
}

static void test_nightly_leap_day(void **state)
{
    span_result r = span_of(SLOT_MINUTES_NIGHTLY, utc(2028, 2, 28, 14, 0, 0), utc(2028, 3, 1, 10, 0, 0), 366);
    assert_span(&r, utc(2028, 2, 28, 0, 0, 0), SECONDS_PER_DAY, 2);
    assert_int_equal(slot_span_start(&r.span, 1), utc(2028, 2, 29, 0, 0, 0));
    /* 2027 has no 29 February: the same dates are one night */
    r = span_of(SLOT_MINUTES_NIGHTLY, utc(2027, 2, 28, 14, 0, 0), utc(2027, 3, 1, 10, 0, 0), 366);
    assert_span(&r, utc(2027, 2, 28, 0, 0, 0), SECONDS_PER_DAY, 1);
}

static void test_nightly_before_1970(void **state)
{
    span_result r = span_of(SLOT_MINUTES_NIGHTLY, utc(1969, 12, 30, 15, 0, 0), utc(1970, 1, 1, 10, 0, 0), 366);
    assert_span(&r, -2 * SECONDS_PER_DAY, SECONDS_PER_DAY, 2);
    assert_int_equal(slot_span_start(&r.span, 1), utc(1969, 12, 31, 0, 0, 0));
    /* one second before and after midnight of 1970-01-01: two dates, one night */
    r = span_of(SLOT_MINUTES_NIGHTLY, -1, 1, 366);
    assert_span(&r, -SECONDS_PER_DAY, SECONDS_PER_DAY, 1);
    /* both on 1969-12-31 */
    r = span_of(SLOT_MINUTES_NIGHTLY, -SECONDS_PER_DAY + 1, -1, 366);
    assert_error(&r, "end_time", "check-out must be at least one night after check-in");
}

/* ---- timed ---- */

static void test_timed_30_and_60_minute_slots(void **state)
{
    span_result r = span_of(30, utc(2026, 6, 1, 9, 0, 0), utc(2026, 6, 1, 10, 30, 0), 100);
    assert_span(&r, utc(2026, 6, 1, 9, 0, 0), 1800, 3);
    assert_int_equal(slot_span_start(&r.span, 2), utc(2026, 6, 1, 10, 0, 0));

    r = span_of(30, utc(2026, 6, 1, 9, 30, 0), utc(2026, 6, 1, 10, 0, 0), 100);
    assert_span(&r, utc(2026, 6, 1, 9, 30, 0), 1800, 1);

    r = span_of(60, utc(2026, 6, 1, 9, 0, 0), utc(2026, 6, 1, 12, 0, 0), 100);
    assert_span(&r, utc(2026, 6, 1, 9, 0, 0), 3600, 3);

    /* across midnight */
    r = span_of(60, utc(2026, 6, 1, 23, 0, 0), utc(2026, 6, 2, 1, 0, 0), 100);
    assert_span(&r, utc(2026, 6, 1, 23, 0, 0), 3600, 2);
}

static void test_timed_misaligned_start_names_start_time(void **state)
{
    span_result r = span_of(30, utc(2026, 6, 1, 9, 15, 0), utc(2026, 6, 1, 10, 0, 0), 100);
    assert_error(&r, "start_time", "must lie on a 30-minute slot boundary (UTC)");
    /* 09:30 lies on a 30-minute boundary but not on a 60-minute one */
    r = span_of(60, utc(2026, 6, 1, 9, 30, 0), utc(2026, 6, 1, 11, 0, 0), 100);
    assert_error(&r, "start_time", "must lie on a 60-minute slot boundary (UTC)");
    /* one second off */
    r = span_of(30, utc(2026, 6, 1, 9, 0, 1), utc(2026, 6, 1, 10, 0, 0), 100);
    assert_error(&r, "start_time", "must lie on a 30-minute slot boundary (UTC)");
}

static void test_timed_misaligned_end_names_end_time(void **state)
{
    span_result r = span_of(30, utc(2026, 6, 1, 9, 0, 0), utc(2026, 6, 1, 10, 10, 0), 100);
    assert_error(&r, "end_time", "must lie on a 30-minute slot boundary (UTC)");
    r = span_of(60, utc(2026, 6, 1, 9, 0, 0), utc(2026, 6, 1, 10, 30, 0), 100);
    assert_error(&r, "end_time", "must lie on a 60-minute slot boundary (UTC)");
}

static void test_timed_before_1970(void **state)
{
    span_result r = span_of(30, utc(1969, 12, 31, 23, 0, 0), utc(1970, 1, 1, 0, 30, 0), 100);
    assert_span(&r, -3600, 1800, 3);
    r = span_of(30, -60, 1800, 100);
    assert_error(&r, "start_time", "must lie on a 30-minute slot boundary (UTC)");
    r = span_of(30, -1800, -60, 100);
    assert_error(&r, "end_time", "must lie on a 30-minute slot boundary (UTC)");
}

/* ---- every kind ---- */

static void test_end_not_after_start_names_end_time(void **state)
{
    static const int kinds[] = {SLOT_MINUTES_NIGHTLY, 30, SLOT_MINUTES_SINGLE};
    int64_t t = utc(2026, 6, 1, 9, 0, 0);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        span_result r = span_of(kinds[i], t, t, 366);
        assert_error(&r, "end_time", "must be after start_time");
        r = span_of(kinds[i], t, t - 3 * SECONDS_PER_DAY, 366);
        assert_error(&r, "end_time", "must be after start_time");
    }
}

static void test_single_slot_is_the_whole_range(void **state)
{
    int64_t start = utc(2026, 7, 10, 19, 17, 0), end = utc(2026, 7, 10, 23, 2, 0);
    span_result r = span_of(SLOT_MINUTES_SINGLE, start, end, 1);
    assert_span(&r, start, end - start, 1);
    assert_int_equal(slot_span_start(&r.span, 0), start);
    assert_int_equal(r.span.end, end);
}

static void test_max_slots_boundary(void **state)
{
    int64_t checkin = utc(2026, 1, 1, 15, 0, 0);
    span_result r = span_of(SLOT_MINUTES_NIGHTLY, checkin, checkin + 366 * SECONDS_PER_DAY, 366);
    assert_span(&r, utc(2026, 1, 1, 0, 0, 0), SECONDS_PER_DAY, 366);
    r = span_of(SLOT_MINUTES_NIGHTLY, checkin, checkin + 367 * SECONDS_PER_DAY, 366);
    assert_error(&r, "end_time", "the range covers 367 slots; at most 366 are allowed");
    r = span_of(SLOT_MINUTES_NIGHTLY, checkin, checkin + 400 * SECONDS_PER_DAY, 366);
    assert_error(&r, "end_time", "the range covers 400 slots; at most 366 are allowed");

    int64_t day = utc(2026, 6, 1, 0, 0, 0);
    r = span_of(30, day, day + 48 * 1800, 48);
    assert_span(&r, day, 1800, 48);
    r = span_of(30, day, day + 49 * 1800, 48);
    assert_error(&r, "end_time", "the range covers 49 slots; at most 48 are allowed");

    r = span_of(60, day, day + 2 * 3600, 1);
    assert_error(&r, "end_time", "the range covers 2 slots; at most 1 is allowed");
}

static void test_huge_ranges_do_not_overflow(void **state)
{
    span_result r = span_of(SLOT_MINUTES_NIGHTLY, INT64_MIN / 2, INT64_MAX / 2, 366);
    assert_int_equal(r.rc, -1);
    assert_string_equal(r.field, "end_time");
    r = span_of(1, -(INT64_C(60) << 56), INT64_C(60) << 56, 366);
    assert_int_equal(r.rc, -1);
    assert_string_equal(r.field, "end_time");
    r = span_of(SLOT_MINUTES_SINGLE, INT64_MIN + 1, INT64_MAX, 1);
    assert_int_equal(r.rc, -1);
    assert_string_equal(r.field, "end_time");
    /* the midnight before INT64_MIN + 1 is not representable */
    r = span_of(SLOT_MINUTES_NIGHTLY, INT64_MIN + 1, INT64_MIN + 2 * SECONDS_PER_DAY, 366);
    assert_int_equal(r.rc, -1);
    assert_string_equal(r.field, "start_time");
}

static void test_message_is_truncated_and_optional(void **state)
{
    slot_span span;
    const char *field = NULL;
    char msg[10];
    int64_t t = utc(2026, 6, 1, 9, 0, 0);
    resource_clock c = resource_clock_make(local_zone_utc(), 30);
    assert_int_equal(slot_span_of(&c, t, t, 10, &span, &field, msg, sizeof msg), -1);
    assert_string_equal(msg, "must be a"); /* 9 characters and the NUL */
    assert_string_equal(field, "end_time");
    assert_int_equal(slot_span_of(&c, t, t, 10, &span, NULL, NULL, 0), -1);
}

/* ---- weekday ---- */

static void test_weekday_of_known_dates(void **state)
{
    assert_int_equal(utc_weekday(utc(2026, 6, 3, 12, 0, 0)), 3);  /* Wednesday */
    assert_int_equal(utc_weekday(utc(2026, 6, 4, 12, 0, 0)), 4);  /* Thursday */
    assert_int_equal(utc_weekday(utc(2026, 6, 5, 0, 0, 0)), 5);   /* Friday */
    assert_int_equal(utc_weekday(utc(2026, 6, 5, 23, 59, 59)), 5);
    assert_int_equal(utc_weekday(utc(2026, 6, 6, 0, 0, 0)), 6);   /* Saturday */
    assert_int_equal(utc_weekday(utc(2026, 6, 7, 0, 0, 0)), 0);   /* Sunday */
    assert_int_equal(utc_weekday(utc(2028, 2, 29, 8, 0, 0)), 2);  /* Tuesday */
    assert_int_equal(utc_weekday(0), 4);                          /* 1970-01-01 Thursday */
    assert_int_equal(utc_weekday(-1), 3);                         /* 1969-12-31 Wednesday */
    assert_int_equal(utc_weekday(-SECONDS_PER_DAY), 3);
    assert_int_equal(utc_weekday(-SECONDS_PER_DAY - 1), 2);
}

/* ---- local time: nights ---- */

#define H 3600
#define MAX_BOUNDS 8

/* A range in a zone and the boundaries it must map to (UTC instants, in order). */
typedef struct span_case {
    const char *zone;
    int slot_minutes;
    int64_t start, end;
    int count;
    int64_t bounds[MAX_BOUNDS];
} span_case;

static void check_cases(const span_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const span_case *c = &cases[i];
        span_result r = span_in(c->zone, c->slot_minutes, c->start, c->end, 366);
        if (r.rc != 0)
            fail_msg("case %zu (%s): %s %s", i, c->zone, r.field, r.msg);
        if (r.span.count != c->count)
            fail_msg("case %zu (%s): %d slots, expected %d", i, c->zone, r.span.count, c->count);
        int64_t bounds[MAX_BOUNDS + 1];
        slot_span_bounds(&r.span, bounds);
        for (int k = 0; k <= c->count; k++)
            if (bounds[k] != c->bounds[k])
                fail_msg("case %zu (%s): boundary %d is %lld, expected %lld", i, c->zone, k, (long long)bounds[k],
                         (long long)c->bounds[k]);
        assert_int_equal(r.span.first_start, c->bounds[0]);
        assert_int_equal(r.span.end, c->bounds[c->count]);
    }
}

static void test_local_nights(void **state)
{
    const span_case cases[] = {
        /* Friday 15:00 -> Sunday 11:00 local = 2 nights (1 night by UTC dates) */
        {"Pacific/Auckland", 1440, utc(2027, 3, 12, 2, 0, 0), utc(2027, 3, 13, 22, 0, 0), 2,
         {utc(2027, 3, 11, 11, 0, 0), utc(2027, 3, 12, 11, 0, 0), utc(2027, 3, 13, 11, 0, 0)}},
        {"Pacific/Honolulu", 1440, utc(2027, 3, 13, 1, 0, 0), utc(2027, 3, 14, 21, 0, 0), 2,
         {utc(2027, 3, 12, 10, 0, 0), utc(2027, 3, 13, 10, 0, 0), utc(2027, 3, 14, 10, 0, 0)}},
        /* Los Angeles: check-in at 15:00 and at 18:00 (the next UTC date) is the same night */
        {"America/Los_Angeles", 1440, utc(2027, 3, 12, 23, 0, 0), utc(2027, 3, 13, 19, 0, 0), 1,
         {utc(2027, 3, 12, 8, 0, 0), utc(2027, 3, 13, 8, 0, 0)}},
        {"America/Los_Angeles", 1440, utc(2027, 3, 13, 2, 0, 0), utc(2027, 3, 13, 19, 0, 0), 1,
         {utc(2027, 3, 12, 8, 0, 0), utc(2027, 3, 13, 8, 0, 0)}},
        /* spring forward: the night of 14 March is 23 hours, still one night */
        {"America/Los_Angeles", 1440, utc(2027, 3, 13, 23, 0, 0), utc(2027, 3, 15, 18, 0, 0), 2,
         {utc(2027, 3, 13, 8, 0, 0), utc(2027, 3, 14, 8, 0, 0), utc(2027, 3, 15, 7, 0, 0)}},
        {"America/Los_Angeles", 1440, utc(2027, 11, 6, 22, 0, 0), utc(2027, 11, 8, 19, 0, 0), 2,
         {utc(2027, 11, 6, 7, 0, 0), utc(2027, 11, 7, 7, 0, 0), utc(2027, 11, 8, 8, 0, 0)}},
        {"America/New_York", 1440, utc(2027, 3, 13, 20, 0, 0), utc(2027, 3, 15, 15, 0, 0), 2,
         {utc(2027, 3, 13, 5, 0, 0), utc(2027, 3, 14, 5, 0, 0), utc(2027, 3, 15, 4, 0, 0)}},
        /* fall back: the night of 7 November is 25 hours */
        {"America/New_York", 1440, utc(2027, 11, 6, 19, 0, 0), utc(2027, 11, 8, 16, 0, 0), 2,
         {utc(2027, 11, 6, 4, 0, 0), utc(2027, 11, 7, 4, 0, 0), utc(2027, 11, 8, 5, 0, 0)}},
        {"Pacific/Auckland", 1440, utc(2027, 4, 3, 2, 0, 0), utc(2027, 4, 4, 23, 0, 0), 2,
         {utc(2027, 4, 2, 11, 0, 0), utc(2027, 4, 3, 11, 0, 0), utc(2027, 4, 4, 12, 0, 0)}},
        {"Pacific/Auckland", 1440, utc(2027, 9, 25, 3, 0, 0), utc(2027, 9, 26, 23, 0, 0), 2,
         {utc(2027, 9, 24, 12, 0, 0), utc(2027, 9, 25, 12, 0, 0), utc(2027, 9, 26, 11, 0, 0)}},
        {"Europe/Lisbon", 1440, utc(2027, 3, 27, 15, 0, 0), utc(2027, 3, 29, 10, 0, 0), 2,
         {utc(2027, 3, 27, 0, 0, 0), utc(2027, 3, 28, 0, 0, 0), utc(2027, 3, 28, 23, 0, 0)}},
        {"Europe/Lisbon", 1440, utc(2027, 10, 31, 15, 0, 0), utc(2027, 11, 1, 11, 0, 0), 1,
         {utc(2027, 10, 30, 23, 0, 0), utc(2027, 11, 1, 0, 0, 0)}},
        /* Lord Howe's half-hour DST: nights of 23.5 and 24.5 hours */
        {"Australia/Lord_Howe", 1440, utc(2027, 10, 3, 4, 0, 0), utc(2027, 10, 4, 0, 0, 0), 1,
         {utc(2027, 10, 2, 13, 30, 0), utc(2027, 10, 3, 13, 0, 0)}},
        {"Australia/Lord_Howe", 1440, utc(2027, 4, 4, 4, 0, 0), utc(2027, 4, 5, 0, 0, 0), 1,
         {utc(2027, 4, 3, 13, 0, 0), utc(2027, 4, 4, 13, 30, 0)}},
        {"Asia/Kolkata", 1440, utc(2027, 3, 12, 9, 30, 0), utc(2027, 3, 14, 5, 30, 0), 2,
         {utc(2027, 3, 11, 18, 30, 0), utc(2027, 3, 12, 18, 30, 0), utc(2027, 3, 13, 18, 30, 0)}},
        {"Asia/Kathmandu", 1440, utc(2027, 3, 12, 9, 15, 0), utc(2027, 3, 13, 5, 15, 0), 1,
         {utc(2027, 3, 11, 18, 15, 0), utc(2027, 3, 12, 18, 15, 0)}},
        /* +14: 15:00 on 1 January is 01:00Z the same day; the night began the day before in UTC */
        {"Pacific/Kiritimati", 1440, utc(2027, 1, 1, 1, 0, 0), utc(2027, 1, 2, 21, 0, 0), 2,
         {utc(2026, 12, 31, 10, 0, 0), utc(2027, 1, 1, 10, 0, 0), utc(2027, 1, 2, 10, 0, 0)}},
        {"UTC", 1440, utc(2027, 3, 14, 15, 0, 0), utc(2027, 3, 15, 11, 0, 0), 1,
         {utc(2027, 3, 14, 0, 0, 0), utc(2027, 3, 15, 0, 0, 0)}},
    };
    check_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_nights_do_not_depend_on_the_clients_offset(void **state)
{
    /* the same instant however the client wrote it; a stored slot range maps to itself */
    span_result a = span_in("America/Los_Angeles", 1440, utc(2027, 3, 13, 2, 0, 0), utc(2027, 3, 14, 18, 0, 0), 366);
    span_result b = span_in("America/Los_Angeles", 1440, a.span.first_start, a.span.end, 366);
    assert_int_equal(a.rc, 0);
    assert_int_equal(b.rc, 0);
    assert_int_equal(a.span.count, 2);
    assert_int_equal(b.span.count, 2);
    assert_int_equal(b.span.first_start, a.span.first_start);
    assert_int_equal(b.span.end, a.span.end);
    /* the same local date, still one night short */
    span_result r = span_in("Pacific/Auckland", 1440, utc(2027, 3, 12, 2, 0, 0), utc(2027, 3, 12, 10, 59, 0), 366);
    assert_error(&r, "end_time", "check-out must be at least one night after check-in");
}

/* ---- local time: timed slots ---- */

static void test_local_timed_slots(void **state)
{
    const span_case cases[] = {
        /* +05:30: on-the-hour appointments at 09:00 and 10:00 IST */
        {"Asia/Kolkata", 60, utc(2027, 3, 15, 3, 30, 0), utc(2027, 3, 15, 5, 30, 0), 2,
         {utc(2027, 3, 15, 3, 30, 0), utc(2027, 3, 15, 4, 30, 0), utc(2027, 3, 15, 5, 30, 0)}},
        /* +05:45 */
        {"Asia/Kathmandu", 30, utc(2027, 3, 15, 3, 15, 0), utc(2027, 3, 15, 4, 15, 0), 2,
         {utc(2027, 3, 15, 3, 15, 0), utc(2027, 3, 15, 3, 45, 0), utc(2027, 3, 15, 4, 15, 0)}},
        /* spring forward: 02:00 does not exist; 01:00 EST, then 03:00 EDT */
        {"America/New_York", 60, utc(2027, 3, 14, 5, 0, 0), utc(2027, 3, 14, 9, 0, 0), 4,
         {utc(2027, 3, 14, 5, 0, 0), utc(2027, 3, 14, 6, 0, 0), utc(2027, 3, 14, 7, 0, 0), utc(2027, 3, 14, 8, 0, 0),
          utc(2027, 3, 14, 9, 0, 0)}},
        {"America/New_York", 30, utc(2027, 3, 14, 6, 0, 0), utc(2027, 3, 14, 7, 30, 0), 3,
         {utc(2027, 3, 14, 6, 0, 0), utc(2027, 3, 14, 6, 30, 0), utc(2027, 3, 14, 7, 0, 0), utc(2027, 3, 14, 7, 30, 0)}},
        /* fall back: 01:00 EDT and 01:00 EST are two real hours, two slots */
        {"America/New_York", 60, utc(2027, 11, 7, 4, 0, 0), utc(2027, 11, 7, 8, 0, 0), 4,
         {utc(2027, 11, 7, 4, 0, 0), utc(2027, 11, 7, 5, 0, 0), utc(2027, 11, 7, 6, 0, 0), utc(2027, 11, 7, 7, 0, 0),
          utc(2027, 11, 7, 8, 0, 0)}},
        /* two-hour slots: the one holding the repeated hour lasts three (00:00 PDT - 02:00 PST) */
        {"America/Los_Angeles", 120, utc(2027, 11, 7, 7, 0, 0), utc(2027, 11, 7, 12, 0, 0), 2,
         {utc(2027, 11, 7, 7, 0, 0), utc(2027, 11, 7, 10, 0, 0), utc(2027, 11, 7, 12, 0, 0)}},
        {"Europe/Lisbon", 60, utc(2027, 10, 31, 0, 0, 0), utc(2027, 10, 31, 2, 0, 0), 2,
         {utc(2027, 10, 31, 0, 0, 0), utc(2027, 10, 31, 1, 0, 0), utc(2027, 10, 31, 2, 0, 0)}},
        {"Europe/Lisbon", 60, utc(2027, 3, 28, 0, 0, 0), utc(2027, 3, 28, 2, 0, 0), 2,
         {utc(2027, 3, 28, 0, 0, 0), utc(2027, 3, 28, 1, 0, 0), utc(2027, 3, 28, 2, 0, 0)}},
        /* Lord Howe skips 02:00-02:30: the 02:00 slot is the half hour 02:30-03:00 */
        {"Australia/Lord_Howe", 60, utc(2027, 10, 2, 14, 30, 0), utc(2027, 10, 2, 17, 0, 0), 3,
         {utc(2027, 10, 2, 14, 30, 0), utc(2027, 10, 2, 15, 30, 0), utc(2027, 10, 2, 16, 0, 0),
          utc(2027, 10, 2, 17, 0, 0)}},
        /* ... and repeats 01:30-02:00: with 30-minute slots each half hour is a slot */
        {"Australia/Lord_Howe", 30, utc(2027, 4, 3, 14, 0, 0), utc(2027, 4, 3, 15, 30, 0), 3,
         {utc(2027, 4, 3, 14, 0, 0), utc(2027, 4, 3, 14, 30, 0), utc(2027, 4, 3, 15, 0, 0),
          utc(2027, 4, 3, 15, 30, 0)}},
        /* with hour slots the 01:00 slot lasts until 02:00 (+10:30): 90 real minutes */
        {"Australia/Lord_Howe", 60, utc(2027, 4, 3, 14, 0, 0), utc(2027, 4, 3, 16, 30, 0), 2,
         {utc(2027, 4, 3, 14, 0, 0), utc(2027, 4, 3, 15, 30, 0), utc(2027, 4, 3, 16, 30, 0)}},
        {"Pacific/Kiritimati", 60, utc(2027, 3, 14, 19, 0, 0), utc(2027, 3, 14, 21, 0, 0), 2,
         {utc(2027, 3, 14, 19, 0, 0), utc(2027, 3, 14, 20, 0, 0), utc(2027, 3, 14, 21, 0, 0)}},
        {"Pacific/Auckland", 60, utc(2027, 4, 3, 13, 0, 0), utc(2027, 4, 3, 15, 0, 0), 2,
         {utc(2027, 4, 3, 13, 0, 0), utc(2027, 4, 3, 14, 0, 0), utc(2027, 4, 3, 15, 0, 0)}},
    };
    check_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_local_boundaries_refuse_utc_ones(void **state)
{
    /* 08:00Z is 13:30 in Kolkata: not an hour boundary there */
    span_result r = span_in("Asia/Kolkata", 60, utc(2027, 3, 15, 8, 0, 0), utc(2027, 3, 15, 9, 0, 0), 100);
    assert_error(&r, "start_time", "must lie on a 60-minute slot boundary (Asia/Kolkata)");
    r = span_in("Asia/Kathmandu", 30, utc(2027, 3, 15, 3, 15, 0), utc(2027, 3, 15, 4, 0, 0), 100);
    assert_error(&r, "end_time", "must lie on a 30-minute slot boundary (Asia/Kathmandu)");
}

static void test_floor_next_and_aligned(void **state)
{
    resource_clock ny = resource_clock_make(local_zone_get("America/New_York"), 60);
    /* inside the repeated hour's second occurrence */
    assert_int_equal(slot_floor(&ny, utc(2027, 11, 7, 6, 40, 0)), utc(2027, 11, 7, 6, 0, 0));
    assert_int_equal(slot_next(&ny, utc(2027, 11, 7, 5, 0, 0)), utc(2027, 11, 7, 6, 0, 0));
    /* the gap's end is a boundary, the instant before it is in the 01:00 slot */
    assert_int_equal(slot_floor(&ny, utc(2027, 3, 14, 6, 59, 59)), utc(2027, 3, 14, 6, 0, 0));
    assert_true(slot_aligned(&ny, utc(2027, 3, 14, 7, 0, 0)));
    assert_false(slot_aligned(&ny, utc(2027, 3, 14, 7, 30, 0)));
    resource_clock night = resource_clock_make(local_zone_get("America/New_York"), 1440);
    assert_int_equal(slot_floor(&night, utc(2027, 11, 8, 4, 59, 0)), utc(2027, 11, 7, 4, 0, 0));
    assert_int_equal(slot_next(&night, utc(2027, 11, 7, 4, 0, 0)), utc(2027, 11, 8, 5, 0, 0));
    resource_clock lh = resource_clock_make(local_zone_get("Australia/Lord_Howe"), 60);
    assert_int_equal(slot_floor(&lh, utc(2027, 4, 3, 15, 10, 0)), utc(2027, 4, 3, 14, 0, 0));
}

/* ---- check-in, check-out, clocks ---- */

static void test_check_in_and_out_are_local_times(void **state)
{
    resource_clock la = resource_clock_make(local_zone_get("America/Los_Angeles"), 1440);
    /* the night of 13 March: check-in 15:00 PST; check-out on 15 March at 11:00 PDT */
    assert_int_equal(slot_check_in(&la, utc(2027, 3, 13, 8, 0, 0)), utc(2027, 3, 13, 23, 0, 0));
    assert_int_equal(slot_check_out(&la, utc(2027, 3, 15, 7, 0, 0)), utc(2027, 3, 15, 18, 0, 0));
    la.check_in = 16 * 60 + 30;
    assert_int_equal(slot_check_in(&la, utc(2027, 3, 14, 8, 0, 0)), utc(2027, 3, 14, 23, 30, 0));
    resource_clock table = resource_clock_make(local_zone_get("America/Los_Angeles"), 30);
    assert_int_equal(slot_check_in(&table, 12345), 12345);
    assert_int_equal(slot_check_out(&table, 12345), 12345);
}

static void test_clock_of_a_resource(void **state)
{
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    resource_clock c;
    const char *field = NULL;
    r.slot_minutes = 1440;
    r.time_zone = (char *)"Asia/Kathmandu";
    r.check_in_local_time = (char *)"14:30";
    assert_int_equal(resource_clock_of(&r, &c, &field), 0);
    assert_string_equal(local_zone_name(c.zone), "Asia/Kathmandu");
    assert_int_equal(c.check_in, 14 * 60 + 30);
    assert_int_equal(c.check_out, CHECK_OUT_DEFAULT);
    r.time_zone = (char *)"";
    assert_int_equal(resource_clock_of(&r, &c, &field), 0);
    assert_ptr_equal(c.zone, local_zone_utc());
    r.time_zone = (char *)"Mars/Olympus";
    assert_int_equal(resource_clock_of(&r, &c, &field), -1);
    assert_string_equal(field, "time_zone");
    r.time_zone = (char *)"UTC";
    static const char *const bad[] = {"24:00", "9:00", "09:60", "0900", "09:00:00", "ab:cd", " 9:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r.check_out_local_time = (char *)bad[i];
        assert_int_equal(resource_clock_of(&r, &c, &field), -1);
        assert_string_equal(field, "check_out_local_time");
    }
    int m;
    assert_int_equal(clock_time_parse("00:00", &m), 0);
    assert_int_equal(m, 0);
    assert_int_equal(clock_time_parse("23:59", &m), 0);
    assert_int_equal(m, 1439);
}

/* ---- migration 006 ---- */

/* 006_local_time.sql pins existing resources to UTC by appending field 9 (time_zone) =
 * "UTC" to the stored message: the last value of a field wins when it is parsed. */
static void test_migration_006_pins_existing_resources_to_utc(void **state)
{
    static const uint8_t appended[] = {0x4a, 0x03, 'U', 'T', 'C'};
    char path[512];
    snprintf(path, sizeof path, "%s/booking-svc/migrations/006_local_time.sql", SOURCE_DIR);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char sql[4096];
    size_t n = fread(sql, 1, sizeof sql - 1, f);
    fclose(f);
    sql[n] = '\0';
    assert_non_null(strstr(sql, "body = body || '\\x4a03555443'::bytea"));
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"EUR";
    price.amount_minor = 12000;
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    r.resource_id = (char *)"demo-lisbon-tejo";
    r.name = (char *)"Hotel Tejo";
    r.time_zone = (char *)"Europe/Lisbon";
    r.slot_minutes = 1440;
    r.capacity = 12;
    r.base_price = &price;
    uint8_t body[512];
    size_t len = booking__v1__resource__pack(&r, body);
    memcpy(body + len, appended, sizeof appended);
    Booking__V1__Resource *back = booking__v1__resource__unpack(NULL, len + sizeof appended, body);
    assert_non_null(back);
    assert_string_equal(back->time_zone, "UTC");
    assert_string_equal(back->name, "Hotel Tejo");
    assert_int_equal(back->capacity, 12);
    assert_int_equal(back->base_price->amount_minor, 12000);
    booking__v1__resource__free_unpacked(back, NULL);
    /* and a message without a zone (empty: proto3 does not write it) gets one */
    r.time_zone = (char *)"";
    len = booking__v1__resource__pack(&r, body);
    memcpy(body + len, appended, sizeof appended);
    back = booking__v1__resource__unpack(NULL, len + sizeof appended, body);
    assert_non_null(back);
    assert_string_equal(back->time_zone, "UTC");
    booking__v1__resource__free_unpacked(back, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slot_minutes_valid_divisors_of_a_day),
        cmocka_unit_test(test_invalid_slot_minutes_is_refused),
        cmocka_unit_test(test_nightly_spec_example_is_two_nights_at_utc_midnights),
        cmocka_unit_test(test_nightly_same_day_checkout_fails_on_end_time),
        cmocka_unit_test(test_nightly_checkout_at_next_midnight_is_one_night),
        cmocka_unit_test(test_nightly_across_month_and_year),
        cmocka_unit_test(test_nightly_leap_day),
        cmocka_unit_test(test_nightly_before_1970),
        cmocka_unit_test(test_timed_30_and_60_minute_slots),
        cmocka_unit_test(test_timed_misaligned_start_names_start_time),
        cmocka_unit_test(test_timed_misaligned_end_names_end_time),
        cmocka_unit_test(test_timed_before_1970),
        cmocka_unit_test(test_end_not_after_start_names_end_time),
        cmocka_unit_test(test_single_slot_is_the_whole_range),
        cmocka_unit_test(test_max_slots_boundary),
        cmocka_unit_test(test_huge_ranges_do_not_overflow),
        cmocka_unit_test(test_message_is_truncated_and_optional),
        cmocka_unit_test(test_weekday_of_known_dates),
        cmocka_unit_test(test_local_nights),
        cmocka_unit_test(test_nights_do_not_depend_on_the_clients_offset),
        cmocka_unit_test(test_local_timed_slots),
        cmocka_unit_test(test_local_boundaries_refuse_utc_ones),
        cmocka_unit_test(test_floor_next_and_aligned),
        cmocka_unit_test(test_check_in_and_out_are_local_times),
        cmocka_unit_test(test_clock_of_a_resource),
        cmocka_unit_test(test_migration_006_pins_existing_resources_to_utc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
