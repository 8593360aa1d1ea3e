/* token.c — development and test tokens (token.h) with cjose: key generation, JWKS
 * documents, claims, signing. */
#include "token.h"

#include <cjose/cjose.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int token_keygen(const char *alg, const char *kid, char **private_jwk, char **public_jwk)
{
    static const uint8_t e[] = {0x01, 0x00, 0x01};
    cjose_err err;
    cjose_jwk_t *jwk = strcmp(alg, "ES256") == 0 ? cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err)
                       : strcmp(alg, "RS256") == 0 ? cjose_jwk_create_RSA_random(2048, e, sizeof e, &err)
                                                   : NULL;
    if (!jwk)
        return -1;
    cjose_jwk_set_kid(jwk, kid, strlen(kid), &err);
    char *priv = cjose_jwk_to_json(jwk, true, &err), *pub = cjose_jwk_to_json(jwk, false, &err);
    cjose_jwk_release(jwk);
    /* the public key says what it is for: signatures with this algorithm */
    json_t *p = pub ? json_loads(pub, 0, NULL) : NULL;
    free(pub);
    if (!priv || !p) {
        free(priv);
        json_decref(p);
        return -1;
    }
    json_object_set_new(p, "use", json_string("sig"));
    json_object_set_new(p, "alg", json_string(alg));
    *public_jwk = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
    *private_jwk = priv;
    json_decref(p);
    return 0;
}

char *token_jwks(const char *const *public_jwks, int count)
{
    json_t *keys = json_array();
    for (int i = 0; i < count; i++) {
        json_t *k = json_loads(public_jwks[i], 0, NULL);
        if (!k) {
            json_decref(keys);
            return NULL;
        }
        json_array_append_new(keys, k);
    }
    json_t *doc = json_pack("{s:o}", "keys", keys);
    char *out = json_dumps(doc, JSON_INDENT(2));
    json_decref(doc);
    return out;
}

char *token_claims(const char *sub, const char *role, const char *iss, const char *aud, int64_t iat, int64_t ttl,
                   int64_t nbf)
{
    json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I}", "sub", sub, "iss", iss, "aud", aud, "iat", (json_int_t)iat,
                          "exp", (json_int_t)(iat + ttl));
    if (!c)
        return NULL;
    if (role)
        json_object_set_new(c, "role", json_string(role));
    if (nbf)
        json_object_set_new(c, "nbf", json_integer((json_int_t)nbf));
    char *out = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    return out;
}

char *token_sign(const char *private_jwk, const char *alg, const char *claims)
{
    cjose_err err;
    char *token = NULL;
    cjose_jwk_t *jwk = cjose_jwk_import(private_jwk, strlen(private_jwk), &err);
    cjose_header_t *h = cjose_header_new(&err);
    cjose_jws_t *jws = NULL;
    const char *kid = jwk ? cjose_jwk_get_kid(jwk, &err) : NULL, *compact = NULL;
    if (jwk && !alg)
        alg = cjose_jwk_get_kty(jwk, &err) == CJOSE_JWK_KTY_EC ? "ES256" : "RS256";
    if (!jwk || !h || !cjose_header_set(h, CJOSE_HDR_ALG, alg, &err) || !cjose_header_set(h, "typ", "JWT", &err))
        goto out;
    if (kid && !cjose_header_set(h, CJOSE_HDR_KID, kid, &err))
        goto out;
    jws = cjose_jws_sign(jwk, h, (const uint8_t *)claims, strlen(claims), &err);
    if (jws && cjose_jws_export(jws, &compact, &err))
        token = strdup(compact);
out:
    cjose_jws_release(jws);
    cjose_header_release(h);
    cjose_jwk_release(jwk);
    return token;
}

int token_subject(const char *token, char *out, size_t cap)
{
    const char *p = strchr(token, '.'), *q = p ? strchr(p + 1, '.') : NULL;
    uint8_t *raw = NULL;
    size_t len = 0;
    cjose_err err;
    if (!q || !cjose_base64url_decode(p + 1, (size_t)(q - p - 1), &raw, &len, &err))
        return -1;
    json_t *c = json_loadb((const char *)raw, len, 0, NULL);
    cjose_get_dealloc()(raw);
    json_t *sub = json_object_get(c, "sub");
    int rc = json_is_string(sub) ? 0 : -1;
    if (rc == 0)
        snprintf(out, cap, "%s", json_string_value(sub));
    json_decref(c);
    return rc;
}
