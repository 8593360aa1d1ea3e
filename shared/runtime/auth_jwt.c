/* auth_jwt.c — JWKS parsing and bearer JWT verification (see auth_jwt.h). cjose does the
 * JOSE work (JWK import from n/e and x/y, JWS signature checks), jansson the JSON; this
 * file decides which algorithms and keys are acceptable and checks the claims. */
#include "auth_jwt.h"

#include <cjose/cjose.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEYSET_MAX 64
#define KID_MAX 128

typedef enum key_family { FAMILY_RSA, FAMILY_EC } key_family;

typedef struct auth_key {
    cjose_jwk_t *jwk;
    key_family family;
    char kid[KID_MAX];
    char alg[16];  /* the JWK's "alg" ("" = any of its family) */
    char crv[8];   /* EC curve: "P-256", "P-384", "P-521" */
} auth_key;

struct auth_keyset {
    atomic_int refs;
    size_t count;
    auth_key keys[KEYSET_MAX];
};

/* The signature algorithms accepted, as data: the key family and EC curve each needs. */
static const struct {
    const char *alg;
    key_family family;
    const char *crv;
} accepted_algs[] = {
    {"RS256", FAMILY_RSA, NULL}, {"RS384", FAMILY_RSA, NULL}, {"RS512", FAMILY_RSA, NULL},
    {"PS256", FAMILY_RSA, NULL}, {"PS384", FAMILY_RSA, NULL}, {"PS512", FAMILY_RSA, NULL},
    {"ES256", FAMILY_EC, "P-256"}, {"ES384", FAMILY_EC, "P-384"}, {"ES512", FAMILY_EC, "P-521"},
};

/* ---- key sets ------------------------------------------------------------------ */

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static const char *json_str(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Imports one JWK into k; -1 when it is not a signature-verifying RSA or EC key. */
static int key_import(json_t *jwk, auth_key *k)
{
    const char *kty = json_str(jwk, "kty"), *use = json_str(jwk, "use");
    if (!kty || (use && strcmp(use, "sig") != 0))
        return -1;
    if (strcmp(kty, "RSA") == 0)
        k->family = FAMILY_RSA;
    else if (strcmp(kty, "EC") == 0)
        k->family = FAMILY_EC;
    else
        return -1; /* "oct" (shared secrets) and anything else: never */
    const char *kid = json_str(jwk, "kid"), *alg = json_str(jwk, "alg"), *crv = json_str(jwk, "crv");
    if ((kid && strlen(kid) >= KID_MAX) || (alg && strlen(alg) >= sizeof k->alg) || (crv && strlen(crv) >= sizeof k->crv))
        return -1;
    cjose_err err;
    k->jwk = cjose_jwk_import_json((cjose_header_t *)jwk, &err);
    if (!k->jwk)
        return -1;
    copy_str(k->kid, sizeof k->kid, kid);
    copy_str(k->alg, sizeof k->alg, alg);
    copy_str(k->crv, sizeof k->crv, crv);
    return 0;
}

auth_keyset *auth_keyset_parse(const char *json, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *keys = doc ? json_object_get(doc, "keys") : NULL;
    if (!json_is_array(keys)) {
        snprintf(err, errlen, "not a JWKS (%s)", doc ? "no \"keys\" array" : jerr.text);
        json_decref(doc);
        return NULL;
    }
    auth_keyset *ks = calloc(1, sizeof *ks);
    atomic_init(&ks->refs, 1);
    size_t i;
    json_t *jwk;
    json_array_foreach(keys, i, jwk) {
        if (ks->count < KEYSET_MAX && json_is_object(jwk) && key_import(jwk, &ks->keys[ks->count]) == 0)
            ks->count++;
    }
    json_decref(doc);
    return ks;
}

auth_keyset *auth_keyset_retain(auth_keyset *ks)
{
    atomic_fetch_add(&ks->refs, 1);
    return ks;
}

void auth_keyset_release(auth_keyset *ks)
{
    if (!ks || atomic_fetch_sub(&ks->refs, 1) != 1)
        return;
    for (size_t i = 0; i < ks->count; i++)
        cjose_jwk_release(ks->keys[i].jwk);
    free(ks);
}

size_t auth_keyset_count(const auth_keyset *ks) { return ks ? ks->count : 0; }

int auth_keyset_has_kid(const auth_keyset *ks, const char *kid)
{
    for (size_t i = 0; ks && i < ks->count; i++)
        if (strcmp(ks->keys[i].kid, kid) == 0)
            return 1;
    return 0;
}

/* ---- token structure ----------------------------------------------------------- */

static int is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Checks "header.payload.signature" over the base64url alphabet (the signature may be
 * empty, as in an "alg": "none" token, which the algorithm check then names); the
 * header's length. */
static int token_shape(const char *token, size_t *header_len)
{
    size_t dots = 0, first = 0, second = 0, n = 0;
    for (; token[n]; n++) {
        if (token[n] == '.') {
            if (dots++ == 0)
                first = n;
            else
                second = n;
        } else if (!is_b64url(token[n])) {
            return -1;
        }
    }
    if (dots != 2 || first == 0 || second == first + 1)
        return -1;
    *header_len = first;
    return 0;
}

/* The decoded JSON header of a token, or NULL. Caller json_decref()s it. */
static json_t *token_header(const char *token)
{
    size_t hlen;
    if (token_shape(token, &hlen) != 0)
        return NULL;
    uint8_t *raw = NULL;
    size_t rawlen = 0;
    cjose_err err;
    if (!cjose_base64url_decode(token, hlen, &raw, &rawlen, &err))
        return NULL;
    json_error_t jerr;
    json_t *h = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, &jerr);
    cjose_get_dealloc()(raw);
    if (h && !json_is_object(h)) {
        json_decref(h);
        return NULL;
    }
    return h;
}

