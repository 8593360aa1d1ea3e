/* test_observability.c — what an operator reads, on the four services started by the
 * harness: every /metrics body passes `promtool check metrics` with no complaint and
 * has the go-grpc-prometheus, process_* and build_info families; a W3C traceparent
 * sent to ConfirmBooking reaches payment-svc with the same trace id and booking-svc's
 * span as its parent; a call without one gets a new trace; log lines of a call carry
 * trace_id and span_id, and the line of a finished call its method, code and latency;
 * every metric the alerts (k8s/observability) and the dashboard use is exported; the
 * booking flow's counters move with holds, confirmations and declines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "booking/v1/expiry.pb-c.h"
#include "booking/v1/payment.pb-c.h"
#include "strbuf.h"
#include "support.h"
#include "trace.h"

#define TRACE_IN "4bf92f3577b34da6a3ce929d0e0e4736"
#define PARENT_IN "00f067aa0ba902b7"

static harness *stack;
static rpc_client *booking, *search, *payment, *expiry;
static const char *const names[] = {"booking-svc", "payment-svc", "search-svc", "expiry-svc"};

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"payment-svc", "booking-svc", "search-svc", "expiry-svc", NULL};
    /* debug: the line of every finished call (the trace's hops) is in the logs */
    static const char *const env[] = {"LOG_LEVEL=debug", NULL};
    stack = harness_start(services, env);
    booking = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    search = rpc_client_new(harness_addr(stack, "search-svc"), &booking__v1__search_service__descriptor);
    payment = rpc_client_new(harness_addr(stack, "payment-svc"), &booking__v1__payment_service__descriptor);
    expiry = rpc_client_new(harness_addr(stack, "expiry-svc"), &booking__v1__expiry_service__descriptor);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rpc_client_free(booking);
    rpc_client_free(search);
    rpc_client_free(payment);
    rpc_client_free(expiry);
    return harness_stop(stack);
}

/* Calls that leave a mark in every service's metrics: answers OK and not. */
static void exercise(void)
{
    Booking__V1__GetHoldRequest gh = BOOKING__V1__GET_HOLD_REQUEST__INIT;
    gh.hold_id = (char *)"h_does_not_exist";
    assert_int_equal(call_as(booking, "GetHold", &gh.base, CUSTOMER("ana"), NULL, NULL), RPC_NOT_FOUND);
    Booking__V1__GetResourceRequest gr = BOOKING__V1__GET_RESOURCE_REQUEST__INIT;
    gr.resource_id = (char *)"r_does_not_exist";
    assert_int_equal(call_as(search, "GetResource", &gr.base, CUSTOMER("ana"), NULL, NULL), RPC_NOT_FOUND);
    Booking__V1__GetPaymentRequest gp = BOOKING__V1__GET_PAYMENT_REQUEST__INIT;
    gp.payment_id = (char *)"p_x";
    assert_int_not_equal(call_as(payment, "GetPayment", &gp.base, CUSTOMER("ana"), NULL, NULL), RPC_OK);
    Booking__V1__GetStatsRequest gs = BOOKING__V1__GET_STATS_REQUEST__INIT;
    assert_int_equal(call_as(expiry, "GetStats", &gs.base, ADMIN, NULL, NULL), RPC_OK);
}

static void expect_series(const char *name, const char *body, const char *prefix)
{
    char line[256];
    snprintf(line, sizeof line, "\n%s", prefix);
    if (!strstr(body, line))
        fail_msg("%s: no sample starting with %s in /metrics", name, prefix);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every sample line names a series of its own (promtool does not look): a label set
 * lost at registration would show as two lines of one series. */
static void expect_distinct_series(const char *name, const char *body)
{
    char *copy = strdup(body), *save = NULL;
    const char **series = NULL;
    size_t n = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *space = strrchr(line, ' ');
        if (line[0] == '#' || !space)
            continue;
        *space = '\0';
        series = realloc(series, sizeof *series * (n + 1));
        series[n++] = line;
    }
    qsort(series, n, sizeof *series, compare_strings);
    for (size_t i = 1; i < n; i++)
        if (strcmp(series[i - 1], series[i]) == 0)
            fail_msg("%s: series %s appears twice in /metrics", name, series[i]);
    free(series);
    free(copy);
}

