/* test_payments.c — payment-svc against real PostgreSQL: authorize, capture, void and
 * refund paths, the sandbox cards (declines, late answers, failing captures),
 * idempotency also under races, concurrent refunds and captures, hostile input; the
 * payment invariants are checked in the database after every test. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "booking/v1/payment.pb-c.h"
#include "invariants.h"
#include "support.h"

#define AUTHORIZED BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_AUTHORIZED
#define CAPTURED BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_CAPTURED
#define PARTIALLY_REFUNDED BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_PARTIALLY_REFUNDED
#define REFUNDED BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_REFUNDED
#define VOIDED BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_VOIDED
#define DECLINED BOOKING__V1__PAYMENT_STATUS__PAYMENT_STATUS_DECLINED
#define THREADS 8

typedef Booking__V1__Payment payment;

static harness *stack;
static rpc_client *pay;

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"payment-svc", NULL};
    /* Provider calls take as long as a real round trip, and each worker asks gRPC for
     * one call at a time, so that racing calls run on different workers at once (with
     * calls requested ahead, one connection's calls all queue on one worker). */
    static const char *const env[] = {"SANDBOX_LATENCY_MS=25", "GRPC_CALLS_AHEAD=1", NULL};
    stack = harness_start(services, env);
    pay = rpc_client_new(harness_addr(stack, "payment-svc"), &booking__v1__payment_service__descriptor);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rpc_client_free(pay);
    return harness_stop(stack);
}

/* payment-svc serves only services: the tests call it as booking-svc (headers mode). */
static identity key(const char *k) { return (identity){"booking-svc", "service", k}; }

static void payment_free(payment *p)
{
    if (p)
        protobuf_c_message_free_unpacked(&p->base, NULL);
}

/* ---- calls ---------------------------------------------------------------------- */

static rpc_code authorize_on(rpc_client *c, const char *pm, int64_t amount, const char *currency, const char *ref,
                             const char *k, payment **out, rpc_result *r)
{
    Booking__V1__Money money = BOOKING__V1__MONEY__INIT;
    money.currency = (char *)currency;
    money.amount_minor = amount;
    Booking__V1__AuthorizePaymentRequest req = BOOKING__V1__AUTHORIZE_PAYMENT_REQUEST__INIT;
    req.payment_method_id = (char *)pm;
    req.amount = &money;
    req.reference = (char *)ref;
    return call_as(c, "AuthorizePayment", &req.base, key(k), (ProtobufCMessage **)out, r);
}

static rpc_code authorize(const char *pm, int64_t amount, const char *ref, const char *k, payment **out,
                          rpc_result *r)
{
    return authorize_on(pay, pm, amount, "EUR", ref, k, out, r);
}

/* CapturePayment, VoidPayment or GetPayment: the requests share one shape. */
static rpc_code by_id_on(rpc_client *c, const char *method, const char *payment_id, const char *k, payment **out,
                         rpc_result *r)
{
    Booking__V1__CapturePaymentRequest capture = BOOKING__V1__CAPTURE_PAYMENT_REQUEST__INIT;
    Booking__V1__VoidPaymentRequest cancel = BOOKING__V1__VOID_PAYMENT_REQUEST__INIT;
    Booking__V1__GetPaymentRequest get = BOOKING__V1__GET_PAYMENT_REQUEST__INIT;
    capture.payment_id = cancel.payment_id = get.payment_id = (char *)payment_id;
    const ProtobufCMessage *req = strcmp(method, "CapturePayment") == 0 ? &capture.base
                                  : strcmp(method, "VoidPayment") == 0  ? &cancel.base
                                                                        : &get.base;
    return call_as(c, method, req, key(k), (ProtobufCMessage **)out, r);
}

static rpc_code by_id(const char *method, const char *payment_id, const char *k, payment **out, rpc_result *r)
{
    return by_id_on(pay, method, payment_id, k, out, r);
}

static rpc_code refund_on(rpc_client *c, const char *payment_id, int64_t amount, const char *currency,
                          const char *reason, const char *k, payment **out, rpc_result *r)
{
    Booking__V1__Money money = BOOKING__V1__MONEY__INIT;
    money.currency = (char *)currency;
    money.amount_minor = amount;
    Booking__V1__RefundPaymentRequest req = BOOKING__V1__REFUND_PAYMENT_REQUEST__INIT;
    req.payment_id = (char *)payment_id;
    req.amount = &money;
    req.reason = (char *)reason;
    return call_as(c, "RefundPayment", &req.base, key(k), (ProtobufCMessage **)out, r);
}

