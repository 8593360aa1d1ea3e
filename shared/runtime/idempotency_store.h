/* idempotency_store.h — what idempotency.c needs of a store that keeps idempotency
 * records: claim a key, record or drop an outcome. Two stores implement it,
 * idempotency_pg.c and idempotency_redis.c. Only the runtime includes this header. */
#ifndef SHARED_IDEMPOTENCY_STORE_H
#define SHARED_IDEMPOTENCY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef enum idem_claim { CLAIM_OWNED, CLAIM_DONE, CLAIM_BUSY, CLAIM_MISMATCH, CLAIM_FAILED } idem_claim;

/* Which record: the key of one caller for one method, and the request it came with. */
typedef struct idem_record {
    const char *key, *user, *method;
    const uint8_t *fingerprint;  /* the packed request */
    size_t fingerprint_len;
    char nonce[24];              /* this call's claim (random) */
    int64_t lease_ms, retention_ms;
} idem_record;

/* A finished call's outcome: the packed response (OK) or packed google.rpc.Status. */
typedef struct idem_outcome {
    rpc_code code;
    const uint8_t *body;
    size_t len;
    const char *message, *reason;
    void *owner;  /* the store's reply holding the bytes (freed by release) */
} idem_outcome;

typedef struct idem_store {
    /* CLAIM_DONE fills *done (release it afterwards). */
    idem_claim (*claim)(void *conn, const idem_record *r, idem_outcome *done);
    /* Records the outcome of the owning call; NULL drops the claim. 0, or -1 with the
     * store unreachable (the caller logs it). */
    int (*finish)(void *conn, const idem_record *r, const idem_outcome *o);
    void (*release)(idem_outcome *o);
    void (*purge)(void *conn);  /* may be NULL */
    const char *(*errstr)(void *conn);
} idem_store;

extern const idem_store idem_pg_store;
extern const idem_store idem_redis_store;

#endif
