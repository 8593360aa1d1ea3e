/* saga_store.c — SQL of the confirmation saga, cancellations and booking reads. */
#include "saga_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_store.h"
#include "pricing.h"
#include "states.h"
#include "strbuf.h"

#define I64(buf, v) (snprintf((buf), sizeof(buf), "%" PRId64, (int64_t)(v)), (buf))
#define BOOKING_STATUS(s) BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_##s

#define BOOKING_COLUMNS                                                                                    \
    "booking_id, hold_id, user_id, resource_id, payment_id, currency, "                                    \
    "extract(epoch FROM start_time)::bigint, extract(epoch FROM end_time)::bigint, "                        \
    "extract(epoch FROM created_at)::bigint, extract(epoch FROM updated_at)::bigint, quantity, status, "    \
    "payment_status, total_minor, refund_due_minor, refunded_minor, cancel_reason, price, "                \
    "(extract(epoch FROM created_at) * 1000000)::bigint, cancelled_quantity"

/* ---- payment attempts -------------------------------------------------------------- */

int saga_attempt_open(pg_conn *pg, attempt_row *a, int epoch)
{
    char amount[24], ep[24];
    snprintf(a->key, sizeof a->key, "authorize:%s:%d", a->hold_id, epoch);
    const char *params[6] = {a->key, a->hold_id, a->payment_method_id, a->currency, I64(amount, a->amount_minor),
                             I64(ep, epoch)};
    int rows = pg_affected(pg,
        "INSERT INTO payment_attempts (idempotency_key, hold_id, payment_method_id, currency, amount_minor, state, "
        "epoch) SELECT $1, $2, $3, $4, $5, 'pending', $6 "
        "WHERE NOT EXISTS (SELECT 1 FROM bookings WHERE hold_id = $2) ON CONFLICT DO NOTHING",
        6, params);
    return rows < 0 ? -1 : rows == 1;
}

int saga_attempt_set(pg_conn *pg, const char *key, const char *state, const char *payment_id, const char *decline)
{
    const char *params[4] = {key, state, payment_id && *payment_id ? payment_id : NULL, decline ? decline : ""};
    return pg_run(pg,
                  "UPDATE payment_attempts SET state = $2, payment_id = coalesce($3, payment_id), "
                  "decline_code = $4, updated_at = now() WHERE idempotency_key = $1",
                  4, params);
}

int saga_fence(pg_conn *pg, const char *hold_id, int epoch, char *booking_id, size_t cap)
{
    char ep[24];
    const char *params[2] = {hold_id, I64(ep, epoch)};
    if (pg_run(pg,
               "INSERT INTO payment_attempts (idempotency_key, hold_id, payment_method_id, currency, amount_minor, "
               "state, epoch) VALUES ('authorize:' || $1 || ':' || $2, $1, '', '', 0, 'fenced', $2::int) "
               "ON CONFLICT (idempotency_key) DO UPDATE SET state = 'abandoned', updated_at = now() "
               "WHERE payment_attempts.state IN ('pending', 'authorized')",
               2, params) != 0)
        return -1;
    PGresult *r = pg_exec(pg, "SELECT booking_id FROM bookings WHERE hold_id = $1", 1, params);
    if (!r)
        return -1;
    int booked = PQntuples(r) == 1;
    if (booked)
        snprintf(booking_id, cap, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return booked;
}

static int attempts_from(PGresult *r, attempt_row *out)
{
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        attempt_row *a = &out[i];
        snprintf(a->key, sizeof a->key, "%s", PQgetvalue(r, i, 0));
        snprintf(a->hold_id, sizeof a->hold_id, "%s", PQgetvalue(r, i, 1));
        snprintf(a->payment_method_id, sizeof a->payment_method_id, "%s", PQgetvalue(r, i, 2));
        snprintf(a->currency, sizeof a->currency, "%s", PQgetvalue(r, i, 3));
        a->amount_minor = strtoll(PQgetvalue(r, i, 4), NULL, 10);
        snprintf(a->payment_id, sizeof a->payment_id, "%s", PQgetvalue(r, i, 5));
        snprintf(a->state, sizeof a->state, "%s", PQgetvalue(r, i, 6));
    }
    PQclear(r);
    return n;
}

