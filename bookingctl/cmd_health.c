/* cmd_health.c — `bookingctl health`: the health status of every service. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "grpc/health/v1/health.pb-c.h"

typedef struct target {
    const char *name, *env, *fallback;
} target;

static const target targets[] = {
    {"search-svc", "SEARCH_ADDR", "127.0.0.1:50051"},
    {"booking-svc", "BOOKING_ADDR", "127.0.0.1:50052"},
    {"payment-svc", "PAYMENT_ADDR", "127.0.0.1:50053"},
    {"expiry-svc", "EXPIRY_ADDR", "127.0.0.1:50054"},
};

static const char *check(const char *addr, int64_t connect_ms, int64_t timeout_ms)
{
    static const char *const names[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};
    rpc_client *c = rpc_client_new(addr, &grpc__health__v1__health__descriptor);
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    rpc_result r;
    const char *out = "UNREACHABLE";
    if (rpc_client_wait_ready(c, connect_ms) == 0 &&
        rpc_client_call(c, "Check", &req.base, NULL, 0, timeout_ms, 0, &resp, &r) == 0) {
        unsigned s = ((Grpc__Health__V1__HealthCheckResponse *)resp)->status;
        out = names[s < 4 ? s : 0];
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    rpc_client_free(c);
    return out;
}

/* [SERVICE] and global options in any order; returns 0 or 2 (usage error printed). */
static int parse_args(ctl_context *ctx, int argc, char **argv, const char **only)
{
    *only = NULL;
    for (int i = 0; i < argc; i++) {
        int global = ctl_global_option(ctx, argc, argv, &i);
        if (global < 0 || (global == 0 && (argv[i][0] == '-' || *only)))
            return ctl_usage_error(ctx, "unexpected argument \"%s\"", argv[i]);
        if (global == 0)
            *only = argv[i];
    }
    return 0;
}

int ctl_health(ctl_context *ctx, int argc, char **argv)
{
    int failures = 0, shown = 0;
    const char *only;
    if (parse_args(ctx, argc, argv, &only) != 0)
        return 2;
    if (ctx->json)
        printf("[");
    else
        printf("%-12s %-22s %s\n", "SERVICE", "ADDRESS", "STATUS");
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        if (only && strcmp(only, targets[i].name) != 0)
            continue;
        const char *addr = ctl_addr(targets[i].env, targets[i].fallback);
        const char *status = check(addr, ctx->connect_timeout_ms, ctx->timeout_ms > 3000 ? 3000 : ctx->timeout_ms);
        failures += strcmp(status, "SERVING") != 0;
        if (ctx->json)
            printf("%s{\"service\":\"%s\",\"address\":\"%s\",\"status\":\"%s\"}", shown ? "," : "",
                   targets[i].name, addr, status);
        else
            printf("%-12s %-22s %s\n", targets[i].name, addr, status);
        shown++;
    }
    if (ctx->json)
        printf("]\n");
    return failures ? 1 : 0;
}
