/* test_metrics.c — the Prometheus registry: text exposition of every metric kind,
 * HELP/TYPE once per name, cumulative histograms, summaries, code counters with
 * go-grpc-prometheus's code names, counters read at scrape time, the process_* and
 * build_info metrics, promtool validation (promtool must be installed: it fails, never
 * skips), and exact totals under concurrent updates. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"
#include "process_metrics.h"
#include "status.h"
#include "strbuf.h"

/* ---- helpers ---- */

static int registry_setup(void **state)
{
    metrics_reset_registry();
    return 0;
}

/* The whole registry rendered as a malloc'd string (free with free()). */
static char *render(void)
{
    strbuf out = STRBUF_INIT;
    metrics_render(&out);
    if (!out.data)
        return strdup("");
    return out.data;
}

static size_t occurrences(const char *haystack, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

/* The value on the line that starts with `series ` (series = name{labels}); fails if absent. */
static double series_value(const char *text, const char *series)
{
    size_t len = strlen(series);
    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        if (strncmp(line, series, len) == 0 && line[len] == ' ')
            return strtod(line + len + 1, NULL);
        if (!eol)
            break;
        line = eol + 1;
    }
    fail_msg("series %s not rendered in:\n%s", series, text);
    return 0;
}

/* ---- counters and gauges ---- */

static void test_empty_registry_renders_nothing(void **state)
{
    metric *m = metrics_counter("jobs_total", "", "Jobs run.");
    metric_inc(m, 1);
    metrics_reset_registry();
    char *text = render();
    assert_string_equal(text, "");
    free(text);
}

static void test_counter_without_labels(void **state)
{
    metric *m = metrics_counter("jobs_total", "", "Jobs run.");
    metric_inc(m, 2);
    metric_inc(m, 3);
    assert_int_equal(metric_count(m), 5);
    char *text = render();
    assert_string_equal(text, "# HELP jobs_total Jobs run.\n"
                              "# TYPE jobs_total counter\n"
                              "jobs_total 5\n");
    free(text);
}

static void test_counter_with_labels_and_null_labels(void **state)
{
    metric *a = metrics_counter("holds_total", "result=\"created\"", "Holds by result.");
    metric *b = metrics_counter("sweeps_total", NULL, NULL);
    metric_inc(a, 7);
    char *text = render();
    assert_string_equal(text, "# HELP holds_total Holds by result.\n"
                              "# TYPE holds_total counter\n"
                              "holds_total{result=\"created\"} 7\n"
                              "# HELP sweeps_total \n"
                              "# TYPE sweeps_total counter\n"
                              "sweeps_total 0\n");
    assert_int_equal(metric_count(b), 0);
    free(text);
}

static void test_help_type_once_per_shared_name(void **state)
{
    metric *created = metrics_counter("holds_total", "result=\"created\"", "Holds by result.");
    metric *conflict = metrics_counter("holds_total", "result=\"conflict\"", "Holds by result.");
    metric *expired = metrics_counter("holds_total", "result=\"expired\"", "Holds by result.");
    metric *depth = metrics_gauge("queue_depth", "", "Queued jobs.");
    metric_inc(created, 3);
    metric_inc(conflict, 1);
    metric_inc(expired, 0);
    metric_set(depth, 4);
    char *text = render();
    assert_string_equal(text, "# HELP holds_total Holds by result.\n"
                              "# TYPE holds_total counter\n"
                              "holds_total{result=\"created\"} 3\n"
                              "holds_total{result=\"conflict\"} 1\n"
                              "holds_total{result=\"expired\"} 0\n"
                              "# HELP queue_depth Queued jobs.\n"
                              "# TYPE queue_depth gauge\n"
                              "queue_depth 4\n");
    free(text);
}

static void test_gauge_set_replaces_value(void **state)
{
    metric *g = metrics_gauge("pool_in_use", "pool=\"pg\"", "Connections in use.");
    metric_set(g, 12);
    metric_set(g, 2.5);
    assert_true(metric_value(g) == 2.5);
    metric_set(g, -0.125);
    assert_true(metric_value(g) == -0.125);
    char *text = render();
    assert_string_equal(text, "# HELP pool_in_use Connections in use.\n"
                              "# TYPE pool_in_use gauge\n"
                              "pool_in_use{pool=\"pg\"} -0.125\n");
    free(text);
}

static double read_ctx(void *ctx) { return *(double *)ctx; }

