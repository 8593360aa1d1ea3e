/* test_expiry_common.h — helpers shared by expiry-svc's integration tests: resources
 * with a short hold TTL, holds with their expires_at, Redis counters, PostgreSQL
 * statuses and events, ExpiryService calls and health. */
#ifndef TESTS_TEST_EXPIRY_COMMON_H
#define TESTS_TEST_EXPIRY_COMMON_H

#include <stdint.h>

#include "booking/v1/expiry.pb-c.h"
#include "support.h"
#include "timeutil.h"

#define HOLD_ACTIVE 1
#define HOLD_EXPIRED 5

/* Creates a resource (admin) with its own hold TTL; returns its id in out. */
void make_resource(rpc_client *booking, const char *name, int capacity, int slot_minutes, int ttl_seconds, char *out,
                   size_t cap);
/* The same with the id chosen by the caller (NULL: the server's). */
void make_resource_id(rpc_client *booking, const char *id, const char *name, int capacity, int slot_minutes,
                      int ttl_seconds, char *out, size_t cap);
/* CreateHold; on OK copies the id and sets *expires_ms (expires_at in ms). */
rpc_code hold_ms(rpc_client *booking, const char *user, const char *rid, int64_t start, int64_t end, int quantity,
                 char *hold_id, size_t cap, int64_t *expires_ms);

/* The Redis availability counter of (resource, slot); -1 when not loaded. */
long counter(harness *h, const char *rid, int64_t slot);
/* Runs a Redis command (printf format) on the harness connection; the reply's integer. */
long redis_int(harness *h, const char *fmt, ...);
/* PostgreSQL: the hold's status (0 when absent), and its events of a type. */
long hold_status(harness *h, const char *hold_id);
long hold_events(harness *h, const char *hold_id, const char *type);
/* Polls until the hold's status is `status` or timeout_ms passed; returns the status. */
long wait_status(harness *h, const char *hold_id, long status, long timeout_ms);
/* Polls until counter(rid, slot) == value; returns the ms waited, -1 on timeout. */
long wait_counter(harness *h, const char *rid, int64_t slot, long value, long timeout_ms);

/* ExpiryService at addr. */
Booking__V1__ExpiryStats *expiry_stats(const char *addr);  /* free with protobuf_c_message_free_unpacked */
rpc_code run_sweep(const char *addr, int *released, int *fixed);

/* grpc.health.v1 Check of the whole server: 1 SERVING, 0 NOT_SERVING, -1 no answer. */
int serving(const char *addr);

#endif
