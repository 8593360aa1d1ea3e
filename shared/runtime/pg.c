/* pg.c — libpq connection handling: connect, search_path, reconnect, parameterised exec
 * (named prepared statements, or unnamed ones through a transaction pooler). */
#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "socket_check.h"

static void pg_fail(pg_conn *pg, const char *what, const char *detail)
{
    pg->err = 1;
    snprintf(pg->errstr, sizeof pg->errstr, "%s: %s", what, detail ? detail : "unknown error");
    size_t n = strlen(pg->errstr);
    while (n > 0 && (pg->errstr[n - 1] == '\n' || pg->errstr[n - 1] == ' '))
        pg->errstr[--n] = '\0';
}

static void quiet_notices(void *arg, const PGresult *res) { (void)arg, (void)res; }

#define PG_CONNECT_TIMEOUT_S "5"

/* Session mode: search_path for the connection's life. Transaction mode: nothing may be
 * set on a backend the pooler shares, so the role's default must already be right. */
static int set_search_path(pg_conn *pg)
{
    const char *params[1] = {pg->schema};
    const char *sql = pg->mode == PG_POOL_SESSION ? "SELECT set_config('search_path', $1, false)"
                                                  : "SELECT current_schema() IS NOT DISTINCT FROM $1";
    PGresult *r = PQexecParams(pg->conn, sql, 1, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK, right = ok && PQgetvalue(r, 0, 0)[0] != 'f';
    if (!ok) {
        pg_fail(pg, "search_path", PQerrorMessage(pg->conn));
    } else if (!right) {
        char why[240];
        snprintf(why, sizeof why, "with DATABASE_POOL_MODE=transaction the role's search_path must start with %s "
                 "(ALTER ROLE ... SET search_path = %s)", pg->schema, pg->schema);
        pg_fail(pg, "search_path", why);
    }
    PQclear(r);
    return right ? 0 : -1;
}

static int pg_open(pg_conn *pg)
{
    if (pg->conn)
        PQfinish(pg->conn);
    /* a connect timeout unless the URL sets its own (later keywords win: the URL's
     * expanded parameters come after), so an unreachable host never hangs a thread */
    static const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *const values[] = {PG_CONNECT_TIMEOUT_S, pg->app_name, pg->url, NULL};
    pg->conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        pg_fail(pg, "connect", PQerrorMessage(pg->conn));
        PQfinish(pg->conn);
        pg->conn = NULL;
        return -1;
    }
    PQsetNoticeReceiver(pg->conn, quiet_notices, NULL);
    pg->prepared_count = 0;
    if (pg->schema[0] && set_search_path(pg) != 0) {
        PQfinish(pg->conn);
        pg->conn = NULL;
        return -1;
    }
    pg->err = 0;
    pg->errstr[0] = '\0';
    return 0;
}

pg_conn *pg_connect(const char *url, const char *schema) { return pg_connect_mode(url, schema, PG_POOL_SESSION); }

int pg_pool_mode_parse(const char *name)
{
    return strcmp(name, "session") == 0 ? PG_POOL_SESSION : strcmp(name, "transaction") == 0 ? PG_POOL_TRANSACTION : -1;
}

pg_conn *pg_connect_mode(const char *url, const char *schema, pg_pool_mode mode)
{
    pg_conn *pg = calloc(1, sizeof *pg);
    pg->mode = mode;
    snprintf(pg->url, sizeof pg->url, "%s", url);
    snprintf(pg->schema, sizeof pg->schema, "%s", schema ? schema : "");
    if (pg_open(pg) != 0)
        log_warn("postgres not reachable yet (%s); will retry", pg->errstr);
    return pg;
}

void pg_set_application_name(pg_conn *pg, const char *name)
{
    snprintf(pg->app_name, sizeof pg->app_name, "%s", name);
    if (pg->conn)
        pg_open(pg);
}

