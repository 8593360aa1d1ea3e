/* migrate.h — versioned schema migrations (numbered .sql files embedded at build time). */
#ifndef SHARED_MIGRATE_H
#define SHARED_MIGRATE_H

#include <stddef.h>

#include "pg.h"

typedef struct migration {
    int version;       /* from the file name: 001_init.sql -> 1 */
    const char *name;  /* "001_init.sql" */
    const char *sql;
} migration;

/* Applies, in version order, every migration not yet recorded in
 * <schema>.schema_migrations, all in one transaction, under an advisory lock so
 * that concurrent runs (two Jobs) apply each once. Creates the schema if needed.
 * Returns the number applied, or -1 with a message in err. */
int migrate_apply(pg_conn *pg, const char *schema, const migration *list, size_t count, char *err, size_t errlen);

#endif
