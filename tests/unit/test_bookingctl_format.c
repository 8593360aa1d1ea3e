/* test_bookingctl_format.c — bookingctl's pure parts: RFC 3339 times and money in and
 * out (bad input included), numbers, coordinates and enum names, slot counts,
 * distances and event metadata, table widths and layout, JSON escaping and the JSON
 * form of messages. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../bookingctl/error_json.h"
#include "../../bookingctl/format.h"
#include "../../bookingctl/json.h"
#include "../../bookingctl/table.h"
#include "booking/v1/booking.pb-c.h"
#include "booking/v1/search.pb-c.h"

/* ---- times ---- */

static int64_t parsed(const char *s)
{
    int64_t v = -12345;
    if (fmt_parse_time(s, &v) != 0)
        fail_msg("\"%s\" was rejected", s);
    return v;
}

static void test_time_forms(void **state)
{
    assert_int_equal(parsed("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parsed("2026-06-01T15:00:00Z"), 1780326000);
    assert_int_equal(parsed("2026-06-01T15:00Z"), 1780326000);
    assert_int_equal(parsed("2026-06-01t15:00:00z"), 1780326000);
    assert_int_equal(parsed("2026-06-01 15:00:00Z"), 1780326000);
    assert_int_equal(parsed("2026-06-01"), 1780272000);
    assert_int_equal(parsed("2026-06-01T17:00:00+02:00"), 1780326000);
    assert_int_equal(parsed("2026-06-01T10:30:00-04:30"), 1780326000);
    assert_int_equal(parsed("2028-02-29"), 1835395200);
    assert_int_equal(parsed("2000-02-29T23:59:59Z"), 951868799);
    assert_int_equal(parsed("1969-12-31T23:59:59Z"), -1);
    assert_int_equal(parsed("0001-01-01T00:00:00Z"), INT64_C(-62135596800));
    assert_int_equal(parsed("9999-12-31T23:59:59Z"), INT64_C(253402300799));
}

static void test_time_rejects(void **state)
{
    static const char *const bad[] = {
        "", "2026", "2026-06", "2026-6-01", "2026-06-1", "26-06-01", "2026/06/01", "2026-06-01T",
        "2026-06-01T15:00", "2026-06-01T15:00:00", "2026-06-01T15Z", "2026-06-01T15:0Z", "2026-06-01T24:00Z",
        "2026-06-01T15:60Z", "2026-06-01T15:00:60Z", "2026-06-01T15:00:00.5Z", "2026-06-01T15:00:00ZZ",
        "2026-06-01T15:00:00+2:00", "2026-06-01T15:00:00+02", "2026-06-01T15:00:00+24:00", "2026-00-10",
        "2026-13-01", "2026-02-29", "2100-02-29", "2026-04-31", "2026-06-00", "0000-01-01", " 2026-06-01",
        "2026-06-01 ", "2026-06-01x", "now", "1780326000",
    };
    int64_t v = 7;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (fmt_parse_time(bad[i], &v) == 0)
            fail_msg("\"%s\" was accepted", bad[i]);
    assert_int_equal(fmt_parse_time(NULL, &v), -1);
    assert_int_equal(v, 7);
}

static void test_time_format_round_trip(void **state)
{
    char buf[FMT_TIME_CAP];
    Google__Protobuf__Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    t.seconds = parsed("2026-06-01T15:00:00Z");
    assert_string_equal(fmt_time(&t, buf, sizeof buf), "2026-06-01T15:00:00Z");
    t.seconds = parsed("2028-02-29T23:59:59-01:00");
    assert_string_equal(fmt_time(&t, buf, sizeof buf), "2028-03-01T00:59:59Z");
    assert_string_equal(fmt_time(NULL, buf, sizeof buf), "-");
    /* found by fuzz_bookingctl: years before 1000 were written without leading zeros
     * ("1-01-01T00:00:00Z"), which is not RFC 3339 and which fmt_parse_time refused */
    t.seconds = parsed("0001-01-01");
    assert_string_equal(fmt_time(&t, buf, sizeof buf), "0001-01-01T00:00:00Z");
    t.seconds = parsed("0999-12-31T23:59:59Z");
    assert_string_equal(fmt_time(&t, buf, sizeof buf), "0999-12-31T23:59:59Z");
    t.seconds = parsed("9999-12-31T23:59:59Z") + 1;
    assert_string_equal(fmt_time(&t, buf, sizeof buf), "@253402300800");
}

/* ---- money and numbers ---- */

static int64_t amount(const char *s)
{
    int64_t v = -1;
    if (fmt_parse_amount(s, &v) != 0)
        fail_msg("\"%s\" was rejected", s);
    return v;
}

static void test_amount_parse(void **state)
{
    assert_int_equal(amount("120.00"), 12000);
    assert_int_equal(amount("120"), 12000);
    assert_int_equal(amount("120.5"), 12050);
    assert_int_equal(amount("0.05"), 5);
    assert_int_equal(amount("0"), 0);
    assert_int_equal(amount("9999999999999.99"), INT64_C(999999999999999));
    static const char *const bad[] = {"", "-1.00", "+1", "1.", ".5", "1.234", "1,50", "1e3", "12 EUR",
                                      " 1", "1 ", "0x10", "10000000000000", "abc", "1..2", "1.2.3"};
    int64_t v = 3;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (fmt_parse_amount(bad[i], &v) == 0)
            fail_msg("\"%s\" was accepted", bad[i]);
    assert_int_equal(fmt_parse_amount(NULL, &v), -1);
    assert_int_equal(v, 3);
}

static void test_amount_format(void **state)
{
    char buf[FMT_MONEY_CAP];
    assert_string_equal(fmt_amount(12345, "EUR", buf, sizeof buf), "123.45 EUR");
    assert_string_equal(fmt_amount(5, "USD", buf, sizeof buf), "0.05 USD");
    assert_string_equal(fmt_amount(0, "EUR", buf, sizeof buf), "0.00 EUR");
    assert_string_equal(fmt_amount(-50, "EUR", buf, sizeof buf), "-0.50 EUR");
    assert_string_equal(fmt_amount(-12345, "EUR", buf, sizeof buf), "-123.45 EUR");
    assert_string_equal(fmt_amount(100, "", buf, sizeof buf), "1.00");
    assert_string_equal(fmt_amount(100, NULL, buf, sizeof buf), "1.00");
    assert_string_equal(fmt_amount(INT64_MIN, "EUR", buf, sizeof buf), "-92233720368547758.08 EUR");
    assert_string_equal(fmt_amount(INT64_MAX, "EUR", buf, sizeof buf), "92233720368547758.07 EUR");
    Booking__V1__Money m = BOOKING__V1__MONEY__INIT;
    m.currency = "EUR";
    m.amount_minor = 9900;
    assert_string_equal(fmt_money(&m, buf, sizeof buf), "99.00 EUR");
    assert_string_equal(fmt_money(NULL, buf, sizeof buf), "-");
}

static void test_currency_shape(void **state)
{
    assert_true(fmt_currency_valid("EUR"));
    assert_true(fmt_currency_valid("JPY"));
    assert_false(fmt_currency_valid("eur"));
    assert_false(fmt_currency_valid("EU"));
    assert_false(fmt_currency_valid("EURO"));
    assert_false(fmt_currency_valid("E1R"));
    assert_false(fmt_currency_valid(""));
    assert_false(fmt_currency_valid(NULL));
}

static void test_numbers(void **state)
{
    int64_t i = 0;
    double d = 0;
    assert_int_equal(fmt_parse_int("42", 0, 100, &i), 0);
    assert_int_equal(i, 42);
    assert_int_equal(fmt_parse_int("-7", -10, 10, &i), 0);
    assert_int_equal(i, -7);
    assert_int_equal(fmt_parse_int("2147483647", INT32_MIN, INT32_MAX, &i), 0);
    assert_int_equal(fmt_parse_int("2147483648", INT32_MIN, INT32_MAX, &i), -1);
    assert_int_equal(fmt_parse_int("101", 0, 100, &i), -1);
    assert_int_equal(fmt_parse_int("99999999999999999999", INT64_MIN, INT64_MAX, &i), -1);
    static const char *const bad_int[] = {"", " 1", "+1", "1 ", "1.0", "0x1f", "-", "1e3", "abc"};
    for (size_t k = 0; k < sizeof bad_int / sizeof bad_int[0]; k++)
        if (fmt_parse_int(bad_int[k], INT32_MIN, INT32_MAX, &i) == 0)
            fail_msg("\"%s\" was accepted", bad_int[k]);
    assert_int_equal(fmt_parse_double("4.5", &d), 0);
    assert_true(d == 4.5);
    assert_int_equal(fmt_parse_double("-0.1278", &d), 0);
    assert_true(d == -0.1278);
    static const char *const bad_double[] = {"", "nan", "inf", "1e999", "0x1p3", " 1", "1 ", "4,5", "abc"};
    for (size_t k = 0; k < sizeof bad_double / sizeof bad_double[0]; k++)
        if (fmt_parse_double(bad_double[k], &d) == 0)
            fail_msg("\"%s\" was accepted", bad_double[k]);
}

static void test_enum_names(void **state)
{
    char buf[16];
    int v = -1;
    assert_int_equal(fmt_parse_enum(&booking__v1__resource_type__descriptor, "hotel_room", &v), 0);
    assert_int_equal(v, BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM);
    assert_int_equal(fmt_parse_enum(&booking__v1__resource_type__descriptor, "RENTAL_CAR", &v), 0);
    assert_int_equal(v, BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_RENTAL_CAR);
    assert_int_equal(fmt_parse_enum(&booking__v1__resource_type__descriptor, "RESOURCE_TYPE_FLIGHT_SEAT", &v), 0);
    assert_int_equal(v, BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_FLIGHT_SEAT);
    assert_int_equal(fmt_parse_enum(&booking__v1__resource_type__descriptor, "unspecified", &v), -1);
    assert_int_equal(fmt_parse_enum(&booking__v1__resource_type__descriptor, "boat", &v), -1);
    assert_int_equal(fmt_parse_enum(&booking__v1__resource_type__descriptor, "", &v), -1);
    assert_int_equal(fmt_parse_enum(&booking__v1__resource_type__descriptor, NULL, &v), -1);
    assert_string_equal(fmt_enum_label(&booking__v1__hold_status__descriptor, 1, buf, sizeof buf), "ACTIVE");
    assert_string_equal(fmt_enum_label(&booking__v1__resource_type__descriptor, 1, buf, sizeof buf), "HOTEL_ROOM");
    assert_string_equal(fmt_enum_label(&booking__v1__hold_status__descriptor, 0, buf, sizeof buf), "UNSPECIFIED");
    assert_string_equal(fmt_enum_label(&booking__v1__hold_status__descriptor, 99, buf, sizeof buf), "99");
}

static void test_latlon(void **state)
{
    double lat = 1, lon = 2;
    assert_int_equal(fmt_parse_latlon("38.7223,-9.1393", &lat, &lon), 0);
    assert_true(lat == 38.7223 && lon == -9.1393);
    assert_int_equal(fmt_parse_latlon("-90,180", &lat, &lon), 0);
    assert_true(lat == -90 && lon == 180);
    assert_int_equal(fmt_parse_latlon("0,0", &lat, &lon), 0);
    assert_true(lat == 0 && lon == 0);
    static const char *const bad[] = {"", ",", "38.7", "38.7,", ",-9.1", "38.7,-9.1,1", "38.7;-9.1", "38.7 -9.1",
                                      "38.7, -9.1", "90.1,0", "-90.5,0", "0,180.01", "0,-181", "nan,0", "0,inf",
                                      "north,east", "1e999,0",
                                      "1111111111111111111111111111111111111111111111111111111111111111,0"};
    lat = lon = 7;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (fmt_parse_latlon(bad[i], &lat, &lon) == 0)
            fail_msg("\"%s\" was accepted", bad[i]);
    assert_int_equal(fmt_parse_latlon(NULL, &lat, &lon), -1);
    assert_true(lat == 7 && lon == 7);
}

static void test_status_and_sort_names(void **state)
{
    char buf[16];
    int v = -1;
    assert_int_equal(fmt_parse_enum(&booking__v1__booking_status__descriptor, "confirmed", &v), 0);
    assert_int_equal(v, BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_CONFIRMED);
    assert_int_equal(fmt_parse_enum(&booking__v1__booking_status__descriptor, "Cancelled", &v), 0);
    assert_int_equal(v, BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_CANCELLED);
    assert_int_equal(fmt_parse_enum(&booking__v1__booking_status__descriptor, "completed", &v), 0);
    assert_int_equal(v, BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_COMPLETED);
    assert_int_equal(fmt_parse_enum(&booking__v1__booking_status__descriptor, "canceled", &v), -1);
    assert_int_equal(fmt_parse_enum(&booking__v1__booking_status__descriptor, "active", &v), -1);
    assert_int_equal(fmt_parse_enum(&booking__v1__sort_order__descriptor, "price", &v), 0);
    assert_int_equal(v, BOOKING__V1__SORT_ORDER__SORT_ORDER_PRICE);
    assert_int_equal(fmt_parse_enum(&booking__v1__sort_order__descriptor, "distance", &v), 0);
    assert_int_equal(v, BOOKING__V1__SORT_ORDER__SORT_ORDER_DISTANCE);
    assert_int_equal(fmt_parse_enum(&booking__v1__sort_order__descriptor, "RATING", &v), 0);
    assert_int_equal(v, BOOKING__V1__SORT_ORDER__SORT_ORDER_RATING);
    assert_int_equal(fmt_parse_enum(&booking__v1__sort_order__descriptor, "name", &v), -1);
    assert_string_equal(fmt_enum_label(&booking__v1__booking_status__descriptor, 2, buf, sizeof buf), "CANCELLED");
    assert_string_equal(fmt_enum_label(&booking__v1__payment_status__descriptor, 3, buf, sizeof buf),
                        "PARTIALLY_REFUNDED");
    assert_string_equal(fmt_enum_label(&booking__v1__payment_status__descriptor, 4, buf, sizeof buf), "REFUNDED");
}

/* A price of n lines, each len seconds long (0 = no slot times), starting at t0. */
static Booking__V1__Price *price_of(size_t n, int64_t len)
{
    static Google__Protobuf__Timestamp times[8][2];
    static Booking__V1__PriceLine lines[8], *ptrs[8];
    static Booking__V1__Price p;
    booking__v1__price__init(&p);
    for (size_t i = 0; i < n && i < 8; i++) {
        booking__v1__price_line__init(&lines[i]);
        google__protobuf__timestamp__init(&times[i][0]);
        google__protobuf__timestamp__init(&times[i][1]);
        times[i][0].seconds = 1780272000 + (int64_t)i * len;
        times[i][1].seconds = times[i][0].seconds + len;
        lines[i].slot_start = len ? &times[i][0] : NULL;
        lines[i].slot_end = len ? &times[i][1] : NULL;
        ptrs[i] = &lines[i];
    }
    p.n_lines = n;
    p.lines = ptrs;
    return &p;
}

static void test_slots(void **state)
{
    char buf[FMT_TIME_CAP];
    assert_string_equal(fmt_slots(price_of(2, 86400), buf, sizeof buf), "2 nights");
    assert_string_equal(fmt_slots(price_of(1, 86400), buf, sizeof buf), "1 night");
    assert_string_equal(fmt_slots(price_of(3, 1800), buf, sizeof buf), "3 slots of 30 min");
    assert_string_equal(fmt_slots(price_of(1, 10800), buf, sizeof buf), "1 slot of 180 min");
    assert_string_equal(fmt_slots(price_of(2, 0), buf, sizeof buf), "2 slots");
    assert_string_equal(fmt_slots(price_of(1, 90), buf, sizeof buf), "1 slot"); /* not whole minutes */
    assert_string_equal(fmt_slots(price_of(2, 2 * 86400), buf, sizeof buf), "2 slots");
    Booking__V1__Price *mixed = price_of(3, 1800);
    mixed->lines[2]->slot_end->seconds += 1800; /* the last slot is longer */
    assert_string_equal(fmt_slots(mixed, buf, sizeof buf), "3 slots");
    assert_string_equal(fmt_slots(price_of(0, 86400), buf, sizeof buf), "-");
    assert_string_equal(fmt_slots(NULL, buf, sizeof buf), "-");
    /* local nights on DST days are 23, 23.5, 24.5 or 25 hours: still nights */
    Booking__V1__Price *dst = price_of(3, 86400);
    dst->lines[1]->slot_end->seconds -= 3600;
    dst->lines[2]->slot_start->seconds -= 3600;
    assert_string_equal(fmt_slots(dst, buf, sizeof buf), "3 nights");
    assert_string_equal(fmt_slots(price_of(1, 25 * 3600), buf, sizeof buf), "1 night");
    assert_string_equal(fmt_slots(price_of(1, 23 * 3600 + 1800), buf, sizeof buf), "1 night");
    /* a line from INT64_MAX back to -2 seconds: its length overflowed int64 (UBSan in
     * fuzz_bookingctl; regressions/bookingctl/price_line_length_overflow) */
    Booking__V1__Price *broken = price_of(1, 1);
    broken->lines[0]->slot_start->seconds = -2;
    broken->lines[0]->slot_end->seconds = INT64_MAX;
    assert_string_equal(fmt_slots(broken, buf, sizeof buf), "1 slot");
}

static void test_local_times(void **state)
{
    char buf[FMT_LOCAL_CAP];
    const local_zone *la = local_zone_get("America/Los_Angeles"), *ktm = local_zone_get("Asia/Kathmandu");
    assert_non_null(la);
    assert_non_null(ktm);
    /* 2027-03-13T23:00Z = 15:00 PST; 2027-03-15T18:00Z = 11:00 PDT */
    assert_string_equal(fmt_local(la, 1804978800, 1, buf, sizeof buf), "2027-03-13 15:00 -08:00 America/Los_Angeles");
    assert_string_equal(fmt_local(la, 1805133600, 0, buf, sizeof buf), "2027-03-15 11:00 -07:00");
    assert_string_equal(fmt_local(ktm, 1805133607, 0, buf, sizeof buf), "2027-03-15 23:45:07 +05:45");
    assert_string_equal(fmt_local_text("2027-03-13T15:00:00-08:00", buf, sizeof buf), "2027-03-13 15:00 -08:00");
    assert_string_equal(fmt_local_text("2027-03-13T15:00:30+05:45", buf, sizeof buf), "2027-03-13 15:00:30 +05:45");
    assert_string_equal(fmt_local_text("", buf, sizeof buf), "-");
    assert_string_equal(fmt_local_text(NULL, buf, sizeof buf), "-");
    assert_string_equal(fmt_local_text("soon", buf, sizeof buf), "soon");
}

static void test_distance(void **state)
{
    char buf[16];
    assert_string_equal(fmt_distance(3.6447, buf, sizeof buf), "3.6 km");
    assert_string_equal(fmt_distance(0, buf, sizeof buf), "0.0 km");
    assert_string_equal(fmt_distance(1234.56, buf, sizeof buf), "1234.6 km");
    assert_string_equal(fmt_distance(-1, buf, sizeof buf), "-");
    assert_string_equal(fmt_distance(NAN, buf, sizeof buf), "-");
    assert_string_equal(fmt_distance(INFINITY, buf, sizeof buf), "-");
}

static char *metadata_of(Booking__V1__Event__MetadataEntry *const *entries, size_t n)
{
    strbuf b = STRBUF_INIT;
    fmt_metadata(&b, entries, n);
    return b.data;
}

static void test_event_metadata(void **state)
{
    Booking__V1__Event__MetadataEntry e[5];
    Booking__V1__Event__MetadataEntry *ptrs[5] = {&e[0], &e[1], &e[2], &e[3], &e[4]};
    const char *kv[5][2] = {{"total_minor", "50880"}, {"reason", "changed plans"}, {"hold_id", "hold_1"},
                            {"note", ""}, {"quote", "a\"b\\c"}};
    for (size_t i = 0; i < 5; i++) {
        booking__v1__event__metadata_entry__init(&e[i]);
        e[i].key = (char *)kv[i][0];
        e[i].value = (char *)kv[i][1];
    }
    char *got = metadata_of(ptrs, 5);
    assert_string_equal(got, "hold_id=hold_1 note=\"\" quote=\"a\\\"b\\\\c\" reason=\"changed plans\" "
                             "total_minor=50880");
    free(got);
    got = metadata_of(ptrs, 1);
    assert_string_equal(got, "total_minor=50880");
    free(got);
    assert_null(metadata_of(ptrs, 0)); /* nothing appended: an empty cell */
    assert_ptr_equal(ptrs[0], &e[0]); /* the caller's order is left alone */
}

/* ---- tables ---- */

/* What table_print writes, malloc'd. */
static char *printed(const ctl_table *t)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    table_print(t, f);
    fclose(f);
    return out;
}

static void test_table_widths(void **state)
{
    static const char *const headers[] = {"SLOT START", "N", "PRICE"};
    ctl_table *t = table_new(3, headers);
    assert_int_equal(table_rows(t), 0);
    assert_int_equal(table_width(t, 0), 10);
    table_add(t, "a");
    table_add(t, "12345");
    table_add(t, "1.00 EUR");
    table_add(t, "Zürich"); /* 7 bytes, 6 characters */
    table_addf(t, "%d", 7);
    assert_int_equal(table_rows(t), 2); /* a partial row counts */
    assert_int_equal(table_width(t, 0), 10);
    assert_int_equal(table_width(t, 1), 5);
    assert_int_equal(table_width(t, 2), 8);
    assert_int_equal(text_width("Zürich"), 6);
    assert_int_equal(text_width("日本"), 2);
    assert_int_equal(text_width(""), 0);
    table_free(t);
}

static void test_table_layout(void **state)
{
    static const char *const headers[] = {"NAME", "QTY", "NOTE"};
    ctl_table *t = table_new(3, headers);
    table_right(t, 1);
    table_add(t, "Zürich");
    table_add(t, "2");
    table_add(t, "");
    table_add(t, "b\nc\td");
    table_add(t, "100");
    table_add(t, "x");
    table_add(t, NULL);
    char *out = printed(t);
    assert_string_equal(out, "NAME    QTY  NOTE\n"
                             "Zürich    2\n"
                             "b?c?d   100  x\n"
                             "\n");
    free(out);
    table_free(t);
}

static void test_table_without_headers(void **state)
{
    ctl_table *t = table_new(2, NULL);
    table_add(t, "id");
    table_add(t, "res_1");
    table_add(t, "base price");
    table_add(t, "120.00 EUR");
    char *out = printed(t);
    assert_string_equal(out, "id          res_1\nbase price  120.00 EUR\n");
    free(out);
    table_free(t);
}

/* ---- JSON ---- */

static char *json_of_string(const char *s)
{
    strbuf b = STRBUF_INIT;
    json_quote(&b, s);
    return b.data;
}

static void expect_json_string(const char *in, const char *want)
{
    char *got = json_of_string(in);
    assert_string_equal(got, want);
    free(got);
}

static void test_json_escaping(void **state)
{
    expect_json_string("plain", "\"plain\"");
    expect_json_string("", "\"\"");
    expect_json_string(NULL, "\"\"");
    expect_json_string("say \"hi\"", "\"say \\\"hi\\\"\"");
    expect_json_string("a\\b", "\"a\\\\b\"");
    expect_json_string("l1\nl2", "\"l1\\nl2\"");
    expect_json_string("t\tr\r\x01\x1f\x7f", "\"t\\u0009r\\u000d\\u0001\\u001f\\u007f\"");
    expect_json_string("Zürich 日本", "\"Zürich 日本\"");
    char long_in[5000];
    memset(long_in, '"', sizeof long_in - 1);
    long_in[sizeof long_in - 1] = '\0';
    char *got = json_of_string(long_in); /* never truncated */
    assert_int_equal(strlen(got), 2 * (sizeof long_in - 1) + 2);
    free(got);
}

static char *json_of(const ProtobufCMessage *m)
{
    strbuf b = STRBUF_INIT;
    json_message(&b, m);
    return b.data;
}

static void test_json_money_and_defaults(void **state)
{
    Booking__V1__Money m = BOOKING__V1__MONEY__INIT;
    char *got = json_of(&m.base);
    assert_string_equal(got, "{\"currency\":\"\",\"amount_minor\":0}");
    free(got);
    m.currency = "EUR";
    m.amount_minor = INT64_C(-9007199254740993);
    got = json_of(&m.base);
    assert_string_equal(got, "{\"currency\":\"EUR\",\"amount_minor\":-9007199254740993}");
    free(got);
}

static void test_json_hold(void **state)
{
    Google__Protobuf__Timestamp start = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    Booking__V1__Money total = BOOKING__V1__MONEY__INIT;
    Booking__V1__PriceLine line = BOOKING__V1__PRICE_LINE__INIT, *lines[] = {&line, &line};
    Booking__V1__Price quote = BOOKING__V1__PRICE__INIT;
    Booking__V1__Hold h = BOOKING__V1__HOLD__INIT;
    start.seconds = 1780326000;
    total.currency = "EUR";
    total.amount_minor = 12000;
    line.slot_start = &start;
    line.quantity = 2;
    line.description = "weekend \"x1.2\"";
    quote.n_lines = 2;
    quote.lines = lines;
    quote.total = &total;
    h.hold_id = "hold_1";
    h.status = BOOKING__V1__HOLD_STATUS__HOLD_STATUS_ACTIVE;
    h.start_time = &start;
    h.quote = &quote;
    char *got = json_of(&h.base);
    const char *line_json = "{\"slot_start\":\"2026-06-01T15:00:00Z\",\"quantity\":2,"
                            "\"description\":\"weekend \\\"x1.2\\\"\"}";
    char want[1024];
    snprintf(want, sizeof want,
             "{\"hold_id\":\"hold_1\",\"user_id\":\"\",\"resource_id\":\"\",\"start_time\":\"2026-06-01T15:00:00Z\","
             "\"quantity\":0,\"status\":\"HOLD_STATUS_ACTIVE\",\"quote\":{\"lines\":[%s,%s],"
             "\"total\":{\"currency\":\"EUR\",\"amount_minor\":12000}},\"booking_id\":\"\"}",
             line_json, line_json);
    assert_string_equal(got, want);
    free(got);
}

static void test_json_resource_lists_maps_and_odd_values(void **state)
{
    Booking__V1__Resource r = BOOKING__V1__RESOURCE__INIT;
    Booking__V1__Resource__MetadataEntry e1 = BOOKING__V1__RESOURCE__METADATA_ENTRY__INIT, e2 = e1;
    Booking__V1__Resource__MetadataEntry *entries[] = {&e1, &e2};
    char *amenities[] = {"wifi", "a\"b"};
    e1.key = "floor";
    e1.value = "3";
    e2.key = "view";
    e2.value = "sea\n";
    r.n_metadata = 2;
    r.metadata = entries;
    r.n_amenities = 2;
    r.amenities = amenities;
    r.resource_type = (Booking__V1__ResourceType)42; /* newer than this client */
    r.latitude = NAN;
    r.rating = 4.5;
    char *got = json_of(&r.base);
    assert_non_null(strstr(got, "\"resource_type\":42,"));
    assert_non_null(strstr(got, "\"latitude\":null,\"longitude\":0,"));
    assert_non_null(strstr(got, "\"rating\":4.5,\"amenities\":[\"wifi\",\"a\\\"b\"],"));
    assert_non_null(strstr(got, "\"cancellation_rules\":[],\"metadata\":{\"floor\":\"3\",\"view\":\"sea\\n\"},"));
    assert_null(strstr(got, "base_price")); /* absent sub-messages are left out */
    assert_null(strstr(got, "pricing"));
    free(got);
}

/* Doubles read back as themselves: the largest was written with 15 digits as
 * 1.79769313486232e+308, past the largest double, which JSON parsers refuse (found by
 * fuzz_bookingctl; regressions/bookingctl/double_max_not_json); short ones stay short. */
static void test_json_doubles_read_back(void **state)
{
    Booking__V1__AvailabilityResult a = BOOKING__V1__AVAILABILITY_RESULT__INIT;
    const double values[] = {DBL_MAX, 0.1, 4.5, 1.0 / 3, -DBL_MIN, 5e-324, 123456789.123456789};
    const char *const texts[] = {"1.7976931348623157e+308", "0.1", "4.5", "0.3333333333333333",
                                 "-2.2250738585072014e-308", "4.94065645841247e-324", "123456789.12345679"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        a.distance_km = values[i];
        char *got = json_of(&a.base), want[80];
        snprintf(want, sizeof want, "\"distance_km\":%s", texts[i]);
        const char *at = strstr(got, want);
        assert_non_null(at);
        assert_non_null(strchr(",}", at[strlen(want)])); /* the whole number, not a prefix */
        assert_true(strtod(strstr(got, "distance_km") + 13, NULL) == values[i]);
        free(got);
    }
}

/* ---- errors as JSON (--json) ---- */

static void test_error_json_of_a_failed_call(void **state)
{
    rpc_error_info info = {0};
    snprintf(info.reason, sizeof info.reason, "INVALID_FIELD");
    rpc_error_info_add(&info, "field", "quantity");
    ctl_failure f = {"INVALID_ARGUMENT", 3, "CreateHold", "INVALID_FIELD", "quantity: must be \"1\" or more",
                     &info, "req-1", "4bf92f3577b34da6a3ce929d0e0e4736", {"one", "two\nlines"}, 2};
    strbuf b = STRBUF_INIT;
    error_json(&b, &f);
    assert_string_equal(b.data, "{\"error\":{\"code\":\"INVALID_ARGUMENT\",\"status\":3,\"method\":\"CreateHold\","
                                "\"reason\":\"INVALID_FIELD\",\"message\":\"quantity: must be \\\"1\\\" or more\","
                                "\"metadata\":{\"field\":\"quantity\"},\"hints\":[\"one\",\"two\\nlines\"],"
                                "\"request_id\":\"req-1\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}}\n");
    strbuf_free(&b);
}

static void test_error_json_outside_a_call(void **state)
{
    ctl_failure f = {"USAGE", -1, "", "USAGE", "--from is required", NULL, "", NULL, {NULL}, 0};
    strbuf b = STRBUF_INIT;
    error_json(&b, &f);
    assert_string_equal(b.data, "{\"error\":{\"code\":\"USAGE\",\"status\":null,\"method\":\"\",\"reason\":\"USAGE\","
                                "\"message\":\"--from is required\",\"hints\":[]}}\n");
    strbuf_free(&b);
}

static void test_error_trace_id(void **state)
{
    char id[33];
    error_trace_id("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", id);
    assert_string_equal(id, "4bf92f3577b34da6a3ce929d0e0e4736");
    error_trace_id("", id);
    assert_string_equal(id, "");
    error_trace_id(NULL, id);
    assert_string_equal(id, "");
    error_trace_id("00-00000000000000000000000000000000-00f067aa0ba902b7-01", id);
    assert_string_equal(id, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_forms),
        cmocka_unit_test(test_time_rejects),
        cmocka_unit_test(test_time_format_round_trip),
        cmocka_unit_test(test_amount_parse),
        cmocka_unit_test(test_amount_format),
        cmocka_unit_test(test_currency_shape),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_enum_names),
        cmocka_unit_test(test_latlon),
        cmocka_unit_test(test_status_and_sort_names),
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_event_metadata),
        cmocka_unit_test(test_table_widths),
        cmocka_unit_test(test_table_layout),
        cmocka_unit_test(test_table_without_headers),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_json_money_and_defaults),
        cmocka_unit_test(test_json_hold),
        cmocka_unit_test(test_json_resource_lists_maps_and_odd_values),
        cmocka_unit_test(test_json_doubles_read_back),
        cmocka_unit_test(test_error_json_of_a_failed_call),
        cmocka_unit_test(test_error_json_outside_a_call),
        cmocka_unit_test(test_error_trace_id),
        cmocka_unit_test(test_local_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