int saga_attempts_abandon_stale(pg_conn *pg, int older_than_s, int cap)
{
    char age[24], limit[24];
    const char *params[2] = {I64(age, older_than_s), I64(limit, cap)};
    return pg_affected(pg,
        "UPDATE payment_attempts SET state = 'abandoned', updated_at = now() WHERE idempotency_key IN "
        "(SELECT idempotency_key FROM payment_attempts WHERE state IN ('pending', 'authorized') "
        "AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2) "
        "AND state IN ('pending', 'authorized')",
        2, params);
}

int saga_attempts_to_void(pg_conn *pg, attempt_row *out, int cap)
{
    char limit[24];
    const char *params[1] = {I64(limit, cap)};
    PGresult *r = pg_exec(pg,
        "SELECT idempotency_key, hold_id, payment_method_id, currency, amount_minor, coalesce(payment_id, ''), "
        "state FROM payment_attempts WHERE state = 'abandoned' ORDER BY updated_at LIMIT $1",
        1, params);
    return r ? attempts_from(r, out) : -1;
}

/* ---- confirm and cancel -------------------------------------------------------------- */

/* The statements of the confirm transaction (saga_commit_booking) and of a
 * cancellation's slot moves. */
static const char lock_resource_sql[] = "SELECT 1 FROM resources WHERE resource_id = $1 FOR SHARE";
/* rows for slots that have none: the capacity of the resource row just locked, kept following it */
static const char insert_slots_sql[] =
    "INSERT INTO slots (resource_id, slot_start, slot_end, total_capacity, inherits, overbooking_percent) "
    "SELECT $1, to_timestamp(s), to_timestamp(e), r.capacity, true, r.overbooking_percent "
    "FROM resources r, unnest($2::bigint[], $3::bigint[]) AS u (s, e) WHERE r.resource_id = $1 "
    "ON CONFLICT DO NOTHING";
static const char lock_slot_rows_sql[] =
    "SELECT 1 FROM slots WHERE resource_id = $1 AND slot_start = ANY "
    "(SELECT to_timestamp(unnest($2::bigint[]))) ORDER BY slot_start FOR UPDATE";
/* delta added to confirmed on every slot, only where the result stays within the sell
 * limit (capacity plus the overbooking allowance) and at or above zero: the rows changed,
 * and how many of them are left above their physical capacity */
static const char move_confirmed_sql[] =
    "WITH u AS (UPDATE slots SET confirmed = confirmed + $3, updated_at = now() WHERE resource_id = $1 "
    "AND slot_start = ANY (SELECT to_timestamp(unnest($2::bigint[]))) "
    "AND confirmed + $3 <= total_capacity + total_capacity * overbooking_percent / 100 "
    "AND confirmed + $3 >= 0 RETURNING confirmed > total_capacity AS over) "
    "SELECT count(*), count(*) FILTER (WHERE over) FROM u";
/* the attempt's fence: pending or authorized -> booked (no row: the repair abandoned it,
 * or it is settled otherwise); holds the row lock to the commit */
static const char claim_attempt_sql[] =
    "UPDATE payment_attempts SET state = 'booked', payment_id = $2, updated_at = now() "
    "WHERE idempotency_key = $1 AND state IN ('pending', 'authorized')";
/* the booking, its event, and when the hold was a waiting list's offer, its entry
 * CONVERTED in the same step; answers the booking's created_at */
static const char insert_booking_sql[] =
    "WITH b AS (INSERT INTO bookings (booking_id, hold_id, user_id, resource_id, start_time, end_time, quantity, "
    "status, payment_status, payment_id, price, currency, total_minor) VALUES ($1, $2, $3, $4, to_timestamp($5), "
    "to_timestamp($6), $7, 1, $8, $9, $10, $11, $12) RETURNING booking_id, created_at), "
    "w AS (UPDATE waitlist_entries SET status = 4, updated_at = clock_timestamp() WHERE offered_hold_id = $2 "
    "AND status = 2 RETURNING entry_id, resource_id, user_id, quantity), "
    "wv AS (INSERT INTO events (subject_id, event_type, actor_id, metadata) SELECT w.entry_id, "
    "'waitlist.converted', $13, jsonb_build_object('resource_id', w.resource_id, 'user_id', w.user_id, "
    "'quantity', w.quantity::text, 'offered_hold_id', $2::text, 'booking_id', b.booking_id) FROM w, b), "
    "bv AS (INSERT INTO events (subject_id, event_type, actor_id, metadata) "
    "SELECT booking_id, 'booking.confirmed', $13, jsonb_build_object('hold_id', $2::text, 'payment_id', $9::text, "
    "'total_minor', $12::text) FROM b) "
    "SELECT extract(epoch FROM created_at)::bigint FROM b";