static void test_gauge_fn_reads_at_scrape_time(void **state)
{
    double level = 3;
    metric *g = metrics_gauge_fn("cache_entries", "", "Entries cached.", read_ctx, &level);
    char *first = render();
    level = 42.5;
    char *second = render();
    assert_true(metric_value(g) == 42.5);
    assert_string_equal(first, "# HELP cache_entries Entries cached.\n"
                               "# TYPE cache_entries gauge\n"
                               "cache_entries 3\n");
    assert_string_equal(second, "# HELP cache_entries Entries cached.\n"
                                "# TYPE cache_entries gauge\n"
                                "cache_entries 42.5\n");
    free(first);
    free(second);
}

/* ---- histograms ---- */

static const char *const bucket_les[] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
                                         "0.01",   "0.025",   "0.05",   "0.1",   "0.25",   "0.5",
                                         "1",      "2.5",     "5",      "10",    "+Inf"};
#define LE_COUNT (sizeof bucket_les / sizeof bucket_les[0])

static double bucket(const char *text, const char *name, const char *labels, const char *le)
{
    char series[256];
    snprintf(series, sizeof series, "%s_bucket{%s%sle=\"%s\"}", name, labels, *labels ? "," : "", le);
    return series_value(text, series);
}

static void test_histogram_buckets_are_cumulative(void **state)
{
    metric *h = metrics_histogram("rpc_seconds", "method=\"/x.Y/Z\"", "Latency.");
    metric_observe(h, 0.00005);  /* le 0.0001 */
    metric_observe(h, 0.003);    /* le 0.005 */
    metric_observe(h, 0.003);
    metric_observe(h, 0.1);      /* exactly on a bound: le 0.1 (inclusive) */
    metric_observe(h, 0.7);      /* le 1 */
    metric_observe(h, 20);       /* +Inf only */
    assert_int_equal(metric_count(h), 6);
    char *text = render();
    static const double want[LE_COUNT] = {1, 1, 1, 1, 1, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 5, 6};
    for (size_t i = 0; i < LE_COUNT; i++) {
        double got = bucket(text, "rpc_seconds", "method=\"/x.Y/Z\"", bucket_les[i]);
        if (got != want[i])
            fail_msg("le=%s: %g, want %g", bucket_les[i], got, want[i]);
    }
    assert_true(series_value(text, "rpc_seconds_count{method=\"/x.Y/Z\"}") == 6);
    double sum = series_value(text, "rpc_seconds_sum{method=\"/x.Y/Z\"}");
    assert_true(sum > 20.80604 && sum < 20.80606);
    assert_int_equal(occurrences(text, "# HELP rpc_seconds Latency.\n"), 1);
    assert_int_equal(occurrences(text, "# TYPE rpc_seconds histogram\n"), 1);
    assert_int_equal(occurrences(text, "_bucket{"), LE_COUNT);
    /* buckets come in increasing order, +Inf last, then _sum and _count */
    const char *prev = text;
    for (size_t i = 0; i < LE_COUNT; i++) {
        char le[32];
        snprintf(le, sizeof le, "le=\"%s\"}", bucket_les[i]);
        const char *at = strstr(text, le);
        assert_non_null(at);
        assert_true(at >= prev);
        prev = at;
    }
    assert_true(strstr(text, "rpc_seconds_sum") > prev);
    assert_true(strstr(text, "rpc_seconds_count") > strstr(text, "rpc_seconds_sum"));
    free(text);
}

static void test_histogram_without_labels_and_empty(void **state)
{
    metric *h = metrics_histogram("sweep_seconds", "", "Sweep time.");
    char *text = render();
    assert_non_null(strstr(text, "sweep_seconds_bucket{le=\"0.0001\"} 0\n"));
    assert_non_null(strstr(text, "sweep_seconds_bucket{le=\"+Inf\"} 0\n"));
    assert_non_null(strstr(text, "\nsweep_seconds_sum 0.000000000\n"));
    assert_non_null(strstr(text, "\nsweep_seconds_count 0\n"));
    free(text);
    metric_observe(h, -1);  /* clock went backwards: counted, adds nothing to the sum */
    text = render();
    assert_non_null(strstr(text, "sweep_seconds_bucket{le=\"0.0001\"} 1\n"));
    assert_non_null(strstr(text, "\nsweep_seconds_sum 0.000000000\n"));
    assert_non_null(strstr(text, "\nsweep_seconds_count 1\n"));
    free(text);
}

