/* test_local_time.c — zone handles (names, cache, threads), offsets, the instant of a
 * local time (gaps and repeats), local days on DST change days, formatting; and ICU's
 * rules checked against the system tzdata (glibc reading /usr/share/zoneinfo) for every
 * zone the tests use, 2026-2028. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "local_time.h"

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi;
    return (int64_t)timegm(&tm);
}

/* Wall-clock seconds of a local civil time (what local_wall returns). */
static int64_t wall(int y, int mo, int d, int h, int mi) { return utc(y, mo, d, h, mi); }

static const local_zone *zone(const char *name)
{
    const local_zone *z = local_zone_get(name);
    assert_non_null(z);
    return z;
}

static const char *const test_zones[] = {"Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata",
                                         "Asia/Kathmandu",   "Australia/Lord_Howe", "Pacific/Kiritimati",
                                         "Europe/Lisbon",    "America/New_York",    "UTC",
                                         "Pacific/Honolulu", "Europe/London",       "Asia/Tokyo"};
#define ZONE_COUNT (sizeof test_zones / sizeof test_zones[0])

/* ---- names ---- */

static void test_names_are_iana_zones(void **state)
{
    for (size_t i = 0; i < ZONE_COUNT; i++) {
        const local_zone *z = local_zone_get(test_zones[i]);
        assert_non_null(z);
        assert_string_equal(local_zone_name(z), test_zones[i]);
        assert_ptr_equal(local_zone_get(test_zones[i]), z); /* cached */
    }
    assert_non_null(local_zone_get("Etc/GMT+12"));
    assert_non_null(local_zone_get("US/Pacific")); /* an IANA link */
    assert_non_null(local_zone_get("EST"));
    static const char *const bad[] = {"",    "Mars/Olympus", "america/los_angeles", "PST",  "IST", "BST",
                                      "CST", "GMT+5",        "../../etc/passwd",     " UTC", "UTC ",
                                      "Europe/Lisbon\n",     "Pacific/Auckland/x",   "Etc/Unknown"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(local_zone_get(bad[i]));
    assert_null(local_zone_get(NULL));
    assert_null(local_zone_get("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/B"));
    assert_ptr_equal(local_zone_get("UTC"), local_zone_utc());
    assert_true(strlen(local_zone_data_version()) >= 5);
}

static void *get_zones(void *arg)
{
    const local_zone **out = arg;
    for (size_t i = 0; i < ZONE_COUNT; i++)
        out[i] = local_zone_get(test_zones[i]);
    return NULL;
}

static void test_threads_share_one_handle_per_zone(void **state)
{
    pthread_t t[4];
    const local_zone *seen[4][ZONE_COUNT];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, get_zones, seen[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (size_t z = 0; z < ZONE_COUNT; z++)
        for (int i = 1; i < 4; i++)
            assert_ptr_equal(seen[i][z], seen[0][z]);
}

/* ---- offsets and instants ---- */

typedef struct change {
    const char *zone;
    int64_t at;              /* the instant of the 2027 change */
    int32_t before, after;   /* offsets, seconds */
} change;

static void test_2027_changes(void **state)
{
    const change changes[] = {
        {"Pacific/Auckland", utc(2027, 4, 3, 14, 0), 13 * 3600, 12 * 3600},
        {"Pacific/Auckland", utc(2027, 9, 25, 14, 0), 12 * 3600, 13 * 3600},
        {"America/Los_Angeles", utc(2027, 3, 14, 10, 0), -8 * 3600, -7 * 3600},
        {"America/Los_Angeles", utc(2027, 11, 7, 9, 0), -7 * 3600, -8 * 3600},
        {"Australia/Lord_Howe", utc(2027, 4, 3, 15, 0), 11 * 3600, 10 * 3600 + 1800},
        {"Australia/Lord_Howe", utc(2027, 10, 2, 15, 30), 10 * 3600 + 1800, 11 * 3600},
        {"Europe/Lisbon", utc(2027, 3, 28, 1, 0), 0, 3600},
        {"Europe/Lisbon", utc(2027, 10, 31, 1, 0), 3600, 0},
        {"America/New_York", utc(2027, 3, 14, 7, 0), -5 * 3600, -4 * 3600},
        {"America/New_York", utc(2027, 11, 7, 6, 0), -4 * 3600, -5 * 3600},
    };
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
        const change *c = &changes[i];
        const local_zone *z = zone(c->zone);
        assert_int_equal(local_offset(z, c->at - 1), c->before);
        assert_int_equal(local_offset(z, c->at), c->after);
        assert_int_equal(local_next_change(z, c->at - 86400), c->at);
        assert_int_equal(local_last_change(z, c->at + 86400), c->at);
        assert_int_equal(local_wall(z, c->at), c->at + c->after);
    }
    const struct { const char *zone; int32_t offset; } fixed[] = {
        {"Asia/Kolkata", 5 * 3600 + 1800}, {"Asia/Kathmandu", 5 * 3600 + 2700},
        {"Pacific/Kiritimati", 14 * 3600}, {"UTC", 0}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        const local_zone *z = zone(fixed[i].zone);
        for (int64_t t = utc(2026, 1, 1, 0, 0); t < utc(2029, 1, 1, 0, 0); t += 86400 * 7)
            assert_int_equal(local_offset(z, t), fixed[i].offset);
        assert_int_equal(local_next_change(z, utc(2026, 1, 1, 0, 0)), INT64_MAX);
    }
}

static void test_instant_of_a_local_time(void **state)
{
    const local_zone *la = zone("America/Los_Angeles"), *ny = zone("America/New_York");
    /* plain */
    assert_int_equal(local_instant(la, wall(2027, 3, 13, 18, 0)), utc(2027, 3, 14, 2, 0));
    /* skipped: 02:30 on 14 March does not exist; the gap ends at 03:00 PDT = 10:00Z */
    assert_int_equal(local_instant(la, wall(2027, 3, 14, 2, 30)), utc(2027, 3, 14, 10, 0));
    assert_int_equal(local_instant(la, wall(2027, 3, 14, 2, 0)), utc(2027, 3, 14, 10, 0));
    assert_int_equal(local_instant(la, wall(2027, 3, 14, 3, 0)), utc(2027, 3, 14, 10, 0));
    assert_int_equal(local_instant(la, wall(2027, 3, 14, 1, 59)), utc(2027, 3, 14, 9, 59));
    /* repeated: 01:30 on 7 November happens at 08:30Z (PDT) and 09:30Z (PST): the first */
    assert_int_equal(local_instant(la, wall(2027, 11, 7, 1, 30)), utc(2027, 11, 7, 8, 30));
    assert_int_equal(local_instant(ny, wall(2027, 11, 7, 1, 0)), utc(2027, 11, 7, 5, 0));
    assert_int_equal(local_instant(ny, wall(2027, 11, 7, 2, 0)), utc(2027, 11, 7, 7, 0));
    /* Lord Howe skips 02:00-02:30 and repeats 01:30-02:00 */
    const local_zone *lh = zone("Australia/Lord_Howe");
    assert_int_equal(local_instant(lh, wall(2027, 10, 3, 2, 15)), utc(2027, 10, 2, 15, 30));
    assert_int_equal(local_instant(lh, wall(2027, 4, 4, 1, 45)), utc(2027, 4, 3, 14, 45));
    /* every instant round-trips through its wall clock unless it is the repeat */
    for (size_t i = 0; i < ZONE_COUNT; i++) {
        const local_zone *z = zone(test_zones[i]);
        for (int64_t t = utc(2027, 1, 1, 0, 0); t < utc(2028, 1, 1, 0, 0); t += 1800) {
            int64_t back = local_instant(z, local_wall(z, t));
            assert_true(back == t || (back < t && local_wall(z, back) == local_wall(z, t)));
        }
    }
}

/* ---- local days ---- */

typedef struct day_case {
    const char *zone;
    int y, m, d;
    int64_t start;   /* expected first instant */
    int64_t hours;   /* length of the day */
} day_case;

static void test_local_days_on_change_days(void **state)
{
    const day_case days[] = {
        {"America/Los_Angeles", 2027, 3, 14, utc(2027, 3, 14, 8, 0), 23},
        {"America/Los_Angeles", 2027, 11, 7, utc(2027, 11, 7, 7, 0), 25},
        {"America/New_York", 2027, 3, 14, utc(2027, 3, 14, 5, 0), 23},
        {"America/New_York", 2027, 11, 7, utc(2027, 11, 7, 4, 0), 25},
        {"Pacific/Auckland", 2027, 4, 4, utc(2027, 4, 3, 11, 0), 25},
        {"Pacific/Auckland", 2027, 9, 26, utc(2027, 9, 25, 12, 0), 23},
        {"Europe/Lisbon", 2027, 3, 28, utc(2027, 3, 28, 0, 0), 23},
        {"Europe/Lisbon", 2027, 10, 31, utc(2027, 10, 30, 23, 0), 25},
        {"Asia/Kolkata", 2027, 3, 14, utc(2027, 3, 13, 18, 30), 24},
        {"Asia/Kathmandu", 2027, 3, 14, utc(2027, 3, 13, 18, 15), 24},
        {"Pacific/Kiritimati", 2027, 1, 1, utc(2026, 12, 31, 10, 0), 24},
        {"UTC", 2027, 3, 14, utc(2027, 3, 14, 0, 0), 24},
    };
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
        const day_case *c = &days[i];
        const local_zone *z = zone(c->zone);
        int64_t day = days_from_civil(c->y, c->m, c->d);
        assert_int_equal(local_day_start(z, day), c->start);
        assert_int_equal(local_day_start(z, day + 1) - local_day_start(z, day), c->hours * 3600);
        assert_int_equal(local_day(z, c->start), day);
        assert_int_equal(local_day(z, c->start - 1), day - 1);
    }
    /* Lord Howe: 23.5 and 24.5 hours */
    const local_zone *lh = zone("Australia/Lord_Howe");
    int64_t oct3 = days_from_civil(2027, 10, 3), apr4 = days_from_civil(2027, 4, 4);
    assert_int_equal(local_day_start(lh, oct3 + 1) - local_day_start(lh, oct3), 23 * 3600 + 1800);
    assert_int_equal(local_day_start(lh, apr4 + 1) - local_day_start(lh, apr4), 24 * 3600 + 1800);
}

