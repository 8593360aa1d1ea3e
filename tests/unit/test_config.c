/* test_config.c — the settings table: defaults, int bounds, bool forms, string limits,
 * and error messages that name the offending variable. Values come from a table. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

/* ---- a fake environment: a NULL-terminated table passed as the lookup's ctx ---- */

typedef struct env_pair {
    const char *name, *value;
} env_pair;

static const char *table_lookup(const char *name, void *ctx)
{
    for (const env_pair *p = ctx; p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p->value;
    return NULL;
}

/* Loads a one-entry table from env; returns config_load's result, err filled. */
static int load_one(const config_entry *e, const env_pair *env, char *err, size_t errlen)
{
    err[0] = '\0';
    return config_load(e, 1, table_lookup, (void *)env, err, errlen);
}

static config_entry int_entry(long *target, const char *def, long min, long max)
{
    config_entry e = {"WORKERS", CONFIG_INT, target, def, min, max, "worker threads"};
    return e;
}

static config_entry bool_entry(int *target, const char *def)
{
    config_entry e = {"TLS_ENABLED", CONFIG_BOOL, target, def, 0, 0, "serve TLS"};
    return e;
}

/* ---- defaults ---- */

static void test_defaults_when_unset(void **state)
{
    char url[CONFIG_STRING_MAX] = "stale";
    long workers = -1;
    int verbose = -1;
    const config_entry table[] = {
        {"REDIS_URL", CONFIG_STRING, url, "redis://localhost:6379/0", 0, 0, "redis"},
        {"WORKERS", CONFIG_INT, &workers, "4", 1, 64, "workers"},
        {"VERBOSE", CONFIG_BOOL, &verbose, "true", 0, 0, "verbose"},
    };
    const env_pair env[] = {{"UNRELATED", "x"}, {NULL, NULL}};
    char err[256] = "";
    assert_int_equal(config_load(table, 3, table_lookup, (void *)env, err, sizeof err), 0);
    assert_string_equal(url, "redis://localhost:6379/0");
    assert_int_equal(workers, 4);
    assert_int_equal(verbose, 1);
    assert_string_equal(err, "");
}

static void test_defaults_when_empty(void **state)
{
    char url[CONFIG_STRING_MAX] = "stale";
    long workers = -1;
    int verbose = -1;
    const config_entry table[] = {
        {"REDIS_URL", CONFIG_STRING, url, "redis://cache:6380/2", 0, 0, "redis"},
        {"WORKERS", CONFIG_INT, &workers, "8", 1, 64, "workers"},
        {"VERBOSE", CONFIG_BOOL, &verbose, "off", 0, 0, "verbose"},
    };
    const env_pair env[] = {{"REDIS_URL", ""}, {"WORKERS", ""}, {"VERBOSE", ""}, {NULL, NULL}};
    char err[256];
    assert_int_equal(config_load(table, 3, table_lookup, (void *)env, err, sizeof err), 0);
    assert_string_equal(url, "redis://cache:6380/2");
    assert_int_equal(workers, 8);
    assert_int_equal(verbose, 0);
}

static void test_values_override_defaults(void **state)
{
    char url[CONFIG_STRING_MAX] = "";
    long workers = 0;
    int verbose = 0;
    const config_entry table[] = {
        {"REDIS_URL", CONFIG_STRING, url, "redis://localhost:6379/0", 0, 0, "redis"},
        {"WORKERS", CONFIG_INT, &workers, "4", 1, 64, "workers"},
        {"VERBOSE", CONFIG_BOOL, &verbose, "false", 0, 0, "verbose"},
    };
    const env_pair env[] = {
        {"REDIS_URL", "redis://r:1/3"}, {"WORKERS", "16"}, {"VERBOSE", "yes"}, {NULL, NULL}};
    char err[256];
    assert_int_equal(config_load(table, 3, table_lookup, (void *)env, err, sizeof err), 0);
    assert_string_equal(url, "redis://r:1/3");
    assert_int_equal(workers, 16);
    assert_int_equal(verbose, 1);
}

/* A string entry without a default becomes "" rather than keeping old contents. */
static void test_string_without_default_is_empty(void **state)
{
    char dsn[CONFIG_STRING_MAX] = "leftover";
    const config_entry e = {"DATABASE_URL", CONFIG_STRING, dsn, NULL, 0, 0, "dsn"};
    const env_pair env[] = {{NULL, NULL}};
    char err[128];
    assert_int_equal(load_one(&e, env, err, sizeof err), 0);
    assert_string_equal(dsn, "");
}

/* ---- integers ---- */

static void test_int_parses_and_accepts_inclusive_bounds(void **state)
{
    long v = 0;
    config_entry e = int_entry(&v, "4", -10, 64);
    char err[128];
    const env_pair lo[] = {{"WORKERS", "-10"}, {NULL, NULL}};
    assert_int_equal(load_one(&e, lo, err, sizeof err), 0);
    assert_int_equal(v, -10);
    const env_pair hi[] = {{"WORKERS", "64"}, {NULL, NULL}};
    assert_int_equal(load_one(&e, hi, err, sizeof err), 0);
    assert_int_equal(v, 64);
    const env_pair mid[] = {{"WORKERS", "0"}, {NULL, NULL}};
    assert_int_equal(load_one(&e, mid, err, sizeof err), 0);
    assert_int_equal(v, 0);
}

static void test_int_below_min_names_variable(void **state)
{
    long v = 7;
    config_entry e = int_entry(&v, "4", 1, 64);
    const env_pair env[] = {{"WORKERS", "0"}, {NULL, NULL}};
    char err[128];
    assert_int_equal(load_one(&e, env, err, sizeof err), -1);
    assert_non_null(strstr(err, "WORKERS"));
    assert_non_null(strstr(err, "[1, 64]"));
    assert_int_equal(v, 7);  /* target untouched on error */
}

static void test_int_above_max_names_variable(void **state)
{
    long v = 7;
    config_entry e = int_entry(&v, "4", 1, 64);
    const env_pair env[] = {{"WORKERS", "65"}, {NULL, NULL}};
    char err[128];
    assert_int_equal(load_one(&e, env, err, sizeof err), -1);
    assert_non_null(strstr(err, "WORKERS"));
    assert_non_null(strstr(err, "65"));
    assert_int_equal(v, 7);
}

static void test_int_rejects_non_numbers(void **state)
{
    static const char *const bad[] = {"12abc", "abc", "1.5", "0x10", "4 ", "99999999999999999999999"};
    long v = 7;
    config_entry e = int_entry(&v, "4", LONG_MIN, LONG_MAX);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const env_pair env[] = {{"WORKERS", bad[i]}, {NULL, NULL}};
        char err[128];
        assert_int_equal(load_one(&e, env, err, sizeof err), -1);
        assert_non_null(strstr(err, "WORKERS"));
        assert_non_null(strstr(err, "not an integer"));
        assert_int_equal(v, 7);
    }
}

