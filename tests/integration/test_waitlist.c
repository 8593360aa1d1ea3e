/* test_waitlist.c — the waiting list against the real stack with two booking-svc
 * replicas (docs/checkout-lifecycle.md, "The waiting list"): joining only a sold-out range,
 * listing and leaving; then 20 waiters served in join order, exactly once, while units
 * come back by expiry, cancellation and a capacity raise, offers expire and pass on or
 * are confirmed, and expiry-svc and a booking-svc replica are SIGKILLed mid-run; every
 * offer reaches a webhook receiver as a signed waitlist.offered. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "invariants.h"
#include "support.h"
#include "timeutil.h"
#include "webhook_receiver.h"

#define WL(s) BOOKING__V1__WAITLIST_STATUS__WAITLIST_STATUS_##s
#define SETTLE_MS 20000
#define WAITERS 20
#define OFFER_TTL_S 3

#define HOOK_SECRET "whsec_waitlist_receiver_0123456"
#define HOOK_WAIT_MS 30000 /* the lease of a delivery whose sender was killed, and then some */

static harness *stack;
static rpc_client *booking, *booking2, *search;
static webhook_receiver *hooks;

/* A webhook endpoint (hooks) subscribed to waitlist.offered. */
static void subscribe(void)
{
    static const char *const types[] = {"waitlist.offered"};
    Booking__V1__CreateWebhookEndpointRequest req = BOOKING__V1__CREATE_WEBHOOK_ENDPOINT_REQUEST__INIT;
    req.url = (char *)receiver_url(hooks);
    req.secret = (char *)HOOK_SECRET;
    req.event_types = (char **)types;
    req.n_event_types = 1;
    rpc_result r;
    if (call_as(booking, "CreateWebhookEndpoint", &req.base, ADMIN, NULL, &r) != RPC_OK)
        fail_msg("CreateWebhookEndpoint: %s %s", rpc_code_name(r.code), r.message);
}

/* Waits until the receiver has had signed waitlist.offered webhooks about `want`
 * different entries of resource rid; returns how many it had. */
static int offers_received(const char *rid, int want)
{
    int64_t start = monotonic_ms();
    for (;;) {
        char seen[64][80];
        int distinct = 0;
        received_hook h;
        for (int i = 0; receiver_get(hooks, i, &h) == 0; i++) {
            if (strcmp(h.event_type, "waitlist.offered") != 0 || strcmp(h.resource_id, rid) != 0)
                continue;
            assert_true(h.verified);
            int known = 0;
            for (int k = 0; k < distinct && !known; k++)
                known = strcmp(seen[k], h.subject) == 0;
            if (!known && distinct < 64)
                snprintf(seen[distinct++], sizeof seen[0], "%s", h.subject);
        }
        if (distinct >= want || monotonic_ms() - start > HOOK_WAIT_MS)
            return distinct;
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
    }
}

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"payment-svc", "booking-svc", "search-svc", "expiry-svc", NULL};
    /* a delivery claimed by the replica SIGKILLed mid-run is sent again after the lease */
    static const char *const env[] = {"WAITLIST_OFFER_TTL_SECONDS=3", "WAITLIST_INTERVAL_MS=100",
                                      "RECONCILE_INTERVAL_MS=500",    "PAYMENT_TIMEOUT_MS=3000",
                                      "WEBHOOK_TIMEOUT_MS=3000",      "WEBHOOK_LEASE_SECONDS=8",
                                      NULL};
    stack = harness_start(services, env);
    if (harness_start_service(stack, "booking-svc#2", NULL) != 0)
        fail_msg("the second booking-svc did not start");
    booking = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    booking2 = rpc_client_new(harness_addr(stack, "booking-svc#2"), &booking__v1__booking_service__descriptor);
    search = rpc_client_new(harness_addr(stack, "search-svc"), &booking__v1__search_service__descriptor);
    hooks = receiver_start(HOOK_SECRET);
    subscribe();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rpc_client_free(booking);
    rpc_client_free(booking2);
    rpc_client_free(search);
    int rc = harness_stop(stack);
    receiver_stop(hooks);
    return rc;
}

