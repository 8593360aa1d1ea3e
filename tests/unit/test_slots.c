/* test_slots.c — slot spans of nightly, timed and single-slot ranges (UTC, negative
 * times, month/year/leap-day edges), validation errors naming the field, weekdays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

static span_result span_of(int slot_minutes, int64_t start, int64_t end, int max_slots)
{
    span_result r;
    memset(&r, 0, sizeof r);
    r.rc = slot_span_of(slot_minutes, start, end, max_slots, &r.span, &r.field, r.msg, sizeof r.msg);
    return r;
}

static void assert_span(const span_result *r, int64_t first_start, int64_t slot_seconds, int count)
{
    assert_int_equal(r->rc, 0);
    assert_int_equal(r->span.first_start, first_start);
    assert_int_equal(r->span.slot_seconds, slot_seconds);
    assert_int_equal(r->span.count, count);
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
    assert_int_equal(slot_span_of(30, t, t, 10, &span, &field, msg, sizeof msg), -1);
    assert_string_equal(msg, "must be a"); /* 9 characters and the NUL */
    assert_string_equal(field, "end_time");
    assert_int_equal(slot_span_of(30, t, t, 10, &span, NULL, NULL, 0), -1);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
