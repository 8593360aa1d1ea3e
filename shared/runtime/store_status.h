/* store_status.h — the gRPC answer to a failed store call: UNAVAILABLE when the
 * connection was lost (safe to retry), INTERNAL otherwise; details go to the log,
 * never to the client. */
#ifndef SHARED_STORE_STATUS_H
#define SHARED_STORE_STATUS_H

#include "pg.h"
#include "redis.h"
#include "rpc.h"

/* Rolls back an open transaction and sets the status; returns -1. */
int store_fail_pg(rpc_call *call, pg_conn *pg);
/* Sets UNAVAILABLE for an unreachable Redis; returns -1. */
int store_fail_redis(rpc_call *call, const char *detail);

#endif
