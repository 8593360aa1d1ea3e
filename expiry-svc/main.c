/* main.c — expiry-svc: releases abandoned holds and runs reconciliation (ExpiryService). */
#include "booking/v1/expiry.pb-c.h"
#include "service.h"

static const rpc_service expiry_service = {&booking__v1__expiry_service__descriptor, NULL, 0};
static const rpc_service *const services[] = {&expiry_service};

int main(int argc, char **argv)
{
    service_definition def = {
        .name = "expiry-svc",
        .grpc_listen_default = "127.0.0.1:50054",
        .metrics_listen_default = "127.0.0.1:9104",
        .database_url_default = "postgresql://booking_svc@127.0.0.1:15432/booking",
        .database_schema = "booking",
        .uses_redis = 1,
        .services = services,
        .service_count = 1,
    };
    return service_main(&def, argc, argv);
}
