/* auth_jwt.h — bearer JWT verification, with no I/O: a JWKS key set parsed from JSON,
 * the token's signature checked with cjose (RS256/384/512, PS256/384/512, ES256/384/512;
 * never "none" or HMAC), then its claims: iss, aud, exp, nbf/iat with a clock-skew
 * allowance, sub (the user id) and a configured role claim. auth_jwks.c keeps a key set
 * current from a file; auth_call.c applies the outcome to a call. */
#ifndef SHARED_AUTH_JWT_H
#define SHARED_AUTH_JWT_H

#include <stddef.h>
#include <stdint.h>

typedef struct auth_jwt_config {
    const char *issuer;      /* required "iss" */
    const char *audience;    /* required in "aud" (a string or an array) */
    const char *role_claim;  /* "role", or a dotted path such as "realm_access.roles" */
    long skew_seconds;       /* allowance on exp, nbf and iat */
    size_t max_token_bytes;  /* longer tokens are refused before any parsing */
} auth_jwt_config;

#define AUTH_SUBJECT_MAX 128

typedef struct auth_identity {
    char user_id[AUTH_SUBJECT_MAX + 1];  /* the "sub" claim */
    char role[16];                       /* "admin" or "customer" (never "service") */
    int64_t expires_at;                  /* the "exp" claim */
} auth_identity;

/* Reasons a token is refused (the ErrorInfo reason of the UNAUTHENTICATED status). */
#define AUTH_MALFORMED_TOKEN "MALFORMED_TOKEN"
#define AUTH_TOKEN_TOO_LARGE "TOKEN_TOO_LARGE"
#define AUTH_UNSUPPORTED_ALGORITHM "UNSUPPORTED_ALGORITHM"
#define AUTH_UNKNOWN_KEY "UNKNOWN_KEY"
#define AUTH_BAD_SIGNATURE "BAD_SIGNATURE"
#define AUTH_TOKEN_EXPIRED "TOKEN_EXPIRED"
#define AUTH_TOKEN_NOT_YET_VALID "TOKEN_NOT_YET_VALID"
#define AUTH_WRONG_ISSUER "WRONG_ISSUER"
#define AUTH_WRONG_AUDIENCE "WRONG_AUDIENCE"
#define AUTH_BAD_SUBJECT "BAD_SUBJECT"
#define AUTH_MISSING_CLAIM "MISSING_CLAIM"

/* A parsed JWKS: the signing keys (RSA and EC) it holds. Reference-counted, so readers
 * may keep using a set while a newer one replaces it. */
typedef struct auth_keyset auth_keyset;

/* Parses a JWKS document ({"keys": [...]}). Keys that cannot verify signatures (other
 * kty, "use" other than "sig", symmetric keys) are skipped. Returns a set holding one
 * reference (possibly with no keys), or NULL with the reason in err when the document
 * is not a JWKS. */
auth_keyset *auth_keyset_parse(const char *json, size_t len, char *err, size_t errlen);
/* Adds a reference; returns ks. */
auth_keyset *auth_keyset_retain(auth_keyset *ks);
/* Drops a reference; the last one frees the set. NULL is ignored. */
void auth_keyset_release(auth_keyset *ks);
size_t auth_keyset_count(const auth_keyset *ks);
/* 1 when the set has a key with this kid. */
int auth_keyset_has_kid(const auth_keyset *ks, const char *kid);

/* Verifies a compact JWS token at Unix time `now`. On success fills *out and returns
 * NULL; otherwise returns one of the AUTH_* reasons with a human message in msg.
 * Never reads beyond the token's NUL; any input is safe. */
const char *auth_jwt_verify(const auth_keyset *keys, const auth_jwt_config *cfg, const char *token, int64_t now,
                            auth_identity *out, char *msg, size_t msglen);

/* The claims step alone (pure; unit-tested): payload is the JSON of the token body. */
const char *auth_claims_check(const char *payload, size_t len, const auth_jwt_config *cfg, int64_t now,
                              auth_identity *out, char *msg, size_t msglen);

/* The "kid" of a token's header into kid (cap bytes), "" when absent; -1 when the header
 * cannot be read. Used to re-read a JWKS early when a token names an unknown key. */
int auth_jwt_kid(const char *token, char *kid, size_t cap);

#endif
