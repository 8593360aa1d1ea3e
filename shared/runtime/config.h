/* config.h — settings as one declarative table per service: env name, type, target, default. */
#ifndef SHARED_CONFIG_H
#define SHARED_CONFIG_H

#include <stddef.h>

typedef enum config_type { CONFIG_STRING, CONFIG_INT, CONFIG_BOOL } config_type;

typedef struct config_entry {
    const char *env;            /* "REDIS_URL" */
    config_type type;
    void *target;               /* char[CONFIG_STRING_MAX], long or int (bool) */
    const char *default_value;  /* used when the variable is unset or empty */
    long min, max;              /* CONFIG_INT bounds (inclusive) */
    const char *help;
} config_entry;

#define CONFIG_STRING_MAX 512

/* Where values come from; getenv in production, a table in tests. */
typedef const char *(*config_lookup_fn)(const char *name, void *ctx);

/* Fills every target from lookup (or the default). On a bad value writes a message
 * naming the variable into err and returns -1; returns 0 when every entry parsed. */
int config_load(const config_entry *table, size_t count, config_lookup_fn lookup, void *ctx,
                char *err, size_t errlen);

/* config_load with getenv. */
int config_load_env(const config_entry *table, size_t count, char *err, size_t errlen);

/* Writes "NAME=value (help)" lines describing the table to stdout (for --help). */
void config_print(const config_entry *table, size_t count);

#endif