static void test_invalid_default_is_reported(void **state)
{
    long v = 0;
    config_entry e = int_entry(&v, "100", 1, 64);
    const env_pair env[] = {{NULL, NULL}};
    char err[128];
    assert_int_equal(load_one(&e, env, err, sizeof err), -1);
    assert_non_null(strstr(err, "WORKERS"));
}

/* The first bad entry stops loading; its name is the one reported. */
static void test_error_names_the_failing_entry(void **state)
{
    long a = 0, b = 0;
    const config_entry table[] = {
        {"PORT", CONFIG_INT, &a, "50051", 1, 65535, "port"},
        {"POOL_SIZE", CONFIG_INT, &b, "4", 1, 32, "pool"},
    };
    const env_pair env[] = {{"PORT", "8080"}, {"POOL_SIZE", "many"}, {NULL, NULL}};
    char err[128];
    assert_int_equal(config_load(table, 2, table_lookup, (void *)env, err, sizeof err), -1);
    assert_non_null(strstr(err, "POOL_SIZE"));
    assert_null(strstr(err, "PORT"));
    assert_non_null(strstr(err, "many"));
    assert_int_equal(a, 8080);
}

static void test_error_respects_small_buffer(void **state)
{
    long v = 0;
    config_entry e = int_entry(&v, "4", 1, 64);
    const env_pair env[] = {{"WORKERS", "nope"}, {NULL, NULL}};
    char err[16];
    memset(err, 'Z', sizeof err);
    assert_int_equal(load_one(&e, env, err, 8), -1);
    assert_int_equal(strlen(err), 7);
    assert_memory_equal(err, "WORKERS", 7);
    assert_int_equal(err[8], 'Z');
}

/* ---- booleans ---- */

