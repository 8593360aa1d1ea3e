/* main.c — search-svc: the read path (SearchService): method table and definition. */
#include "booking/v1/search.pb-c.h"
#include "search.h"

pg_conn *search_pg(rpc_call *call) { return ((service_worker *)rpc_worker_state(call))->pg; }
redis_conn *search_redis(rpc_call *call) { return ((service_worker *)rpc_worker_state(call))->redis; }

static const rpc_method search_methods[] = {
    {"GetResource", rpc_get_resource, RPC_ROLE_NONE, RPC_UNARY, 0},
    {"GetCalendar", rpc_get_calendar, RPC_ROLE_NONE, RPC_UNARY, 0},
};

static const rpc_service search_service = {&booking__v1__search_service__descriptor, search_methods,
                                           sizeof search_methods / sizeof search_methods[0]};
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
