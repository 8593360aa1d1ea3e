/* bench_runtime.c — the shared gRPC runtime against a bare gRPC-core echo loop, side by
 * side in one run: an empty unary method, a closed-loop C client with 64 calls in flight
 * on loopback. Prints calls/s and p50/p99 for each and the ratio. Not a test. */
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "booking/v1/expiry.pb-c.h"
#include "log.h"
#include "rpc_client.h"
#include "rpc_server.h"
#include "timeutil.h"

#define WORKERS 2
#define AHEAD 64
#define IN_FLIGHT 64
#define METHOD "/booking.v1.ExpiryService/GetStats"

/* ---- the yardstick: a bare echo server on the core API -------------------------- */

typedef struct echo_call {
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array md;
    grpc_byte_buffer *payload;
    int finishing, cancelled;
    grpc_slice details;
} echo_call;

typedef struct echo_server {
    grpc_server *server;
    void *method;
    grpc_completion_queue *cqs[WORKERS];
    pthread_t threads[WORKERS];
    int port;
} echo_server;

static echo_server echo;

static void echo_request(echo_call *c, grpc_completion_queue *cq)
{
    memset(c, 0, sizeof *c);
    grpc_metadata_array_init(&c->md);
    grpc_server_request_registered_call(echo.server, echo.method, &c->call, &c->deadline, &c->md, &c->payload, cq,
                                        cq, c);
}

static void echo_reply(echo_call *c)
{
    grpc_op ops[4];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = c->payload;
    ops[2].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[2].data.send_status_from_server.status = GRPC_STATUS_OK;
    c->details = grpc_empty_slice();
    ops[2].data.send_status_from_server.status_details = &c->details;
    ops[3].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[3].data.recv_close_on_server.cancelled = &c->cancelled;
    c->finishing = 1;
    grpc_call_start_batch(c->call, ops, 4, c, NULL);
}

static void *echo_worker(void *arg)
{
    grpc_completion_queue *cq = arg;
    echo_call *calls = calloc(AHEAD, sizeof *calls);
    for (int i = 0; i < AHEAD; i++)
        echo_request(&calls[i], cq);
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        echo_call *c = ev.tag;
        if (!ev.success && !c->finishing)
            continue; /* shutting down */
        if (!c->finishing) {
            echo_reply(c);
            continue;
        }
        grpc_byte_buffer_destroy(c->payload);
        grpc_metadata_array_destroy(&c->md);
        grpc_call_unref(c->call);
        echo_request(c, cq);
    }
    free(calls);
    return NULL;
}

static int echo_start(void)
{
    echo.server = grpc_server_create(NULL, NULL);
    echo.method = grpc_server_register_method(echo.server, METHOD, NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    for (int i = 0; i < WORKERS; i++) {
        echo.cqs[i] = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(echo.server, echo.cqs[i], NULL);
    }
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    echo.port = grpc_server_add_http2_port(echo.server, "127.0.0.1:0", creds);
    grpc_server_credentials_release(creds);
    grpc_server_start(echo.server);
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&echo.threads[i], NULL, echo_worker, echo.cqs[i]);
    return echo.port;
}

