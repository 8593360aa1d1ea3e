/* sha256.h — SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104): page-token signatures
 * and query fingerprints. Pure, no allocation. */
#ifndef SEARCH_SVC_SHA256_H
#define SEARCH_SVC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32

typedef struct sha256_ctx {
    uint32_t state[8];
    uint64_t length;      /* bytes hashed so far */
    uint8_t block[64];
    size_t used;          /* bytes waiting in block */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
void sha256_final(sha256_ctx *c, uint8_t out[SHA256_BYTES]);
void sha256(const void *data, size_t len, uint8_t out[SHA256_BYTES]);

/* HMAC-SHA256 of data under key (any length). */
void hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len, uint8_t out[SHA256_BYTES]);

#endif
