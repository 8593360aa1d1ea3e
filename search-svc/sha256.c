/* sha256.c — SHA-256 and HMAC-SHA256 through libcrypto's one-shot calls. */
#include "sha256.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>

void sha256(const void *data, size_t len, uint8_t out[SHA256_BYTES])
{
    unsigned int n = 0;
    if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) || n != SHA256_BYTES) {
        fputs("sha256: libcrypto failed\n", stderr);
        abort();
    }
}

void hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len, uint8_t out[SHA256_BYTES])
{
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) || n != SHA256_BYTES) {
        fputs("hmac_sha256: libcrypto failed\n", stderr);
        abort();
    }
}
