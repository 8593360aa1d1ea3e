/* idempotency.h — idempotency keys for mutating calls, recorded in PostgreSQL: the same
 * key with the same request replays the first outcome (also when the calls race); the
 * same key with a different request is ALREADY_EXISTS. */
#ifndef SHARED_IDEMPOTENCY_H
#define SHARED_IDEMPOTENCY_H

#include "pg.h"
#include "rpc.h"

#define IDEMPOTENCY_KEY_MAX 200

/* A call that claimed a key and never finished (its process died) is taken over by a
 * retry after this many seconds (IDEMPOTENCY_LEASE_SECONDS). */
extern long idempotency_lease_seconds;
/* Records older than this many hours are deleted, a bounded batch at a time, by every
 * 1,000th keyed call (IDEMPOTENCY_RETENTION_HOURS). */
extern long idempotency_retention_hours;

/* Runs handler under the call's idempotency key (if any), using the table
 * idempotency_keys of pg's search_path. Same contract as a handler. */
int idempotency_run(pg_conn *pg, rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response,
                    rpc_handler handler);

/* 1 when a failure with this code is final for the request (stored and replayed);
 * 0 when a retry may succeed (the record is dropped so that it runs again). */
int idempotency_code_is_final(rpc_code code);

#endif
