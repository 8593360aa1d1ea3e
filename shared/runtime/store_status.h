/* store_status.h — the gRPC answer to a failed store call: UNAVAILABLE when the
 * connection was lost (safe to retry), INTERNAL otherwise; details go to the log,
 * never to the client; each failure counts in store_errors_total. */
#ifndef SHARED_STORE_STATUS_H
#define SHARED_STORE_STATUS_H

#include "pg.h"
#include "redis.h"
#include "rpc.h"

/* Registers store_errors_total{store,kind} for the stores a service uses (once, at
 * start-up); until then failures are only logged. */
void store_errors_metrics_init(int postgres, int redis);

/* Rolls back an open transaction and sets the status; returns -1. */
int store_fail_pg(rpc_call *call, pg_conn *pg);
/* Sets UNAVAILABLE for an unreachable Redis; returns -1. */
int store_fail_redis(rpc_call *call, const char *detail);

#endif
