/* pg.h — a PostgreSQL connection (libpq) that reconnects after the server restarts,
 * with parameterised queries only. Handles carry err/errstr like hiredis contexts.
 * Through a transaction-pooling PgBouncer the connection keeps no session state: its
 * statements are unnamed and its search_path is the role's
 * (docs/scale-out.md, "PostgreSQL through PgBouncer"). */
#ifndef SHARED_PG_H
#define SHARED_PG_H

#include <libpq-fe.h>

#define PG_PREPARED_MAX 160

/* A statement prepared on the current connection, keyed by its SQL text's address
 * (every statement is a string literal, so the address identifies it). */
typedef struct pg_prepared {
    const char *sql;
    char name[12];
} pg_prepared;

/* How the server side of a connection lives. */
typedef enum pg_pool_mode {
    PG_POOL_SESSION = 0,      /* one backend for the connection's life (direct, or session pooling):
                               * statements prepared once (named), search_path set on connect */
    PG_POOL_TRANSACTION = 1,  /* a backend per transaction (PgBouncer pool_mode=transaction):
                               * unnamed statements, no session state; the role's search_path */
} pg_pool_mode;

typedef struct pg_conn {
    PGconn *conn;          /* NULL until connected */
    pg_pool_mode mode;
    pg_prepared prepared[PG_PREPARED_MAX];
    int prepared_count;    /* reset on every (re)connect */
    char url[512];
    char schema[64];       /* search_path set on every (re)connect; "" = default */
    char app_name[64];     /* application_name of the connection ("" = libpq's default) */
    int err;               /* non-zero after a failure; errstr says why */
    char errstr[256];
    char sqlstate[6];      /* SQLSTATE of the last server error, "" when none */
    int lost;              /* the last failure was the connection itself */
} pg_conn;

/* Connects to url (a libpq URI or key=value string) and sets search_path to schema.
 * Never NULL: check ->err; a failed connection is retried by the next pg_exec.
 * Free with pg_close. */
pg_conn *pg_connect(const char *url, const char *schema);
/* pg_connect in a pool mode. In PG_POOL_TRANSACTION nothing is set on the session: the
 * role's default search_path must name schema first (ALTER ROLE ... SET search_path),
 * which every (re)connect checks; a mismatch fails the connection with a message. */
pg_conn *pg_connect_mode(const char *url, const char *schema, pg_pool_mode mode);
/* "session" / "transaction" (DATABASE_POOL_MODE) as a mode; -1 for anything else. */
int pg_pool_mode_parse(const char *name);
void pg_close(pg_conn *pg);
/* Names the connection in pg_stat_activity (reconnects now when connected). */
void pg_set_application_name(pg_conn *pg, const char *name);

/* Closes the connection (its session and what it holds) until the next call reconnects. */
void pg_disconnect(pg_conn *pg);

/* Reconnects when the connection is down. 0 when usable. */
int pg_ensure(pg_conn *pg);

/* Runs a parameterised statement (text parameters, NULL = SQL NULL), prepared once per
 * connection (parse and plan are paid once, not per call) in PG_POOL_SESSION, unnamed
 * (parsed and planned per call, one round trip all the same) in PG_POOL_TRANSACTION. `sql` must be a string
 * literal or otherwise live as long as the process. Returns the
 * result when its status is COMMAND_OK or TUPLES_OK (caller PQclear()s it); otherwise
 * NULL with err/errstr, sqlstate and lost set. */
PGresult *pg_exec(pg_conn *pg, const char *sql, int nparams, const char *const *params);
/* pg_exec with per-parameter lengths/formats (binary parameters where formats[i] is 1)
 * and a result format (1 = binary). Same contract as pg_exec. */
PGresult *pg_exec_binary(pg_conn *pg, const char *sql, int nparams, const char *const *params, const int *lengths,
                         const int *formats, int result_format);
/* One statement of a pipeline. */
typedef struct pg_stmt {
    const char *sql;  /* a string literal, as for pg_exec */
    int nparams;
    const char *const *params;
    const int *lengths, *formats;  /* binary parameters, as for pg_exec_binary (may be NULL) */
} pg_stmt;

/* Runs n (at most PG_PIPELINE_MAX) statements in one round trip (libpq pipeline mode; each prepared once per
 * connection, or unnamed as pg_exec says), in order, stopping at the first failure. Returns the result of the last
 * statement (caller PQclear()s it), or NULL with err/errstr/sqlstate of the failure.
 * An open transaction stays open: BEGIN may be the first statement. */
PGresult *pg_exec_pipeline(pg_conn *pg, int n, const pg_stmt *stmts);
#define PG_PIPELINE_MAX 16
/* The same, keeping every statement's result: results[i] (PQclear each; NULL for one
 * that failed or did not run). 0 when all ran, -1 with err/errstr/sqlstate of the first
 * failure. n <= PG_PIPELINE_MAX. */
int pg_exec_pipeline_each(pg_conn *pg, int n, const pg_stmt *stmts, PGresult **results);
/* pg_exec for statements whose result is not needed: 0 on success, -1 on error. */
int pg_run(pg_conn *pg, const char *sql, int nparams, const char *const *params);
/* pg_exec for INSERT/UPDATE/DELETE: the number of rows it affected, or -1 on error. */
int pg_affected(pg_conn *pg, const char *sql, int nparams, const char *const *params);
/* SQLSTATE of the last server error ("23505"), "" when none. */
const char *pg_sqlstate(const pg_conn *pg);
/* 1 when the last failure was the connection (retry later: UNAVAILABLE). */
int pg_connection_lost(const pg_conn *pg);

/* BEGIN / COMMIT / ROLLBACK helpers: 0 or -1. */
int pg_begin(pg_conn *pg);
int pg_commit(pg_conn *pg);
void pg_rollback(pg_conn *pg);

/* 0 when the server answers a trivial query. */
int pg_ping(pg_conn *pg);

#endif
