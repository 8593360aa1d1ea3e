/* test_arena_log.c — the per-call arena (alignment, growth, large blocks, strings,
 * reset, protobuf-c allocator) and JSON-lines logging (escaping, truncation, levels,
 * request ids, the line written). Run under ASan to catch overruns. */
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

#include "arena.h"
#include "booking/v1/booking.pb-c.h"
#include "log.h"

/* ---- arena helpers ---- */

static int is_aligned(const void *p) { return ((uintptr_t)p & 15) == 0; }

static int all_bytes(const unsigned char *p, size_t n, unsigned char value)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != value)
            return 0;
    return 1;
}

/* An arena placed at offset 0 or 8 of its holder, so the inline buffer starts both
 * 16-aligned and misaligned. */
typedef struct arena_at_0 {
    arena a;
} arena_at_0;

typedef struct arena_at_8 {
    uint64_t pad;
    arena a;
} arena_at_8;

static void check_alignment(arena *a)
{
    arena_init(a);
    for (size_t size = 0; size <= 200; size++) {
        unsigned char *p = arena_alloc(a, size);
        assert_non_null(p);
        if (!is_aligned(p))
            fail_msg("arena_alloc(%zu) returned %p", size, (void *)p);
        assert_true(all_bytes(p, size, 0));
        memset(p, 0xAB, size);  /* ASan flags writes past the arena's memory */
    }
    arena_free(a);
}

static void test_arena_alignment(void **state)
{
    arena_at_0 *h0 = malloc(sizeof *h0);
    arena_at_8 *h8 = malloc(sizeof *h8);
    assert_non_null(h0);
    assert_non_null(h8);
    check_alignment(&h0->a);
    check_alignment(&h8->a);
    free(h0);
    free(h8);
}

/* Blocks never overlap, inline or in heap chunks: each keeps its own pattern. */
static void test_arena_growth_keeps_blocks_apart(void **state)
{
    arena *a = malloc(sizeof *a);
    assert_non_null(a);
    arena_init(a);
    enum { N = 600, SIZE = 100 };
    unsigned char *blocks[N];
    for (size_t i = 0; i < N; i++) {
        blocks[i] = arena_alloc(a, SIZE);
        assert_true(is_aligned(blocks[i]));
        assert_true(all_bytes(blocks[i], SIZE, 0));
        memset(blocks[i], (int)(i % 251) + 1, SIZE);
    }
    assert_non_null(a->chunks);  /* 60 KB cannot fit the 4 KB inline buffer */
    for (size_t i = 0; i < N; i++)
        if (!all_bytes(blocks[i], SIZE, (unsigned char)(i % 251 + 1)))
            fail_msg("block %zu was overwritten", i);
    arena_free(a);
    free(a);
}

static void test_arena_inline_buffer_used_first(void **state)
{
    arena *a = malloc(sizeof *a);
    assert_non_null(a);
    arena_init(a);
    char *p = arena_alloc(a, 64);
    assert_true(p >= a->first && p < a->first + sizeof a->first);
    assert_null(a->chunks);  /* small calls never touch malloc */
    arena_free(a);
    free(a);
}

static void test_arena_large_allocations(void **state)
{
    arena *a = malloc(sizeof *a);
    assert_non_null(a);
    arena_init(a);
    static const size_t sizes[] = {4096, 4097, 8192, 8193, 16384, 16385, 1 << 20, 3 * (1 << 20) + 5};
    unsigned char *blocks[sizeof sizes / sizeof sizes[0]];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        blocks[i] = arena_alloc(a, sizes[i]);
        assert_true(is_aligned(blocks[i]));
        assert_true(all_bytes(blocks[i], sizes[i], 0));
        memset(blocks[i], (int)i + 1, sizes[i]);
        unsigned char *small = arena_alloc(a, 24);  /* still served after a big block */
        assert_true(all_bytes(small, 24, 0));
        memset(small, 0xEE, 24);
    }
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        assert_true(all_bytes(blocks[i], sizes[i], (unsigned char)(i + 1)));
    arena_free(a);
    free(a);
}

static void test_arena_fills_inline_buffer_exactly(void **state)
{
    arena *a = malloc(sizeof *a);
    assert_non_null(a);
    arena_init(a);
    unsigned char *first = arena_alloc(a, 16);
    size_t rest = a->left;
    unsigned char *p = arena_alloc(a, rest);
    memset(p, 1, rest);
    assert_null(a->chunks);
    assert_int_equal(a->left, 0);
    unsigned char *q = arena_alloc(a, 1);
    assert_non_null(a->chunks);
    *q = 2;
    assert_true(all_bytes(first, 16, 0));
    assert_true(all_bytes(p, rest, 1));
    arena_free(a);
    free(a);
}