/* ---- code counters ---- */

static void test_code_counter_renders_seen_codes_and_ok(void **state)
{
    metric *m = metrics_code_counter("grpc_server_handled_total",
                                     "grpc_method=\"/booking.v1.BookingService/GetHold\"",
                                     "RPCs completed by code.");
    for (int i = 0; i < 3; i++)
        metric_inc_code(m, RPC_NOT_FOUND);
    metric_inc_code(m, RPC_UNAUTHENTICATED);
    assert_int_equal(metric_code_count(m, RPC_NOT_FOUND), 3);
    assert_int_equal(metric_code_count(m, RPC_OK), 0);
    assert_int_equal(metric_code_count(m, RPC_CODE_COUNT), 0);
    char *text = render();
    assert_string_equal(
        text,
        "# HELP grpc_server_handled_total RPCs completed by code.\n"
        "# TYPE grpc_server_handled_total counter\n"
        "grpc_server_handled_total{grpc_method=\"/booking.v1.BookingService/GetHold\",grpc_code=\"OK\"} 0\n"
        "grpc_server_handled_total{grpc_method=\"/booking.v1.BookingService/GetHold\",grpc_code=\"NotFound\"} 3\n"
        "grpc_server_handled_total{grpc_method=\"/booking.v1.BookingService/GetHold\",grpc_code=\"Unauthenticated\"} 1\n");
    free(text);
}

static void test_code_counter_without_labels_maps_bad_codes_to_unknown(void **state)
{
    metric *m = metrics_code_counter("calls_total", "", "Calls.");
    metric_inc_code(m, RPC_OK);
    metric_inc_code(m, -1);
    metric_inc_code(m, 99);
    assert_int_equal(metric_code_count(m, RPC_UNKNOWN), 2);
    char *text = render();
    assert_string_equal(text, "# HELP calls_total Calls.\n"
                              "# TYPE calls_total counter\n"
                              "calls_total{grpc_code=\"OK\"} 1\n"
                              "calls_total{grpc_code=\"Unknown\"} 2\n");
    free(text);
}

static void test_code_labels_are_go_grpc_names(void **state)
{
    static const char *const want[RPC_CODE_COUNT] = {
        "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
        "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
        "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
        "Unauthenticated"};
    for (int c = 0; c < RPC_CODE_COUNT; c++)
        assert_string_equal(metrics_grpc_code_label(c), want[c]);
    assert_string_equal(metrics_grpc_code_label(-1), "Unknown");
    assert_string_equal(metrics_grpc_code_label(RPC_CODE_COUNT), "Unknown");
}

/* ---- counters read at scrape time, summaries ---- */

static void test_counter_fn_reads_at_scrape_time(void **state)
{
    double seconds = 1.25;
    metric *c = metrics_counter_fn("work_seconds_total", "", "Work done.", read_ctx, &seconds);
    char *first = render();
    seconds = 7;
    char *second = render();
    assert_int_equal(metric_count(c), 7);
    assert_string_equal(first, "# HELP work_seconds_total Work done.\n"
                               "# TYPE work_seconds_total counter\n"
                               "work_seconds_total 1.25\n");
    assert_string_equal(second, "# HELP work_seconds_total Work done.\n"
                                "# TYPE work_seconds_total counter\n"
                                "work_seconds_total 7\n");
    free(first);
    free(second);
}

/* Quantile q of the fake window: q itself times ten (so every quantile is visible). */
static int window_reads;
static void read_window(void *ctx, const double *q, double *out, size_t n)
{
    window_reads++;
    for (size_t i = 0; i < n; i++)
        out[i] = q[i] * *(double *)ctx;
}

static void test_summary_quantiles_sum_and_count(void **state)
{
    static const double qs[] = {0.5, 0.99, 1};
    double scale = 10;
    window_reads = 0;
    metric *m = metrics_summary("lag_seconds", "path=\"sweep\"", "Lag.", qs, 3, read_window, &scale);
    metric_observe(m, 0.25);
    metric_observe(m, 0.5);
    metric_observe(m, -1); /* counted, adds nothing to the sum */
    assert_int_equal(metric_count(m), 3);
    char *text = render();
    assert_string_equal(text, "# HELP lag_seconds Lag.\n"
                              "# TYPE lag_seconds summary\n"
                              "lag_seconds{path=\"sweep\",quantile=\"0.5\"} 5\n"
                              "lag_seconds{path=\"sweep\",quantile=\"0.99\"} 9.9000000000000004\n"
                              "lag_seconds{path=\"sweep\",quantile=\"1\"} 10\n"
                              "lag_seconds_sum{path=\"sweep\"} 0.750000000\n"
                              "lag_seconds_count{path=\"sweep\"} 3\n");
    assert_int_equal(window_reads, 1); /* one read of the window per scrape */
    free(text);
}