static const char *hotel(const char *name, int capacity, int hold_ttl)
{
    return lifecycle_hotel(booking, name, capacity, (lifecycle_settings){.hold_ttl = hold_ttl});
}

/* JoinWaitlist as user through client c; the entry id into entry (may be NULL). */
static rpc_code join(rpc_client *c, const char *user, const char *rid, int64_t from, int64_t to, int quantity,
                     char *entry, rpc_result *r)
{
    Booking__V1__JoinWaitlistRequest req = BOOKING__V1__JOIN_WAITLIST_REQUEST__INIT;
    req.resource_id = (char *)rid;
    req.start_time = at(from);
    req.end_time = at(to);
    req.quantity = quantity;
    ProtobufCMessage *resp = NULL;
    rpc_code code = call_as(c, "JoinWaitlist", &req.base, CUSTOMER(user), &resp, r);
    if (code == RPC_OK) {
        Booking__V1__WaitlistEntry *e = (Booking__V1__WaitlistEntry *)resp;
        assert_int_equal(e->status, WL(WAITING));
        if (entry)
            snprintf(entry, 80, "%s", e->entry_id);
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    return code;
}

/* The entry as its user (or an admin) lists it: status, and the offered hold into hold. */
static int entry_status(const char *user, const char *entry_id, char *hold)
{
    Booking__V1__ListWaitlistRequest req = BOOKING__V1__LIST_WAITLIST_REQUEST__INIT;
    req.user_id = (char *)user;
    req.page_size = 100;
    ProtobufCMessage *resp = NULL;
    assert_int_equal(call_as(booking, "ListWaitlist", &req.base, ADMIN, &resp, NULL), RPC_OK);
    Booking__V1__ListWaitlistResponse *l = (Booking__V1__ListWaitlistResponse *)resp;
    int status = -1;
    for (size_t i = 0; i < l->n_entries; i++)
        if (strcmp(l->entries[i]->entry_id, entry_id) == 0) {
            status = l->entries[i]->status;
            if (hold)
                snprintf(hold, 80, "%s", l->entries[i]->offered_hold_id);
        }
    protobuf_c_message_free_unpacked(resp, NULL);
    return status;
}

static int wait_status(const char *user, const char *entry_id, int want, long timeout_ms, char *hold)
{
    int64_t start = monotonic_ms();
    int got;
    while ((got = entry_status(user, entry_id, hold)) != want && monotonic_ms() - start < timeout_ms)
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
    return got;
}

static rpc_code leave(const char *user, const char *entry_id, int *status)
{
    Booking__V1__LeaveWaitlistRequest req = BOOKING__V1__LEAVE_WAITLIST_REQUEST__INIT;
    req.entry_id = (char *)entry_id;
    ProtobufCMessage *resp = NULL;
    rpc_code code = call_as(booking2, "LeaveWaitlist", &req.base, CUSTOMER(user), &resp, NULL);
    if (resp) {
        *status = ((Booking__V1__WaitlistEntry *)resp)->status;
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    return code;
}

static rpc_code release(const char *user, const char *hold_id)
{
    Booking__V1__ReleaseHoldRequest req = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    return call_as(booking, "ReleaseHold", &req.base, CUSTOMER(user), NULL, NULL);
}

static void test_join_list_leave(void **state)
{
    (void)state;
    const char *rid = hotel("Waitable", 2, 600);
    int64_t from = day(20), to = day(22);
    char held1[80], held2[80], e1[80], e2[80], e3[80], offered[80];
    rpc_result r;
    /* the range is there: hold it instead */
    assert_int_equal(join(booking, "wa", rid, from, to, 1, NULL, &r), RPC_FAILED_PRECONDITION);
    assert_string_equal(r.info.reason, "RANGE_AVAILABLE");
    assert_int_equal(hold(booking, "holder", rid, from, to, 1, held1, sizeof held1), RPC_OK);
    assert_int_equal(hold(booking, "holder", rid, from, to, 1, held2, sizeof held2), RPC_OK);
    assert_int_equal(join(booking, "wa", rid, from, to, 0, NULL, &r), RPC_INVALID_ARGUMENT);
    assert_string_equal(r.info.meta_value[0], "quantity");
    assert_int_equal(join(booking, "wa", rid, from, to, 1, e1, NULL), RPC_OK);
    assert_int_equal(join(booking2, "wb", rid, from, to, 2, e2, NULL), RPC_OK);
    assert_int_equal(join(booking, "wc", rid, day(21), to, 1, e3, NULL), RPC_OK);
    /* lists: one's own; a resource's for admins only */
    Booking__V1__ListWaitlistRequest lreq = BOOKING__V1__LIST_WAITLIST_REQUEST__INIT;
    lreq.resource_id = (char *)rid;
    assert_int_equal(call_as(booking, "ListWaitlist", &lreq.base, CUSTOMER("wa"), NULL, &r), RPC_PERMISSION_DENIED);
    ProtobufCMessage *resp = NULL;
    lreq.page_size = 2;
    assert_int_equal(call_as(booking, "ListWaitlist", &lreq.base, ADMIN, &resp, NULL), RPC_OK);
    Booking__V1__ListWaitlistResponse *l = (Booking__V1__ListWaitlistResponse *)resp;
    assert_int_equal(l->n_entries, 2);
    assert_string_equal(l->entries[0]->entry_id, e1); /* join order */
    assert_string_equal(l->entries[1]->entry_id, e2);
    assert_string_not_equal(l->next_page_token, "");
    lreq.page_token = strdup(l->next_page_token);
    protobuf_c_message_free_unpacked(resp, NULL);
    assert_int_equal(call_as(booking, "ListWaitlist", &lreq.base, ADMIN, &resp, NULL), RPC_OK);
    l = (Booking__V1__ListWaitlistResponse *)resp;
    assert_int_equal(l->n_entries, 1);
    assert_string_equal(l->entries[0]->entry_id, e3);
    assert_string_equal(l->next_page_token, "");
    protobuf_c_message_free_unpacked(resp, NULL);
    free(lreq.page_token);
    int st = 0;
    assert_int_equal(leave("intruder", e1, &st), RPC_PERMISSION_DENIED);
    /* one unit back: wa (1) is offered it; wb (2) and wc (1 of its nights) wait */
    assert_int_equal(release("holder", held1), RPC_OK);
    assert_int_equal(wait_status("wa", e1, WL(OFFERED), 5000, offered), WL(OFFERED));
    assert_int_equal(hold_status_of(booking, offered), BOOKING__V1__HOLD_STATUS__HOLD_STATUS_ACTIVE);
    assert_int_equal(offers_received(rid, 1), 1); /* the receiver learns of it, signed */
    assert_int_equal(entry_status("wb", e2, NULL), WL(WAITING));
    assert_int_equal(entry_status("wc", e3, NULL), WL(WAITING));
    /* wa confirms its offer: a booking, the entry CONVERTED */
    assert_int_equal(confirm_as(booking2, offered, "wa", "pm_card_ok", NULL, NULL), RPC_OK);
    assert_int_equal(wait_status("wa", e1, WL(CONVERTED), 5000, NULL), WL(CONVERTED));
    /* wb leaves; the last unit comes back and goes to wc */
    assert_int_equal(leave("wb", e2, &st), RPC_OK);
    assert_int_equal(st, WL(LEFT));
    assert_int_equal(leave("wb", e2, &st), RPC_OK); /* left twice is left once */
    assert_int_equal(st, WL(LEFT));
    assert_int_equal(release("holder", held2), RPC_OK);
    assert_int_equal(wait_status("wc", e3, WL(OFFERED), 5000, offered), WL(OFFERED));
    /* an offer not taken expires */
    assert_int_equal(wait_status("wc", e3, WL(EXPIRED), (OFFER_TTL_S + 6) * 1000, NULL), WL(EXPIRED));
    invariants_check(stack, SETTLE_MS);
}

/* ---- twenty waiters ------------------------------------------------------------------- */

typedef struct waiter {
    char user[16], entry[80], hold[80];
    int status, converts;
} waiter;

/* Every waiter's status (one admin listing of the resource); how many are in `status`. */
static int refresh(const char *rid, waiter *w, int status)
{
    Booking__V1__ListWaitlistRequest req = BOOKING__V1__LIST_WAITLIST_REQUEST__INIT;
    req.resource_id = (char *)rid;
    req.page_size = 100;
    ProtobufCMessage *resp = NULL;
    rpc_client *c = harness_running(stack, "booking-svc") ? booking : booking2;
    if (call_as(c, "ListWaitlist", &req.base, ADMIN, &resp, NULL) != RPC_OK)
        return -1;
    Booking__V1__ListWaitlistResponse *l = (Booking__V1__ListWaitlistResponse *)resp;
    int count = 0;
    for (size_t i = 0; i < l->n_entries; i++)
        for (int k = 0; k < WAITERS; k++)
            if (strcmp(l->entries[i]->entry_id, w[k].entry) == 0) {
                w[k].status = l->entries[i]->status;
                snprintf(w[k].hold, sizeof w[k].hold, "%s", l->entries[i]->offered_hold_id);
                count += w[k].status == status;
            }
    protobuf_c_message_free_unpacked(resp, NULL);
    return count;
}

/* Waits until `n` waiters are past WAITING; confirms the offers of those marked to. */
static void serve_until(const char *rid, waiter *w, int n, long timeout_ms)
{
    int64_t start = monotonic_ms();
    for (;;) {
        int waiting = refresh(rid, w, WL(WAITING));
        for (int k = 0; k < WAITERS; k++)
            if (w[k].status == WL(OFFERED) && w[k].converts == 1) {
                rpc_client *c = harness_running(stack, "booking-svc#2") ? booking2 : booking;
                if (confirm_as(c, w[k].hold, w[k].user, "pm_card_ok", NULL, NULL) == RPC_OK)
                    w[k].converts = 2;
            }
        if (waiting >= 0 && WAITERS - waiting >= n)
            return;
        if (monotonic_ms() - start > timeout_ms)
            fail_msg("after %ld ms only %d of %d waiters had an offer", timeout_ms, WAITERS - waiting, n);
        nanosleep(&(struct timespec){0, 100 * 1000000L}, NULL);
    }
}

static void set_capacity(const char *rid, int capacity)
{
    Booking__V1__Resource upd = BOOKING__V1__RESOURCE__INIT;
    upd.resource_id = (char *)rid;
    upd.capacity = capacity;
    assert_int_equal(update_resource_field(booking, &upd, "capacity", NULL), RPC_OK);
}

static void test_twenty_waiters_served_once_in_order(void **state)
{
    (void)state;
    const char *rid = hotel("Sold out", 4, 5);
    int64_t from = day(30), to = day(31);
    char h1[80], h2[80], h3[80], h4[80];
    Booking__V1__Booking *b = NULL;
    /* sold out: two holds that will expire, two bookings */
    assert_int_equal(hold(booking, "early1", rid, from, to, 1, h1, sizeof h1), RPC_OK);
    assert_int_equal(hold(booking, "early2", rid, from, to, 1, h2, sizeof h2), RPC_OK);
    assert_int_equal(hold(booking, "guest1", rid, from, to, 1, h3, sizeof h3), RPC_OK);
    assert_int_equal(hold(booking, "guest2", rid, from, to, 1, h4, sizeof h4), RPC_OK);
    assert_int_equal(confirm_as(booking, h3, "guest1", "pm_card_ok", &b, NULL), RPC_OK);
    char cancel_me[80];
    snprintf(cancel_me, sizeof cancel_me, "%s", b->booking_id);
    protobuf_c_message_free_unpacked(&b->base, NULL);
    assert_int_equal(confirm_as(booking, h4, "guest2", "pm_card_ok", NULL, NULL), RPC_OK);
    static waiter w[WAITERS];
    for (int k = 0; k < WAITERS; k++) {
        memset(&w[k], 0, sizeof w[k]);
        snprintf(w[k].user, sizeof w[k].user, "waiter%02d", k);
        w[k].converts = k == 0 || k == 5 || k == 10; /* three confirm their offer; the others let it expire */
        assert_int_equal(join(k % 2 ? booking2 : booking, w[k].user, rid, from, to, 1, w[k].entry, NULL), RPC_OK);
    }
    /* units back by expiry: the two early holds (5 s) */
    serve_until(rid, w, 2, 10000);
    /* expiry-svc killed mid-run: offers made before expire only once it is back */
    assert_int_equal(harness_stop_service(stack, "expiry-svc", SIGKILL), 128 + SIGKILL);
    /* units back by a cancellation */
    Booking__V1__Booking *cb = NULL;
    assert_int_equal(cancel_units(booking, cancel_me, CUSTOMER("guest1"), 0, &cb, NULL), RPC_OK);
    protobuf_c_message_free_unpacked(&cb->base, NULL);
    serve_until(rid, w, 3, 10000);
    /* a booking-svc replica killed mid-run (its worker may be between a take and its record) */
    assert_int_equal(harness_stop_service(stack, "booking-svc#2", SIGKILL), 128 + SIGKILL);
    /* units back by a capacity raise */
    set_capacity(rid, 6);
    serve_until(rid, w, 5, 10000);
    assert_int_equal(harness_start_service(stack, "booking-svc#2", NULL), 0);
    nanosleep(&(struct timespec){OFFER_TTL_S, 0}, NULL); /* offers past their expiry, nobody releasing them */
    assert_int_equal(harness_start_service(stack, "expiry-svc", NULL), 0);
    /* offers not taken expire and pass on, until every waiter has had one */
    serve_until(rid, w, WAITERS, 120000);
    /* then no offer is left open: converted or expired */
    int64_t start = monotonic_ms();
    while (refresh(rid, w, WL(OFFERED)) != 0 && monotonic_ms() - start < 30000) {
        serve_until(rid, w, WAITERS, 1000);
        nanosleep(&(struct timespec){0, 200 * 1000000L}, NULL);
    }
    int converted = 0;
    for (int k = 0; k < WAITERS; k++) {
        if (w[k].status != WL(CONVERTED) && w[k].status != WL(EXPIRED))
            fail_msg("%s ended %d", w[k].user, w[k].status);
        converted += w[k].status == WL(CONVERTED);
    }
    assert_true(converted >= 1);
    /* exactly once, in join order */
    const char *params[1] = {rid};
    assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM booking.events e JOIN booking.waitlist_entries w "
                                             "ON e.subject_id = w.entry_id WHERE w.resource_id = $1 AND "
                                             "e.event_type = 'waitlist.offered'", 1, params), WAITERS);
    assert_int_equal(offers_received(rid, WAITERS), WAITERS); /* each offer reached the webhook receiver */
    assert_int_equal(harness_sql_long(stack, "SELECT count(*) FROM (SELECT join_seq, rank() OVER (ORDER BY join_seq) "
                                             "AS j, rank() OVER (ORDER BY offer_seq) AS o FROM "
                                             "booking.waitlist_entries WHERE resource_id = $1) v WHERE j <> o",
                                      1, params), 0);
    invariants_check(stack, SETTLE_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_list_leave),
        cmocka_unit_test(test_twenty_waiters_served_once_in_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
