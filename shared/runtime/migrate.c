/* migrate.c — applies numbered migrations once each, recording them in schema_migrations. */
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The schema name is an identifier, which cannot be a bind parameter: it is quoted
 * with PQescapeIdentifier, libpq's facility for exactly this. */
static int ensure_schema(pg_conn *pg, const char *schema, char *err, size_t errlen)
{
    char *ident = PQescapeIdentifier(pg->conn, schema, strlen(schema));
    if (!ident) {
        snprintf(err, errlen, "bad schema name \"%s\"", schema);
        return -1;
    }
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS %s", ident);
    PQfreemem(ident);
    const char *params[1] = {schema};
    PGresult *exists = pg_exec(pg, "SELECT 1 FROM pg_namespace WHERE nspname = $1", 1, params);
    int present = exists && PQntuples(exists) == 1;
    PQclear(exists);
    if (!present && pg_run(pg, sql, 0, NULL) != 0) {
        snprintf(err, errlen, "create schema %s: %s", schema, pg->errstr);
        return -1;
    }
    if (pg_run(pg, "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, "
                   "applied_at timestamptz NOT NULL DEFAULT now())",
               0, NULL) != 0) {
        snprintf(err, errlen, "schema_migrations: %s", pg->errstr);
        return -1;
    }
    return 0;
}

static int already_applied(pg_conn *pg, int version)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *params[1] = {v};
    PGresult *r = pg_exec(pg, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, params);
    int found = r && PQntuples(r) > 0;
    PQclear(r);
    return found;
}

/* One migration in one transaction: its statements, then its record. */
static int apply_one(pg_conn *pg, const migration *m, char *err, size_t errlen)
{
    char v[16];
    snprintf(v, sizeof v, "%d", m->version);
    const char *params[2] = {v, m->name};
    PGresult *r = PQexec(pg->conn, m->sql); /* a static multi-statement file: no parameters */
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(err, errlen, "%s: %s", m->name, PQresultErrorMessage(r));
    PQclear(r);
    if (ok && pg_run(pg, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2, params) != 0) {
        snprintf(err, errlen, "%s: %s", m->name, pg->errstr);
        ok = 0;
    }
    return ok ? 0 : -1;
}

int migrate_apply(pg_conn *pg, const char *schema, const migration *list, size_t count, char *err, size_t errlen)
{
    int applied = 0;
    const char *lock_params[1] = {schema};
    if (pg_ensure(pg) != 0) {
        snprintf(err, errlen, "%s", pg->errstr);
        return -1;
    }
    if (pg_begin(pg) != 0 || pg_run(pg, "SELECT pg_advisory_xact_lock(hashtext($1))", 1, lock_params) != 0 ||
        ensure_schema(pg, schema, err, errlen) != 0)
        goto fail;
    for (size_t i = 0; i < count; i++) {
        if (already_applied(pg, list[i].version))
            continue;
        if (apply_one(pg, &list[i], err, errlen) != 0)
            goto fail;
        log_info("migration %s applied to schema %s", list[i].name, schema);
        applied++;
    }
    if (pg_commit(pg) != 0) {
        snprintf(err, errlen, "commit: %s", pg->errstr);
        goto fail;
    }
    return applied;
fail:
    if (!err[0])
        snprintf(err, errlen, "%s", pg->errstr);
    pg_rollback(pg);
    return -1;
}