void pg_close(pg_conn *pg)
{
    if (!pg)
        return;
    if (pg->conn)
        PQfinish(pg->conn);
    free(pg);
}

/* A connection that can no longer serve: closed, stuck in pipeline mode, or told by the
 * server it is going away. The next call reconnects. */
void pg_disconnect(pg_conn *pg)
{
    if (pg->conn)
        PQfinish(pg->conn);
    pg->conn = NULL;
}

static void drop(pg_conn *pg)
{
    pg->lost = 1;
    pg_disconnect(pg);
}

/* SQLSTATE classes that say the connection or the server is gone or going: 08
 * (connection exception), 57P0x (shutdown, crash, starting up). */
static int connection_error(const char *sqlstate)
{
    return strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "57P0", 4) == 0;
}

int pg_ensure(pg_conn *pg)
{
    if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK && PQpipelineStatus(pg->conn) == PQ_PIPELINE_OFF &&
        (PQtransactionStatus(pg->conn) != PQTRANS_IDLE || !socket_closed_while_idle(PQsocket(pg->conn))))
        return 0;
    return pg_open(pg);
}

/* The name of sql's prepared statement on this connection, preparing it on first use;
 * NULL when the cache is full or preparing failed (the caller runs it unprepared), and
 * always through a transaction pooler (a named statement would stay on one backend). */
static const char *prepared_name(pg_conn *pg, const char *sql, int nparams)
{
    if (pg->mode == PG_POOL_TRANSACTION)
        return NULL;
    for (int i = 0; i < pg->prepared_count; i++)
        if (pg->prepared[i].sql == sql)
            return pg->prepared[i].name;
    if (pg->prepared_count == PG_PREPARED_MAX)
        return NULL;
    pg_prepared *p = &pg->prepared[pg->prepared_count];
    snprintf(p->name, sizeof p->name, "s%d", pg->prepared_count);
    PGresult *r = PQprepare(pg->conn, p->name, sql, nparams, NULL);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok)
        return NULL; /* the error shows again, with its SQLSTATE, when run unprepared */
    p->sql = sql;
    pg->prepared_count++;
    return p->name;
}

PGresult *pg_exec_binary(pg_conn *pg, const char *sql, int nparams, const char *const *params, const int *lengths,
                         const int *formats, int result_format)
{
    pg->sqlstate[0] = '\0';
    pg->lost = 0;
    if (pg_ensure(pg) != 0) {
        pg->lost = 1;
        return NULL;
    }
    /* inside a failed transaction nothing can be prepared: run it plainly to get the error */
    const char *name = PQtransactionStatus(pg->conn) == PQTRANS_INERROR ? NULL : prepared_name(pg, sql, nparams);
    PGresult *r = name ? PQexecPrepared(pg->conn, name, nparams, params, lengths, formats, result_format)
                       : PQexecParams(pg->conn, sql, nparams, NULL, params, lengths, formats, result_format);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    snprintf(pg->sqlstate, sizeof pg->sqlstate, "%s", state ? state : "");
    pg_fail(pg, "query", PQresultErrorMessage(r));
    PQclear(r);
    if (PQstatus(pg->conn) != CONNECTION_OK || connection_error(pg->sqlstate))
        drop(pg);
    return NULL;
}

PGresult *pg_exec(pg_conn *pg, const char *sql, int nparams, const char *const *params)
{
    return pg_exec_binary(pg, sql, nparams, params, NULL, NULL, 0);
}

/* Without a pipeline (a statement could not be prepared): one round trip each. */
static int exec_each(pg_conn *pg, int n, const pg_stmt *stmts, PGresult **results)
{
    for (int i = 0; i < n; i++) {
        results[i] = pg_exec_binary(pg, stmts[i].sql, stmts[i].nparams, stmts[i].params, stmts[i].lengths,
                                    stmts[i].formats, 0);
        if (!results[i])
            return -1;
    }
    return 0;
}

