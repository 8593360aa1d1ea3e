/* invariants.c — the invariants (docs/architecture.md) as queries on both
 * schemas and on Redis: each returns how many violations it sees and describes one.
 * Redis is read through the cluster-aware client: keys on the node of their slot,
 * SCAN and KEYS on every primary (one node, or a Redis Cluster). */
#include "invariants.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hold_cache.h"
#include "timeutil.h"

/* Runs a count query; on a violation count > 0, the first row of `example` (if any)
 * goes into why. */
static long count_with_example(harness *h, const char *what, const char *count_sql, const char *example_sql,
                               char *why, size_t cap)
{
    PGresult *r = PQexec(harness_db(h), count_sql);
    long n = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atol(PQgetvalue(r, 0, 0)) : -1;
    if (n < 0)
        snprintf(why, cap, "%s: query failed: %s", what, PQerrorMessage(harness_db(h)));
    PQclear(r);
    if (n <= 0)
        return n < 0 ? 1 : 0;
    r = PQexec(harness_db(h), example_sql);
    snprintf(why, cap, "%s (%ld): %s", what, n,
             PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "?");
    PQclear(r);
    return n;
}

#define CHECK(what, where)                                                                                 \
    do {                                                                                                   \
        long n_ = count_with_example(h, what, "SELECT count(*) FROM (" where ") v",                        \
                                     "SELECT row_to_json(v)::text FROM (" where " LIMIT 1) v", why, cap); \
        if (n_)                                                                                            \
            return n_;                                                                                     \
    } while (0)

/* 1. Confirmed never exceeds capacity, and every slot's confirmed count is the sum of
 * the live bookings covering it. */
static long invariant_capacity(harness *h, char *why, size_t cap)
{
    CHECK("slot over capacity", "SELECT resource_id, slot_start FROM booking.slots "
                                "WHERE confirmed > total_capacity OR confirmed < 0");
    CHECK("slot's confirmed count is not its bookings'",
          "SELECT s.resource_id, s.slot_start, s.confirmed FROM booking.slots s WHERE s.confirmed <> "
          "(SELECT coalesce(sum(b.quantity), 0) FROM booking.bookings b WHERE b.resource_id = s.resource_id "
          "AND b.status IN (1, 3) AND b.start_time <= s.slot_start AND b.end_time > s.slot_start)");
    return 0;
}

/* The units of live holds (A, C) per slot of a resource, from Redis: held[i] for slots[i]. */
static void held_units(redis_conn *r, const char *rid, const long long *slots, int n, long *held)
{
    hold_keys k;
    hold_keys_for(&k, rid, NULL);
    memset(held, 0, sizeof *held * (size_t)n);
    redisReply *live = redis_command(r, "SMEMBERS %s", k.live);
    for (size_t i = 0; live && live->type == REDIS_REPLY_ARRAY && i < live->elements; i++) {
        hold_keys hk;
        hold_keys_for(&hk, rid, live->element[i]->str);
        redisReply *hr = redis_command(r, "HMGET %s st q slots", hk.hold);
        if (hr && hr->type == REDIS_REPLY_ARRAY && hr->element[0]->type == REDIS_REPLY_STRING &&
            (hr->element[0]->str[0] == 'A' || hr->element[0]->str[0] == 'C') &&
            hr->element[2]->type == REDIS_REPLY_STRING) {
            long q = atol(hr->element[1]->str);
            char *save = NULL, *list = strdup(hr->element[2]->str);
            for (char *t = strtok_r(list, " ", &save); t; t = strtok_r(NULL, " ", &save))
                for (int j = 0; j < n; j++)
                    held[j] += slots[j] == atoll(t) ? q : 0;
            free(list);
        }
        freeReplyObject(hr);
    }
    freeReplyObject(live);
}

/* total - confirmed of a slot per PostgreSQL (a slot without a row: the resource's
 * capacity, 0 for single-slot resources). */
static long slot_base(harness *h, const char *rid, long long slot)
{
    char s[24];
    snprintf(s, sizeof s, "%lld", slot);
    const char *params[2] = {rid, s};
    return harness_sql_long(h,
        "SELECT coalesce((SELECT total_capacity - confirmed FROM booking.slots WHERE resource_id = $1 "
        "AND slot_start = to_timestamp($2::bigint)), (SELECT CASE WHEN slot_minutes = 0 THEN 0 ELSE capacity END "
        "FROM booking.resources WHERE resource_id = $1), 0)",
        2, params);
}

