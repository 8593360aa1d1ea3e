/* test_auth_jwt.c — bearer token verification without a server: JWKS parsing, the
 * signature step (RS256, ES256; forged, tampered, alg none/HS256, unknown kid, garbage,
 * oversized) and the claims step (iss, aud, exp, nbf, sub, role), and a JWKS file
 * re-read when it changes. Keys are generated at run time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjose/cjose.h>
#include <cmocka.h>

#include "auth_jwks.h"
#include "auth_jwt.h"
#include "token.h"

#define ISS "https://issuer.test"
#define AUD "booking-platform"

static const auth_jwt_config config = {ISS, AUD, "role", 60, 8192};

typedef struct keys {
    char *rsa_priv, *rsa_pub, *ec_priv, *ec_pub, *other_priv, *other_pub;
    auth_keyset *set;  /* rsa + ec */
} keys;

static keys k;
static int64_t now;

static int setup(void **state)
{
    (void)state;
    now = (int64_t)time(NULL);
    if (token_keygen("RS256", "rsa-1", &k.rsa_priv, &k.rsa_pub) != 0 ||
        token_keygen("ES256", "ec-1", &k.ec_priv, &k.ec_pub) != 0 ||
        token_keygen("RS256", "rsa-1", &k.other_priv, &k.other_pub) != 0) /* same kid, other key */
        return -1;
    const char *pubs[] = {k.rsa_pub, k.ec_pub};
    char *jwks = token_jwks(pubs, 2), err[128];
    k.set = auth_keyset_parse(jwks, strlen(jwks), err, sizeof err);
    free(jwks);
    return k.set ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    auth_keyset_release(k.set);
    free(k.rsa_priv), free(k.rsa_pub), free(k.ec_priv), free(k.ec_pub), free(k.other_priv), free(k.other_pub);
    return 0;
}

/* A token signed with priv for sub with role, valid from now for an hour. */
static char *mint(const char *priv, const char *alg, const char *role, const char *iss, const char *aud,
                  int64_t iat, int64_t ttl, int64_t nbf)
{
    char *claims = token_claims("ana", role, iss, aud, iat, ttl, nbf);
    char *t = token_sign(priv, alg, claims);
    free(claims);
    assert_non_null(t);
    return t;
}

static const char *verify(const char *token, auth_identity *id)
{
    char msg[200];
    return auth_jwt_verify(k.set, &config, token, now, id, msg, sizeof msg);
}

/* header.payload.signature from raw JSON parts (for tokens no library would make). */
static char *raw_token(const char *header, const char *payload, const char *sig)
{
    char *h, *p;
    size_t hl, pl;
    cjose_err err;
    cjose_base64url_encode((const uint8_t *)header, strlen(header), &h, &hl, &err);
    cjose_base64url_encode((const uint8_t *)payload, strlen(payload), &p, &pl, &err);
    size_t n = hl + pl + strlen(sig) + 3;
    char *t = malloc(n);
    snprintf(t, n, "%s.%s.%s", h, p, sig);
    free(h);
    free(p);
    return t;
}

static void test_jwks_parsing(void **state)
{
    (void)state;
    char err[128];
    assert_int_equal(auth_keyset_count(k.set), 2);
    assert_true(auth_keyset_has_kid(k.set, "rsa-1"));
    assert_true(auth_keyset_has_kid(k.set, "ec-1"));
    assert_null(auth_keyset_parse("not json", 8, err, sizeof err));
    assert_null(auth_keyset_parse("{\"nokeys\":[]}", 13, err, sizeof err));
    assert_non_null(strstr(err, "keys"));
    /* symmetric, encryption-only and broken keys are skipped, not fatal */
    const char *mixed = "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"kid\":\"h\"},"
                        "{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
                        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"!!\",\"y\":\"??\"}, 7, \"x\"]}";
    auth_keyset *ks = auth_keyset_parse(mixed, strlen(mixed), err, sizeof err);
    assert_non_null(ks);
    assert_int_equal(auth_keyset_count(ks), 0);
    auth_keyset_release(ks);
}

static void test_valid_rs256_and_es256(void **state)
{
    (void)state;
    auth_identity id;
    char *t = mint(k.rsa_priv, "RS256", NULL, ISS, AUD, now, 3600, 0);
    assert_null(verify(t, &id));
    assert_string_equal(id.user_id, "ana");
    assert_string_equal(id.role, "customer");
    assert_int_equal(id.expires_at, now + 3600);
    free(t);
    t = mint(k.ec_priv, "ES256", "admin", ISS, AUD, now, 3600, 0);
    assert_null(verify(t, &id));
    assert_string_equal(id.role, "admin");
    free(t);
}

