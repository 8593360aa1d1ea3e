/* test_trace.c — W3C Trace Context: traceparent parsing (every rule of level 1:
 * version, lengths, separators, lower-case hex, all-zero ids, future versions),
 * formatting, random ids, a server call's trace (continued or new), the child header
 * of outgoing calls, the per-thread current trace, and log lines that carry trace_id,
 * span_id and structured fields. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "trace.h"

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PID "00f067aa0ba902b7"

static void test_parse_valid(void **state)
{
    char trace_id[33], parent[17];
    unsigned flags = 99;
    assert_int_equal(trace_parse("00-" TID "-" PID "-01", trace_id, parent, &flags), 0);
    assert_string_equal(trace_id, TID);
    assert_string_equal(parent, PID);
    assert_int_equal(flags, 1);
    assert_int_equal(trace_parse("00-" TID "-" PID "-00", trace_id, parent, &flags), 0);
    assert_int_equal(flags, 0);
    assert_int_equal(trace_parse("00-" TID "-" PID "-ff", trace_id, parent, &flags), 0);
    assert_int_equal(flags, 0xff);
    /* a later version: the 00 fields are read, more may follow after a '-' */
    assert_int_equal(trace_parse("01-" TID "-" PID "-01", trace_id, parent, &flags), 0);
    assert_int_equal(trace_parse("cc-" TID "-" PID "-01-what-the-future-holds", trace_id, parent, &flags), 0);
    assert_string_equal(trace_id, TID);
    assert_string_equal(parent, PID);
}

static void test_parse_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "00",
        "00-" TID "-" PID "-0",                        /* short flags */
        "00-" TID "-" PID "-01-",                      /* version 00 is exactly 55 characters */
        "00-" TID "-" PID "-01-extra",
        "00-" TID "-" PID "-011",
        "ff-" TID "-" PID "-01",                       /* version ff is invalid */
        "0g-" TID "-" PID "-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-" PID "-01", /* upper-case hex */
        "00-" TID "-00F067AA0BA902B7-01",
        "00-" TID "-" PID "-0A",
        "00-00000000000000000000000000000000-" PID "-01", /* all-zero trace id */
        "00-" TID "-0000000000000000-01",                 /* all-zero parent id */
        "00_" TID "-" PID "-01",
        "00-" TID "_" PID "-01",
        "00-" TID "-" PID "_01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-" PID "-011", /* fields of the wrong lengths */
        "00-" TID "-00f067aa0ba902b-011",
        "00-4bf92f3577b34da6a3ce929d0e0e47z6-" PID "-01",
        "01-" TID "-" PID "-01x",                      /* a later version: '-' must follow */
        " 00-" TID "-" PID "-01",
    };
    char trace_id[33], parent[17];
    unsigned flags;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (trace_parse(bad[i], trace_id, parent, &flags) != 0 ? 0 : 1)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(trace_parse(NULL, trace_id, parent, &flags), -1);
}

static void test_format(void **state)
{
    char out[TRACEPARENT_LEN + 1];
    assert_int_equal(trace_format(TID, PID, 1, out, sizeof out), 0);
    assert_string_equal(out, "00-" TID "-" PID "-01");
    assert_int_equal(trace_format(TID, PID, 0, out, sizeof out), 0);
    assert_string_equal(out, "00-" TID "-" PID "-00");
    assert_int_equal(trace_format(TID, PID, 1, out, sizeof out - 1), -1);
    assert_int_equal(trace_format("", PID, 1, out, sizeof out), -1);
    assert_int_equal(trace_format(TID, "00f067aa0ba902b", 1, out, sizeof out), -1);
    assert_int_equal(trace_format(TID, "0000000000000000", 1, out, sizeof out), -1);
    assert_int_equal(trace_format(NULL, PID, 1, out, sizeof out), -1);
}

static void test_random_hex(void **state)
{
    char a[33], b[33], parent[17];
    trace_random_hex(a, 32);
    trace_random_hex(b, 32);
    assert_int_equal(strlen(a), 32);
    assert_string_not_equal(a, b);
    char header[TRACEPARENT_LEN + 1], trace_id[33];
    trace_random_hex(parent, 16);
    assert_int_equal(trace_format(a, parent, 1, header, sizeof header), 0); /* valid ids */
    unsigned flags;
    assert_int_equal(trace_parse(header, trace_id, parent, &flags), 0);
    assert_string_equal(trace_id, a);
}