static void test_every_service_passes_promtool(void **state)
{
    (void)state;
    exercise();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *body = harness_metrics_body(stack, names[i]), *report = NULL;
        if (!body)
            fail_msg("%s: /metrics did not answer 200", names[i]);
        if (harness_promtool_check(body, &report) != 0) {
            print_error("%s /metrics:\n%s\n", names[i], body);
            fail_msg("%s: promtool check metrics: %s", names[i], report);
        }
        expect_distinct_series(names[i], body);
        static const char *const families[] = {
            "grpc_server_started_total{", "grpc_server_handled_total{", "grpc_server_handling_seconds_bucket{",
            "grpc_server_msg_received_total{", "grpc_server_msg_sent_total{", "process_cpu_seconds_total ",
            "process_resident_memory_bytes ", "process_open_fds ", "process_start_time_seconds "};
        for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
            expect_series(names[i], body, families[f]);
        char info[64];
        snprintf(info, sizeof info, "%.*s_build_info{version=\"", (int)(strchr(names[i], '-') - names[i]), names[i]);
        expect_series(names[i], body, info);
        free(report);
        free(body);
    }
}

static void test_handled_uses_go_grpc_prometheus_labels(void **state)
{
    (void)state;
    char *body = harness_metrics_body(stack, "booking-svc");
    assert_non_null(body);
    double not_found = harness_metric_value(
        body, "grpc_server_handled_total{grpc_service=\"booking.v1.BookingService\",grpc_method=\"GetHold\","
              "grpc_type=\"unary\",grpc_code=\"NotFound\"} ");
    double started = harness_metric_value(
        body, "grpc_server_started_total{grpc_service=\"booking.v1.BookingService\",grpc_method=\"GetHold\","
              "grpc_type=\"unary\"} ");
    double received = harness_metric_value(
        body, "grpc_server_msg_received_total{grpc_service=\"booking.v1.BookingService\",grpc_method=\"GetHold\","
              "grpc_type=\"unary\"} ");
    assert_true(not_found >= 1);
    assert_true(started >= not_found);
    assert_true(received >= not_found);
    assert_null(strstr(body, "grpc_code=\"NOT_FOUND\""));
    /* the health checks the harness made reached both stores */
    assert_true(harness_metric_value(body, "store_up{store=\"postgres\"} ") == 1);
    assert_true(harness_metric_value(body, "store_up{store=\"redis\"} ") == 1);
    free(body);
}

/* The whole of a file (malloc'd), or NULL. */
static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    strbuf b = STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append(&b, buf, n);
    fclose(f);
    return b.data ? b.data : strdup("");
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
}

/* The family a sample name belongs to: name without _bucket, _sum or _count when the
 * exposition types it so (a histogram or summary). */
static int family_exported(const char *scrapes, const char *name)
{
    char type_line[200];
    snprintf(type_line, sizeof type_line, "# TYPE %s ", name);
    if (strstr(scrapes, type_line))
        return 1;
    static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
    size_t len = strlen(name);
    for (size_t i = 0; i < 3; i++) {
        size_t sl = strlen(suffixes[i]);
        if (len > sl && strcmp(name + len - sl, suffixes[i]) == 0) {
            snprintf(type_line, sizeof type_line, "# TYPE %.*s ", (int)(len - sl), name);
            if (strstr(scrapes, type_line))
                return 1;
        }
    }
    return 0;
}

/* Every word of text that names one of the platform's metrics (by prefix) must be a
 * family some service exports. */
static void check_names_exported(const char *what, const char *text, const char *scrapes)
{
    static const char *const prefixes[] = {"grpc_server_", "process_", "store_up", "booking_", "expiry_",
                                           "search_", "payment_", "payments_"};
    int checked = 0;
    for (const char *p = text; *p;) {
        if (!is_name_char(*p)) {
            p++;
            continue;
        }
        const char *start = p;
        while (is_name_char(*p))
            p++;
        char word[160];
        snprintf(word, sizeof word, "%.*s", (int)(p - start < 159 ? p - start : 159), start);
        int ours = 0;
        for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
            ours |= strncmp(word, prefixes[i], strlen(prefixes[i])) == 0;
        if (!ours || start[-1] == '/' || start[-1] == '.' || strcmp(word, "booking_platform") == 0 ||
            strncmp(word, "booking_flow", 12) == 0)
            continue; /* a path, a file or the platform's own name, not a metric */
        if (!family_exported(scrapes, word))
            fail_msg("%s uses %s, which no service exports", what, word);
        checked++;
    }
    assert_true(checked > 10);
}