static void test_civil_calendar(void **state)
{
    assert_int_equal(days_from_civil(1970, 1, 1), 0);
    assert_int_equal(days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(days_from_civil(1969, 12, 31), -1);
    for (int64_t d = -800000; d < 800000; d += 997) {
        int64_t y;
        int m, dd;
        civil_from_days(d, &y, &m, &dd);
        assert_int_equal(days_from_civil(y, m, dd), d);
    }
    assert_int_equal(weekday_of_day(days_from_civil(2027, 3, 12)), 5); /* Friday */
    assert_int_equal(weekday_of_day(days_from_civil(1969, 12, 31)), 3);
    assert_int_equal(floor_div64(-1, 86400), -1);
    assert_int_equal(floor_mod64(-1, 86400), 86399);
}

static void test_formatting(void **state)
{
    char buf[40];
    const local_zone *la = zone("America/Los_Angeles");
    assert_string_equal(local_rfc3339(la, utc(2027, 3, 14, 10, 0), buf, sizeof buf), "2027-03-14T03:00:00-07:00");
    assert_string_equal(local_rfc3339(la, utc(2027, 3, 14, 9, 59), buf, sizeof buf), "2027-03-14T01:59:00-08:00");
    assert_string_equal(local_rfc3339(zone("Asia/Kathmandu"), utc(2027, 3, 13, 18, 15), buf, sizeof buf),
                        "2027-03-14T00:00:00+05:45");
    assert_string_equal(local_rfc3339(local_zone_utc(), 0, buf, sizeof buf), "1970-01-01T00:00:00+00:00");
    assert_string_equal(local_date_text(zone("Pacific/Kiritimati"), utc(2027, 3, 13, 11, 0), buf, sizeof buf),
                        "2027-03-14");
    local_tm tm;
    local_time_of(zone("Pacific/Auckland"), utc(2027, 3, 12, 2, 0), &tm);
    assert_int_equal(tm.year, 2027);
    assert_int_equal(tm.month, 3);
    assert_int_equal(tm.day, 12);
    assert_int_equal(tm.hour, 15);
    assert_int_equal(tm.weekday, 5);
    assert_int_equal(tm.offset, 13 * 3600);
}

static void test_extremes_do_not_overflow(void **state)
{
    const local_zone *z = zone("Pacific/Kiritimati");
    assert_int_equal(local_wall(z, INT64_MAX), INT64_MAX);
    assert_true(local_instant(z, INT64_MIN) <= INT64_MIN + 86400);
    assert_int_equal(local_instant(zone("America/Los_Angeles"), INT64_MAX), INT64_MAX);
    assert_int_equal(local_day_start(z, INT64_MAX / 2), INT64_MAX - 14 * 3600);
    (void)local_day(z, INT64_MIN);
}

/* ---- against the system's tzdata ---- */

static void test_icu_agrees_with_the_system_tzdata(void **state)
{
    for (size_t i = 0; i < ZONE_COUNT; i++) {
        const local_zone *z = zone(test_zones[i]);
        setenv("TZ", test_zones[i], 1); /* a single-threaded test: glibc as the oracle */
        tzset();
        for (int64_t t = utc(2026, 1, 1, 0, 0); t < utc(2029, 1, 1, 0, 0); t += 900) {
            time_t tt = (time_t)t;
            struct tm tm;
            localtime_r(&tt, &tm);
            if (tm.tm_gmtoff != local_offset(z, t))
                fail_msg("%s at %lld: system tzdata %ld, ICU %d", test_zones[i], (long long)t, tm.tm_gmtoff,
                         local_offset(z, t));
        }
    }
    unsetenv("TZ");
    tzset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_are_iana_zones),
        cmocka_unit_test(test_threads_share_one_handle_per_zone),
        cmocka_unit_test(test_2027_changes),
        cmocka_unit_test(test_instant_of_a_local_time),
        cmocka_unit_test(test_local_days_on_change_days),
        cmocka_unit_test(test_civil_calendar),
        cmocka_unit_test(test_formatting),
        cmocka_unit_test(test_extremes_do_not_overflow),
        cmocka_unit_test(test_icu_agrees_with_the_system_tzdata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