static void test_arena_strings(void **state)
{
    arena *a = malloc(sizeof *a);
    assert_non_null(a);
    arena_init(a);
    const char *src = "hello world";
    char *d = arena_strdup(a, src);
    assert_string_equal(d, "hello world");
    assert_ptr_not_equal(d, src);
    assert_string_equal(arena_strndup(a, src, 5), "hello");
    assert_string_equal(arena_strndup(a, src, 0), "");
    assert_string_equal(arena_strndup(a, src, strlen(src)), "hello world");
    assert_string_equal(arena_strdup(a, ""), "");
    /* from a buffer that is not NUL-terminated (as gRPC slices are) */
    char *buf = malloc(3);
    assert_non_null(buf);
    memcpy(buf, "abc", 3);
    char *copy = arena_strndup(a, buf, 3);
    free(buf);
    assert_string_equal(copy, "abc");
    char big[10000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char *bigcopy = arena_strdup(a, big);
    assert_true(is_aligned(bigcopy));
    assert_string_equal(bigcopy, big);
    arena_free(a);
    free(a);
}

static void test_arena_reset_reuses_memory(void **state)
{
    arena *a = malloc(sizeof *a);
    assert_non_null(a);
    arena_init(a);
    char *first = arena_alloc(a, 32);
    for (int i = 0; i < 100; i++)
        memset(arena_alloc(a, 1000), 0x5A, 1000);
    assert_non_null(a->chunks);
    arena_reset(a);
    assert_null(a->chunks);
    char *again = arena_alloc(a, 32);
    assert_ptr_equal(again, first);  /* back to the inline buffer */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 100; i++) {
            unsigned char *p = arena_alloc(a, 1000);
            assert_true(all_bytes(p, 1000, 0));  /* reused memory is zeroed again */
            memset(p, 0x5A, 1000);
        }
        arena_reset(a);
    }
    arena_free(a);
    free(a);
}

/* Messages unpacked with the arena's allocator live in the arena (no free needed). */
static void test_arena_protobuf_allocator(void **state)
{
    Booking__V1__CreateHoldRequest in = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    in.user_id = (char *)"u-1";
    in.resource_id = (char *)"room-7";
    in.quantity = 3;
    in.idempotency_key = (char *)"idem-1";
    uint8_t buf[128];
    size_t len = booking__v1__create_hold_request__get_packed_size(&in);
    assert_true(len <= sizeof buf);
    booking__v1__create_hold_request__pack(&in, buf);

    arena *a = malloc(sizeof *a);
    assert_non_null(a);
    arena_init(a);
    for (int i = 0; i < 200; i++) {  /* enough to spill into heap chunks */
        Booking__V1__CreateHoldRequest *out = booking__v1__create_hold_request__unpack(&a->allocator, len, buf);
        assert_non_null(out);
        assert_string_equal(out->resource_id, "room-7");
        assert_string_equal(out->idempotency_key, "idem-1");
        assert_int_equal(out->quantity, 3);
    }
    arena_free(a);
    free(a);
}

/* ---- log_json_escape ---- */

static void test_escape_plain_text_unchanged(void **state)
{
    char out[64];
    assert_int_equal(log_json_escape(out, sizeof out, "hold h-1 created"), 16);
    assert_string_equal(out, "hold h-1 created");
    assert_int_equal(log_json_escape(out, sizeof out, ""), 0);
    assert_string_equal(out, "");
    /* UTF-8 passes through: JSON strings may hold it raw */
    assert_string_equal((log_json_escape(out, sizeof out, "caf\xc3\xa9"), out), "caf\xc3\xa9");
}

static void test_escape_special_characters(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"say \"hi\"", "say \\\"hi\\\""},
        {"C:\\path\\", "C:\\\\path\\\\"},
        {"line1\nline2", "line1\\nline2"},
        {"a\rb", "a\\u000db"},
        {"a\tb", "a\\u0009b"},
        {"\x01\x1f", "\\u0001\\u001f"},
        {"del\x7f", "del\\u007f"},
        {"\"\\\n", "\\\"\\\\\\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        size_t n = log_json_escape(out, sizeof out, cases[i].in);
        assert_string_equal(out, cases[i].want);
        assert_int_equal(n, strlen(cases[i].want));
    }
}

