/* bench_confirm.c — hold + confirm end to end (booking-svc, payment-svc, Redis,
 * PostgreSQL) at 32 in flight, beside pgbench running the confirm transaction's SQL
 * alone on the same database; prints bookings/s, p50/p99 and the ratio. The end-to-end
 * run is repeated (two rounds, alternating) with the services' statements named, unnamed
 * and unnamed through PgBouncer in transaction mode (bench_pg_modes), so the cost of the
 * pooler's statement strategy is measured side by side; pgbench runs once per round,
 * between them. A warm-up touches every slot once first, so the runs measure the steady
 * state. Usage: bench_confirm [seconds] [rounds]. Not a test. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"
#include "booking/v1/booking.pb-c.h"
#include "harness.h"

#define IN_FLIGHT 32
#define RESOURCES 200
#define NIGHTS 30

typedef struct flow {
    int phase; /* 0 hold, 1 confirm */
    double started;
    char user[32];
    char hold_id[80];
} flow;

typedef struct tally {
    char (*resources)[80];
    double *latency;
    size_t samples, cap;
    long bookings, errors;
} tally;

static void start_hold(rpc_client *c, rpc_queue *q, flow *f, const tally *t)
{
    Google__Protobuf__Timestamp from = GOOGLE__PROTOBUF__TIMESTAMP__INIT, to = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    int night = 2 + rand() % NIGHTS;
    from.seconds = bench_day(night);
    to.seconds = bench_day(night + 1);
    Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
    req.resource_id = t->resources[rand() % RESOURCES];
    req.start_time = &from;
    req.end_time = &to;
    req.quantity = 1;
    rpc_md md[] = {{"x-user-id", f->user}, {"x-user-role", "customer"}};
    f->phase = 0;
    f->started = bench_now();
    rpc_client_start(c, "CreateHold", &req.base, md, 2, 15000, q, f);
}

static void start_confirm(rpc_client *c, rpc_queue *q, flow *f)
{
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = f->hold_id;
    req.payment_method_id = (char *)"pm_card_ok";
    rpc_md md[] = {{"x-user-id", f->user}, {"x-user-role", "customer"}};
    f->phase = 1;
    rpc_client_start(c, "ConfirmBooking", &req.base, md, 2, 15000, q, f);
}

/* One completion; returns 1 when the flow is done for good. */
static int advance(rpc_client *c, rpc_queue *q, rpc_pending *p, tally *t, double warm, double end)
{
    void *tag;
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    int ok = rpc_pending_finish(p, &resp, &r, &tag) == 0;
    flow *f = tag;
    if (ok && f->phase == 0) {
        snprintf(f->hold_id, sizeof f->hold_id, "%s", ((Booking__V1__Hold *)resp)->hold_id);
        protobuf_c_message_free_unpacked(resp, NULL);
        start_confirm(c, q, f);
        return 0;
    }
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    if (!ok && t->errors < 3)
        fprintf(stderr, "error: %s %s\n", rpc_code_name(r.code), r.message);
    double now = bench_now();
    if (now >= warm && now < end) {
        t->errors += !ok;
        t->bookings += ok;
        if (ok && t->samples < t->cap)
            t->latency[t->samples++] = now - f->started;
    }
    if (now >= end)
        return 1;
    start_hold(c, q, f, t);
    return 0;
}

/* CreateHold + ReleaseHold once on every night of every resource, so that the runs
 * measure the steady state (each slot's counter and info already in Redis) as
 * bench_holds does, not a first hold's load from PostgreSQL. Exits when a call fails. */
static void warm_up(const char *addr, char (*resources)[80])
{
    rpc_client *c = rpc_client_new(addr, &booking__v1__booking_service__descriptor);
    rpc_md md[] = {{"x-user-id", "warm-up"}, {"x-user-role", "customer"}};
    double started = bench_now();
    for (int i = 0; i < RESOURCES * NIGHTS; i++) {
        Google__Protobuf__Timestamp from = GOOGLE__PROTOBUF__TIMESTAMP__INIT, to = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
        from.seconds = bench_day(2 + i % NIGHTS);
        to.seconds = bench_day(3 + i % NIGHTS);
        Booking__V1__CreateHoldRequest req = BOOKING__V1__CREATE_HOLD_REQUEST__INIT;
        req.resource_id = resources[i / NIGHTS];
        req.start_time = &from;
        req.end_time = &to;
        req.quantity = 1;
        ProtobufCMessage *hold = NULL, *released = NULL;
        rpc_result r;
        if (rpc_client_call(c, "CreateHold", &req.base, md, 2, 10000, 0, &hold, &r) != 0) {
            fprintf(stderr, "warm-up: CreateHold: %s %s\n", rpc_code_name(r.code), r.message);
            exit(1);
        }
        Booking__V1__ReleaseHoldRequest rel = BOOKING__V1__RELEASE_HOLD_REQUEST__INIT;
        rel.hold_id = ((Booking__V1__Hold *)hold)->hold_id;
        if (rpc_client_call(c, "ReleaseHold", &rel.base, md, 2, 10000, 0, &released, &r) != 0) {
            fprintf(stderr, "warm-up: ReleaseHold: %s %s\n", rpc_code_name(r.code), r.message);
            exit(1);
        }
        protobuf_c_message_free_unpacked(hold, NULL);
        protobuf_c_message_free_unpacked(released, NULL);
    }
    rpc_client_free(c);
    printf("warm-up: %d slots of %d resources touched once in %.1f s\n", RESOURCES * NIGHTS, RESOURCES,
           bench_now() - started);
}

