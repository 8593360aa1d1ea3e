/* token.h — development and test tokens: key pairs as JWK/JWKS, signed JWTs with the
 * claims the services check. Never linked into a service: services only verify. */
#ifndef BOOKINGCTL_TOKEN_H
#define BOOKINGCTL_TOKEN_H

#include <stddef.h>
#include <stdint.h>

/* A new key pair for alg "RS256" (RSA 2048) or "ES256" (P-256), with kid. Sets
 * *private_jwk and *public_jwk to malloc'd JSON (free them). 0 or -1. */
int token_keygen(const char *alg, const char *kid, char **private_jwk, char **public_jwk);

/* {"keys": [public_jwk...]} as malloc'd JSON; NULL when a key is not JSON. */
char *token_jwks(const char *const *public_jwks, int count);

/* The claims a service checks, as malloc'd JSON: sub, role (NULL = none), iss, aud, iat
 * and exp = iat + ttl; nbf too when nbf != 0. */
char *token_claims(const char *sub, const char *role, const char *iss, const char *aud, int64_t iat, int64_t ttl,
                   int64_t nbf);

/* Signs claims (JSON text) with a private JWK (JSON text) as a compact JWS whose header is
 * {"alg": alg, "kid": the JWK's kid, "typ": "JWT"} (alg NULL: ES256 for an EC key, RS256
 * for RSA). malloc'd token, or NULL. */
char *token_sign(const char *private_jwk, const char *alg, const char *claims);

/* The unverified "sub" of a token (to default bookingctl's user). 0 or -1. */
int token_subject(const char *token, char *out, size_t cap);

#endif
