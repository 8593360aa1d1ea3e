/* test_parsing.c — address parsing of settings: REDIS_URL (redis_parse_url) and the
 * metrics listen address (split_host_port). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "metrics_http.h"
#include "redis.h"

/* ---- redis_parse_url ---- */

typedef struct redis_target {
    char host[64];
    int port, db;
    char password[32];
} redis_target;

/* Parses url into t (pre-filled with junk so defaults must be written). */
static int parse(const char *url, redis_target *t)
{
    memset(t->host, 'J', sizeof t->host - 1);
    t->host[sizeof t->host - 1] = '\0';
    strcpy(t->password, "junk");
    t->port = -7;
    t->db = -7;
    return redis_parse_url(url, t->host, sizeof t->host, &t->port, &t->db, t->password, sizeof t->password);
}

static void expect_url(const char *url, const char *host, int port, int db, const char *password)
{
    redis_target t;
    if (parse(url, &t) != 0)
        fail_msg("\"%s\" was rejected", url);
    assert_string_equal(t.host, host);
    assert_int_equal(t.port, port);
    assert_int_equal(t.db, db);
    assert_string_equal(t.password, password);
}

static void test_redis_url_full(void **state)
{
    expect_url("redis://localhost:6379/0", "localhost", 6379, 0, "");
    expect_url("redis://cache.internal:6380/2", "cache.internal", 6380, 2, "");
    expect_url("redis://10.0.0.5:7000/15", "10.0.0.5", 7000, 15, "");
}

static void test_redis_url_defaults(void **state)
{
    expect_url("redis://cache", "cache", 6379, 0, "");
    expect_url("redis://cache/", "cache", 6379, 0, "");
    expect_url("redis://cache/4", "cache", 6379, 4, "");
    expect_url("redis://cache:6390", "cache", 6390, 0, "");
    expect_url("cache:6390/1", "cache", 6390, 1, "");  /* scheme optional */
}

static void test_redis_url_password(void **state)
{
    expect_url("redis://:s3cret@cache:6380/2", "cache", 6380, 2, "s3cret");
    expect_url("redis://default:s3cret@cache", "cache", 6379, 0, "s3cret");  /* user ignored */
    expect_url("redis://:p4ss:word@cache", "cache", 6379, 0, "p4ss:word");
    expect_url("redis://:@cache:1/1", "cache", 1, 1, "");
}

static void test_redis_url_port_bounds(void **state)
{
    expect_url("redis://cache:1", "cache", 1, 0, "");
    expect_url("redis://cache:65535", "cache", 65535, 0, "");
    static const char *const bad[] = {"redis://cache:0",   "redis://cache:65536", "redis://cache:-1",
                                      "redis://cache:",     "redis://cache:/1",    "redis://cache:abc",
                                      "redis://cache:99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        redis_target t;
        if (parse(bad[i], &t) != -1)
            fail_msg("\"%s\" was accepted (port %d)", bad[i], t.port);
    }
}

static void test_redis_url_empty_host(void **state)
{
    static const char *const bad[] = {"", "redis://", "redis://:6379", "redis:///0", "redis://:pw@:6379",
                                      "redis://:pw@", "/0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        redis_target t;
        if (parse(bad[i], &t) != -1)
            fail_msg("\"%s\" was accepted (host \"%s\")", bad[i], t.host);
    }
}

static void test_redis_url_bad_db_and_scheme(void **state)
{
    static const char *const bad[] = {"redis://cache/abc", "redis://cache/1x", "redis://cache:6379/0/1",
                                      "rediss://cache:6379", "http://cache:6379"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        redis_target t;
        if (parse(bad[i], &t) != -1)
            fail_msg("\"%s\" was accepted", bad[i]);
    }
}

static void test_redis_url_host_capacity(void **state)
{
    char host[8], password[8];
    int port, db;
    assert_int_equal(redis_parse_url("redis://abcdefg:1", host, sizeof host, &port, &db, password, sizeof password), 0);
    assert_string_equal(host, "abcdefg");
    assert_int_equal(redis_parse_url("redis://abcdefgh:1", host, sizeof host, &port, &db, password, sizeof password),
                     -1);
}

/* ---- split_host_port ---- */

static void expect_split(const char *addr, const char *host, int port)
{
    char h[64];
    int p = -7;
    if (split_host_port(addr, h, sizeof h, &p) != 0)
        fail_msg("\"%s\" was rejected", addr);
    assert_string_equal(h, host);
    assert_int_equal(p, port);
}

static void test_split_host_port_valid(void **state)
{
    expect_split("0.0.0.0:9102", "0.0.0.0", 9102);
    expect_split("127.0.0.1:0", "127.0.0.1", 0);  /* 0 = any port */
    expect_split("localhost:65535", "localhost", 65535);
    expect_split("[::1]:8080", "[::1]", 8080);    /* the last colon separates the port */
}

static void test_split_host_port_invalid(void **state)
{
    static const char *const bad[] = {"localhost", "", "host:abc", "host:80x", "host:65536", "host:-1",
                                      "host:99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char h[64];
        int p = -7;
        if (split_host_port(bad[i], h, sizeof h, &p) != -1)
            fail_msg("\"%s\" was accepted (port %d)", bad[i], p);
        assert_int_equal(p, -7);
    }
}

static void test_split_host_port_capacity(void **state)
{
    char h[8];
    int p;
    assert_int_equal(split_host_port("abcdefg:1", h, sizeof h, &p), 0);
    assert_string_equal(h, "abcdefg");
    assert_int_equal(split_host_port("abcdefgh:1", h, sizeof h, &p), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redis_url_full),
        cmocka_unit_test(test_redis_url_defaults),
        cmocka_unit_test(test_redis_url_password),
        cmocka_unit_test(test_redis_url_port_bounds),
        cmocka_unit_test(test_redis_url_empty_host),
        cmocka_unit_test(test_redis_url_bad_db_and_scheme),
        cmocka_unit_test(test_redis_url_host_capacity),
        cmocka_unit_test(test_split_host_port_valid),
        cmocka_unit_test(test_split_host_port_invalid),
        cmocka_unit_test(test_split_host_port_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