/* Locks the resource (share: counter loads take it exclusively) and the slot rows in
 * slot order. */
static int lock_slots(pg_conn *pg, const char *resource_id, const char *array)
{
    const char *lock_params[1] = {resource_id};
    const char *params[2] = {resource_id, array};
    if (pg_run(pg, lock_resource_sql, 1, lock_params) != 0)
        return -1;
    return pg_run(pg, lock_slot_rows_sql, 2, params);
}

/* move_confirmed_sql's answer: the rows changed; *above (may be NULL) those left above
 * their physical capacity. */
static int moved_of(const PGresult *r, int *above)
{
    if (above)
        *above = atoi(PQgetvalue(r, 0, 1));
    return atoi(PQgetvalue(r, 0, 0));
}

static int move_confirmed(pg_conn *pg, const char *resource_id, const char *array, int delta, int *above)
{
    char d[24];
    const char *params[3] = {resource_id, array, I64(d, delta)};
    PGresult *r = pg_exec(pg, move_confirmed_sql, 3, params);
    if (!r)
        return -1;
    int moved = moved_of(r, above);
    PQclear(r);
    return moved;
}

/* insert_booking_sql's parameters (the price packed, binary). */
typedef struct booking_args {
    char start[24], end[24], quantity[24], payment_status[24], total[24];
    uint8_t *price;
    const char *values[13];
    int lengths[13], formats[13];
} booking_args;

static void booking_args_of(const booking_row *b, const char *actor, booking_args *a)
{
    size_t len = protobuf_c_message_get_packed_size(&b->price->base);
    a->price = malloc(len + 1);
    protobuf_c_message_pack(&b->price->base, a->price);
    const char *values[13] = {b->booking_id, b->hold_id, b->user_id, b->resource_id, I64(a->start, b->start_time),
                              I64(a->end, b->end_time), I64(a->quantity, b->quantity),
                              I64(a->payment_status, b->payment_status), b->payment_id, (const char *)a->price,
                              b->currency, I64(a->total, b->total_minor), actor};
    memcpy(a->values, values, sizeof values);
    memset(a->lengths, 0, sizeof a->lengths);
    memset(a->formats, 0, sizeof a->formats);
    a->lengths[9] = (int)len;
    a->formats[9] = 1;
}

#define COMMIT_STATEMENTS 7

/* Every statement of the confirm transaction goes in one round trip (a pipeline) and
 * the outcome is decided from their results: COMMIT, or ROLLBACK of whatever the later
 * statements did when an earlier one said no. */
commit_result saga_commit_booking(pg_conn *pg, booking_row *b, const int64_t *slot_starts, int n,
                                  const int64_t *slot_ends, const char *attempt_key,
                                  const char *actor, int *oversold)
{
    char *array = int64_array_literal(slot_starts, n), *ends = int64_array_literal(slot_ends, n), delta[24];
    booking_args ba;
    booking_args_of(b, actor, &ba);
    const char *claim_params[2] = {attempt_key, b->payment_id};
    const char *slot_params[3] = {b->resource_id, array, ends};
    const char *move_params[3] = {b->resource_id, array, I64(delta, b->quantity)};
    const pg_stmt stmts[COMMIT_STATEMENTS] = {
        {"BEGIN", 0, NULL, NULL, NULL},
        {claim_attempt_sql, 2, claim_params, NULL, NULL},
        {lock_resource_sql, 1, slot_params, NULL, NULL},
        {insert_slots_sql, 3, slot_params, NULL, NULL},
        {lock_slot_rows_sql, 2, slot_params, NULL, NULL},
        {move_confirmed_sql, 3, move_params, NULL, NULL},
        {insert_booking_sql, 13, ba.values, ba.lengths, ba.formats},
    };
    PGresult *r[COMMIT_STATEMENTS];
    int rc = pg_exec_pipeline_each(pg, COMMIT_STATEMENTS, stmts, r);
    commit_result result = COMMIT_FAILED;
    if (r[1] && atoi(PQcmdTuples(r[1])) != 1)
        result = COMMIT_LOST_RACE; /* fenced */
    else if (r[5] && moved_of(r[5], oversold) != n)
        result = COMMIT_NO_CAPACITY;
    else if (rc != 0)
        result = strcmp(pg_sqlstate(pg), "23505") == 0 ? COMMIT_LOST_RACE /* the hold has a booking already */
                                                      : COMMIT_FAILED;
    else if (pg_commit(pg) == 0)
        result = COMMIT_DONE;
    if (result == COMMIT_DONE && PQntuples(r[6]) == 1)
        b->created_at = b->updated_at = strtoll(PQgetvalue(r[6], 0, 0), NULL, 10);
    for (int i = 0; i < COMMIT_STATEMENTS; i++)
        PQclear(r[i]);
    free(ba.price);
    free(array);
    free(ends);
    if (result != COMMIT_DONE)
        pg_rollback(pg);
    return result;
}

