/* test_search_replica.c — search-svc's full loads from a streaming replica
 * (DATABASE_READ_URL; docs/scale-out.md, "The read replica"), with a real hot standby
 * started by the harness: changes still show at once (they are reloaded from the
 * primary), and while the replica's replay is paused a cold start waits for it instead
 * of serving a catalogue older than its change streams' heads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "support.h"
#include "timeutil.h"

#define HOTEL BOOKING__V1__RESOURCE_TYPE__RESOURCE_TYPE_HOTEL_ROOM
#define PAUSE_MS 3000

static harness *stack;
static rpc_client *booking;
static PGconn *replica;
static char read_url[160];

static void replica_sql(const char *sql)
{
    PGresult *r = PQexec(replica, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("replica: %s: %s", sql, PQerrorMessage(replica));
    PQclear(r);
}

static int setup(void **state)
{
    (void)state;
    static const char *const services[] = {"payment-svc", "booking-svc", NULL};
    stack = harness_start(services, NULL);
    booking = rpc_client_new(harness_addr(stack, "booking-svc"), &booking__v1__booking_service__descriptor);
    int port = harness_start_replica(stack);
    assert_true(port > 0);
    char admin[128];
    snprintf(admin, sizeof admin, "postgresql://postgres@127.0.0.1:%d/booking", port);
    replica = PQconnectdb(admin);
    assert_int_equal(PQstatus(replica), CONNECTION_OK);
    snprintf(read_url, sizeof read_url, "DATABASE_READ_URL=postgresql://booking_svc@127.0.0.1:%d/booking", port);
    const char *const env[] = {read_url, NULL};
    assert_int_equal(harness_start_service(stack, "search-svc", env), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(replica);
    rpc_client_free(booking);
    return harness_stop(stack);
}

/* GetResource of id from search-svc: 1 when its model (or the stores) know it. */
static int search_knows(const char *id)
{
    rpc_client *search = rpc_client_new(harness_addr(stack, "search-svc"), &booking__v1__search_service__descriptor);
    Booking__V1__SearchAvailabilityRequest req = BOOKING__V1__SEARCH_AVAILABILITY_REQUEST__INIT;
    req.location = (char *)"Lisbon"; /* where create_resource puts them */
    req.start_time = at(day(3));
    req.end_time = at(day(4));
    req.quantity = 1;
    req.page_size = 100;
    ProtobufCMessage *resp = NULL;
    int found = 0;
    if (call_as(search, "SearchAvailability", &req.base, (identity){NULL, NULL, NULL}, &resp, NULL) == RPC_OK) {
        Booking__V1__SearchAvailabilityResponse *r = (Booking__V1__SearchAvailabilityResponse *)resp;
        for (size_t i = 0; i < r->n_results; i++)
            found |= strcmp(r->results[i]->resource->resource_id, id) == 0;
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    rpc_client_free(search);
    return found;
}

static int wait_known(const char *id, long timeout_ms)
{
    for (long waited = 0; waited <= timeout_ms; waited += 50, sleep_ms(50))
        if (search_knows(id))
            return 1;
    return 0;
}

/* With the replica's replay paused, a new resource still shows within a second: the
 * change is reloaded from the primary, not the replica. */
static void test_changes_come_from_the_primary(void **state)
{
    (void)state;
    replica_sql("SELECT pg_wal_replay_pause()");
    const char *id = create_resource(booking, "Fresh while the replica waits", HOTEL, 3, 1440, 9000);
    assert_true(wait_known(id, 1000));
    replica_sql("SELECT pg_wal_replay_resume()");
}

/* Resumes the replica's replay after PAUSE_MS (a thread: the service must be started
 * from the main thread, whose life its parent-death signal follows). */
static void *resume_later(void *arg)
{
    (void)arg;
    sleep_ms(PAUSE_MS);
    replica_sql("SELECT pg_wal_replay_resume()");
    return NULL;
}

/* A resource the replica has not replayed: a cold start waits until it has (and then
 * knows the resource the moment it serves), rather than load an older catalogue. */
static void test_a_cold_start_waits_for_the_replica(void **state)
{
    (void)state;
    replica_sql("SELECT pg_wal_replay_pause()");
    const char *id = create_resource(booking, "Made before the restart", HOTEL, 3, 1440, 9000);
    pthread_t t;
    pthread_create(&t, NULL, resume_later, NULL);
    const char *const env[] = {read_url, NULL};
    double t0 = monotonic_seconds();
    assert_int_equal(harness_start_service(stack, "search-svc", env), 0);
    double took = monotonic_seconds() - t0;
    pthread_join(t, NULL);
    assert_true(took >= PAUSE_MS / 1000.0);
    assert_true(search_knows(id)); /* at once: no waiting for a later refresh */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changes_come_from_the_primary),
        cmocka_unit_test(test_a_cold_start_waits_for_the_replica),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