/* Compares one counter hash (avail:{pNN}:<rid>); 0 or the mismatches. */
static long counters_of(harness *h, const char *key, char *why, size_t cap)
{
    const char *rid = strstr(key, "}:") + 2;
    redisReply *all = redis_command(harness_redis_client(h), "HGETALL %s", key);
    int n = all && all->type == REDIS_REPLY_ARRAY ? (int)all->elements / 2 : 0;
    long long *slots = calloc((size_t)n + 1, sizeof *slots);
    long *held = calloc((size_t)n + 1, sizeof *held), bad = 0;
    for (int i = 0; i < n; i++)
        slots[i] = atoll(all->element[2 * i]->str);
    held_units(harness_redis_client(h), rid, slots, n, held);
    for (int i = 0; i < n; i++) {
        long actual = atol(all->element[2 * i + 1]->str), expected = slot_base(h, rid, slots[i]) - held[i];
        if (actual != expected && bad++ == 0)
            snprintf(why, cap, "Redis counter of %s slot %lld is %ld; PostgreSQL and live holds say %ld", rid,
                     slots[i], actual, expected);
    }
    freeReplyObject(all);
    free(slots);
    free(held);
    return bad;
}

/* One primary's counter hashes; -1 when its SCAN failed. */
static long node_counters(harness *h, int node, char *why, size_t cap)
{
    long bad = 0;
    char cursor[32] = "0";
    do {
        redisReply *scan = redis_node_command(harness_redis_client(h), node, "SCAN %s MATCH avail:* COUNT 1000", cursor);
        if (!scan || scan->type != REDIS_REPLY_ARRAY || scan->elements != 2) {
            snprintf(why, cap, "Redis SCAN failed on node %d", node);
            freeReplyObject(scan);
            return -1;
        }
        snprintf(cursor, sizeof cursor, "%s", scan->element[0]->str);
        for (size_t i = 0; i < scan->element[1]->elements; i++) {
            char scratch[8]; /* the first violation's description is kept */
            bad += counters_of(h, scan->element[1]->element[i]->str, bad ? scratch : why, bad ? sizeof scratch : cap);
        }
        freeReplyObject(scan);
    } while (strcmp(cursor, "0") != 0);
    return bad;
}

long invariant_counters(harness *h, char *why, size_t cap)
{
    long bad = 0;
    int nodes = redis_node_count(harness_redis_client(h));
    if (nodes < 1) {
        snprintf(why, cap, "Redis unreachable");
        return 1;
    }
    for (int node = 0; node < nodes; node++) {
        char scratch[8];
        long n = node_counters(h, node, bad ? scratch : why, bad ? sizeof scratch : cap);
        if (n < 0)
            return 1;
        bad += n;
    }
    return bad;
}

/* 3. An abandoned hold's units come back: no live ACTIVE hold is long past its expiry
 * (checked while expiry-svc runs). */
static long invariant_expiry(harness *h, char *why, size_t cap)
{
    if (!harness_running(h, "expiry-svc"))
        return 0;
    long bad = 0;
    long long now = (long long)time(NULL) * 1000;
    redis_conn *r = harness_redis_client(h);
    for (int node = 0, nodes = redis_node_count(r); node < nodes; node++) {
        redisReply *scan = redis_node_command(r, node, "KEYS hold:*");
        for (size_t i = 0; scan && scan->type == REDIS_REPLY_ARRAY && i < scan->elements; i++) {
            redisReply *hr = redis_command(r, "HMGET %s st exp", scan->element[i]->str);
            if (hr && hr->type == REDIS_REPLY_ARRAY && hr->element[0]->type == REDIS_REPLY_STRING &&
                hr->element[0]->str[0] == 'A' && atoll(hr->element[1]->str) < now - 5000 && bad++ == 0)
                snprintf(why, cap, "%s is ACTIVE %lld ms past its expiry", scan->element[i]->str,
                         now - atoll(hr->element[1]->str));
            freeReplyObject(hr);
        }
        freeReplyObject(scan);
    }
    return bad;
}

/* 4 and 5. One hold, at most one booking and one capture; every authorization without
 * a booking voided, every capture a booking's, refunds within captures and as due. */
static long invariant_payments(harness *h, char *why, size_t cap)
{
    CHECK("hold with two bookings", "SELECT hold_id FROM booking.bookings GROUP BY hold_id HAVING count(*) > 1");
    CHECK("hold captured twice", "SELECT reference FROM payment.payments WHERE captured_minor > 0 "
                                 "GROUP BY reference HAVING count(*) > 1");
    CHECK("authorization without a booking", "SELECT p.payment_id, p.reference FROM payment.payments p "
                                             "WHERE p.status = 1 AND NOT EXISTS (SELECT 1 FROM booking.bookings b "
                                             "WHERE b.payment_id = p.payment_id)");
    CHECK("capture without a booking", "SELECT p.payment_id FROM payment.payments p WHERE p.captured_minor > 0 "
                                       "AND NOT EXISTS (SELECT 1 FROM booking.bookings b WHERE b.payment_id = "
                                       "p.payment_id)");
    CHECK("booking without a live payment", "SELECT b.booking_id FROM booking.bookings b LEFT JOIN "
                                            "payment.payments p USING (payment_id) WHERE p.payment_id IS NULL "
                                            "OR p.status IN (5, 6, 7)");
    CHECK("refund above capture", "SELECT payment_id FROM payment.payments WHERE refunded_minor > captured_minor");
    CHECK("refund still owed", "SELECT booking_id FROM booking.bookings WHERE refunded_minor < refund_due_minor");
    CHECK("booking's payment status is not the payment's",
          "SELECT b.booking_id, b.payment_status, p.status FROM booking.bookings b JOIN payment.payments p "
          "USING (payment_id) WHERE b.payment_status <> p.status");
    return 0;
}