/* Whatever the cap, the output fits, is NUL-terminated, and is the escaping of a
 * prefix of the input (no escape sequence is cut in half). */
static void test_escape_truncation_respects_cap(void **state)
{
    static const char input[] = "ab\"c\\d\ne\x01" "fghij\x7f\"\"klmnop\\q\x02";
    char full[256];
    log_json_escape(full, sizeof full, input);
    for (size_t cap = 1; cap <= strlen(full) + 9; cap++) {
        char out[300];
        memset(out, '#', sizeof out);
        size_t n = log_json_escape(out, cap, input);
        if (n >= cap || out[n] != '\0' || strlen(out) != n)
            fail_msg("cap %zu: length %zu", cap, n);
        for (size_t i = cap; i < sizeof out; i++)
            if (out[i] != '#')
                fail_msg("cap %zu: wrote byte %zu", cap, i);
        int is_prefix_escape = 0;
        for (size_t k = 0; k <= strlen(input) && !is_prefix_escape; k++) {
            char prefix[64], esc[256];
            memcpy(prefix, input, k);
            prefix[k] = '\0';
            log_json_escape(esc, sizeof esc, prefix);
            is_prefix_escape = strcmp(esc, out) == 0;
        }
        if (!is_prefix_escape)
            fail_msg("cap %zu: \"%s\" splits an escape", cap, out);
    }
    char out[4] = "xyz";
    assert_int_equal(log_json_escape(out, 0, "abc"), 0);
    assert_string_equal(out, "xyz");  /* cap 0 writes nothing */
}

static void test_escape_fits_when_room(void **state)
{
    /* with room to spare nothing is dropped */
    char out[2048];
    char in[1000];
    memset(in, '"', sizeof in - 1);
    in[sizeof in - 1] = '\0';
    assert_int_equal(log_json_escape(out, sizeof out, in), 2 * (sizeof in - 1));
}

/* ---- levels and request ids ---- */

static int log_restore(void **state)
{
    log_init("service", "info");
    log_set_request_id(NULL);
    return 0;
}

static void test_log_init_level_names(void **state)
{
    static const struct {
        const char *name;
        log_level level;
    } names[] = {{"error", LOG_ERROR}, {"warn", LOG_WARN},   {"info", LOG_INFO},
                 {"debug", LOG_DEBUG}, {"DEBUG", LOG_DEBUG}, {"Warn", LOG_WARN}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        log_current_level = names[i].level == LOG_ERROR ? LOG_DEBUG : LOG_ERROR;
        assert_int_equal(log_init("svc", names[i].name), 0);
        assert_int_equal(log_current_level, names[i].level);
    }
}

static void test_log_init_unknown_level_leaves_level(void **state)
{
    assert_int_equal(log_init("svc", "warn"), 0);
    assert_int_equal(log_init("svc", "verbose"), -1);
    assert_int_equal(log_current_level, LOG_WARN);
    assert_int_equal(log_init("svc", "warning"), -1);
    assert_int_equal(log_init("svc", "info "), -1);
    assert_int_equal(log_current_level, LOG_WARN);
    assert_int_equal(log_init("svc", ""), 0);  /* empty: keep the current level */
    assert_int_equal(log_init("svc", NULL), 0);
    assert_int_equal(log_current_level, LOG_WARN);
}

static void *read_request_id(void *arg)
{
    snprintf(arg, 80, "%s", log_request_id());
    return NULL;
}

static void test_request_id_is_per_thread_and_bounded(void **state)
{
    log_set_request_id("req-1");
    assert_string_equal(log_request_id(), "req-1");
    char other[80] = "unset";
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, read_request_id, other), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_string_equal(other, "");
    char longer[100];
    memset(longer, 'r', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    log_set_request_id(longer);
    assert_int_equal(strlen(log_request_id()), 63);
    log_set_request_id(NULL);
    assert_string_equal(log_request_id(), "");
}

/* ---- the line written ---- */