/* The booking row, locked: 1 found, 0 not, -1 error. */
static int lock_booking(pg_conn *pg, const char *booking_id, int *quantity, int *cancelled, int *status,
                        int64_t *total, int *seq)
{
    const char *params[1] = {booking_id};
    PGresult *r = pg_exec(pg,
        "SELECT quantity, cancelled_quantity, status, total_minor, (SELECT coalesce(max(seq), 0) FROM "
        "booking_cancellations c WHERE c.booking_id = b.booking_id) FROM bookings b WHERE booking_id = $1 FOR UPDATE",
        1, params);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found) {
        *quantity = atoi(PQgetvalue(r, 0, 0));
        *cancelled = atoi(PQgetvalue(r, 0, 1));
        *status = atoi(PQgetvalue(r, 0, 2));
        *total = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
        *seq = atoi(PQgetvalue(r, 0, 4)) + 1;
    }
    PQclear(r);
    return found;
}

/* The cancellation row, the booking's move and its event. 0 or -1. */
static int record_cancellation(pg_conn *pg, const char *booking_id, int seq, const cancel_request *c,
                               const cancel_outcome *o)
{
    char seq_s[24], units[24], pct[24], refund[24], left[24];
    const char *params[9] = {booking_id, I64(seq_s, seq), I64(units, o->units), I64(pct, c->refund_percent),
                             I64(refund, o->refund_minor), c->reason, c->actor,
                             o->remaining == 0 ? "t" : "f", I64(left, o->remaining)};
    return pg_run(pg,
        "WITH c AS (INSERT INTO booking_cancellations (booking_id, seq, quantity, refund_percent, refund_minor, "
        "refunded, reason, actor_id) VALUES ($1, $2::int, $3::int, $4::int, $5::bigint, $5::bigint = 0, $6, $7)), "
        "b AS (UPDATE bookings SET cancelled_quantity = cancelled_quantity + $3::int, "
        "status = CASE WHEN $8::boolean THEN 2 ELSE status END, refund_due_minor = refund_due_minor + $5::bigint, "
        "cancel_reason = $6, updated_at = now() WHERE booking_id = $1 RETURNING booking_id) "
        "INSERT INTO events (subject_id, event_type, actor_id, metadata) SELECT booking_id, "
        "CASE WHEN $8::boolean THEN 'booking.cancelled' ELSE 'booking.partially_cancelled' END, $7, "
        "jsonb_build_object('quantity', $3::text, 'remaining', $9::text, 'refund_minor', $5::text, "
        "'refund_percent', $4::text, 'reason', $6::text) FROM b",
        9, params);
}

cancel_result saga_cancel_booking(pg_conn *pg, const booking_row *b, const int64_t *slot_starts, int n,
                                  const cancel_request *c, cancel_outcome *out)
{
    char *array = int64_array_literal(slot_starts, n);
    int quantity = 0, cancelled = 0, status = 0, seq = 1;
    int64_t total = 0;
    cancel_result result = CANCEL_FAILED;
    memset(out, 0, sizeof *out);
    if (pg_begin(pg) != 0 || lock_slots(pg, b->resource_id, array) != 0 ||
        lock_booking(pg, b->booking_id, &quantity, &cancelled, &status, &total, &seq) != 1)
        goto done;
    int to = BOOKING_STATUS(CANCELLED);
    if (!booking_transition_allowed(status, to)) {
        result = CANCEL_NOT_ACTIVE;
        goto done;
    }
    int left = quantity - cancelled;
    out->units = c->units > 0 ? c->units : left;
    if (out->units > left) {
        out->remaining = left;
        result = CANCEL_TOO_MANY;
        goto done;
    }
    out->remaining = left - out->units;
    out->refund_minor = refund_of_units(total, quantity, cancelled, out->units, c->refund_percent);
    if (out->refund_minor < 0 || record_cancellation(pg, b->booking_id, seq, c, out) != 0 ||
        move_confirmed(pg, b->resource_id, array, -out->units, NULL) != n)
        goto done;
    result = CANCEL_DONE;
done:
    free(array);
    if (result != CANCEL_DONE)
        pg_rollback(pg);
    return result;
}