static void test_alerts_and_dashboard_use_exported_metrics(void **state)
{
    (void)state;
    strbuf scrapes = STRBUF_INIT;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *body = harness_metrics_body(stack, names[i]);
        assert_non_null(body);
        strbuf_puts(&scrapes, body);
        free(body);
    }
    static const char *const files[] = {"k8s/observability/prometheusrule.yaml",
                                        "k8s/observability/dashboards/booking-flow.json"};
    for (size_t i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", SOURCE_DIR, files[i]);
        char *text = read_all(path);
        if (!text)
            fail_msg("cannot read %s", path);
        check_names_exported(files[i], text, scrapes.data);
        free(text);
    }
    strbuf_free(&scrapes);
}

/* The first line of the log with every needle in it, copied into out (0), or -1. */
static int log_line_with(const char *instance, const char *const *needles, size_t n, char *out, size_t cap)
{
    FILE *f = fopen(harness_log_path(stack, instance), "r");
    char line[8192];
    int found = -1;
    while (f && found != 0 && fgets(line, sizeof line, f)) {
        size_t k = 0;
        while (k < n && strstr(line, needles[k]))
            k++;
        if (k == n) {
            snprintf(out, cap, "%s", line);
            found = 0;
        }
    }
    if (f)
        fclose(f);
    return found;
}

/* The value of "key":"..." in a JSON log line, into out. */
static void json_field(const char *line, const char *key, char *out, size_t cap)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *p = strstr(line, pattern);
    if (!p)
        fail_msg("no %s in %s", key, line);
    p += strlen(pattern);
    size_t n = strcspn(p, "\"");
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
}

static void book_with_traceparent(const char *traceparent, rpc_result *r)
{
    const char *rid = create_resource(booking, "Trace Inn", BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM, 2,
                                      1440, 10000);
    char hold_id[80];
    assert_int_equal(hold(booking, "tia", rid, day(20), day(21), 1, hold_id, sizeof hold_id), RPC_OK);
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = hold_id;
    req.payment_method_id = (char *)"pm_card_ok";
    rpc_md md[3] = {{"x-user-id", "tia"}, {"x-user-role", "customer"}, {"traceparent", traceparent}};
    ProtobufCMessage *out = NULL;
    if (rpc_client_call(booking, "ConfirmBooking", &req.base, md, 3, 20000, 0, &out, r) != 0)
        fail_msg("ConfirmBooking: %s %s", rpc_code_name(r->code), r->message);
    protobuf_c_message_free_unpacked(out, NULL);
}

static void test_traceparent_reaches_payment_svc(void **state)
{
    (void)state;
    rpc_result r;
    book_with_traceparent("00-" TRACE_IN "-" PARENT_IN "-01", &r);
    /* booking-svc answered with its own span of the same trace */
    char trace_id[33], span_id[17];
    unsigned flags;
    assert_int_equal(trace_parse(r.traceparent, trace_id, span_id, &flags), 0);
    assert_string_equal(trace_id, TRACE_IN);
    assert_string_not_equal(span_id, PARENT_IN);
    assert_int_equal(flags, 1);
    /* booking-svc's line of the finished call: its span, our span as its parent */
    const char *bneedles[] = {"\"trace_id\":\"" TRACE_IN "\"", "\"method\":\"/booking.v1.BookingService/ConfirmBooking\"",
                              "\"code\":\"OK\"", "\"latency_ms\":", "\"parent_span_id\":\"" PARENT_IN "\""};
    char line[8192], booking_span[40], payment_parent[40], payment_span[40];
    if (log_line_with("booking-svc", bneedles, 5, line, sizeof line) != 0)
        fail_msg("booking-svc logged no finished ConfirmBooking of trace %s", TRACE_IN);
    json_field(line, "span_id", booking_span, sizeof booking_span);
    assert_string_equal(booking_span, span_id);
    /* payment-svc's AuthorizePayment: the same trace, booking-svc's span as the parent */
    const char *pneedles[] = {"\"trace_id\":\"" TRACE_IN "\"", "\"method\":\"/booking.v1.PaymentService/AuthorizePayment\""};
    if (log_line_with("payment-svc", pneedles, 2, line, sizeof line) != 0)
        fail_msg("payment-svc logged no AuthorizePayment of trace %s", TRACE_IN);
    json_field(line, "parent_span_id", payment_parent, sizeof payment_parent);
    json_field(line, "span_id", payment_span, sizeof payment_span);
    assert_string_equal(payment_parent, booking_span);
    assert_string_not_equal(payment_span, booking_span);
}

