/* test_auth.c — identity and TLS end to end, against the four real services run as in
 * production: AUTH_MODE=jwt with a JWKS file, mutual TLS between services (certificates
 * from tests/certs.sh, keys from bookingctl's token.c, all made at run time). Forged
 * and broken tokens on every service, roles, ownership, payment-svc's service-only
 * methods, JWKS rotation without restart, plaintext and certificate-less clients
 * refused, a server certificate rotated to a new CA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cjose/cjose.h>
#include <cmocka.h>

#include "booking/v1/expiry.pb-c.h"
#include "booking/v1/payment.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"
#include "support.h"
#include "token.h"

#define ISS "test-issuer"
#define AUD "booking-platform"
#define HOTEL BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM

static harness *stack;
static char dir[64], jwks_path[128];
static char *k1_priv, *k1_pub, *k2_priv, *k2_pub, *es_priv, *es_pub, *evil_priv, *evil_pub;
static rpc_tls gateway_tls, booking_tls, nocert_tls;
static const char *const names[] = {"payment-svc", "booking-svc", "search-svc", "expiry-svc"};

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("command failed: %s", cmd);
}

static void write_jwks(const char *const *pubs, int n)
{
    char *doc = token_jwks(pubs, n), tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", jwks_path);
    FILE *f = fopen(tmp, "w");
    fputs(doc, f);
    fclose(f);
    rename(tmp, jwks_path); /* atomic, like a Secret volume update */
    free(doc);
}