int saga_cancellations(pg_conn *pg, const char *booking_id, int owed_only, cancellation_row *out, int cap)
{
    char lim[24];
    const char *params[3] = {booking_id, owed_only ? "t" : "f", I64(lim, cap)};
    PGresult *r = pg_exec(pg,
        "SELECT seq, quantity, refund_percent, refund_minor, refunded, extract(epoch FROM created_at)::bigint "
        "FROM booking_cancellations WHERE booking_id = $1 AND NOT ($2::boolean AND refunded) ORDER BY seq LIMIT $3",
        3, params);
    if (!r)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++)
        out[i] = (cancellation_row){atoi(PQgetvalue(r, i, 0)), atoi(PQgetvalue(r, i, 1)),
                                    atoi(PQgetvalue(r, i, 2)), strtoll(PQgetvalue(r, i, 3), NULL, 10),
                                    strtoll(PQgetvalue(r, i, 5), NULL, 10), PQgetvalue(r, i, 4)[0] == 't'};
    PQclear(r);
    return n;
}

int saga_cancellation_refunded(pg_conn *pg, const char *booking_id, int seq, int payment_status, const char *actor)
{
    char seq_s[24], st[24];
    const ProtobufCEnumValue *name =
        protobuf_c_enum_descriptor_get_value(&booking__v1__payment_status__descriptor, payment_status);
    const char *params[5] = {booking_id, I64(seq_s, seq), I64(st, payment_status), actor,
                             name ? name->name + strlen("PAYMENT_STATUS_") : st};
    return pg_run(pg,
        "WITH c AS (UPDATE booking_cancellations SET refunded = true WHERE booking_id = $1 AND seq = $2 "
        "AND NOT refunded RETURNING refund_minor), "
        "b AS (UPDATE bookings SET refunded_minor = refunded_minor + c.refund_minor, payment_status = $3, "
        "updated_at = now() FROM c WHERE booking_id = $1 RETURNING booking_id, c.refund_minor) "
        "INSERT INTO events (subject_id, event_type, actor_id, metadata) SELECT booking_id, 'booking.refunded', $4, "
        "jsonb_build_object('payment_status', $5::text, 'cancellation', $2::text, 'refund_minor', "
        "refund_minor::text) FROM b",
        5, params);
}

/* ---- booking reads ----------------------------------------------------------------- */

static void booking_from(PGresult *r, int i, ProtobufCAllocator *alloc, booking_row *b)
{
    memset(b, 0, sizeof *b);
    snprintf(b->booking_id, sizeof b->booking_id, "%s", PQgetvalue(r, i, 0));
    snprintf(b->hold_id, sizeof b->hold_id, "%s", PQgetvalue(r, i, 1));
    snprintf(b->user_id, sizeof b->user_id, "%s", PQgetvalue(r, i, 2));
    snprintf(b->resource_id, sizeof b->resource_id, "%s", PQgetvalue(r, i, 3));
    snprintf(b->payment_id, sizeof b->payment_id, "%s", PQgetvalue(r, i, 4));
    snprintf(b->currency, sizeof b->currency, "%s", PQgetvalue(r, i, 5));
    int64_t *times[4] = {&b->start_time, &b->end_time, &b->created_at, &b->updated_at};
    for (int k = 0; k < 4; k++)
        *times[k] = strtoll(PQgetvalue(r, i, 6 + k), NULL, 10);
    b->quantity = atoi(PQgetvalue(r, i, 10));
    b->status = atoi(PQgetvalue(r, i, 11));
    b->payment_status = atoi(PQgetvalue(r, i, 12));
    b->total_minor = strtoll(PQgetvalue(r, i, 13), NULL, 10);
    b->refund_due_minor = strtoll(PQgetvalue(r, i, 14), NULL, 10);
    b->refunded_minor = strtoll(PQgetvalue(r, i, 15), NULL, 10);
    snprintf(b->cancel_reason, sizeof b->cancel_reason, "%s", PQgetvalue(r, i, 16));
    b->cancelled_quantity = atoi(PQgetvalue(r, i, 19));
    size_t len;
    unsigned char *price = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 17), &len);
    b->price = booking__v1__price__unpack(alloc, len, price);
    PQfreemem(price);
}