static void echo_stop(void)
{
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_server_shutdown_and_notify(echo.server, cq, &echo);
    grpc_server_cancel_all_calls(echo.server);
    grpc_completion_queue_pluck(cq, &echo, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    for (int i = 0; i < WORKERS; i++) {
        grpc_completion_queue_shutdown(echo.cqs[i]);
        pthread_join(echo.threads[i], NULL);
        grpc_completion_queue_destroy(echo.cqs[i]);
    }
    grpc_server_destroy(echo.server);
    grpc_completion_queue_shutdown(cq);
    grpc_completion_queue_destroy(cq);
}

/* ---- the runtime: a method table with one empty handler ------------------------- */

static int get_stats(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    (void)request;
    *response = &RPC_NEW(call, Booking__V1__ExpiryStats, booking__v1__expiry_stats__init)->base;
    return 0;
}

static const rpc_method methods[] = {{"GetStats", get_stats, RPC_ROLE_CUSTOMER, RPC_UNARY, 0}};
static const rpc_service service = {&booking__v1__expiry_service__descriptor, methods, 1};
static const rpc_service *const services[] = {&service};

/* ---- the closed-loop client ------------------------------------------------------ */

typedef struct result {
    double calls_per_s, p50_ms, p99_ms;
    long errors;
} result;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static result drive(int port, double seconds)
{
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    rpc_client *c = rpc_client_new(addr, &booking__v1__expiry_service__descriptor);
    rpc_queue *q = rpc_queue_new();
    Booking__V1__GetStatsRequest req = BOOKING__V1__GET_STATS_REQUEST__INIT;
    rpc_md md[] = {{"x-user-id", "bench-user"}, {"x-user-role", "customer"}};
    size_t cap = 4000000, n = 0;
    double *lat = malloc(cap * sizeof *lat), *started = calloc(IN_FLIGHT, sizeof *started);
    result res = {0};
    double t0 = monotonic_seconds(), warm = t0 + 1.0, end = warm + seconds;
    for (long i = 0; i < IN_FLIGHT; i++) {
        started[i] = monotonic_seconds();
        rpc_client_start(c, "GetStats", &req.base, md, 2, 10000, q, (void *)i);
    }
    long outstanding = IN_FLIGHT;
    while (outstanding > 0) {
        rpc_pending *p = rpc_queue_next(q, -1);
        void *slot;
        if (rpc_pending_finish(p, NULL, NULL, &slot) != 0)
            res.errors++;
        double t = monotonic_seconds();
        long i = (long)slot;
        if (t >= warm && t < end && n < cap)
            lat[n++] = t - started[i];
        outstanding--;
        if (t < end) {
            started[i] = t;
            rpc_client_start(c, "GetStats", &req.base, md, 2, 10000, q, (void *)i);
            outstanding++;
        }
    }
    qsort(lat, n, sizeof *lat, cmp_double);
    res.calls_per_s = (double)n / seconds;
    res.p50_ms = n ? lat[n / 2] * 1e3 : 0;
    res.p99_ms = n ? lat[n * 99 / 100] * 1e3 : 0;
    free(lat);
    free(started);
    rpc_queue_free(q);
    rpc_client_free(c);
    return res;
}

static void print(const char *name, result r)
{
    printf("%-34s %10.0f calls/s   p50 %6.3f ms   p99 %6.3f ms   errors %ld\n", name, r.calls_per_s, r.p50_ms,
           r.p99_ms, r.errors);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 5.0;
    int rounds = argc > 2 ? atoi(argv[2]) : 2;
    log_init("bench", "warn");
    grpc_init();
    printf("empty unary method, %d server threads, %d calls in flight, %.0f s per run, loopback\n", WORKERS,
           IN_FLIGHT, seconds);
    double bare = 0, runtime = 0;
    long errors = 0;
    for (int round = 0; round < rounds; round++) {
        int port = echo_start();
        result b = drive(port, seconds);
        echo_stop();
        print("bare gRPC-core echo loop", b);

        rpc_server_options opts = {.listen_addr = "127.0.0.1:0", .workers = WORKERS, .calls_ahead = AHEAD,
                                   .services = services, .service_count = 1};
        char err[128];
        rpc_server *srv = rpc_server_start(&opts, err, sizeof err);
        result r = drive(rpc_server_port(srv), seconds);
        rpc_server_stop(srv);
        print("shared runtime (table, md, metrics)", r);
        bare += b.calls_per_s;
        runtime += r.calls_per_s;
        errors += b.errors + r.errors;
    }
    printf("runtime / bare = %.1f %% (mean of %d rounds; target >= 80 %%)\n", 100.0 * runtime / bare, rounds);
    grpc_shutdown();
    if (errors > 0) /* a benchmark whose calls fail measures nothing */
        fprintf(stderr, "bench_runtime: %ld call(s) failed\n", errors);
    return errors == 0 ? 0 : 1;
}