static void tls_files(rpc_tls *t, const char *name)
{
    memset(t, 0, sizeof *t);
    snprintf(t->ca_file, sizeof t->ca_file, "%s/ca.pem", dir);
    if (name) {
        snprintf(t->cert_file, sizeof t->cert_file, "%s/%s.pem", dir, name);
        snprintf(t->key_file, sizeof t->key_file, "%s/%s.key", dir, name);
    }
    t->refresh_seconds = 1;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test-auth-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    sh("%s/tests/certs.sh %s payment-svc booking-svc search-svc expiry-svc gateway", SOURCE_DIR, dir);
    snprintf(jwks_path, sizeof jwks_path, "%s/jwks.json", dir);
    if (token_keygen("RS256", "k1", &k1_priv, &k1_pub) || token_keygen("RS256", "k2", &k2_priv, &k2_pub) ||
        token_keygen("ES256", "es", &es_priv, &es_pub) || token_keygen("RS256", "k1", &evil_priv, &evil_pub))
        return -1;
    const char *pubs[] = {k1_pub, es_pub};
    write_jwks(pubs, 2);
    tls_files(&gateway_tls, "gateway");
    tls_files(&booking_tls, "booking-svc");
    tls_files(&nocert_tls, NULL);
    static char env_jwks[200], env_ca[200];
    snprintf(env_jwks, sizeof env_jwks, "JWKS_FILE=%s", jwks_path);
    snprintf(env_ca, sizeof env_ca, "TLS_CA_FILE=%s/ca.pem", dir);
    static const char *env[] = {"AUTH_MODE=jwt", "JWT_ISSUER=" ISS, "JWT_AUDIENCE=" AUD, "JWKS_CHECK_MS=200",
                                env_jwks, env_ca, NULL};
    stack = harness_start(NULL, env);
    for (int i = 0; i < 4; i++) {
        static char cert[4][200], key[4][200];
        snprintf(cert[i], sizeof cert[i], "TLS_CERT_FILE=%s/%s.pem", dir, names[i]);
        snprintf(key[i], sizeof key[i], "TLS_KEY_FILE=%s/%s.key", dir, names[i]);
        /* payment-svc logs every call (debug): the request ids booking-svc passes on */
        const char *own[] = {cert[i], key[i], i == 0 ? "LOG_LEVEL=debug" : NULL, NULL};
        if (harness_start_service(stack, names[i], own) != 0)
            return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = harness_stop(stack);
    free(k1_priv), free(k1_pub), free(k2_priv), free(k2_pub), free(es_priv), free(es_pub);
    free(evil_priv), free(evil_pub);
    sh("rm -rf %s", dir);
    return rc;
}

/* A token for sub with role (NULL: customer), signed by priv; ttl from iat. */
static char *token_for(const char *priv, const char *sub, const char *role, const char *iss, const char *aud,
                       int64_t iat, int64_t ttl, int64_t nbf)
{
    char *claims = token_claims(sub, role, iss, aud, iat, ttl, nbf);
    char *t = token_sign(priv, NULL, claims);
    free(claims);
    assert_non_null(t);
    return t;
}

static char *user_token(const char *sub, const char *role)
{
    return token_for(k1_priv, sub, role, ISS, AUD, (int64_t)time(NULL), 600, 0);
}

/* Calls method on the service at name's address over tls (NULL: plaintext) with an
 * authorization value (NULL: none) and optional extra metadata pair. */
/* call_with, plus one more metadata entry (xk2: xv2) when xk2 is not NULL. */
static rpc_code call_with2(const char *name, const rpc_tls *tls, const ProtobufCServiceDescriptor *svc,
                           const char *method, const ProtobufCMessage *req, const char *authz, const char *xk,
                           const char *xv, const char *xk2, const char *xv2, ProtobufCMessage **resp, rpc_result *r)
{
    rpc_client *c = rpc_client_new_tls(harness_addr(stack, name), svc, tls);
    rpc_md md[3];
    size_t n = 0;
    if (authz)
        md[n++] = (rpc_md){"authorization", authz};
    if (xk)
        md[n++] = (rpc_md){xk, xv};
    if (xk2)
        md[n++] = (rpc_md){xk2, xv2};
    ProtobufCMessage *out = NULL;
    rpc_client_call(c, method, req, md, n, 20000, 0, &out, r);
    rpc_client_free(c);
    if (resp)
        *resp = out;
    else if (out)
        protobuf_c_message_free_unpacked(out, NULL);
    return r->code;
}

static rpc_code call_with(const char *name, const rpc_tls *tls, const ProtobufCServiceDescriptor *svc,
                          const char *method, const ProtobufCMessage *req, const char *authz, const char *xk,
                          const char *xv, ProtobufCMessage **resp, rpc_result *r)
{
    return call_with2(name, tls, svc, method, req, authz, xk, xv, NULL, NULL, resp, r);
}

static char *bearer(const char *token)
{
    size_t n = strlen(token) + 8;
    char *b = malloc(n);
    snprintf(b, n, "Bearer %s", token);
    return b;
}

/* bearer() of a token that is then freed. */
static char *bearer_of(char *token)
{
    char *b = bearer(token);
    free(token);
    return b;
}

/* One method of each service, called as a client of the gateway's kind would. */
static rpc_code call_service(int i, const char *authz, rpc_result *r)
{
    Booking__V1__GetPaymentRequest pay = BOOKING__V1__GET_PAYMENT_REQUEST__INIT;
    Booking__V1__GetHoldRequest hold = BOOKING__V1__GET_HOLD_REQUEST__INIT;
    Booking__V1__GetResourceRequest res = BOOKING__V1__GET_RESOURCE_REQUEST__INIT;
    Booking__V1__GetStatsRequest stats = BOOKING__V1__GET_STATS_REQUEST__INIT;
    pay.payment_id = (char *)"pay_none";
    hold.hold_id = (char *)"hold_none";
    res.resource_id = (char *)"res_none";
    switch (i) {
    case 0:
        return call_with(names[0], &gateway_tls, &booking__v1__payment_service__descriptor, "GetPayment", &pay.base,
                         authz, NULL, NULL, NULL, r);
    case 1:
        return call_with(names[1], &gateway_tls, &booking__v1__booking_service__descriptor, "GetHold", &hold.base,
                         authz, NULL, NULL, NULL, r);
    case 2:
        return call_with(names[2], &gateway_tls, &booking__v1__search_service__descriptor, "GetResource", &res.base,
                         authz, NULL, NULL, NULL, r);
    default:
        return call_with(names[3], &gateway_tls, &booking__v1__expiry_service__descriptor, "GetStats", &stats.base,
                         authz, NULL, NULL, NULL, r);
    }
}

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

static int serving(int i)
{
    rpc_client *c = rpc_client_new_tls(harness_addr(stack, names[i]), &grpc__health__v1__health__descriptor,
                                       &gateway_tls);
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int ok = rpc_client_call(c, "Check", &req.base, NULL, 0, 3000, 0, &resp, NULL) == 0 &&
             ((Grpc__Health__V1__HealthCheckResponse *)resp)->status ==
                 GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    rpc_client_free(c);
    return ok;
}

static void test_bad_tokens_on_every_service(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    char payload[300];
    snprintf(payload, sizeof payload, "{\"sub\":\"mallory\",\"iss\":\"%s\",\"aud\":\"%s\",\"exp\":%lld,\"role\":\"admin\"}",
             ISS, AUD, (long long)(now + 600));
    char *big = malloc(10 * 1024 + 8);
    memcpy(big, "Bearer ", 7);
    memset(big + 7, 'A', 10 * 1024);
    big[7 + 10 * 1024] = '\0';
    struct {
        const char *what;
        char *token; /* a whole authorization value */
        const char *reason;
    } cases[] = {
        {"wrong signature", bearer_of(token_for(evil_priv, "mallory", "admin", ISS, AUD, now, 600, 0)), "BAD_SIGNATURE"},
        {"expired", bearer_of(token_for(k1_priv, "ana", NULL, ISS, AUD, now - 7200, 600, 0)), "TOKEN_EXPIRED"},
        {"not yet valid", bearer_of(token_for(k1_priv, "ana", NULL, ISS, AUD, now, 7200, now + 3600)), "TOKEN_NOT_YET_VALID"},
        {"wrong audience", bearer_of(token_for(k1_priv, "ana", NULL, ISS, "other-api", now, 600, 0)), "WRONG_AUDIENCE"},
        {"wrong issuer", bearer_of(token_for(k1_priv, "ana", NULL, "evil", AUD, now, 600, 0)), "WRONG_ISSUER"},
        {"alg none", bearer_of(raw_token("{\"alg\":\"none\",\"kid\":\"k1\"}", payload, "")), "UNSUPPORTED_ALGORITHM"},
        {"unknown kid", bearer_of(token_for(k2_priv, "ana", NULL, ISS, AUD, now, 600, 0)), "UNKNOWN_KEY"},
        {"garbage base64", strdup("Bearer !!!not.base64.at-all"), "MALFORMED_TOKEN"},
        {"not bearer", strdup("Basic YWRtaW46YWRtaW4="), "MALFORMED_TOKEN"},
        {"10 KB token", big, "TOKEN_TOO_LARGE"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int i = 0; i < 4; i++) {
            rpc_result r;
            rpc_code code = call_service(i, cases[c].token, &r);
            if (code != RPC_UNAUTHENTICATED || strcmp(r.info.reason, cases[c].reason) != 0)
                fail_msg("%s on %s: %s [%s], want UNAUTHENTICATED [%s]", cases[c].what, names[i], rpc_code_name(code),
                         r.info.reason, cases[c].reason);
        }
        free(cases[c].token);
    }
    for (int i = 0; i < 4; i++)
        assert_true(serving(i)); /* nothing crashed; every service still answers */
}

static void test_header_identity_refused_and_token_required(void **state)
{
    (void)state;
    Booking__V1__CreateHoldRequest req = hold_request("res_none", day(30), day(31), 1);
    rpc_result r;
    assert_int_equal(call_with("booking-svc", &gateway_tls, &booking__v1__booking_service__descriptor, "CreateHold",
                               &req.base, NULL, NULL, NULL, NULL, &r), RPC_UNAUTHENTICATED);
    assert_string_equal(r.info.reason, "MISSING_TOKEN");
    /* the development headers are refused outright, even with a good token */
    char *t = user_token("ana", NULL), *b = bearer(t);
    assert_int_equal(call_with("booking-svc", &gateway_tls, &booking__v1__booking_service__descriptor, "CreateHold",
                               &req.base, b, "x-user-role", "admin", NULL, &r), RPC_UNAUTHENTICATED);
    assert_string_equal(r.info.reason, "HEADER_IDENTITY_REFUSED");
    free(t), free(b);
}

#define AUTH_TRACE_ID "0af7651916cd43dd8448eb211c80319c"

static void test_roles_and_ownership(void **state)
{
    (void)state;
    char *ana = user_token("ana", NULL), *ben = user_token("ben", NULL), *adm = user_token("root", "admin");
    char *ana_b = bearer(ana), *ben_b = bearer(ben), *adm_b = bearer(adm);
    Booking__V1__Money price = BOOKING__V1__MONEY__INIT;
    price.currency = (char *)"EUR";
    price.amount_minor = 9000;
    Booking__V1__Resource res = BOOKING__V1__RESOURCE__INIT;
    res.resource_type = HOTEL;
    res.name = (char *)"Auth hotel";
    res.location = (char *)"Lisbon";
    res.capacity = 3;
    res.slot_minutes = 1440;
    res.time_zone = (char *)"Europe/Lisbon";
    res.base_price = &price;
    Booking__V1__CreateResourceRequest create = BOOKING__V1__CREATE_RESOURCE_REQUEST__INIT;
    create.resource = &res;
    rpc_result r;
    const ProtobufCServiceDescriptor *bs = &booking__v1__booking_service__descriptor;
    /* a customer token cannot act as admin, whatever it claims elsewhere */
    assert_int_equal(call_with("booking-svc", &gateway_tls, bs, "CreateResource", &create.base, ana_b, NULL, NULL,
                               NULL, &r), RPC_PERMISSION_DENIED);
    assert_string_equal(r.info.reason, "ADMIN_REQUIRED");
    ProtobufCMessage *out = NULL;
    assert_int_equal(call_with("booking-svc", &gateway_tls, bs, "CreateResource", &create.base, adm_b, NULL, NULL,
                               &out, &r), RPC_OK);
    char rid[80];
    snprintf(rid, sizeof rid, "%s", ((Booking__V1__Resource *)out)->resource_id);
    protobuf_c_message_free_unpacked(out, NULL);
    /* ana holds and books: booking-svc calls payment-svc with its mTLS identity */
    Booking__V1__CreateHoldRequest hreq = hold_request(rid, day(40), day(42), 1);
    assert_int_equal(call_with("booking-svc", &gateway_tls, bs, "CreateHold", &hreq.base, ana_b, NULL, NULL, &out, &r),
                     RPC_OK);
    assert_string_equal(((Booking__V1__Hold *)out)->user_id, "ana");
    Booking__V1__ConfirmBookingRequest conf = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    conf.hold_id = strdup(((Booking__V1__Hold *)out)->hold_id);
    protobuf_c_message_free_unpacked(out, NULL);
    conf.payment_method_id = (char *)"pm_card_ok";
    if (call_with2("booking-svc", &gateway_tls, bs, "ConfirmBooking", &conf.base, ana_b, "x-request-id",
                   "auth-test-confirm-1", "traceparent", "00-" AUTH_TRACE_ID "-b7ad6b7169203331-01", &out,
                   &r) != RPC_OK)
        fail_msg("ConfirmBooking: %s %s [%s]", rpc_code_name(r.code), r.message, r.info.reason);
    /* the request id travelled with the saga's calls to payment-svc */
    char grep[300];
    snprintf(grep, sizeof grep, "grep -q '\"request_id\":\"auth-test-confirm-1\"' %s",
             harness_log_path(stack, "payment-svc"));
    assert_int_equal(system(grep), 0);
    /* and so did the W3C trace: payment-svc's lines of the saga carry the same trace id */
    snprintf(grep, sizeof grep, "grep -q '\"trace_id\":\"%s\"' %s", AUTH_TRACE_ID,
             harness_log_path(stack, "payment-svc"));
    assert_int_equal(system(grep), 0);
    assert_int_equal(strncmp(r.traceparent, "00-" AUTH_TRACE_ID "-", 36), 0); /* echoed by booking-svc */
    Booking__V1__GetBookingRequest get = BOOKING__V1__GET_BOOKING_REQUEST__INIT;
    get.booking_id = strdup(((Booking__V1__Booking *)out)->booking_id);
    assert_string_equal(((Booking__V1__Booking *)out)->user_id, "ana");
    protobuf_c_message_free_unpacked(out, NULL);
    /* ben cannot read ana's booking; ana can */
    assert_int_equal(call_with("booking-svc", &gateway_tls, bs, "GetBooking", &get.base, ben_b, NULL, NULL, NULL, &r),
                     RPC_PERMISSION_DENIED);
    assert_int_equal(call_with("booking-svc", &gateway_tls, bs, "GetBooking", &get.base, ana_b, NULL, NULL, NULL, &r),
                     RPC_OK);
    free(ana), free(ben), free(adm), free(ana_b), free(ben_b), free(adm_b);
    free(conf.hold_id), free(get.booking_id);
}

static void test_payment_serves_only_services(void **state)
{
    (void)state;
    char *t = user_token("ana", NULL), *b = bearer(t), *a = user_token("root", "admin"), *ab = bearer(a);
    Booking__V1__GetPaymentRequest req = BOOKING__V1__GET_PAYMENT_REQUEST__INIT;
    req.payment_id = (char *)"pay_none";
    const ProtobufCServiceDescriptor *ps = &booking__v1__payment_service__descriptor;
    rpc_result r;
    assert_int_equal(call_with("payment-svc", &gateway_tls, ps, "GetPayment", &req.base, b, NULL, NULL, NULL, &r),
                     RPC_PERMISSION_DENIED);
    assert_string_equal(r.info.reason, "SERVICE_REQUIRED");
    assert_int_equal(call_with("payment-svc", &gateway_tls, ps, "GetPayment", &req.base, ab, NULL, NULL, NULL, &r),
                     RPC_PERMISSION_DENIED); /* admins are users, not services */
    assert_int_equal(call_with("payment-svc", &gateway_tls, ps, "GetPayment", &req.base, NULL, NULL, NULL, NULL, &r),
                     RPC_UNAUTHENTICATED);
    assert_string_equal(r.info.reason, "SERVICE_IDENTITY_REQUIRED");
    /* booking-svc's certificate is a service identity: the call gets through to the handler */
    assert_int_equal(call_with("payment-svc", &booking_tls, ps, "GetPayment", &req.base, NULL, NULL, NULL, NULL, &r),
                     RPC_NOT_FOUND);
    free(t), free(b), free(a), free(ab);
}

/* Polls GetHold with token until the reason is (or is not) want; returns the last. */
static const char *reason_after(const char *token, int64_t give_up_ms, const char *want, int until_equal)
{
    static char last[64];
    char *b = bearer(token);
    Booking__V1__GetHoldRequest req = BOOKING__V1__GET_HOLD_REQUEST__INIT;
    req.hold_id = (char *)"hold_none";
    for (int64_t waited = 0;; waited += 100) {
        rpc_result r;
        call_with("booking-svc", &gateway_tls, &booking__v1__booking_service__descriptor, "GetHold", &req.base, b,
                  NULL, NULL, NULL, &r);
        snprintf(last, sizeof last, "%s", r.code == RPC_NOT_FOUND ? "ACCEPTED" : r.info.reason);
        if ((strcmp(last, want) == 0) == until_equal || waited >= give_up_ms)
            break;
        usleep(100 * 1000);
    }
    free(b);
    return last;
}

static void test_jwks_rotation_without_restart(void **state)
{
    (void)state;
    char *old_t = user_token("ana", NULL);
    char *new_t = token_for(k2_priv, "ana", NULL, ISS, AUD, (int64_t)time(NULL), 600, 0);
    assert_string_equal(reason_after(new_t, 0, "ACCEPTED", 1), "UNKNOWN_KEY");
    const char *both[] = {k1_pub, k2_pub, es_pub};
    write_jwks(both, 3);
    assert_string_equal(reason_after(new_t, 5000, "ACCEPTED", 1), "ACCEPTED"); /* added: accepted */
    assert_string_equal(reason_after(old_t, 0, "ACCEPTED", 1), "ACCEPTED");
    const char *rotated[] = {k2_pub, es_pub};
    write_jwks(rotated, 2);
    assert_string_equal(reason_after(old_t, 5000, "UNKNOWN_KEY", 1), "UNKNOWN_KEY"); /* removed: refused */
    assert_string_equal(reason_after(new_t, 0, "ACCEPTED", 1), "ACCEPTED");
    const char *original[] = {k1_pub, es_pub};
    write_jwks(original, 2);
    assert_string_equal(reason_after(old_t, 5000, "ACCEPTED", 1), "ACCEPTED");
    free(old_t), free(new_t);
}

static void test_es256_tokens(void **state)
{
    (void)state;
    char *t = token_for(es_priv, "carla", NULL, ISS, AUD, (int64_t)time(NULL), 600, 0);
    assert_string_equal(reason_after(t, 0, "ACCEPTED", 1), "ACCEPTED");
    free(t);
}

static void test_tls_refuses_plaintext_and_certless_clients(void **state)
{
    (void)state;
    rpc_result r;
    Booking__V1__GetResourceRequest res = BOOKING__V1__GET_RESOURCE_REQUEST__INIT;
    res.resource_id = (char *)"res_none";
    const ProtobufCServiceDescriptor *ss = &booking__v1__search_service__descriptor;
    assert_int_equal(call_with("search-svc", NULL, ss, "GetResource", &res.base, NULL, NULL, NULL, NULL, &r),
                     RPC_UNAVAILABLE); /* plaintext to a TLS port: no connection */
    assert_int_equal(call_with("search-svc", &gateway_tls, ss, "GetResource", &res.base, NULL, NULL, NULL, NULL, &r),
                     RPC_NOT_FOUND);
    Booking__V1__GetPaymentRequest pay = BOOKING__V1__GET_PAYMENT_REQUEST__INIT;
    pay.payment_id = (char *)"pay_none";
    assert_int_equal(call_with("payment-svc", &nocert_tls, &booking__v1__payment_service__descriptor, "GetPayment",
                               &pay.base, NULL, NULL, NULL, NULL, &r),
                     RPC_UNAVAILABLE); /* mTLS: no client certificate, no handshake */
}

static void test_server_certificate_rotation(void **state)
{
    (void)state;
    /* search-svc's certificate is re-issued by a new CA; only the files change */
    char newdir[128];
    snprintf(newdir, sizeof newdir, "%s/new", dir);
    sh("%s/tests/certs.sh %s search-svc gateway", SOURCE_DIR, newdir);
    sh("cat %s/ca.pem %s/ca.pem > %s/both-ca.pem", dir, newdir, newdir);
    /* the server trusts both CAs for clients, presents the new certificate */
    sh("cp %s/both-ca.pem %s/ca.pem.swap && mv %s/ca.pem.swap %s/ca.pem", newdir, dir, dir, dir);
    sh("cp %s/search-svc.key %s/search-svc.key && cp %s/search-svc.pem %s/search-svc.pem", newdir, dir, newdir, dir);
    rpc_tls only_new;
    tls_files(&only_new, NULL);
    snprintf(only_new.ca_file, sizeof only_new.ca_file, "%s/ca.pem", newdir);
    snprintf(only_new.cert_file, sizeof only_new.cert_file, "%s/gateway.pem", newdir);
    snprintf(only_new.key_file, sizeof only_new.key_file, "%s/gateway.key", newdir);
    Booking__V1__GetResourceRequest res = BOOKING__V1__GET_RESOURCE_REQUEST__INIT;
    res.resource_id = (char *)"res_none";
    rpc_result r;
    assert_int_equal(call_with("search-svc", &only_new, &booking__v1__search_service__descriptor, "GetResource",
                               &res.base, NULL, NULL, NULL, NULL, &r),
                     RPC_NOT_FOUND); /* a client that trusts only the new CA gets through: reloaded */
}

/* A loopback port free now (the kernel's pick). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

/* HEALTH_LISTEN: kubelet's plaintext gRPC probes get health there, and nothing else. */
static void test_plaintext_health_port(void **state)
{
    (void)state;
    static char listen[64], cert[200], key[200];
    int port = free_port();
    snprintf(listen, sizeof listen, "HEALTH_LISTEN=127.0.0.1:%d", port);
    snprintf(cert, sizeof cert, "TLS_CERT_FILE=%s/expiry-svc.pem", dir);
    snprintf(key, sizeof key, "TLS_KEY_FILE=%s/expiry-svc.key", dir);
    const char *env[] = {listen, cert, key, NULL};
    assert_int_equal(harness_start_service(stack, "expiry-svc", env), 0);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    rpc_client *c = rpc_client_new_tls(addr, &grpc__health__v1__health__descriptor, NULL);
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)"liveness";
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    assert_int_equal(rpc_client_call(c, "Check", &req.base, NULL, 0, 3000, 0, &resp, &r), 0);
    assert_int_equal(((Grpc__Health__V1__HealthCheckResponse *)resp)->status,
                     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    protobuf_c_message_free_unpacked(resp, NULL);
    rpc_client_free(c);
    c = rpc_client_new_tls(addr, &booking__v1__expiry_service__descriptor, NULL);
    Booking__V1__RunSweepRequest sweep = BOOKING__V1__RUN_SWEEP_REQUEST__INIT;
    assert_int_equal(rpc_client_call(c, "RunSweep", &sweep.base, NULL, 0, 3000, 0, NULL, &r), -1);
    assert_int_equal(r.code, RPC_UNAUTHENTICATED);
    assert_string_equal(r.info.reason, "TLS_REQUIRED");
    rpc_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_tokens_on_every_service),
        cmocka_unit_test(test_header_identity_refused_and_token_required),
        cmocka_unit_test(test_roles_and_ownership),
        cmocka_unit_test(test_payment_serves_only_services),
        cmocka_unit_test(test_jwks_rotation_without_restart),
        cmocka_unit_test(test_es256_tokens),
        cmocka_unit_test(test_tls_refuses_plaintext_and_certless_clients),
        cmocka_unit_test(test_plaintext_health_port),
        cmocka_unit_test(test_server_certificate_rotation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