static rpc_code refund(const char *payment_id, int64_t amount, const char *k, payment **out, rpc_result *r)
{
    return refund_on(pay, payment_id, amount, "EUR", "customer cancelled", k, out, r);
}

/* Authorizes pm_card_ok (and captures when asked); copies the id into id. */
static void new_payment(int64_t amount, int capture, char *id, size_t cap)
{
    payment *p = NULL;
    assert_int_equal(authorize("pm_card_ok", amount, "hold_fixture", NULL, &p, NULL), RPC_OK);
    assert_int_equal(p->status, AUTHORIZED);
    snprintf(id, cap, "%s", p->payment_id);
    payment_free(p);
    if (capture) {
        assert_int_equal(by_id("CapturePayment", id, NULL, &p, NULL), RPC_OK);
        assert_int_equal(p->status, CAPTURED);
        payment_free(p);
    }
}

/* Expects a failure with this code and ErrorInfo reason (or field for INVALID_ARGUMENT). */
static void expect_failure(rpc_code got, const rpc_result *r, rpc_code code, const char *reason_or_field)
{
    if (got != code)
        print_message("expected %s, got %s: %s\n", rpc_code_name(code), rpc_code_name(got), r->message);
    assert_int_equal(got, code);
    if (code == RPC_INVALID_ARGUMENT) {
        assert_string_equal(r->info.reason, "INVALID_FIELD");
        assert_string_equal(r->info.meta_key[0], "field");
        assert_string_equal(r->info.meta_value[0], reason_or_field);
    } else {
        assert_string_equal(r->info.reason, reason_or_field);
    }
}

/* ---- the database ---------------------------------------------------------------- */

static long sql_long(const char *sql, const char *param)
{
    const char *params[1] = {param};
    return harness_sql_long(stack, sql, param ? 1 : 0, params);
}