/* 6. Every state change has exactly one event, and every hold Redis ended is recorded
 * so in its history. */
static long invariant_events(harness *h, char *why, size_t cap)
{
    CHECK("hold created twice", "SELECT subject_id FROM booking.events WHERE event_type = 'hold.created' "
                                "GROUP BY subject_id HAVING count(*) > 1");
    CHECK("ended hold without exactly one end event",
          "SELECT h.hold_id, h.status FROM booking.holds h WHERE h.status IN (3, 4, 5) AND (SELECT count(*) FROM "
          "booking.events e WHERE e.subject_id = h.hold_id AND e.event_type IN ('hold.released', 'hold.expired', "
          "'hold.confirmed')) <> 1");
    CHECK("booking without exactly one booking.confirmed",
          "SELECT b.booking_id FROM booking.bookings b WHERE (SELECT count(*) FROM booking.events e WHERE "
          "e.subject_id = b.booking_id AND e.event_type = 'booking.confirmed') <> 1");
    CHECK("cancelled booking without exactly one booking.cancelled",
          "SELECT b.booking_id FROM booking.bookings b WHERE b.status = 2 AND (SELECT count(*) FROM booking.events e "
          "WHERE e.subject_id = b.booking_id AND e.event_type = 'booking.cancelled') <> 1");
    CHECK("booked hold not recorded CONFIRMED", "SELECT b.hold_id FROM booking.bookings b LEFT JOIN booking.holds h "
                                                "USING (hold_id) WHERE h.status IS DISTINCT FROM 3");
    return 0;
}

/* 7. A booking's price snapshot is what was charged and what the hold quoted. */
static long invariant_price(harness *h, char *why, size_t cap)
{
    CHECK("booking total is not the authorized amount",
          "SELECT b.booking_id FROM booking.bookings b JOIN payment.payments p USING (payment_id) "
          "WHERE b.total_minor <> p.amount_minor");
    CHECK("booking price is not its hold's quote", "SELECT b.booking_id FROM booking.bookings b JOIN booking.holds h "
                                                   "USING (hold_id) WHERE h.quote IS NOT NULL AND b.price <> h.quote");
    return 0;
}

/* 8. payment-svc's ledger: refunds within captures within authorizations and equal to
 * the refund rows; a capture takes the whole amount, once; the events chain from
 * creation to each payment's status with one event per change. */
static long invariant_payment_ledger(harness *h, char *why, size_t cap)
{
    CHECK("capture above authorization or refund above capture",
          "SELECT payment_id FROM payment.payments WHERE refunded_minor > captured_minor "
          "OR captured_minor > amount_minor");
    CHECK("refund rows do not add up", "SELECT payment_id FROM payment.payments p WHERE refunded_minor <> (SELECT "
                                       "coalesce(sum(amount_minor), 0) FROM payment.refunds r WHERE r.payment_id = "
                                       "p.payment_id)");
    CHECK("partial capture", "SELECT payment_id FROM payment.payments WHERE status IN (2, 3, 4) "
                             "AND captured_minor <> amount_minor");
    CHECK("captured twice", "SELECT payment_id FROM payment.payment_events WHERE event_type = 'payment.captured' "
                            "GROUP BY payment_id HAVING count(*) > 1");
    CHECK("status is not the last event's", "SELECT payment_id FROM payment.payments p WHERE status IS DISTINCT "
                                            "FROM (SELECT to_status FROM payment.payment_events e WHERE "
                                            "e.payment_id = p.payment_id ORDER BY event_id DESC LIMIT 1)");
    CHECK("event does not follow the previous one",
          "SELECT event_id FROM payment.payment_events e WHERE from_status IS DISTINCT FROM (SELECT to_status FROM "
          "payment.payment_events e2 WHERE e2.payment_id = e.payment_id AND e2.event_id < e.event_id "
          "ORDER BY e2.event_id DESC LIMIT 1)");
    CHECK("refund events are not the refunds", "SELECT 1 WHERE (SELECT count(*) FROM payment.payment_events WHERE "
                                               "event_type = 'payment.refunded') <> (SELECT count(*) FROM "
                                               "payment.refunds)");
    CHECK("event type does not match its status",
          "SELECT event_id FROM payment.payment_events WHERE (event_type, to_status) NOT IN "
          "(('payment.unknown', 7), ('payment.authorized', 1), ('payment.declined', 6), ('payment.captured', 2), "
          "('payment.voided', 5), ('payment.refunded', 3), ('payment.refunded', 4))");
    CHECK("two successful capture attempts", "SELECT payment_id FROM payment.capture_attempts WHERE succeeded "
                                             "GROUP BY payment_id HAVING count(*) > 1");
    return 0;
}

