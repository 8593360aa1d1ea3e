/* main.c — search-svc: the read path (SearchService) on a read model. */
#include "booking/v1/search.pb-c.h"
#include "service.h"

static const rpc_service search_service = {&booking__v1__search_service__descriptor, NULL, 0};
static const rpc_service *const services[] = {&search_service};

int main(int argc, char **argv)
{
    service_definition def = {
        .name = "search-svc",
        .grpc_listen_default = "127.0.0.1:50051",
        .metrics_listen_default = "127.0.0.1:9101",
        .database_url_default = "postgresql://booking_svc@127.0.0.1:15432/booking",
        .database_schema = "booking",
        .uses_redis = 1,
        .services = services,
        .service_count = 1,
    };
    return service_main(&def, argc, argv);
}
