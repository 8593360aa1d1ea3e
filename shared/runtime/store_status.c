/* store_status.c — store failures as gRPC statuses, counted by store and kind. */
#include "store_status.h"

#include <string.h>

#include "log.h"
#include "metrics.h"

enum { PG_UNAVAILABLE, PG_CONFLICT, PG_ERROR, REDIS_UNAVAILABLE, STORE_ERROR_KINDS };
static metric *errors[STORE_ERROR_KINDS];

void store_errors_metrics_init(int postgres, int redis)
{
    static const char *const labels[STORE_ERROR_KINDS] = {
        "store=\"postgres\",kind=\"unavailable\"", "store=\"postgres\",kind=\"conflict\"",
        "store=\"postgres\",kind=\"error\"", "store=\"redis\",kind=\"unavailable\""};
    for (int k = 0; k < STORE_ERROR_KINDS; k++)
        if (k == REDIS_UNAVAILABLE ? redis : postgres)
            errors[k] = metrics_counter("store_errors_total", labels[k],
                                        "store calls that failed a request, by store and kind");
}

static void count(int kind)
{
    if (errors[kind])
        metric_inc(errors[kind], 1);
}

int store_fail_pg(rpc_call *call, pg_conn *pg)
{
    pg_rollback(pg);
    const char *state = pg->sqlstate;
    if (pg->lost || !pg->conn || strncmp(state, "53", 2) == 0 || strcmp(state, "57014") == 0) {
        log_warn("database unavailable: %s", pg->errstr);
        count(PG_UNAVAILABLE);
        return rpc_fail(call, RPC_UNAVAILABLE, "STORE_UNAVAILABLE", "database unavailable; safe to retry");
    }
    if (strncmp(state, "40", 2) == 0) { /* serialization failure, deadlock: the transaction may be retried */
        count(PG_CONFLICT);
        return rpc_fail(call, RPC_ABORTED, "STORE_CONFLICT", "concurrent change; retry");
    }
    log_error("database error: %s", pg->errstr);
    count(PG_ERROR);
    return rpc_fail(call, RPC_INTERNAL, "STORE_ERROR", "database error");
}

int store_fail_redis(rpc_call *call, const char *detail)
{
    log_warn("redis: %s", detail);
    count(REDIS_UNAVAILABLE);
    return rpc_fail(call, RPC_UNAVAILABLE, "CACHE_UNAVAILABLE", "hold cache unavailable; safe to retry");
}