/* ---- process metrics and build info ---- */

static void test_build_info_metric_name(void **state)
{
    char name[64];
    assert_int_equal(build_info_metric_name("booking-svc", name, sizeof name), 0);
    assert_string_equal(name, "booking_build_info");
    assert_int_equal(build_info_metric_name("expiry-svc", name, sizeof name), 0);
    assert_string_equal(name, "expiry_build_info");
    assert_int_equal(build_info_metric_name("bookingctl", name, sizeof name), 0);
    assert_string_equal(name, "bookingctl_build_info");
    assert_int_equal(build_info_metric_name("9lives.svc", name, sizeof name), 0);
    assert_string_equal(name, "_lives_svc_build_info");
    assert_int_equal(build_info_metric_name("-svc", name, sizeof name), -1);
    assert_int_equal(build_info_metric_name("", name, sizeof name), -1);
    assert_int_equal(build_info_metric_name("booking-svc", name, 18), -1);
    assert_int_equal(build_info_metric_name("booking-svc", name, 19), 0);
}

static void test_process_metrics_from_proc(void **state)
{
    process_metrics_register("payment-svc");
    process_metrics_register("payment-svc"); /* once per process */
    char *text = render();
    assert_int_equal(occurrences(text, "# TYPE process_cpu_seconds_total counter\n"), 1);
    assert_true(series_value(text, "process_cpu_seconds_total") >= 0);
    assert_true(series_value(text, "process_resident_memory_bytes") > 1024 * 1024);
    assert_true(series_value(text, "process_virtual_memory_bytes") >= series_value(text, "process_resident_memory_bytes"));
    double fds = series_value(text, "process_open_fds");
    assert_true(fds >= 3 && fds <= series_value(text, "process_max_fds"));
    double started = series_value(text, "process_start_time_seconds");
    assert_true(started > 1.5e9 && started <= (double)time(NULL) + 1);
    char series[256];
    snprintf(series, sizeof series, "payment_build_info{version=\"%s\",revision=\"%s\",grpc_version=\"", build_version(),
             build_revision());
    assert_non_null(strstr(text, series));
    assert_non_null(strstr(text, "# TYPE payment_build_info gauge\n"));
    assert_string_not_equal(build_version(), "");
    free(text);
}

/* ---- promtool ---- */

/* Full path of an executable on PATH (static buffer), or NULL. */
static const char *find_program(const char *name)
{
    static char path[1024];
    const char *env = getenv("PATH");
    char dirs[2048];
    snprintf(dirs, sizeof dirs, "%s:/usr/bin:/usr/local/bin", env ? env : "");
    for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (access(path, X_OK) == 0)
            return path;
    }
    return NULL;
}

static void register_one_of_each(void)
{
    metric *c1 = metrics_counter("booking_holds_total", "result=\"created\"", "Holds by result.");
    metric *c2 = metrics_counter("booking_holds_total", "result=\"conflict\"", "Holds by result.");
    metric *g = metrics_gauge("booking_pool_connections", "pool=\"pg\"", "Connections in use.");
    static double fixed = 7;
    metrics_gauge_fn("booking_cache_entries", "", "Entries cached.", read_ctx, &fixed);
    metric *h1 = metrics_histogram("grpc_server_handling_seconds", "grpc_method=\"/a.B/C\"", "Latency.");
    metric *h2 = metrics_histogram("grpc_server_handling_seconds", "grpc_method=\"/a.B/D\"", "Latency.");
    metric *k = metrics_code_counter("grpc_server_handled_total", "grpc_method=\"/a.B/C\"", "RPCs by code.");
    metric_inc(c1, 3);
    metric_inc(c2, 1);
    metric_set(g, 0.1);
    metric_observe(h1, 0.002);
    metric_observe(h2, 3);
    metric_inc_code(k, RPC_NOT_FOUND);
    metric_inc_code(k, RPC_ALREADY_EXISTS);
    static const double qs[] = {0.5, 0.99, 1};
    static double scale = 0.2;
    metric *s = metrics_summary("booking_lag_window_seconds", "", "Lag over the window.", qs, 3, read_window, &scale);
    metric_observe(s, 0.1);
    static double cpu = 1.5;
    metrics_counter_fn("booking_cpu_seconds_total", "", "CPU time.", read_ctx, &cpu);
}