/* 9. Webhooks through the outbox (docs/webhooks.md): every audit event of a webhook type
 * made while an endpoint subscribed to its type was enabled has its outbox event and a
 * delivery to that endpoint (a second's margin either side of the endpoint's creation
 * and disabling, which race with events in flight); sequence numbers of a resource run
 * without gaps or repeats and follow a booking's history; a delivered delivery has a 2xx
 * attempt; while booking-svc runs, no pending delivery is long overdue. */
static long invariant_outbox(harness *h, char *why, size_t cap)
{
    CHECK("webhook event missing from the outbox",
          "SELECT e.event_id, e.event_type, e.subject_id, p.endpoint_id FROM booking.events e "
          "JOIN booking.webhook_event_types t ON t.audit_type = e.event_type "
          "JOIN booking.webhook_endpoints p ON t.webhook_type = ANY (p.event_types) "
          "AND e.created_at > p.created_at + interval '1 second' "
          "AND (p.disabled_at IS NULL OR e.created_at < p.disabled_at - interval '1 second') "
          "WHERE NOT EXISTS (SELECT 1 FROM booking.webhook_events w JOIN booking.webhook_deliveries d "
          "USING (event_id) WHERE w.audit_event_id = e.event_id AND d.endpoint_id = p.endpoint_id)");
    CHECK("webhook sequence numbers of a resource have gaps or repeats",
          "SELECT resource_id, count(*), min(sequence), max(sequence) FROM booking.webhook_events "
          "GROUP BY resource_id HAVING count(*) <> max(sequence) - min(sequence) + 1");
    CHECK("a booking's later webhook event has an earlier sequence number",
          "SELECT c.subject_id, c.event_type FROM booking.webhook_events c JOIN booking.webhook_events f "
          "ON f.subject_id = c.subject_id AND f.event_type = 'booking.confirmed' "
          "WHERE c.event_type IN ('booking.cancelled', 'booking.completed', 'payment.refunded') "
          "AND c.sequence < f.sequence");
    CHECK("delivered webhook without a 2xx attempt",
          "SELECT d.delivery_id FROM booking.webhook_deliveries d WHERE d.status = 2 AND NOT EXISTS "
          "(SELECT 1 FROM booking.webhook_attempts a WHERE a.delivery_id = d.delivery_id "
          "AND a.status_code BETWEEN 200 AND 299)");
    if (harness_running(h, "booking-svc"))
        CHECK("pending webhook delivery long overdue",
              "SELECT d.delivery_id, d.next_attempt_at FROM booking.webhook_deliveries d JOIN "
              "booking.webhook_endpoints p USING (endpoint_id) WHERE d.status = 1 AND p.status = 1 "
              "AND d.next_attempt_at < now() - interval '2 minutes'");
    return 0;
}

static const struct {
    const char *name;
    invariant_fn fn;
} all[] = {
    {"1 capacity", invariant_capacity}, {"2 counters", invariant_counters}, {"3 expiry", invariant_expiry},
    {"4-5 payments", invariant_payments}, {"6 events", invariant_events}, {"7 price", invariant_price},
    {"9 outbox", invariant_outbox},
    {"8 payment ledger", invariant_payment_ledger}, /* last: test_payments checks it alone */
};

/* Checks all[from..to) until they hold together or settle_ms pass. */
static void check_range(harness *h, size_t from, size_t to, long settle_ms)
{
    int64_t start = monotonic_ms();
    for (;;) {
        char why[600] = "";
        size_t failed = from;
        while (failed < to && all[failed].fn(h, why, sizeof why) == 0)
            failed++;
        if (failed == to)
            return;
        if (monotonic_ms() - start >= settle_ms)
            fail_msg("invariant %s does not hold: %s", all[failed].name, why);
        nanosleep(&(struct timespec){0, 100 * 1000000L}, NULL);
    }
}

void invariants_check(harness *h, long settle_ms) { check_range(h, 0, sizeof all / sizeof all[0], settle_ms); }

void invariants_check_payment_ledger(harness *h)
{
    size_t last = sizeof all / sizeof all[0] - 1;
    check_range(h, last, last + 1, 0);
}
