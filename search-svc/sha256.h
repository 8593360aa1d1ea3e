/* sha256.h — SHA-256 and HMAC-SHA256 (page-token signatures, query fingerprints),
 * computed by OpenSSL's libcrypto. */
#ifndef SEARCH_SHA256_H
#define SEARCH_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32

void sha256(const void *data, size_t len, uint8_t out[SHA256_BYTES]);
void hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len, uint8_t out[SHA256_BYTES]);

#endif