/* Reads the results of n pipelined statements and the sync into results[]; 0 when
 * every statement succeeded (the first failure's SQLSTATE is kept). */
static int read_pipeline(pg_conn *pg, int n, PGresult **results)
{
    PGresult *r;
    int failed = 0;
    for (int i = 0; i < n; i++) {
        while ((r = PQgetResult(pg->conn)) != NULL) {
            ExecStatusType st = PQresultStatus(r);
            if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
                if (!failed) {
                    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
                    snprintf(pg->sqlstate, sizeof pg->sqlstate, "%s", state ? state : "");
                    pg_fail(pg, "query", st == PGRES_PIPELINE_ABORTED ? "pipeline aborted" : PQresultErrorMessage(r));
                }
                failed = 1;
                PQclear(r);
                continue;
            }
            PQclear(results[i]);
            results[i] = r;
        }
    }
    while ((r = PQgetResult(pg->conn)) != NULL) /* the sync */
        PQclear(r);
    return failed ? -1 : 0;
}

int pg_exec_pipeline_each(pg_conn *pg, int n, const pg_stmt *stmts, PGresult **results)
{
    const char *names[PG_PIPELINE_MAX];
    if (n > PG_PIPELINE_MAX)
        return -1;
    for (int i = 0; i < n; i++)
        results[i] = NULL;
    pg->sqlstate[0] = '\0';
    pg->lost = 0;
    if (pg_ensure(pg) != 0) {
        pg->lost = 1;
        return -1;
    }
    if (PQtransactionStatus(pg->conn) == PQTRANS_INERROR)
        return exec_each(pg, n, stmts, results);
    /* named statements, or (transaction pooling) unnamed ones: each parsed where it runs */
    for (int i = 0; i < n; i++)
        if (!(names[i] = prepared_name(pg, stmts[i].sql, stmts[i].nparams)) && pg->mode == PG_POOL_SESSION)
            return exec_each(pg, n, stmts, results);
    if (!PQenterPipelineMode(pg->conn))
        return exec_each(pg, n, stmts, results);
    for (int i = 0; i < n; i++) {
        const pg_stmt *st = &stmts[i];
        if (names[i])
            PQsendQueryPrepared(pg->conn, names[i], st->nparams, st->params, st->lengths, st->formats, 0);
        else
            PQsendQueryParams(pg->conn, st->sql, st->nparams, NULL, st->params, st->lengths, st->formats, 0);
    }
    int rc = PQpipelineSync(pg->conn) ? read_pipeline(pg, n, results) : -1;
    /* a connection that cannot leave pipeline mode (results left unread after a failure)
     * would fail every later call without a word: it is dropped */
    if (!PQexitPipelineMode(pg->conn) || (rc != 0 && (PQstatus(pg->conn) != CONNECTION_OK ||
                                                      connection_error(pg->sqlstate))))
        drop(pg);
    return rc;
}

PGresult *pg_exec_pipeline(pg_conn *pg, int n, const pg_stmt *stmts)
{
    PGresult *results[PG_PIPELINE_MAX];
    if (n <= 0 || n > PG_PIPELINE_MAX)
        return NULL;
    int rc = pg_exec_pipeline_each(pg, n, stmts, results);
    for (int i = 0; i + 1 < n; i++)
        PQclear(results[i]);
    if (rc != 0) {
        PQclear(results[n - 1]);
        return NULL;
    }
    return results[n - 1];
}

int pg_run(pg_conn *pg, const char *sql, int nparams, const char *const *params)
{
    PGresult *r = pg_exec(pg, sql, nparams, params);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

int pg_affected(pg_conn *pg, const char *sql, int nparams, const char *const *params)
{
    PGresult *r = pg_exec(pg, sql, nparams, params);
    if (!r)
        return -1;
    int rows = atoi(PQcmdTuples(r));
    PQclear(r);
    return rows;
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
