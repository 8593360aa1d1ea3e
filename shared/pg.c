/* pg.c — libpq connection handling: connect, search_path, reconnect, parameterised exec. */
#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void pg_fail(pg_conn *pg, const char *what, const char *detail)
{
    pg->err = 1;
    snprintf(pg->errstr, sizeof pg->errstr, "%s: %s", what, detail ? detail : "unknown error");
    size_t n = strlen(pg->errstr);
    while (n > 0 && (pg->errstr[n - 1] == '\n' || pg->errstr[n - 1] == ' '))
        pg->errstr[--n] = '\0';
}

static void quiet_notices(void *arg, const PGresult *res) { (void)arg, (void)res; }

static int pg_open(pg_conn *pg)
{
    if (pg->conn)
        PQfinish(pg->conn);
    pg->conn = PQconnectdb(pg->url);
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        pg_fail(pg, "connect", PQerrorMessage(pg->conn));
        PQfinish(pg->conn);
        pg->conn = NULL;
        return -1;
    }
    PQsetNoticeReceiver(pg->conn, quiet_notices, NULL);
    if (pg->schema[0]) {
        const char *params[1] = {pg->schema};
        PGresult *r = PQexecParams(pg->conn, "SELECT set_config('search_path', $1, false)", 1, NULL, params, NULL,
                                   NULL, 0);
        int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
        if (!ok) {
            pg_fail(pg, "search_path", PQerrorMessage(pg->conn));
            return -1;
        }
    }
    pg->err = 0;
    pg->errstr[0] = '\0';
    return 0;
}

pg_conn *pg_connect(const char *url, const char *schema)
{
    pg_conn *pg = calloc(1, sizeof *pg);
    snprintf(pg->url, sizeof pg->url, "%s", url);
    snprintf(pg->schema, sizeof pg->schema, "%s", schema ? schema : "");
    if (pg_open(pg) != 0)
        log_warn("postgres not reachable yet (%s); will retry", pg->errstr);
    return pg;
}

void pg_close(pg_conn *pg)
{
    if (!pg)
        return;
    if (pg->conn)
        PQfinish(pg->conn);
    free(pg);
}

int pg_ensure(pg_conn *pg)
{
    if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
        return 0;
    return pg_open(pg);
}

PGresult *pg_exec(pg_conn *pg, const char *sql, int nparams, const char *const *params)
{
    pg->sqlstate[0] = '\0';
    pg->lost = 0;
    if (pg_ensure(pg) != 0) {
        pg->lost = 1;
        return NULL;
    }
    PGresult *r = PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    snprintf(pg->sqlstate, sizeof pg->sqlstate, "%s", state ? state : "");
    pg_fail(pg, "query", PQresultErrorMessage(r));
    PQclear(r);
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        pg->lost = 1; /* reconnect on the next call */
        PQfinish(pg->conn);
        pg->conn = NULL;
    }
    return NULL;
}

int pg_run(pg_conn *pg, const char *sql, int nparams, const char *const *params)
{
    PGresult *r = pg_exec(pg, sql, nparams, params);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

const char *pg_sqlstate(const pg_conn *pg) { return pg->sqlstate; }
int pg_connection_lost(const pg_conn *pg) { return pg->lost; }

int pg_begin(pg_conn *pg) { return pg_run(pg, "BEGIN", 0, NULL); }
int pg_commit(pg_conn *pg) { return pg_run(pg, "COMMIT", 0, NULL); }

void pg_rollback(pg_conn *pg)
{
    if (pg->conn && PQtransactionStatus(pg->conn) != PQTRANS_IDLE)
        pg_run(pg, "ROLLBACK", 0, NULL);
}

int pg_ping(pg_conn *pg)
{
    /* a connection left over from before a restart fails once; the ping is safe to repeat */
    return pg_run(pg, "SELECT 1", 0, NULL) == 0 || pg_run(pg, "SELECT 1", 0, NULL) == 0 ? 0 : -1;
}