static void test_forged_signatures(void **state)
{
    (void)state;
    auth_identity id;
    /* another key claiming the same kid */
    char *t = mint(k.other_priv, "RS256", "admin", ISS, AUD, now, 3600, 0);
    assert_string_equal(verify(t, &id), AUTH_BAD_SIGNATURE);
    assert_string_equal(id.user_id, "");
    free(t);
    /* a valid token whose payload was swapped for an admin one */
    t = mint(k.rsa_priv, "RS256", NULL, ISS, AUD, now, 3600, 0);
    char *admin = mint(k.other_priv, "RS256", "admin", ISS, AUD, now, 3600, 0);
    char *dot1 = strchr(t, '.'), *dot2 = strchr(dot1 + 1, '.');
    char *a1 = strchr(admin, '.'), *a2 = strchr(a1 + 1, '.');
    char forged[8192];
    snprintf(forged, sizeof forged, "%.*s%.*s%s", (int)(dot1 - t), t, (int)(a2 - a1), a1, dot2);
    assert_string_equal(verify(forged, &id), AUTH_BAD_SIGNATURE);
    /* a signature cut short */
    t[strlen(t) - 4] = '\0';
    assert_string_equal(verify(t, &id), AUTH_BAD_SIGNATURE);
    free(t);
    free(admin);
}

static void test_algorithms_refused(void **state)
{
    (void)state;
    auth_identity id;
    char payload[256];
    snprintf(payload, sizeof payload, "{\"sub\":\"ana\",\"iss\":\"%s\",\"aud\":\"%s\",\"exp\":%lld,\"role\":\"admin\"}",
             ISS, AUD, (long long)(now + 3600));
    char *t = raw_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, "");
    assert_string_equal(verify(t, &id), AUTH_UNSUPPORTED_ALGORITHM); /* "header.payload." */
    free(t);
    t = raw_token("{\"alg\":\"none\",\"kid\":\"rsa-1\"}", payload, "AAAA");
    assert_string_equal(verify(t, &id), AUTH_UNSUPPORTED_ALGORITHM);
    free(t);
    t = raw_token("{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", payload, "AAAA");
    assert_string_equal(verify(t, &id), AUTH_UNSUPPORTED_ALGORITHM);
    free(t);
    t = raw_token("{\"kid\":\"rsa-1\"}", payload, "AAAA");
    assert_string_equal(verify(t, &id), AUTH_UNSUPPORTED_ALGORITHM);
    free(t);
    /* an RSA-signed token presented as ES256: no EC key has that kid */
    char *rs = mint(k.rsa_priv, "RS256", NULL, ISS, AUD, now, 3600, 0);
    char *dot = strchr(rs, '.');
    t = raw_token("{\"alg\":\"ES256\",\"kid\":\"rsa-1\"}", "{}", "x");
    char *tdot = strchr(t, '.');
    char mixed[8192];
    snprintf(mixed, sizeof mixed, "%.*s%s", (int)(tdot - t), t, dot);
    assert_string_equal(verify(mixed, &id), AUTH_UNKNOWN_KEY);
    free(t);
    free(rs);
}

static void test_unknown_kid_and_garbage(void **state)
{
    (void)state;
    auth_identity id;
    char *priv, *pub;
    assert_int_equal(token_keygen("RS256", "not-in-jwks", &priv, &pub), 0);
    char *t = mint(priv, "RS256", NULL, ISS, AUD, now, 3600, 0);
    assert_string_equal(verify(t, &id), AUTH_UNKNOWN_KEY);
    free(t), free(priv), free(pub);
    static const char *const garbage[] = {"", ".", "..", "a.b", "a.b.c.d", "!!!.???.***", "eyJhbGciOiJSUzI1NiJ9..",
                                          "e30.e30.e30", "bm90IGpzb24.e30.AAAA", "W10.e30.AAAA", "a b.c.d"};
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        const char *r = verify(garbage[i], &id);
        assert_non_null(r);
        assert_true(strcmp(r, AUTH_MALFORMED_TOKEN) == 0 || strcmp(r, AUTH_UNSUPPORTED_ALGORITHM) == 0);
    }
    char *big = malloc(10 * 1024 + 1);
    memset(big, 'A', 10 * 1024);
    big[10 * 1024] = '\0';
    assert_string_equal(verify(big, &id), AUTH_TOKEN_TOO_LARGE);
    free(big);
}

static void test_time_claims(void **state)
{
    (void)state;
    auth_identity id;
    char *t = mint(k.rsa_priv, "RS256", NULL, ISS, AUD, now - 7200, 3600, 0);
    assert_string_equal(verify(t, &id), AUTH_TOKEN_EXPIRED);
    free(t);
    t = mint(k.rsa_priv, "RS256", NULL, ISS, AUD, now - 3630, 3600, 0); /* 30 s late: within the skew */
    assert_null(verify(t, &id));
    free(t);
    t = mint(k.rsa_priv, "RS256", NULL, ISS, AUD, now, 3600, now + 600);
    assert_string_equal(verify(t, &id), AUTH_TOKEN_NOT_YET_VALID);
    free(t);
    t = mint(k.rsa_priv, "RS256", NULL, ISS, AUD, now + 600, 3600, 0); /* issued in the future */
    assert_string_equal(verify(t, &id), AUTH_TOKEN_NOT_YET_VALID);
    free(t);
}