static void test_new_trace_without_or_with_bad_traceparent(void **state)
{
    (void)state;
    static const char *const sent[] = {NULL, "00-00000000000000000000000000000000-" PARENT_IN "-01",
                                       "00-" TRACE_IN "-0000000000000000-01", "ff-" TRACE_IN "-" PARENT_IN "-01",
                                       "00-" TRACE_IN "-" PARENT_IN "-01-extra", "garbage"};
    char seen[6][33];
    for (size_t i = 0; i < 6; i++) {
        Booking__V1__GetStatsRequest gs = BOOKING__V1__GET_STATS_REQUEST__INIT;
        rpc_md md[3] = {{"x-user-id", "ops"}, {"x-user-role", "admin"}, {"traceparent", sent[i]}};
        rpc_result r;
        ProtobufCMessage *out = NULL;
        assert_int_equal(rpc_client_call(expiry, "GetStats", &gs.base, md, sent[i] ? 3 : 2, 20000, 0, &out, &r), 0);
        protobuf_c_message_free_unpacked(out, NULL);
        char parent[17];
        unsigned flags;
        assert_int_equal(trace_parse(r.traceparent, seen[i], parent, &flags), 0);
        assert_string_not_equal(seen[i], TRACE_IN);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
    }
}

/* The booking flow's counters move with the flow: hold events as the recorder writes
 * them, confirmations by outcome, declines by the provider's code. */
static double booking_metric(const char *series)
{
    char *body = harness_metrics_body(stack, "booking-svc");
    assert_non_null(body);
    double v = harness_metric_value(body, series);
    free(body);
    return v < 0 ? 0 : v;
}

static rpc_code confirm_as(const char *user, const char *hold_id, const char *method)
{
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    req.payment_method_id = (char *)method;
    return call_as(booking, "ConfirmBooking", &req.base, CUSTOMER(user), NULL, NULL);
}

static void test_booking_flow_counters(void **state)
{
    (void)state;
    static const char *const series[] = {
        "booking_hold_events_total{event=\"created\"} ", "booking_hold_events_total{event=\"released\"} ",
        "booking_hold_events_total{event=\"confirmed\"} ", "booking_confirmations_total{outcome=\"booked\"} ",
        "booking_confirmations_total{outcome=\"declined\"} ",
        "booking_payment_declines_total{reason=\"card_declined\"} "};
    enum { CREATED, RELEASED, CONFIRMED, BOOKED, DECLINED, CARD_DECLINED, N };
    static const double moved[N] = {2, 1, 1, 1, 1, 1};
    double before[N];
    for (int i = 0; i < N; i++)
        before[i] = booking_metric(series[i]);

    const char *rid = create_resource(booking, "Count Inn", BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM, 3,
                                      1440, 10000);
    char kept[80], dropped[80];
    assert_int_equal(hold(booking, "cora", rid, day(30), day(31), 1, kept, sizeof kept), RPC_OK);
    assert_int_equal(hold(booking, "cora", rid, day(32), day(33), 1, dropped, sizeof dropped), RPC_OK);
    assert_int_equal(confirm_as("cora", kept, "pm_card_declined"), RPC_FAILED_PRECONDITION);
    assert_int_equal(confirm_as("cora", kept, "pm_card_ok"), RPC_OK);
    Booking__V1__ReleaseHoldRequest rel = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
    rel.hold_id = dropped;
    assert_int_equal(call_as(booking, "ReleaseHold", &rel.base, CUSTOMER("cora"), NULL, NULL), RPC_OK);

    /* the hold events count when recorded: the recorder follows within a second or so */
    for (int waited = 0;; waited += 100) {
        int settled = 1;
        for (int i = 0; i < N; i++)
            settled &= booking_metric(series[i]) - before[i] >= moved[i];
        if (settled)
            break;
        if (waited > 10000) {
            for (int i = 0; i < N; i++)
                print_error("%s moved by %g, want %g\n", series[i], booking_metric(series[i]) - before[i], moved[i]);
            fail_msg("booking counters did not move with the flow");
        }
        usleep(100 * 1000);
    }
    assert_true(booking_metric("store_errors_total{store=\"postgres\",kind=\"error\"} ") == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_service_passes_promtool),
        cmocka_unit_test(test_handled_uses_go_grpc_prometheus_labels),
        cmocka_unit_test(test_booking_flow_counters),
        cmocka_unit_test(test_alerts_and_dashboard_use_exported_metrics),
        cmocka_unit_test(test_traceparent_reaches_payment_svc),
        cmocka_unit_test(test_new_trace_without_or_with_bad_traceparent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