static int load_one(pg_conn *pg, const char *sql, const char *key, ProtobufCAllocator *alloc, booking_row *out)
{
    const char *params[1] = {key};
    PGresult *r = pg_exec(pg, sql, 1, params);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found)
        booking_from(r, 0, alloc, out);
    PQclear(r);
    return found;
}

int saga_booking_load(pg_conn *pg, const char *booking_id, ProtobufCAllocator *alloc, booking_row *out)
{
    return load_one(pg, "SELECT " BOOKING_COLUMNS " FROM bookings WHERE booking_id = $1", booking_id, alloc, out);
}

int saga_booking_by_hold(pg_conn *pg, const char *hold_id, ProtobufCAllocator *alloc, booking_row *out)
{
    return load_one(pg, "SELECT " BOOKING_COLUMNS " FROM bookings WHERE hold_id = $1", hold_id, alloc, out);
}

int saga_booking_payment(pg_conn *pg, const char *booking_id, int payment_status, int64_t refunded_minor,
                         const char *event_type, const char *actor, int64_t *updated_at)
{
    char st[24], refunded[24];
    const ProtobufCEnumValue *name =
        protobuf_c_enum_descriptor_get_value(&booking__v1__payment_status__descriptor, payment_status);
    const char *params[6] = {booking_id, I64(st, payment_status), refunded_minor >= 0 ? I64(refunded, refunded_minor)
                                                                                     : NULL,
                             event_type, actor, name ? name->name + strlen("PAYMENT_STATUS_") : st};
    PGresult *r = pg_exec(pg,
        "WITH b AS (UPDATE bookings SET payment_status = $2, refunded_minor = coalesce($3::bigint, refunded_minor), "
        "updated_at = now() WHERE booking_id = $1 AND (payment_status <> $2 OR refunded_minor <> "
        "coalesce($3::bigint, refunded_minor)) RETURNING booking_id, updated_at), "
        "e AS (INSERT INTO events (subject_id, event_type, actor_id, metadata) "
        "SELECT booking_id, $4, $5, jsonb_build_object('payment_status', $6::text) FROM b) "
        "SELECT extract(epoch FROM updated_at)::bigint FROM b",
        6, params);
    if (!r)
        return -1;
    if (updated_at && PQntuples(r) == 1)
        *updated_at = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}

int saga_complete_bookings(pg_conn *pg, int limit, const char *actor)
{
    char lim[24], to[24];
    const char *params[3] = {I64(lim, limit), I64(to, BOOKING_STATUS(COMPLETED)), actor};
    return pg_affected(pg,
        "WITH done AS (UPDATE bookings SET status = $2, updated_at = now() WHERE booking_id IN "
        "(SELECT booking_id FROM bookings WHERE status = 1 AND end_time <= now() LIMIT $1 FOR UPDATE SKIP LOCKED) "
        "AND status = 1 RETURNING booking_id) "
        "INSERT INTO events (subject_id, event_type, actor_id) SELECT booking_id, 'booking.completed', $3 FROM done",
        3, params);
}

int saga_bookings_owing(pg_conn *pg, int older_than_s, ProtobufCAllocator *alloc, booking_row *out, int cap)
{
    char age[24], lim[24];
    const char *params[2] = {I64(age, older_than_s), I64(lim, cap)};
    PGresult *r = pg_exec(pg,
        "SELECT " BOOKING_COLUMNS " FROM bookings WHERE (payment_status = 1 OR refunded_minor < refund_due_minor) "
        "AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2",
        2, params);
    if (!r)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++)
        booking_from(r, i, alloc, &out[i]);
    PQclear(r);
    return n;
}

int saga_bookings_list(pg_conn *pg, const char *user_id, int status, int64_t after_created_us, const char *after_id,
                       int limit, ProtobufCAllocator *alloc, booking_row *out, int64_t *created_us)
{
    char st[24], after[24], lim[24];
    const char *params[5] = {user_id, I64(st, status), I64(after, after_created_us), after_id, I64(lim, limit)};
    PGresult *r = pg_exec(pg,
        "SELECT " BOOKING_COLUMNS " FROM bookings WHERE user_id = $1 AND ($2 = 0 OR status = $2) AND "
        "($4 = '' OR (created_at, booking_id) < (to_timestamp($3::double precision / 1000000), $4)) "
        "ORDER BY created_at DESC, booking_id DESC LIMIT $5",
        5, params);
    if (!r)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        booking_from(r, i, alloc, &out[i]);
        created_us[i] = strtoll(PQgetvalue(r, i, 18), NULL, 10);
    }
    PQclear(r);
    return n;
}

