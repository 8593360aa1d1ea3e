/* config.c — parses a service's settings table from the environment, with validation. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_int(const config_entry *e, const char *value, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end != '\0') {
        snprintf(err, errlen, "%s: \"%s\" is not an integer", e->env, value);
        return -1;
    }
    if (v < e->min || v > e->max) {
        snprintf(err, errlen, "%s: %ld is outside [%ld, %ld]", e->env, v, e->min, e->max);
        return -1;
    }
    *(long *)e->target = v;
    return 0;
}

static int parse_bool(const config_entry *e, const char *value, char *err, size_t errlen)
{
    static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0 || strcasecmp(value, no[i]) == 0) {
            *(int *)e->target = strcasecmp(value, yes[i]) == 0;
            return 0;
        }
    }
    snprintf(err, errlen, "%s: \"%s\" is not a boolean (true/false)", e->env, value);
    return -1;
}

static int parse_entry(const config_entry *e, const char *value, char *err, size_t errlen)
{
    switch (e->type) {
    case CONFIG_INT:
        return parse_int(e, value, err, errlen);
    case CONFIG_BOOL:
        return parse_bool(e, value, err, errlen);
    case CONFIG_STRING:
        if (strlen(value) >= CONFIG_STRING_MAX) {
            snprintf(err, errlen, "%s: longer than %d bytes", e->env, CONFIG_STRING_MAX - 1);
            return -1;
        }
        strcpy((char *)e->target, value);
        return 0;
    }
    return -1;
}

int config_load(const config_entry *table, size_t count, config_lookup_fn lookup, void *ctx,
                char *err, size_t errlen)
{
    for (size_t i = 0; i < count; i++) {
        const char *value = lookup(table[i].env, ctx);
        if (!value || !*value)
            value = table[i].default_value ? table[i].default_value : "";
        if (parse_entry(&table[i], value, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static const char *env_lookup(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

int config_load_env(const config_entry *table, size_t count, char *err, size_t errlen)
{
    return config_load(table, count, env_lookup, NULL, err, errlen);
}

void config_print(const config_entry *table, size_t count)
{
    for (size_t i = 0; i < count; i++)
        printf("  %-22s default \"%s\"  %s\n", table[i].env,
               table[i].default_value ? table[i].default_value : "", table[i].help ? table[i].help : "");
}