static double drive(const char *addr, tally *t, double seconds, const char *label)
{
    rpc_client *c = rpc_client_new(addr, &booking__v1__booking_service__descriptor);
    rpc_queue *q = rpc_queue_new();
    static flow flows[IN_FLIGHT];
    double warm = bench_now() + 2, end = warm + seconds;
    for (int i = 0; i < IN_FLIGHT; i++) {
        snprintf(flows[i].user, sizeof flows[i].user, "guest-%d", i);
        start_hold(c, q, &flows[i], t);
    }
    for (int outstanding = IN_FLIGHT; outstanding > 0;)
        outstanding -= advance(c, q, rpc_queue_next(q, -1), t, warm, end);
    rpc_queue_free(q);
    rpc_client_free(c);
    double rate = (double)t->bookings / seconds;
    printf("end to end, %-18s %8.0f bookings/s   p50 %7.2f ms   p99 %7.2f ms   errors %ld\n", label, rate,
           bench_percentile_ms(t->latency, t->samples, 50), bench_percentile_ms(t->latency, t->samples, 99),
           t->errors);
    fflush(stdout);
    return rate;
}

/* The confirm transaction's statements, as booking-svc runs them (saga_store.c), on a
 * payment attempt row made in the same transaction (booking-svc's is written before the
 * authorization); pgbench with 32 clients. Returns tps. */