/* Runs log calls with stdout redirected; returns what they wrote (static buffer). */
static const char *capture(void (*fn)(void))
{
    static char out[8192];
    int fds[2];
    fflush(stdout);
    assert_int_equal(pipe(fds), 0);
    int saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    dup2(fds[1], STDOUT_FILENO);
    fn();
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n < sizeof out - 1 && (r = read(fds[0], out + n, sizeof out - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(fds[0]);
    return out;
}

static void log_one_warning(void)
{
    log_warn("hold %s: \"%s\"\nretrying", "h-1", "busy");
}

static void log_at_every_level(void)
{
    log_error("e");
    log_warn("w");
    log_info("i");
    log_debug("d");
}

static void test_log_line_is_json(void **state)
{
    assert_int_equal(log_init("booking-svc", "info"), 0);
    log_set_request_id("req-77");
    const char *line = capture(log_one_warning);
    assert_int_equal(strncmp(line, "{\"ts\":\"", 7), 0);
    /* 2024-05-01T12:34:56.789Z */
    const char *ts = line + 7;
    assert_true(ts[4] == '-' && ts[7] == '-' && ts[10] == 'T' && ts[13] == ':' && ts[19] == '.');
    assert_int_equal(ts[23], 'Z');
    assert_int_equal(ts[24], '"');
    assert_non_null(strstr(line, ",\"level\":\"warn\""));
    assert_non_null(strstr(line, ",\"service\":\"booking-svc\""));
    assert_non_null(strstr(line, ",\"request_id\":\"req-77\""));
    assert_non_null(strstr(line, ",\"msg\":\"hold h-1: \\\"busy\\\"\\nretrying\"}\n"));
    assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);  /* one line */

    log_set_request_id(NULL);
    line = capture(log_one_warning);
    assert_null(strstr(line, "request_id"));
}

static void test_log_levels_filter(void **state)
{
    assert_int_equal(log_init("svc", "warn"), 0);
    const char *out = capture(log_at_every_level);
    assert_non_null(strstr(out, "\"level\":\"error\""));
    assert_non_null(strstr(out, "\"level\":\"warn\""));
    assert_null(strstr(out, "\"level\":\"info\""));
    assert_null(strstr(out, "\"level\":\"debug\""));
    assert_int_equal(log_init("svc", "debug"), 0);
    out = capture(log_at_every_level);
    assert_non_null(strstr(out, "\"level\":\"info\""));
    assert_non_null(strstr(out, "\"level\":\"debug\",\"service\":\"svc\",\"msg\":\"d\"}\n"));
}

static void log_huge(void)
{
    char big[3000];
    memset(big, '"', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    log_error("%s", big);
}

/* A message longer than a line is cut, but the line stays one line of valid JSON. */
static void test_log_long_message_stays_one_line(void **state)
{
    assert_int_equal(log_init("svc", "info"), 0);
    const char *line = capture(log_huge);
    size_t len = strlen(line);
    assert_true(len > 1000);
    assert_ptr_equal(strchr(line, '\n'), line + len - 1);
    /* the cut keeps whole escapes: the body ends in \" before the closing "} */
    assert_string_equal(line + len - 5, "\\\"\"}\n");
}

static char long_service[2600];

/* Even when the fixed parts overflow the line buffer, what is written ends in a newline. */
static void test_log_overlong_line_still_ends_line(void **state)
{
    memset(long_service, 's', sizeof long_service - 1);
    long_service[sizeof long_service - 1] = '\0';
    assert_int_equal(log_init(long_service, "info"), 0);
    const char *line = capture(log_huge);
    size_t len = strlen(line);
    assert_true(len > 2000 && len < 2560);
    assert_ptr_equal(strchr(line, '\n'), line + len - 1);
}

#define LOG_TEST(fn) cmocka_unit_test_teardown(fn, log_restore)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alignment),
        cmocka_unit_test(test_arena_growth_keeps_blocks_apart),
        cmocka_unit_test(test_arena_inline_buffer_used_first),
        cmocka_unit_test(test_arena_large_allocations),
        cmocka_unit_test(test_arena_fills_inline_buffer_exactly),
        cmocka_unit_test(test_arena_strings),
        cmocka_unit_test(test_arena_reset_reuses_memory),
        cmocka_unit_test(test_arena_protobuf_allocator),
        cmocka_unit_test(test_escape_plain_text_unchanged),
        cmocka_unit_test(test_escape_special_characters),
        cmocka_unit_test(test_escape_truncation_respects_cap),
        cmocka_unit_test(test_escape_fits_when_room),
        LOG_TEST(test_log_init_level_names),
        LOG_TEST(test_log_init_unknown_level_leaves_level),
        LOG_TEST(test_request_id_is_per_thread_and_bounded),
        LOG_TEST(test_log_line_is_json),
        LOG_TEST(test_log_levels_filter),
        LOG_TEST(test_log_long_message_stays_one_line),
        LOG_TEST(test_log_overlong_line_still_ends_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