int auth_jwt_kid(const char *token, char *kid, size_t cap)
{
    json_t *h = token_header(token);
    if (!h)
        return -1;
    copy_str(kid, cap, json_str(h, "kid"));
    json_decref(h);
    return 0;
}

/* ---- signature ----------------------------------------------------------------- */

static int alg_index(const char *alg)
{
    for (size_t i = 0; alg && i < sizeof accepted_algs / sizeof accepted_algs[0]; i++)
        if (strcmp(accepted_algs[i].alg, alg) == 0)
            return (int)i;
    return -1;
}

/* May key k check a signature made with algorithm a (and kid, when the token names one)? */
static int key_fits(const auth_key *k, int a, const char *kid)
{
    if (kid && strcmp(k->kid, kid) != 0)
        return 0;
    if (k->family != accepted_algs[a].family || (*k->alg && strcmp(k->alg, accepted_algs[a].alg) != 0))
        return 0;
    return !accepted_algs[a].crv || strcmp(k->crv, accepted_algs[a].crv) == 0;
}

static const char *fail(char *msg, size_t msglen, const char *reason, const char *text)
{
    snprintf(msg, msglen, "%s", text);
    return reason;
}

/* Checks the signature with every fitting key; on success the payload JSON into *payload
 * (owned by *jws_out, which the caller releases). */
static const char *verify_signature(const auth_keyset *keys, const char *token, int a, const char *kid,
                                    cjose_jws_t **jws_out, char *msg, size_t msglen)
{
    size_t fitting = 0;
    for (size_t i = 0; keys && i < keys->count; i++)
        fitting += (size_t)key_fits(&keys->keys[i], a, kid);
    if (!fitting) {
        snprintf(msg, msglen, "no key%s%s%s for %s in the JWKS", kid ? " with kid \"" : "", kid ? kid : "",
                 kid ? "\"" : "", accepted_algs[a].alg);
        return AUTH_UNKNOWN_KEY;
    }
    cjose_err err;
    cjose_jws_t *jws = cjose_jws_import(token, strlen(token), &err);
    if (!jws)
        return fail(msg, msglen, AUTH_MALFORMED_TOKEN, "token is not a valid JWS");
    for (size_t i = 0; i < keys->count; i++) {
        if (key_fits(&keys->keys[i], a, kid) && cjose_jws_verify(jws, keys->keys[i].jwk, &err)) {
            *jws_out = jws;
            return NULL;
        }
    }
    cjose_jws_release(jws);
    return fail(msg, msglen, AUTH_BAD_SIGNATURE, "signature does not verify");
}

/* Reads the header: the algorithm (as an index of accepted_algs) and kid. */
static const char *check_header(const char *token, int *a, char *kid, size_t kidcap, char *msg, size_t msglen)
{
    json_t *h = token_header(token);
    if (!h)
        return fail(msg, msglen, AUTH_MALFORMED_TOKEN, "token is not header.payload.signature in base64url JSON");
    const char *alg = json_str(h, "alg"), *k = json_str(h, "kid");
    const char *reason = NULL;
    *a = alg_index(alg);
    if (*a < 0) {
        snprintf(msg, msglen, "algorithm \"%.16s\" is not accepted", alg ? alg : "");
        reason = AUTH_UNSUPPORTED_ALGORITHM;
    } else if (json_object_get(h, "crit")) {
        reason = fail(msg, msglen, AUTH_MALFORMED_TOKEN, "critical header extensions are not supported");
    } else if (json_object_get(h, "kid") && (!k || strlen(k) >= kidcap)) {
        reason = fail(msg, msglen, AUTH_MALFORMED_TOKEN, "kid is not a short string");
    }
    copy_str(kid, kidcap, k);
    json_decref(h);
    return reason;
}

const char *auth_jwt_verify(const auth_keyset *keys, const auth_jwt_config *cfg, const char *token, int64_t now,
                            auth_identity *out, char *msg, size_t msglen)
{
    memset(out, 0, sizeof *out);
    size_t len = strnlen(token, cfg->max_token_bytes + 1);
    if (len > cfg->max_token_bytes) {
        snprintf(msg, msglen, "token longer than %zu bytes", cfg->max_token_bytes);
        return AUTH_TOKEN_TOO_LARGE;
    }
    int a;
    char kid[KID_MAX];
    const char *reason = check_header(token, &a, kid, sizeof kid, msg, msglen);
    if (reason)
        return reason;
    cjose_jws_t *jws = NULL;
    reason = verify_signature(keys, token, a, *kid ? kid : NULL, &jws, msg, msglen);
    if (reason)
        return reason;
    uint8_t *payload = NULL;
    size_t plen = 0;
    cjose_err err;
    if (!cjose_jws_get_plaintext(jws, &payload, &plen, &err))
        reason = fail(msg, msglen, AUTH_MALFORMED_TOKEN, "token has no payload");
    else
        reason = auth_claims_check((const char *)payload, plen, cfg, now, out, msg, msglen);
    cjose_jws_release(jws);
    return reason;
}