static double pgbench(harness *h, const char *first_resource, double seconds)
{
    (void)first_resource;
    char script[] = "/tmp/bench_confirm_XXXXXX";
    int fd = mkstemp(script);
    const char *sql =
        "\\set r random(1, 200)\n\\set n random(2, 301)\n"
        "BEGIN;\n"
        "INSERT INTO booking.payment_attempts (idempotency_key, hold_id, payment_method_id, currency, amount_minor, "
        "state) VALUES ('pgba-' || :client_id || '-' || txid_current(), 'pgbh-' || :client_id || '-' || txid_current(), "
        "'pm', 'EUR', 1, 'pending');\n"
        "UPDATE booking.payment_attempts SET state = 'booked', payment_id = 'p', updated_at = now() "
        "WHERE idempotency_key = 'pgba-' || :client_id || '-' || txid_current() AND state IN ('pending', 'authorized');\n"
        "SELECT 1 FROM booking.resources WHERE resource_id = 'pgb-' || :r FOR SHARE;\n"
        "INSERT INTO booking.slots (resource_id, slot_start, slot_end, total_capacity) VALUES ('pgb-' || :r, "
        "date_trunc('day', now()) + :n * interval '1 day', date_trunc('day', now()) + (:n + 1) * interval '1 day', "
        "1000000) ON CONFLICT DO NOTHING;\n"
        "SELECT 1 FROM booking.slots WHERE resource_id = 'pgb-' || :r AND slot_start = date_trunc('day', now()) + "
        ":n * interval '1 day' ORDER BY slot_start FOR UPDATE;\n"
        "UPDATE booking.slots SET confirmed = confirmed + 1 WHERE resource_id = 'pgb-' || :r AND slot_start = "
        "date_trunc('day', now()) + :n * interval '1 day' AND confirmed + 1 <= total_capacity;\n"
        "INSERT INTO booking.bookings (booking_id, hold_id, user_id, resource_id, start_time, end_time, quantity, "
        "status, payment_status, payment_id, price, currency, total_minor) VALUES ('pgbb-' || :client_id || '-' || "
        "txid_current(), 'pgbh-' || :client_id || '-' || txid_current(), 'u', 'pgb-' || :r, now(), now(), 1, 1, 1, "
        "'p', '\\x00', 'EUR', 1);\n"
        "INSERT INTO booking.events (subject_id, event_type, actor_id) VALUES ('pgbb-' || :client_id || '-' || "
        "txid_current(), 'booking.confirmed', 'u');\n"
        "END;\n";
    if (write(fd, sql, strlen(sql)) < 0)
        return 0;
    close(fd);
    PGconn *db = harness_db(h);
    PQclear(PQexec(db, "INSERT INTO booking.resources (resource_id, resource_type, name, location, capacity, "
                       "slot_minutes, currency, base_price_minor, body) SELECT 'pgb-' || g, 1, 'pgbench', 'x', "
                       "1000000, 1440, 'EUR', 1, '\\x00' FROM generate_series(1, 200) g ON CONFLICT DO NOTHING"));
    const char *url = harness_database_url(h, "postgres");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/lib/postgresql/15/bin/pgbench -n -c 32 -j 2 -T %d -f %s '%s' 2>&1", (int)seconds,
             script, url);
    FILE *p = popen(cmd, "r");
    char line[512];
    double tps = 0;
    while (p && fgets(line, sizeof line, p))
        if (strncmp(line, "tps = ", 6) == 0)
            tps = atof(line + 6);
    if (p)
        pclose(p);
    unlink(script);
    printf("pgbench confirm transaction   %8.0f tps (32 clients, the SQL alone)\n", tps);
    return tps;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 10;
    int rounds = argc > 2 && atoi(argv[2]) > 0 ? atoi(argv[2]) : 2;
    static const char *const services[] = {"payment-svc", "booking-svc", NULL};
    static const char *const env[] = {"GRPC_WORKERS=16", "LOG_LEVEL=warn", NULL};
    harness *h = harness_start(services, env);
    const char *addr = harness_addr(h, "booking-svc");
    rpc_client *c = rpc_client_new(addr, &booking__v1__booking_service__descriptor);
    static char ids[RESOURCES][80];
    bench_create_resources(c, ids, RESOURCES, 100000, "Confirmville");
    rpc_client_free(c);
    printf("hold + confirm: %d flows in flight, %d resources x %d nights, %.0f s per run, %d rounds of %d "
           "PostgreSQL modes, test stack (fsync off)\n", IN_FLIGHT, RESOURCES, NIGHTS, seconds, rounds, BENCH_PG_MODES);
    warm_up(addr, ids);
    static double latency[2000000];
    double sum[BENCH_PG_MODES] = {0}, tps_sum = 0;
    long errors = 0;
    int pgbench_failed = 0;
    for (int round = 0; round < rounds; round++) {
        for (int m = 0; m < BENCH_PG_MODES; m++) {
            bench_use_pg_mode(h, bench_pg_modes[m], services, NULL);
            tally t = {ids, latency, 0, 2000000, 0, 0};
            char label[32];
            snprintf(label, sizeof label, "%s (%d)", bench_pg_modes[m], round + 1);
            sum[m] += drive(addr, &t, seconds, label);
            errors += t.errors;
        }
        /* the SQL alone in every round, with the services paused: the machine's drift
         * through the run hits both sides of the ratio alike */
        for (int i = 0; services[i]; i++)
            harness_signal(h, services[i], SIGSTOP);
        double tps = pgbench(h, ids[0], seconds);
        for (int i = 0; services[i]; i++)
            harness_signal(h, services[i], SIGCONT);
        pgbench_failed |= tps <= 0;
        tps_sum += tps;
    }
    double tps = pgbench_failed ? 0 : tps_sum / rounds;
    printf("PostgreSQL statements (mean of %d rounds):", rounds);
    for (int m = 0; m < BENCH_PG_MODES; m++)
        printf(" %s %.0f/s (%.1f %% of named)%s", bench_pg_modes[m], sum[m] / rounds, 100 * sum[m] / sum[0],
               m + 1 < BENCH_PG_MODES ? "," : "\n");
    double e2e = sum[0] / rounds;
    if (tps > 0)
        printf("ratio end-to-end (named) / SQL alone (%.0f tps, mean of the rounds) = %.1f %% (target >= 33 %%: %s)\n",
               tps, 100 * e2e / tps,
               100 * e2e / tps >= 33 ? "met" : "MISSED");
    int stopped = harness_stop(h);
    if (errors > 0 || tps <= 0) /* a benchmark whose calls fail measures nothing */
        fprintf(stderr, "bench_confirm: %ld call(s) failed%s\n", errors, tps <= 0 ? ", pgbench failed" : "");
    return stopped == 0 && errors == 0 && tps > 0 ? 0 : 1;
}