/* The payment's event types in order, comma-separated (static storage). */
static const char *events_of(const char *payment_id)
{
    static char out[1024];
    const char *params[1] = {payment_id};
    PGresult *r = PQexecParams(harness_db(stack),
                               "SELECT coalesce(string_agg(event_type, ',' ORDER BY event_id), '') "
                               "FROM payment.payment_events WHERE payment_id = $1",
                               1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    snprintf(out, sizeof out, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return out;
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_authorize_and_capture(void **state)
{
    (void)state;
    payment *p = NULL;
    assert_int_equal(authorize("pm_card_ok", 10000, "hold_abc", NULL, &p, NULL), RPC_OK);
    assert_int_equal(p->status, AUTHORIZED);
    assert_true(strncmp(p->payment_id, "pay_", 4) == 0);
    assert_int_equal(p->amount->amount_minor, 10000);
    assert_string_equal(p->amount->currency, "EUR");
    assert_int_equal(p->captured->amount_minor, 0);
    assert_string_equal(p->reference, "hold_abc");
    assert_string_equal(p->payment_method_id, "pm_card_ok");
    assert_string_equal(p->provider, "sandbox");
    assert_string_equal(p->decline_code, "");
    assert_true(p->created_at && p->created_at->seconds > 1700000000);
    char id[80];
    snprintf(id, sizeof id, "%s", p->payment_id);
    payment_free(p);
    assert_int_equal(by_id("CapturePayment", id, NULL, &p, NULL), RPC_OK);
    assert_int_equal(p->status, CAPTURED);
    assert_int_equal(p->captured->amount_minor, 10000);
    payment_free(p);
    assert_int_equal(by_id("CapturePayment", id, NULL, &p, NULL), RPC_OK); /* one capture */
    assert_int_equal(p->status, CAPTURED);
    payment_free(p);
    assert_int_equal(by_id("GetPayment", id, NULL, &p, NULL), RPC_OK);
    assert_int_equal(p->status, CAPTURED);
    payment_free(p);
    assert_string_equal(events_of(id), "payment.unknown,payment.authorized,payment.captured");
    invariants_check_payment_ledger(stack);
}

/* Refunds a captured payment by n minor units; expects the status and total after. */
static void refund_ok(const char *id, int64_t n, int status, int64_t total)
{
    payment *p = NULL;
    assert_int_equal(refund(id, n, NULL, &p, NULL), RPC_OK);
    assert_int_equal(p->status, status);
    assert_int_equal(p->refunded->amount_minor, total);
    assert_int_equal(p->captured->amount_minor, 10000);
    payment_free(p);
}

static void test_partial_and_repeated_refunds(void **state)
{
    (void)state;
    char id[80];
    rpc_result r;
    payment *p = NULL;
    new_payment(10000, 1, id, sizeof id);
    refund_ok(id, 2500, PARTIALLY_REFUNDED, 2500);
    refund_ok(id, 2500, PARTIALLY_REFUNDED, 5000);
    expect_failure(refund(id, 5001, NULL, NULL, &r), &r, RPC_FAILED_PRECONDITION, "REFUND_EXCEEDS_CAPTURED");
    refund_ok(id, 5000, REFUNDED, 10000);
    expect_failure(refund(id, 1, NULL, NULL, &r), &r, RPC_FAILED_PRECONDITION, "REFUND_EXCEEDS_CAPTURED");
    expect_failure(by_id("VoidPayment", id, NULL, NULL, &r), &r, RPC_FAILED_PRECONDITION, "PAYMENT_CAPTURED");
    assert_int_equal(by_id("CapturePayment", id, NULL, &p, NULL), RPC_OK); /* still the one capture */
    assert_int_equal(p->status, REFUNDED);
    payment_free(p);
    assert_string_equal(events_of(id), "payment.unknown,payment.authorized,payment.captured,"
                                       "payment.refunded,payment.refunded,payment.refunded");
    assert_int_equal(sql_long("SELECT count(*) FROM payment.refunds WHERE payment_id = $1", id), 3);
    invariants_check_payment_ledger(stack);
}

static void test_authorize_void(void **state)
{
    (void)state;
    char id[80];
    payment *p = NULL;
    rpc_result r;
    new_payment(4200, 0, id, sizeof id);
    assert_int_equal(by_id("VoidPayment", id, NULL, &p, NULL), RPC_OK);
    assert_int_equal(p->status, VOIDED);
    assert_int_equal(p->captured->amount_minor, 0);
    payment_free(p);
    assert_int_equal(by_id("VoidPayment", id, NULL, &p, NULL), RPC_OK); /* again: unchanged */
    assert_int_equal(p->status, VOIDED);
    payment_free(p);
    expect_failure(by_id("CapturePayment", id, NULL, NULL, &r), &r, RPC_FAILED_PRECONDITION, "PAYMENT_VOIDED");
    expect_failure(refund(id, 100, NULL, NULL, &r), &r, RPC_FAILED_PRECONDITION, "PAYMENT_VOIDED");
    assert_string_equal(events_of(id), "payment.unknown,payment.authorized,payment.voided");
    invariants_check_payment_ledger(stack);
}

static void check_decline(const char *pm, const char *code)
{
    payment *p = NULL;
    rpc_result r;
    assert_int_equal(authorize(pm, 999, "hold_declined", NULL, &p, &r), RPC_OK); /* an answer, not an error */
    assert_int_equal(p->status, DECLINED);
    assert_string_equal(p->decline_code, code);
    assert_int_equal(p->captured->amount_minor, 0);
    char id[80];
    snprintf(id, sizeof id, "%s", p->payment_id);
    payment_free(p);
    expect_failure(by_id("CapturePayment", id, NULL, NULL, &r), &r, RPC_FAILED_PRECONDITION, "PAYMENT_DECLINED");
    expect_failure(by_id("VoidPayment", id, NULL, NULL, &r), &r, RPC_FAILED_PRECONDITION, "PAYMENT_DECLINED");
    expect_failure(refund(id, 1, NULL, NULL, &r), &r, RPC_FAILED_PRECONDITION, "PAYMENT_DECLINED");
    assert_int_equal(by_id("GetPayment", id, NULL, &p, NULL), RPC_OK);
    assert_int_equal(p->status, DECLINED);
    assert_string_equal(p->decline_code, code);
    payment_free(p);
    assert_string_equal(events_of(id), "payment.unknown,payment.declined");
}

static void test_decline_reasons(void **state)
{
    (void)state;
    check_decline("pm_card_declined", "card_declined");
    check_decline("pm_card_insufficient_funds", "insufficient_funds");
    invariants_check_payment_ledger(stack);
}

static void test_refund_needs_a_capture(void **state)
{
    (void)state;
    char id[80];
    rpc_result r;
    payment *p = NULL;
    new_payment(3000, 0, id, sizeof id);
    expect_failure(refund(id, 100, NULL, NULL, &r), &r, RPC_FAILED_PRECONDITION, "PAYMENT_NOT_CAPTURED");
    assert_int_equal(by_id("CapturePayment", id, NULL, &p, NULL), RPC_OK);
    payment_free(p);
    expect_failure(refund_on(pay, id, 100, "USD", "", NULL, NULL, &r), &r, RPC_INVALID_ARGUMENT, "amount.currency");
    expect_failure(refund(id, 3001, NULL, NULL, &r), &r, RPC_FAILED_PRECONDITION, "REFUND_EXCEEDS_CAPTURED");
    assert_int_equal(refund(id, 3000, NULL, &p, NULL), RPC_OK); /* all at once */
    assert_int_equal(p->status, REFUNDED);
    payment_free(p);
    invariants_check_payment_ledger(stack);
}

/* AuthorizePayment with pm_card_timeout and a 1 s deadline: DEADLINE_EXCEEDED. */
static void authorize_late(const char *k, const char *ref)
{
    Booking__V1__Money money = BOOKING__V1__MONEY__INIT;
    money.currency = (char *)"EUR";
    money.amount_minor = 7700;
    Booking__V1__AuthorizePaymentRequest req = BOOKING__V1__AUTHORIZE_PAYMENT_REQUEST__INIT;
    req.payment_method_id = (char *)"pm_card_timeout";
    req.amount = &money;
    req.reference = (char *)ref;
    rpc_md md[3] = {{"idempotency-key", k}, {"x-user-id", "booking-svc"}, {"x-user-role", "service"}};
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    assert_int_equal(rpc_client_call(pay, "AuthorizePayment", &req.base, md, 3, 1000, 0, &resp, &r), -1);
    assert_int_equal(r.code, RPC_DEADLINE_EXCEEDED);
}

/* The caller gave up; the provider still authorized. The same request with the same
 * key learns the outcome (the saga's reconciliation), then voids it. */
static void test_timeout_card_outcome_learned_later(void **state)
{
    (void)state;
    authorize_late("late-key-1", "hold_late_1");
    /* the outcome is unknown for a while (the sandbox answers ~300 ms after the deadline) */
    assert_int_equal(sql_long("SELECT status FROM payment.payments WHERE reference = $1", "hold_late_1"), 7);
    sleep_ms(2000);
    assert_int_equal(sql_long("SELECT status FROM payment.payments WHERE reference = $1", "hold_late_1"), 1);
    payment *p = NULL;
    assert_int_equal(authorize_on(pay, "pm_card_timeout", 7700, "EUR", "hold_late_1", "late-key-1", &p, NULL), RPC_OK);
    assert_int_equal(p->status, AUTHORIZED);
    assert_true(strncmp(p->payment_id, "pay_", 4) == 0);
    char id[80];
    snprintf(id, sizeof id, "%s", p->payment_id);
    payment_free(p);
    assert_int_equal(sql_long("SELECT count(*) FROM payment.payments WHERE reference = $1", "hold_late_1"), 1);
    assert_int_equal(by_id("VoidPayment", id, "void-late-1", &p, NULL), RPC_OK);
    assert_int_equal(p->status, VOIDED);
    payment_free(p);
    assert_string_equal(events_of(id), "payment.unknown,payment.authorized,payment.voided");
    invariants_check_payment_ledger(stack);
}

/* A retry while the late authorization still runs waits for it: one payment. */
static void test_timeout_card_retry_during_the_call(void **state)
{
    (void)state;
    authorize_late("late-key-2", "hold_late_2");
    payment *p = NULL;
    assert_int_equal(authorize_on(pay, "pm_card_timeout", 7700, "EUR", "hold_late_2", "late-key-2", &p, NULL), RPC_OK);
    assert_int_equal(p->status, AUTHORIZED);
    payment_free(p);
    assert_int_equal(sql_long("SELECT count(*) FROM payment.payments WHERE reference = $1", "hold_late_2"), 1);
    invariants_check_payment_ledger(stack);
}

static void test_capture_fails_twice_then_succeeds(void **state)
{
    (void)state;
    payment *p = NULL;
    rpc_result r;
    assert_int_equal(authorize("pm_card_capture_fails", 5000, "hold_cap", NULL, &p, NULL), RPC_OK);
    assert_int_equal(p->status, AUTHORIZED);
    char id[80];
    snprintf(id, sizeof id, "%s", p->payment_id);
    payment_free(p);
    for (int i = 0; i < 2; i++) { /* the same key each time, as a retrying caller would */
        expect_failure(by_id("CapturePayment", id, "capture-key", NULL, &r), &r, RPC_UNAVAILABLE, "PROVIDER_ERROR");
        assert_int_equal(by_id("GetPayment", id, NULL, &p, NULL), RPC_OK);
        assert_int_equal(p->status, AUTHORIZED); /* no state change */
        payment_free(p);
    }
    assert_int_equal(by_id("CapturePayment", id, "capture-key", &p, NULL), RPC_OK);
    assert_int_equal(p->status, CAPTURED);
    assert_int_equal(p->captured->amount_minor, 5000);
    payment_free(p);
    assert_int_equal(by_id("CapturePayment", id, "capture-key", &p, NULL), RPC_OK); /* replayed */
    assert_int_equal(p->status, CAPTURED);
    payment_free(p);
    assert_int_equal(sql_long("SELECT count(*) FROM payment.capture_attempts WHERE payment_id = $1", id), 3);
    assert_int_equal(sql_long("SELECT count(*) FROM payment.capture_attempts WHERE payment_id = $1 AND succeeded", id),
                     1);
    assert_string_equal(events_of(id), "payment.unknown,payment.authorized,payment.captured");
    invariants_check_payment_ledger(stack);
}

static void test_idempotent_authorize(void **state)
{
    (void)state;
    payment *a = NULL, *b = NULL;
    rpc_result r;
    assert_int_equal(authorize("pm_card_ok", 1234, "hold_idem", "auth-key-1", &a, NULL), RPC_OK);
    assert_int_equal(authorize("pm_card_ok", 1234, "hold_idem", "auth-key-1", &b, NULL), RPC_OK);
    assert_string_equal(a->payment_id, b->payment_id);
    payment_free(a);
    payment_free(b);
    expect_failure(authorize("pm_card_ok", 1235, "hold_idem", "auth-key-1", NULL, &r), &r, RPC_ALREADY_EXISTS,
                   "IDEMPOTENCY_KEY_REUSED");
    assert_int_equal(sql_long("SELECT count(*) FROM payment.payments WHERE reference = $1", "hold_idem"), 1);
    /* a decline replays too */
    assert_int_equal(authorize("pm_card_declined", 1234, "hold_idem_d", "auth-key-2", &a, NULL), RPC_OK);
    assert_int_equal(authorize("pm_card_declined", 1234, "hold_idem_d", "auth-key-2", &b, NULL), RPC_OK);
    assert_string_equal(a->payment_id, b->payment_id);
    assert_int_equal(b->status, DECLINED);
    assert_string_equal(b->decline_code, "card_declined");
    payment_free(a);
    payment_free(b);
    invariants_check_payment_ledger(stack);
}

typedef struct racer {
    pthread_barrier_t *go;
    const char *payment_id;  /* refund / capture */
    char key[64];
    rpc_code code;
    char reason[64];
    char result_id[80];
} racer;

static void racer_done(racer *rc, rpc_code code, const rpc_result *r, payment *p)
{
    rc->code = code;
    snprintf(rc->reason, sizeof rc->reason, "%s", code == RPC_OK ? "" : r->info.reason);
    if (p)
        snprintf(rc->result_id, sizeof rc->result_id, "%s", p->payment_id);
    payment_free(p);
}

/* A client already connected (one GetPayment answered), so that the racers' calls
 * reach the server together rather than in the order their connections came up. */
static rpc_client *warm_client(const racer *rc)
{
    rpc_client *c = rpc_client_new(harness_addr(stack, "payment-svc"), &booking__v1__payment_service__descriptor);
    by_id_on(c, "GetPayment", rc->payment_id ? rc->payment_id : "pay_warm_up", NULL, NULL, NULL);
    return c;
}

static void *race_authorize(void *arg)
{
    racer *rc = arg;
    rpc_client *c = warm_client(rc);
    payment *p = NULL;
    rpc_result r;
    pthread_barrier_wait(rc->go);
    rpc_code code = authorize_on(c, "pm_card_ok", 8888, "EUR", "hold_race", "race-key", &p, &r);
    racer_done(rc, code, &r, p);
    rpc_client_free(c);
    return NULL;
}

static void *race_refund(void *arg)
{
    racer *rc = arg;
    rpc_client *c = warm_client(rc);
    payment *p = NULL;
    rpc_result r;
    pthread_barrier_wait(rc->go);
    rpc_code code = refund_on(c, rc->payment_id, 2000, "EUR", "race", rc->key, &p, &r);
    racer_done(rc, code, &r, p);
    rpc_client_free(c);
    return NULL;
}

static void *race_capture(void *arg)
{
    racer *rc = arg;
    rpc_client *c = warm_client(rc);
    payment *p = NULL;
    rpc_result r;
    pthread_barrier_wait(rc->go);
    rpc_code code = by_id_on(c, "CapturePayment", rc->payment_id, NULL, &p, &r);
    racer_done(rc, code, &r, p);
    rpc_client_free(c);
    return NULL;
}

/* Runs THREADS racers of fn, each with its own client and key "<prefix>-<i>". */
static void race(void *(*fn)(void *), const char *payment_id, const char *key_prefix, racer *racers)
{
    pthread_t threads[THREADS];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        racers[i] = (racer){.go = &go, .payment_id = payment_id};
        snprintf(racers[i].key, sizeof racers[i].key, "%s-%d", key_prefix, i);
        pthread_create(&threads[i], NULL, fn, &racers[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&go);
}

static void test_idempotent_authorize_racing(void **state)
{
    (void)state;
    racer racers[THREADS];
    race(race_authorize, NULL, "unused", racers);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(racers[i].code, RPC_OK);
        assert_string_equal(racers[i].result_id, racers[0].result_id);
    }
    assert_int_equal(sql_long("SELECT count(*) FROM payment.payments WHERE reference = $1", "hold_race"), 1);
    invariants_check_payment_ledger(stack);
}

static void test_refund_idempotency(void **state)
{
    (void)state;
    char id[80];
    payment *a = NULL, *b = NULL;
    rpc_result r;
    new_payment(6000, 1, id, sizeof id);
    assert_int_equal(refund(id, 1000, "refund-key-1", &a, NULL), RPC_OK);
    assert_int_equal(refund(id, 1000, "refund-key-1", &b, NULL), RPC_OK); /* never issued twice */
    assert_int_equal(a->refunded->amount_minor, 1000);
    assert_int_equal(b->refunded->amount_minor, 1000);
    payment_free(a);
    payment_free(b);
    expect_failure(refund(id, 1500, "refund-key-1", NULL, &r), &r, RPC_ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED");
    assert_int_equal(refund(id, 1000, "refund-key-2", &a, NULL), RPC_OK); /* another refund */
    assert_int_equal(a->refunded->amount_minor, 2000);
    payment_free(a);
    assert_int_equal(sql_long("SELECT count(*) FROM payment.refunds WHERE payment_id = $1", id), 2);
    invariants_check_payment_ledger(stack);
}

/* The refund ran and committed, but its idempotency record was lost (a crash before
 * the outcome was stored): the rerun under the same key finds the refund and applies
 * nothing twice — also for a refund of everything, which must not turn into an error. */
static void test_refund_rerun_after_a_lost_record(void **state)
{
    (void)state;
    char id[80];
    payment *p = NULL;
    new_payment(4000, 1, id, sizeof id);
    assert_int_equal(refund(id, 4000, "refund-all", &p, NULL), RPC_OK);
    payment_free(p);
    assert_int_equal(sql_long("WITH d AS (DELETE FROM payment.idempotency_keys WHERE key = 'refund-all' RETURNING 1) "
                              "SELECT count(*) FROM d", NULL), 1);
    assert_int_equal(refund(id, 4000, "refund-all", &p, NULL), RPC_OK);
    assert_int_equal(p->refunded->amount_minor, 4000);
    assert_int_equal(p->status, REFUNDED);
    payment_free(p);
    assert_int_equal(sql_long("SELECT count(*) FROM payment.refunds WHERE payment_id = $1", id), 1);
    invariants_check_payment_ledger(stack);
}

/* Eight refunds of 20 % race: exactly five succeed and the refunds equal the capture. */
static void test_concurrent_refunds(void **state)
{
    (void)state;
    char id[80];
    new_payment(10000, 1, id, sizeof id);
    racer racers[THREADS];
    race(race_refund, id, "fifth", racers);
    int ok = 0, exceeded = 0;
    for (int i = 0; i < THREADS; i++) {
        ok += racers[i].code == RPC_OK;
        exceeded += racers[i].code == RPC_FAILED_PRECONDITION &&
                    strcmp(racers[i].reason, "REFUND_EXCEEDS_CAPTURED") == 0;
    }
    assert_int_equal(ok, 5);
    assert_int_equal(exceeded, 3);
    assert_int_equal(sql_long("SELECT refunded_minor FROM payment.payments WHERE payment_id = $1", id), 10000);
    assert_int_equal(sql_long("SELECT status FROM payment.payments WHERE payment_id = $1", id), REFUNDED);
    assert_int_equal(sql_long("SELECT count(*) FROM payment.refunds WHERE payment_id = $1", id), 5);
    invariants_check_payment_ledger(stack);
}

/* Eight captures race: all answer CAPTURED, the provider captured once. */
static void test_concurrent_captures(void **state)
{
    (void)state;
    char id[80];
    new_payment(3300, 0, id, sizeof id);
    racer racers[THREADS];
    race(race_capture, id, "unused", racers);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(racers[i].code, RPC_OK);
    assert_int_equal(sql_long("SELECT count(*) FROM payment.capture_attempts WHERE payment_id = $1", id), 1);
    assert_string_equal(events_of(id), "payment.unknown,payment.authorized,payment.captured");
    invariants_check_payment_ledger(stack);
}

/* Inserts a payment whose authorization outcome is still unknown (a crash after the
 * row was written), with its creation event. */
static void insert_unknown(const char *id, const char *idempotency_key)
{
    const char *params[2] = {id, idempotency_key};
    PGresult *res = PQexecParams(harness_db(stack),
        "WITH p AS (INSERT INTO payment.payments (payment_id, status, currency, amount_minor, payment_method_id, "
        "reference, idempotency_key) VALUES ($1, 7, 'EUR', 4500, 'pm_card_ok', 'hold_crash', $2) "
        "RETURNING payment_id) INSERT INTO payment.payment_events (payment_id, event_type, to_status) "
        "SELECT payment_id, 'payment.unknown', 7 FROM p",
        2, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
}

static void test_outcome_unknown(void **state)
{
    (void)state;
    rpc_result r;
    insert_unknown("pay_unknown_1", NULL);
    expect_failure(by_id("VoidPayment", "pay_unknown_1", NULL, NULL, &r), &r, RPC_FAILED_PRECONDITION,
                   "OUTCOME_UNKNOWN");
    expect_failure(by_id("CapturePayment", "pay_unknown_1", NULL, NULL, &r), &r, RPC_FAILED_PRECONDITION,
                   "OUTCOME_UNKNOWN");
    expect_failure(refund("pay_unknown_1", 10, NULL, NULL, &r), &r, RPC_FAILED_PRECONDITION, "OUTCOME_UNKNOWN");
    /* the crashed authorization's retry resolves the same payment */
    insert_unknown("pay_unknown_2", "crash-key");
    payment *p = NULL;
    assert_int_equal(authorize_on(pay, "pm_card_ok", 4500, "EUR", "hold_crash", "crash-key", &p, NULL), RPC_OK);
    assert_string_equal(p->payment_id, "pay_unknown_2");
    assert_int_equal(p->status, AUTHORIZED);
    payment_free(p);
    expect_failure(authorize_on(pay, "pm_card_ok", 4501, "EUR", "hold_crash", "crash-key", NULL, &r), &r,
                   RPC_ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED");
    assert_string_equal(events_of("pay_unknown_2"), "payment.unknown,payment.authorized");
    invariants_check_payment_ledger(stack);
}

static void test_invalid_input_names_the_field(void **state)
{
    (void)state;
    rpc_result r;
    char long_text[700];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    long_text[129] = '\0';
    expect_failure(authorize(NULL, 100, "bad", NULL, NULL, &r), &r, RPC_INVALID_ARGUMENT, "payment_method_id");
    expect_failure(authorize("pm_card_gold", 100, "bad", NULL, NULL, &r), &r, RPC_INVALID_ARGUMENT,
                   "payment_method_id");
    expect_failure(authorize(long_text, 100, "bad", NULL, NULL, &r), &r, RPC_INVALID_ARGUMENT, "payment_method_id");
    expect_failure(authorize("pm_card_ok", 0, "bad", NULL, NULL, &r), &r, RPC_INVALID_ARGUMENT, "amount.amount_minor");
    expect_failure(authorize("pm_card_ok", -5, "bad", NULL, NULL, &r), &r, RPC_INVALID_ARGUMENT,
                   "amount.amount_minor");
    const char *currencies[] = {"eur", "EURO", "", "E1R", "EU"};
    for (size_t i = 0; i < 5; i++)
        expect_failure(authorize_on(pay, "pm_card_ok", 100, currencies[i], "bad", NULL, NULL, &r), &r,
                       RPC_INVALID_ARGUMENT, "amount.currency");
    expect_failure(authorize("pm_card_ok", 100, long_text, NULL, NULL, &r), &r, RPC_INVALID_ARGUMENT, "reference");
    Booking__V1__AuthorizePaymentRequest no_amount = BOOKING__V1__AUTHORIZE_PAYMENT_REQUEST__INIT;
    no_amount.payment_method_id = (char *)"pm_card_ok";
    expect_failure(call_as(pay, "AuthorizePayment", &no_amount.base, key(NULL), NULL, &r), &r, RPC_INVALID_ARGUMENT,
                   "amount");
    expect_failure(by_id("CapturePayment", "", NULL, NULL, &r), &r, RPC_INVALID_ARGUMENT, "payment_id");
    expect_failure(by_id("VoidPayment", "not an id!", NULL, NULL, &r), &r, RPC_INVALID_ARGUMENT, "payment_id");
    expect_failure(by_id("GetPayment", NULL, NULL, NULL, &r), &r, RPC_INVALID_ARGUMENT, "payment_id");
    expect_failure(by_id("GetPayment", "pay_nope", NULL, NULL, &r), &r, RPC_NOT_FOUND, "PAYMENT_NOT_FOUND");
    expect_failure(by_id("CapturePayment", "pay_nope", NULL, NULL, &r), &r, RPC_NOT_FOUND, "PAYMENT_NOT_FOUND");
    expect_failure(refund("pay_nope", 10, NULL, NULL, &r), &r, RPC_NOT_FOUND, "PAYMENT_NOT_FOUND");
    expect_failure(refund("pay_nope", 0, NULL, NULL, &r), &r, RPC_INVALID_ARGUMENT, "amount.amount_minor");
    long_text[129] = 'x';
    expect_failure(refund_on(pay, "pay_nope", 10, "EUR", long_text, NULL, NULL, &r), &r, RPC_INVALID_ARGUMENT,
                   "reason");
    expect_failure(authorize("pm_card_ok", 100, "bad", long_text, NULL, &r), &r, RPC_INVALID_ARGUMENT,
                   "idempotency_key");
    assert_int_equal(sql_long("SELECT count(*) FROM payment.payments WHERE reference = $1", "bad"), 0);
    invariants_check_payment_ledger(stack);
}

/* The value of one series in payment-svc's /metrics, or -1 when absent. */
static long metric_value(const char *series)
{
    char *scrape = harness_metrics(stack, "payment-svc");
    assert_non_null(scrape);
    long value = (long)harness_metric_value(scrape, series);
    free(scrape);
    return value;
}

/* Runs last: the counters of everything the tests above did. */
static void test_metrics(void **state)
{
    (void)state;
    assert_int_equal(metric_value("payments_total{outcome=\"declined\"} "), 3);
    assert_true(metric_value("payments_total{outcome=\"authorized\"} ") >= 12);
    assert_int_equal(metric_value("payments_total{outcome=\"unknown\"} "), 0);
    assert_int_equal(metric_value("payment_late_answers_total "), 2);
    assert_int_equal(metric_value("payment_captures_total{result=\"provider_error\"} "), 2);
    assert_true(metric_value("payment_captures_total{result=\"captured\"} ") >= 5);
    assert_true(metric_value("payment_captures_total{result=\"already_captured\"} ") >= 7);
    assert_true(metric_value("payment_refunds_total{result=\"refunded\"} ") >= 11);
    assert_true(metric_value("payment_refunds_total{result=\"refused\"} ") >= 3);
    assert_true(metric_value("payment_voids_total{result=\"voided\"} ") >= 2);
    assert_true(metric_value("payment_provider_seconds_count{op=\"authorize\"} ") >= 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authorize_and_capture),
        cmocka_unit_test(test_partial_and_repeated_refunds),
        cmocka_unit_test(test_authorize_void),
        cmocka_unit_test(test_decline_reasons),
        cmocka_unit_test(test_refund_needs_a_capture),
        cmocka_unit_test(test_timeout_card_outcome_learned_later),
        cmocka_unit_test(test_timeout_card_retry_during_the_call),
        cmocka_unit_test(test_capture_fails_twice_then_succeeds),
        cmocka_unit_test(test_idempotent_authorize),
        cmocka_unit_test(test_idempotent_authorize_racing),
        cmocka_unit_test(test_refund_idempotency),
        cmocka_unit_test(test_refund_rerun_after_a_lost_record),
        cmocka_unit_test(test_concurrent_refunds),
        cmocka_unit_test(test_concurrent_captures),
        cmocka_unit_test(test_outcome_unknown),
        cmocka_unit_test(test_invalid_input_names_the_field),
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
