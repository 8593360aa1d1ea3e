/* fuzz_config.c — libFuzzer target: the settings parser (config.c) on arbitrary
 * environment values. Input: a byte choosing a settings table (one of every type and
 * bound, the runtime's identity table, its TLS table) and whether values come through a
 * lookup function or the real environment (putenv, config_load_env); then the values,
 * NUL-separated, one per entry in table order (missing ones are unset). Checked: a
 * load that succeeds left every target holding its value or default (integers within
 * their bounds, booleans 0/1, strings whole); one that fails names a variable. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "fuzz_support.h"
#include "tls_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ENTRIES 16

typedef struct fuzz_env {
    const config_entry *table;
    size_t count;
    const char *values[MAX_ENTRIES]; /* NULL = unset */
} fuzz_env;

static const char *env_lookup(const char *name, void *ctx)
{
    const fuzz_env *env = ctx;
    for (size_t i = 0; i < env->count; i++)
        if (strcmp(env->table[i].env, name) == 0)
            return env->values[i];
    return NULL;
}

/* Every type, open and tight bounds, a negative range, a default that fails to parse. */
static size_t own_entries(config_entry *out)
{
    static char text[2][CONFIG_STRING_MAX];
    static long num[4];
    static int flag[2];
    const config_entry table[] = {
        {"FUZZ_TEXT", CONFIG_STRING, text[0], "default", 0, 0, "a string"},
        {"FUZZ_WORKERS", CONFIG_INT, &num[0], "8", 1, 256, "bounded"},
        {"FUZZ_ANY", CONFIG_INT, &num[1], "0", LONG_MIN, LONG_MAX, "every long"},
        {"FUZZ_NEGATIVE", CONFIG_INT, &num[2], "-5", -10, -1, "below zero"},
        {"FUZZ_FLAG", CONFIG_BOOL, &flag[0], "true", 0, 0, "a boolean"},
        {"FUZZ_EMPTY", CONFIG_STRING, text[1], NULL, 0, 0, "no default"},
        {"FUZZ_ONE", CONFIG_INT, &num[3], "1", 1, 1, "exactly one"},
        {"FUZZ_REQUIRED_FLAG", CONFIG_BOOL, &flag[1], NULL, 0, 0, "unset fails"},
    };
    memcpy(out, table, sizeof table);
    return sizeof table / sizeof table[0];
}

/* The value an entry was given: its own (set and not empty), else its default. */
static const char *effective(const fuzz_env *env, size_t i)
{
    const char *v = env->values[i];
    return v && *v ? v : env->table[i].default_value ? env->table[i].default_value : "";
}

static void check_loaded(const fuzz_env *env)
{
    for (size_t i = 0; i < env->count; i++) {
        const config_entry *e = &env->table[i];
        const char *v = effective(env, i);
        if (e->type == CONFIG_STRING) {
            FUZZ_ASSERT(strcmp((const char *)e->target, v) == 0);
        } else if (e->type == CONFIG_INT) {
            long n = *(const long *)e->target;
            FUZZ_ASSERT(n >= e->min && n <= e->max && n == strtol(v, NULL, 10));
        } else {
            FUZZ_ASSERT(*(const int *)e->target == 0 || *(const int *)e->target == 1);
        }
    }
}

static void check_failed(const fuzz_env *env, const char *err)
{
    for (size_t i = 0; i < env->count; i++) {
        size_t n = strlen(env->table[i].env);
        if (strncmp(err, env->table[i].env, n) == 0 && err[n] == ':')
            return;
    }
    FUZZ_ASSERT(!"the error names no variable of the table");
}

/* Sets (or unsets) each entry's variable in the real environment, through putenv and
 * one buffer per variable (setenv keeps every value it was ever given: a long run
 * would grow without bound), and points each value at what the environment holds. */
static void export_values(fuzz_env *env, size_t table)
{
    static char text[3][MAX_ENTRIES][4200];
    for (size_t i = 0; i < env->count; i++) {
        const char *name = env->table[i].env;
        if (!env->values[i]) {
            unsetenv(name);
            continue;
        }
        snprintf(text[table][i], sizeof text[table][i], "%s=%s", name, env->values[i]);
        FUZZ_ASSERT(putenv(text[table][i]) == 0);
        env->values[i] = getenv(name);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static auth_settings auth;
    static rpc_tls tls;
    config_entry table[MAX_ENTRIES];
    if (size == 0)
        return 0;
    fuzz_env env = {table, 0, {NULL}};
    size_t table_index = data[0] % 3;
    switch (table_index) {
    case 0: env.count = own_entries(table); break;
    case 1: env.count = auth_config_entries(&auth, table); break;
    default: env.count = tls_config_entries(&tls, table); break;
    }
    /* the values as C strings: a copy with a NUL after the last one */
    char *text = malloc(size);
    FUZZ_ASSERT(text);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    for (size_t i = 0, at = 0; i < env.count && at < size - 1; i++, at += strlen(text + at) + 1)
        env.values[i] = text + at;
    char err[256] = "";
    int rc;
    if (data[0] & 0x80) {
        export_values(&env, table_index);
        rc = config_load_env(table, env.count, err, sizeof err);
    } else {
        rc = config_load(table, env.count, env_lookup, &env, err, sizeof err);
    }
    if (rc == 0)
        check_loaded(&env);
    else
        check_failed(&env, err);
    if (rc == 0 && table_index == 2) { /* TLS settings as loaded are checked at start */
        char tls_err[1200] = "";
        if (tls_check(&tls, tls_err, sizeof tls_err) != 0)
            FUZZ_ASSERT(tls_err[0] != '\0');
    }
    free(text);
    return 0;
}