/* ---- claims -------------------------------------------------------------------- */

static int json_time(json_t *claims, const char *name, int64_t *out)
{
    json_t *v = json_object_get(claims, name);
    if (!json_is_number(v))
        return v ? -1 : 0; /* 0: absent */
    double d = json_number_value(v);
    if (d != d || d < -1e15 || d > 1e15)
        return -1;
    *out = (int64_t)d;
    return 1;
}

static const char *check_times(json_t *claims, const auth_jwt_config *cfg, int64_t now, auth_identity *out,
                               char *msg, size_t msglen)
{
    int64_t exp = 0, nbf = 0, iat = 0;
    int has_exp = json_time(claims, "exp", &exp), has_nbf = json_time(claims, "nbf", &nbf),
        has_iat = json_time(claims, "iat", &iat);
    if (has_exp < 0 || has_nbf < 0 || has_iat < 0)
        return fail(msg, msglen, AUTH_MALFORMED_TOKEN, "exp, nbf and iat must be numbers");
    if (!has_exp)
        return fail(msg, msglen, AUTH_MISSING_CLAIM, "token has no exp claim");
    if (now > exp + cfg->skew_seconds) {
        snprintf(msg, msglen, "token expired %lld s ago", (long long)(now - exp));
        return AUTH_TOKEN_EXPIRED;
    }
    if ((has_nbf && now + cfg->skew_seconds < nbf) || (has_iat && now + cfg->skew_seconds < iat))
        return fail(msg, msglen, AUTH_TOKEN_NOT_YET_VALID, "token is not valid yet (nbf/iat in the future)");
    out->expires_at = exp;
    return NULL;
}

static int audience_matches(json_t *aud, const char *want)
{
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    size_t i;
    json_t *v;
    json_array_foreach(aud, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
            return 1;
    }
    return 0;
}

/* A subject is used as a user id in SQL parameters and logs: printable ASCII, no quotes. */
static int subject_ok(const char *sub)
{
    size_t n = strlen(sub);
    if (n == 0 || n > AUTH_SUBJECT_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (sub[i] < 0x21 || sub[i] > 0x7e || sub[i] == '"' || sub[i] == '\\')
            return 0;
    return 1;
}

/* The claim at a dotted path ("realm_access.roles"), or NULL. */
static json_t *claim_at(json_t *claims, const char *path)
{
    char part[64];
    json_t *v = claims;
    while (v && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof part)
            return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        v = json_is_object(v) ? json_object_get(v, part) : NULL;
        path += n + (path[n] == '.');
    }
    return v;
}

/* "admin" when the role claim (a string or an array of strings) says admin; otherwise
 * "customer": a token never carries the service role (that is an mTLS peer's alone). */
static const char *role_of(json_t *claims, const char *role_claim)
{
    json_t *r = claim_at(claims, role_claim);
    if (json_is_string(r))
        return strcmp(json_string_value(r), "admin") == 0 ? "admin" : "customer";
    size_t i;
    json_t *v;
    json_array_foreach(r, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), "admin") == 0)
            return "admin";
    }
    return "customer";
}

const char *auth_claims_check(const char *payload, size_t len, const auth_jwt_config *cfg, int64_t now,
                              auth_identity *out, char *msg, size_t msglen)
{
    json_error_t jerr;
    json_t *claims = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *reason = NULL;
    if (!json_is_object(claims)) {
        reason = fail(msg, msglen, AUTH_MALFORMED_TOKEN, "token payload is not a JSON object");
        goto out;
    }
    if ((reason = check_times(claims, cfg, now, out, msg, msglen)) != NULL)
        goto out;
    const char *iss = json_str(claims, "iss"), *sub = json_str(claims, "sub");
    if (!iss || strcmp(iss, cfg->issuer) != 0) {
        reason = fail(msg, msglen, AUTH_WRONG_ISSUER, "token was not issued by the configured issuer");
    } else if (!audience_matches(json_object_get(claims, "aud"), cfg->audience)) {
        reason = fail(msg, msglen, AUTH_WRONG_AUDIENCE, "token is not meant for this audience");
    } else if (!sub || !subject_ok(sub)) {
        reason = fail(msg, msglen, AUTH_BAD_SUBJECT, "sub must be 1-128 printable characters");
    } else {
        copy_str(out->user_id, sizeof out->user_id, sub);
        copy_str(out->role, sizeof out->role, role_of(claims, cfg->role_claim));
    }
out:
    json_decref(claims);
    return reason;
}
