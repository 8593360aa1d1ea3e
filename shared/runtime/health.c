/* health.c — grpc.health.v1.Health: SERVING only while the worker's stores answer. */
#include <string.h>

#include "builtin_services.h"
#include "grpc/health/v1/health.pb-c.h"
#include "rpc_server.h"

/* Kubernetes liveness asks for this name: SERVING while the process runs, whatever
 * the stores do, so that a store outage does not restart every pod. */
#define LIVENESS_SERVICE "liveness"

/* "" (the whole server), "liveness" and every hosted service are known. */
static int service_known(const rpc_call *call, const char *name)
{
    if (!*name || strcmp(name, LIVENESS_SERVICE) == 0)
        return 1;
    rpc_server *srv = rpc_call_server(call);
    for (size_t i = 0; i < rpc_server_service_count(srv); i++)
        if (strcmp(rpc_server_service_name(srv, i), name) == 0)
            return 1;
    return 0;
}

static Grpc__Health__V1__HealthCheckResponse__ServingStatus status_of(const rpc_call *call, const char *name)
{
    if (!service_known(call, name))
        return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
    int up = strcmp(name, LIVENESS_SERVICE) == 0 ? rpc_server_alive(call) : rpc_server_health(call) == 0;
    return up ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
              : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
}

static int health_check(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Grpc__Health__V1__HealthCheckRequest *req = (const Grpc__Health__V1__HealthCheckRequest *)request;
    const char *name = req->service ? req->service : "";
    if (!service_known(call, name))
        return rpc_fail(call, RPC_NOT_FOUND, "UNKNOWN_SERVICE", "service \"%s\" is not served here", name);
    Grpc__Health__V1__HealthCheckResponse *resp =
        RPC_NEW(call, Grpc__Health__V1__HealthCheckResponse, grpc__health__v1__health_check_response__init);
    resp->status = status_of(call, name);
    *response = &resp->base;
    return 0;
}

/* Watch answers the current status, then stays open until the client leaves (status
 * changes are not pushed; Kubernetes and grpcurl use Check). */
static int health_watch(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Grpc__Health__V1__HealthCheckRequest *req = (const Grpc__Health__V1__HealthCheckRequest *)request;
    Grpc__Health__V1__HealthCheckResponse *resp =
        RPC_NEW(call, Grpc__Health__V1__HealthCheckResponse, grpc__health__v1__health_check_response__init);
    resp->status = status_of(call, req->service ? req->service : "");
    *response = &resp->base;
    return 0;
}

static const rpc_method health_methods[] = {
    {"Check", health_check, RPC_ROLE_NONE, RPC_UNARY, 0},
    {"Watch", health_watch, RPC_ROLE_NONE, RPC_SERVER_WATCH, 0},
};

static const rpc_service health = {&grpc__health__v1__health__descriptor, health_methods, 2};

const rpc_service *health_service(void) { return &health; }