static Booking__V1__Event *event_from(PGresult *r, int i, ProtobufCAllocator *alloc)
{
    void *(*a)(void *, size_t) = alloc->alloc;
    Booking__V1__Event *e = a(alloc->allocator_data, sizeof *e);
    booking__v1__event__init(e);
    const char *cols[4];
    for (int k = 0; k < 4; k++) {
        size_t len = (size_t)PQgetlength(r, i, k);
        char *s = a(alloc->allocator_data, len + 1);
        memcpy(s, PQgetvalue(r, i, k), len + 1);
        cols[k] = s;
    }
    e->event_id = (char *)cols[0];
    e->subject_id = (char *)cols[1];
    e->event_type = (char *)cols[2];
    e->actor_id = (char *)cols[3];
    e->created_at = a(alloc->allocator_data, sizeof *e->created_at);
    google__protobuf__timestamp__init(e->created_at);
    int64_t us = strtoll(PQgetvalue(r, i, 4), NULL, 10);
    e->created_at->seconds = us / 1000000;
    e->created_at->nanos = (int32_t)(us % 1000000) * 1000;
    return e;
}

/* Metadata rows (event index, key, value) into the events' maps. */
static void event_metadata(PGresult *r, ProtobufCAllocator *alloc, Booking__V1__Event **events, int n)
{
    void *(*a)(void *, size_t) = alloc->alloc;
    for (int row = 0; row < PQntuples(r); row++) {
        int i = atoi(PQgetvalue(r, row, 0));
        if (i < 0 || i >= n)
            continue;
        Booking__V1__Event *e = events[i];
        Booking__V1__Event__MetadataEntry **grown = a(alloc->allocator_data, sizeof *grown * (e->n_metadata + 1));
        if (e->n_metadata)
            memcpy(grown, e->metadata, sizeof *grown * e->n_metadata);
        Booking__V1__Event__MetadataEntry *m = a(alloc->allocator_data, sizeof *m);
        booking__v1__event__metadata_entry__init(m);
        m->key = a(alloc->allocator_data, (size_t)PQgetlength(r, row, 1) + 1);
        memcpy(m->key, PQgetvalue(r, row, 1), (size_t)PQgetlength(r, row, 1) + 1);
        m->value = a(alloc->allocator_data, (size_t)PQgetlength(r, row, 2) + 1);
        memcpy(m->value, PQgetvalue(r, row, 2), (size_t)PQgetlength(r, row, 2) + 1);
        grown[e->n_metadata++] = m;
        e->metadata = grown;
    }
}

int saga_events_list(pg_conn *pg, const char *subject1, const char *subject2, ProtobufCAllocator *alloc,
                     Booking__V1__Event ***out)
{
    const char *params[2] = {subject1, subject2 ? subject2 : subject1};
    PGresult *r = pg_exec(pg,
        "SELECT e.event_id::text AS id, e.subject_id, e.event_type, e.actor_id, "
        "(extract(epoch FROM e.created_at) * 1000000)::bigint FROM events e "
        "WHERE e.subject_id IN ($1, $2) ORDER BY e.created_at, e.event_id LIMIT 1000",
        2, params);
    if (!r)
        return -1;
    int n = PQntuples(r);
    Booking__V1__Event **events = alloc->alloc(alloc->allocator_data, sizeof *events * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        events[i] = event_from(r, i, alloc);
    PQclear(r);
    r = pg_exec(pg,
        "SELECT e.i, m.key, m.value FROM (SELECT (row_number() OVER (ORDER BY created_at, event_id) - 1)::int AS i, "
        "metadata FROM events WHERE subject_id IN ($1, $2) ORDER BY created_at, event_id LIMIT 1000) e "
        "CROSS JOIN LATERAL jsonb_each_text(e.metadata) m",
        2, params);
    if (!r)
        return -1;
    event_metadata(r, alloc, events, n);
    PQclear(r);
    *out = events;
    return n;
}
