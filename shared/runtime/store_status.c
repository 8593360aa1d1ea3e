/* store_status.c — store failures as gRPC statuses. */
#include "store_status.h"

#include <string.h>

#include "log.h"

int store_fail_pg(rpc_call *call, pg_conn *pg)
{
    pg_rollback(pg);
    const char *state = pg->sqlstate;
    if (pg->lost || !pg->conn || strncmp(state, "53", 2) == 0 || strcmp(state, "57014") == 0) {
        log_warn("database unavailable: %s", pg->errstr);
        return rpc_fail(call, RPC_UNAVAILABLE, "STORE_UNAVAILABLE", "database unavailable; safe to retry");
    }
    if (strncmp(state, "40", 2) == 0) /* serialization failure, deadlock: the transaction may be retried */
        return rpc_fail(call, RPC_ABORTED, "STORE_CONFLICT", "concurrent change; retry");
    log_error("database error: %s", pg->errstr);
    return rpc_fail(call, RPC_INTERNAL, "STORE_ERROR", "database error");
}

int store_fail_redis(rpc_call *call, const char *detail)
{
    log_warn("redis: %s", detail);
    return rpc_fail(call, RPC_UNAVAILABLE, "CACHE_UNAVAILABLE", "hold cache unavailable; safe to retry");
}