static void test_begin_continues_a_valid_trace(void **state)
{
    trace_context t;
    trace_begin(&t, "00-" TID "-" PID "-03", "vendor=abc");
    assert_string_equal(t.trace_id, TID);
    assert_string_equal(t.parent_id, PID);
    assert_int_equal(strlen(t.span_id), 16);
    assert_string_not_equal(t.span_id, PID);
    assert_int_equal(t.flags, 1); /* only the sampled flag is passed on */
    assert_string_equal(t.state, "vendor=abc");
    char child[TRACEPARENT_LEN + 1], expect[TRACEPARENT_LEN + 1];
    assert_int_equal(trace_child_header(&t, child, sizeof child), 0);
    snprintf(expect, sizeof expect, "00-%s-%s-01", TID, t.span_id);
    assert_string_equal(child, expect);
    trace_context again;
    trace_begin(&again, "00-" TID "-" PID "-00", NULL);
    assert_string_not_equal(again.span_id, t.span_id); /* a new span per call */
    assert_int_equal(again.flags, 0);
    assert_null(again.state);
}

static void test_begin_starts_a_new_trace(void **state)
{
    static const char *const given[] = {NULL, "", "garbage", "00-00000000000000000000000000000000-" PID "-01"};
    for (size_t i = 0; i < sizeof given / sizeof given[0]; i++) {
        trace_context t;
        trace_begin(&t, given[i], "vendor=abc");
        assert_int_equal(strlen(t.trace_id), 32);
        assert_string_not_equal(t.trace_id, TID);
        assert_string_equal(t.parent_id, "");
        assert_int_equal(t.flags, TRACE_FLAG_SAMPLED);
        assert_null(t.state); /* tracestate goes with a valid traceparent only */
        char child[TRACEPARENT_LEN + 1], trace_id[33], parent[17];
        unsigned flags;
        assert_int_equal(trace_child_header(&t, child, sizeof child), 0);
        assert_int_equal(trace_parse(child, trace_id, parent, &flags), 0);
        assert_string_equal(trace_id, t.trace_id);
        assert_string_equal(parent, t.span_id);
    }
    char huge[TRACESTATE_MAX + 2];
    memset(huge, 'a', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    trace_context t;
    trace_begin(&t, "00-" TID "-" PID "-01", huge);
    assert_null(t.state);
    assert_int_equal(trace_child_header(NULL, huge, sizeof huge), -1);
}

static void *current_elsewhere(void *arg)
{
    (void)arg;
    return (void *)trace_current();
}

static void test_current_is_per_thread(void **state)
{
    trace_context t;
    trace_begin(&t, NULL, NULL);
    trace_set_current(&t);
    assert_non_null(trace_current());
    assert_string_equal(trace_current()->trace_id, t.trace_id);
    pthread_t other;
    void *seen = (void *)1;
    assert_int_equal(pthread_create(&other, NULL, current_elsewhere, NULL), 0);
    pthread_join(other, &seen);
    assert_null(seen);
    trace_set_current(NULL);
    assert_null(trace_current());
}

/* Runs fn with stdout into a pipe; returns what it wrote (malloc'd). */
static char *capture_stdout(void (*fn)(void))
{
    int fds[2], saved = dup(STDOUT_FILENO);
    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[1]);
    fn();
    dup2(saved, STDOUT_FILENO);
    close(saved);
    char *out = calloc(1, 65536);
    ssize_t n = read(fds[0], out, 65535);
    close(fds[0]);
    out[n > 0 ? n : 0] = '\0';
    return out;
}

static void log_in_a_call(void)
{
    trace_context t;
    trace_begin(&t, "00-" TID "-" PID "-01", NULL);
    log_set_request_id("req-7");
    trace_set_current(&t);
    log_field fields[] = {LOG_STR("method", "/booking.v1.BookingService/GetHold"), LOG_STR("code", "NOT_FOUND"),
                          LOG_NUM("latency_ms", 1.5), LOG_STR("quoted", "a\"b")};
    log_write_fields(LOG_INFO, fields, 4, "done %d", 1);
    trace_set_current(NULL);
    log_set_request_id(NULL);
    log_write(LOG_INFO, "outside");
}

static void test_log_lines_carry_trace_and_fields(void **state)
{
    log_init("trace-test", "info");
    char *out = capture_stdout(log_in_a_call);
    char *second = strchr(out, '\n');
    assert_non_null(second);
    *second++ = '\0';
    assert_non_null(strstr(out, "\"service\":\"trace-test\",\"request_id\":\"req-7\",\"trace_id\":\"" TID
                                "\",\"span_id\":\""));
    assert_non_null(strstr(out, ",\"method\":\"/booking.v1.BookingService/GetHold\",\"code\":\"NOT_FOUND\","
                                "\"latency_ms\":1.5,\"quoted\":\"a\\\"b\",\"msg\":\"done 1\"}"));
    assert_null(strstr(second, "trace_id"));
    assert_null(strstr(second, "request_id"));
    assert_non_null(strstr(second, "\"msg\":\"outside\"}\n"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_random_hex),
        cmocka_unit_test(test_begin_continues_a_valid_trace),
        cmocka_unit_test(test_begin_starts_a_new_trace),
        cmocka_unit_test(test_current_is_per_thread),
        cmocka_unit_test(test_log_lines_carry_trace_and_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