static void test_render_passes_promtool(void **state)
{
    const char *promtool = find_program("promtool");
    if (!promtool)
        fail_msg("promtool is not installed: install the Debian package prometheus (./dev test does)");
    register_one_of_each();
    char *text = render();
    char path[] = "/tmp/test_metrics_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char cmd[1200], output[4096] = "";
    snprintf(cmd, sizeof cmd, "'%s' check metrics < '%s' 2>&1", promtool, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(output, 1, sizeof output - 1, p);
    output[n] = '\0';
    int status = pclose(p);
    unlink(path);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("promtool rejected the exposition:\n%s\n---\n%s", output, text);
    free(text);
}

/* ---- concurrency ---- */

#define THREADS 4
#define UPDATES 100000

typedef struct shared_metrics {
    metric *counter, *histogram, *codes;
} shared_metrics;

static void *hammer(void *arg)
{
    const shared_metrics *s = arg;
    for (int i = 0; i < UPDATES; i++) {
        metric_inc(s->counter, 1);
        metric_observe(s->histogram, 0.5);  /* exact in binary: sum is exact too */
        metric_inc_code(s->codes, i % 2 ? RPC_OK : RPC_ABORTED);
    }
    return NULL;
}

static void test_concurrent_updates_are_exact(void **state)
{
    shared_metrics s = {
        metrics_counter("ops_total", "", "Ops."),
        metrics_histogram("op_seconds", "", "Op latency."),
        metrics_code_counter("op_codes_total", "", "Ops by code."),
    };
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, hammer, &s), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);

    const uint64_t total = (uint64_t)THREADS * UPDATES;
    assert_int_equal(metric_count(s.counter), total);
    assert_int_equal(metric_count(s.histogram), total);
    assert_int_equal(metric_code_count(s.codes, RPC_OK), total / 2);
    assert_int_equal(metric_code_count(s.codes, RPC_ABORTED), total / 2);
    char *text = render();
    assert_non_null(strstr(text, "\nops_total 400000\n"));
    assert_non_null(strstr(text, "\nop_seconds_bucket{le=\"0.25\"} 0\n"));
    assert_non_null(strstr(text, "\nop_seconds_bucket{le=\"0.5\"} 400000\n"));
    assert_non_null(strstr(text, "\nop_seconds_bucket{le=\"+Inf\"} 400000\n"));
    assert_non_null(strstr(text, "\nop_seconds_sum 200000.000000000\n"));
    assert_non_null(strstr(text, "\nop_seconds_count 400000\n"));
    assert_non_null(strstr(text, "\nop_codes_total{grpc_code=\"Aborted\"} 200000\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_empty_registry_renders_nothing, registry_setup),
        cmocka_unit_test_setup(test_counter_without_labels, registry_setup),
        cmocka_unit_test_setup(test_counter_with_labels_and_null_labels, registry_setup),
        cmocka_unit_test_setup(test_help_type_once_per_shared_name, registry_setup),
        cmocka_unit_test_setup(test_gauge_set_replaces_value, registry_setup),
        cmocka_unit_test_setup(test_gauge_fn_reads_at_scrape_time, registry_setup),
        cmocka_unit_test_setup(test_histogram_buckets_are_cumulative, registry_setup),
        cmocka_unit_test_setup(test_histogram_without_labels_and_empty, registry_setup),
        cmocka_unit_test_setup(test_code_counter_renders_seen_codes_and_ok, registry_setup),
        cmocka_unit_test_setup(test_code_counter_without_labels_maps_bad_codes_to_unknown, registry_setup),
        cmocka_unit_test_setup(test_code_labels_are_go_grpc_names, registry_setup),
        cmocka_unit_test_setup(test_counter_fn_reads_at_scrape_time, registry_setup),
        cmocka_unit_test_setup(test_summary_quantiles_sum_and_count, registry_setup),
        cmocka_unit_test_setup(test_build_info_metric_name, registry_setup),
        cmocka_unit_test_setup(test_render_passes_promtool, registry_setup),
        cmocka_unit_test_setup(test_process_metrics_from_proc, registry_setup),
        cmocka_unit_test_setup(test_concurrent_updates_are_exact, registry_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
