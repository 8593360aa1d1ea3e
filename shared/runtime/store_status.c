/* store_status.c — store failures as gRPC statuses. */
#include "store_status.h"

#include "log.h"

int store_fail_pg(rpc_call *call, pg_conn *pg)
{
    pg_rollback(pg);
    if (pg->lost || !pg->conn)
        return rpc_fail(call, RPC_UNAVAILABLE, "STORE_UNAVAILABLE", "database unavailable; safe to retry");
    log_error("database error: %s", pg->errstr);
    return rpc_fail(call, RPC_INTERNAL, "STORE_ERROR", "database error");
}

int store_fail_redis(rpc_call *call, const char *detail)
{
    log_warn("redis: %s", detail);
    return rpc_fail(call, RPC_UNAVAILABLE, "CACHE_UNAVAILABLE", "hold cache unavailable; safe to retry");
}