static void test_bool_true_forms(void **state)
{
    static const char *const forms[] = {"1", "true", "yes", "on", "TRUE", "Yes", "ON"};
    int v;
    config_entry e = bool_entry(&v, "false");
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        const env_pair env[] = {{"TLS_ENABLED", forms[i]}, {NULL, NULL}};
        char err[128];
        v = 0;
        assert_int_equal(load_one(&e, env, err, sizeof err), 0);
        assert_int_equal(v, 1);
    }
}

static void test_bool_false_forms(void **state)
{
    static const char *const forms[] = {"0", "false", "no", "off", "FALSE", "No", "Off"};
    int v;
    config_entry e = bool_entry(&v, "true");
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        const env_pair env[] = {{"TLS_ENABLED", forms[i]}, {NULL, NULL}};
        char err[128];
        v = 1;
        assert_int_equal(load_one(&e, env, err, sizeof err), 0);
        assert_int_equal(v, 0);
    }
}

static void test_bool_rejects_other_words(void **state)
{
    static const char *const bad[] = {"maybe", "2", "y", "truee", "enabled"};
    int v = 5;
    config_entry e = bool_entry(&v, "false");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const env_pair env[] = {{"TLS_ENABLED", bad[i]}, {NULL, NULL}};
        char err[128];
        assert_int_equal(load_one(&e, env, err, sizeof err), -1);
        assert_non_null(strstr(err, "TLS_ENABLED"));
        assert_non_null(strstr(err, bad[i]));
        assert_int_equal(v, 5);
    }
}

/* ---- strings ---- */

static void test_string_longest_allowed(void **state)
{
    char value[CONFIG_STRING_MAX], target[CONFIG_STRING_MAX];
    memset(value, 'a', sizeof value - 1);
    value[sizeof value - 1] = '\0';  /* 511 bytes */
    const config_entry e = {"PG_DSN", CONFIG_STRING, target, "x", 0, 0, "dsn"};
    const env_pair env[] = {{"PG_DSN", value}, {NULL, NULL}};
    char err[128];
    assert_int_equal(load_one(&e, env, err, sizeof err), 0);
    assert_string_equal(target, value);
}

static void test_string_too_long_names_variable(void **state)
{
    char value[CONFIG_STRING_MAX + 1], target[CONFIG_STRING_MAX] = "kept";
    memset(value, 'b', sizeof value - 1);
    value[sizeof value - 1] = '\0';  /* 512 bytes */
    const config_entry e = {"PG_DSN", CONFIG_STRING, target, "x", 0, 0, "dsn"};
    const env_pair env[] = {{"PG_DSN", value}, {NULL, NULL}};
    char err[128];
    assert_int_equal(load_one(&e, env, err, sizeof err), -1);
    assert_non_null(strstr(err, "PG_DSN"));
    assert_non_null(strstr(err, "511"));
    assert_string_equal(target, "kept");
}

/* ---- config_load_env reads the real environment ---- */

static void test_load_env_uses_getenv(void **state)
{
    long v = 0;
    const config_entry e = {"TEST_CONFIG_UNIT_PORT", CONFIG_INT, &v, "1", 1, 65535, "port"};
    char err[128];
    assert_int_equal(setenv("TEST_CONFIG_UNIT_PORT", "9102", 1), 0);
    assert_int_equal(config_load_env(&e, 1, err, sizeof err), 0);
    assert_int_equal(v, 9102);
    assert_int_equal(unsetenv("TEST_CONFIG_UNIT_PORT"), 0);
    assert_int_equal(config_load_env(&e, 1, err, sizeof err), 0);
    assert_int_equal(v, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_when_unset),
        cmocka_unit_test(test_defaults_when_empty),
        cmocka_unit_test(test_values_override_defaults),
        cmocka_unit_test(test_string_without_default_is_empty),
        cmocka_unit_test(test_int_parses_and_accepts_inclusive_bounds),
        cmocka_unit_test(test_int_below_min_names_variable),
        cmocka_unit_test(test_int_above_max_names_variable),
        cmocka_unit_test(test_int_rejects_non_numbers),
        cmocka_unit_test(test_invalid_default_is_reported),
        cmocka_unit_test(test_error_names_the_failing_entry),
        cmocka_unit_test(test_error_respects_small_buffer),
        cmocka_unit_test(test_bool_true_forms),
        cmocka_unit_test(test_bool_false_forms),
        cmocka_unit_test(test_bool_rejects_other_words),
        cmocka_unit_test(test_string_longest_allowed),
        cmocka_unit_test(test_string_too_long_names_variable),
        cmocka_unit_test(test_load_env_uses_getenv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
