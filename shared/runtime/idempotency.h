/* idempotency.h — idempotency keys for mutating calls: the same key with the same
 * request replays the first outcome (also when the calls race); the same key with a
 * different request is ALREADY_EXISTS. The record lives where the call's effects do:
 * PostgreSQL (table idempotency_keys of the service's schema) or Redis (methods flagged
 * RPC_KEYS_IN_REDIS), so that a lost store loses both together. */
#ifndef SHARED_IDEMPOTENCY_H
#define SHARED_IDEMPOTENCY_H

#include "pg.h"
#include "redis.h"
#include "rpc.h"

#define IDEMPOTENCY_KEY_MAX 200

/* A call that claimed a key and never finished (its process died) is taken over by a
 * retry after this many seconds (IDEMPOTENCY_LEASE_SECONDS). */
extern long idempotency_lease_seconds;
/* Records are kept this many hours (IDEMPOTENCY_RETENTION_HOURS): PostgreSQL's are
 * deleted a bounded batch at a time by every 1,000th keyed call; Redis's expire. */
extern long idempotency_retention_hours;

/* Runs handler under the call's idempotency key (if any), recorded in PostgreSQL or in
 * Redis. Same contract as a handler. */
int idempotency_run_pg(pg_conn *pg, rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response,
                       rpc_handler handler);
int idempotency_run_redis(redis_conn *redis, rpc_call *call, const ProtobufCMessage *request,
                          ProtobufCMessage **response, rpc_handler handler);

/* The token of a key's record (rpc_idempotency_token): 20 id characters that are the
 * same for every run of the same user, method, key and request, and differ when any of
 * them differs. out: 21 bytes. */
void idempotency_token_of(const char *user, const char *method, const char *key, const ProtobufCMessage *request,
                          char *out);

/* 1 when a failure with this code is final for the request (stored and replayed);
 * 0 when a retry may succeed (the record is dropped so that it runs again). */
int idempotency_code_is_final(rpc_code code);

#endif