static void test_issuer_and_audience(void **state)
{
    (void)state;
    auth_identity id;
    char *t = mint(k.rsa_priv, "RS256", NULL, "https://evil.test", AUD, now, 3600, 0);
    assert_string_equal(verify(t, &id), AUTH_WRONG_ISSUER);
    free(t);
    t = mint(k.rsa_priv, "RS256", NULL, ISS, "another-api", now, 3600, 0);
    assert_string_equal(verify(t, &id), AUTH_WRONG_AUDIENCE);
    free(t);
}

static const char *claims(const char *json, auth_identity *id)
{
    char msg[200];
    auth_jwt_config c = config;
    c.role_claim = "realm_access.roles";
    return auth_claims_check(json, strlen(json), strstr(json, "realm") ? &c : &config, 1000, id, msg, sizeof msg);
}

static void test_claims_step(void **state)
{
    (void)state;
    auth_identity id;
#define BASE "\"iss\":\"" ISS "\",\"aud\":[\"x\",\"" AUD "\"]"
    assert_null(claims("{" BASE ",\"sub\":\"u1\",\"exp\":2000,\"role\":[\"customer\",\"admin\"]}", &id));
    assert_string_equal(id.role, "admin");
    assert_null(claims("{" BASE ",\"sub\":\"u1\",\"exp\":2000,\"realm_access\":{\"roles\":[\"admin\"]}}", &id));
    assert_string_equal(id.role, "admin");
    assert_null(claims("{" BASE ",\"sub\":\"u1\",\"exp\":2000,\"role\":\"service\"}", &id));
    assert_string_equal(id.role, "customer"); /* a token never grants the service role */
    assert_string_equal(claims("{" BASE ",\"sub\":\"u1\"}", &id), AUTH_MISSING_CLAIM);
    assert_string_equal(claims("{" BASE ",\"sub\":\"u1\",\"exp\":\"2000\"}", &id), AUTH_MALFORMED_TOKEN);
    assert_string_equal(claims("{" BASE ",\"exp\":2000}", &id), AUTH_BAD_SUBJECT);
    assert_string_equal(claims("{" BASE ",\"sub\":\"a\\\"b\",\"exp\":2000}", &id), AUTH_BAD_SUBJECT);
    assert_string_equal(claims("{" BASE ",\"sub\":\"\",\"exp\":2000}", &id), AUTH_BAD_SUBJECT);
    assert_string_equal(claims("{\"iss\":\"" ISS "\",\"sub\":\"u\",\"exp\":2000}", &id), AUTH_WRONG_AUDIENCE);
    assert_string_equal(claims("[1,2]", &id), AUTH_MALFORMED_TOKEN);
    assert_string_equal(claims("{" BASE ",\"sub\":\"u\",\"sub\":\"v\",\"exp\":2000}", &id), AUTH_MALFORMED_TOKEN);
#undef BASE
}

static void write_file(const char *path, const char *text)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0); /* atomic, as a Secret volume update is */
}

static void test_jwks_file_rotation(void **state)
{
    (void)state;
    char dir[] = "/tmp/test-jwks-XXXXXX", path[600];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/jwks.json", dir);
    auth_jwks *j = auth_jwks_open(path, 50);
    assert_null(auth_jwks_acquire(j, NULL)); /* no file yet */
    const char *one[] = {k.rsa_pub}, *both[] = {k.rsa_pub, k.ec_pub};
    char *a = token_jwks(one, 1), *b = token_jwks(both, 2);
    write_file(path, a);
    usleep(120 * 1000);
    auth_keyset *ks = auth_jwks_acquire(j, NULL);
    assert_int_equal(auth_keyset_count(ks), 1);
    write_file(path, b);
    /* a kid the set lacks makes it look again early */
    usleep(120 * 1000);
    auth_keyset *ks2 = auth_jwks_acquire(j, "ec-1");
    assert_int_equal(auth_keyset_count(ks2), 2);
    assert_int_equal(auth_keyset_count(ks), 1); /* the old set stays valid for its holder */
    auth_keyset_release(ks);
    auth_keyset_release(ks2);
    write_file(path, "{broken");
    usleep(120 * 1000);
    ks = auth_jwks_acquire(j, NULL);
    assert_int_equal(auth_keyset_count(ks), 2); /* a broken file keeps the keys read before */
    auth_keyset_release(ks);
    auth_jwks_free(j);
    free(a);
    free(b);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwks_parsing),         cmocka_unit_test(test_valid_rs256_and_es256),
        cmocka_unit_test(test_forged_signatures),    cmocka_unit_test(test_algorithms_refused),
        cmocka_unit_test(test_unknown_kid_and_garbage), cmocka_unit_test(test_time_claims),
        cmocka_unit_test(test_issuer_and_audience),  cmocka_unit_test(test_claims_step),
        cmocka_unit_test(test_jwks_file_rotation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
