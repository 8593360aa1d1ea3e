/* main.c — booking-svc: the strongly controlled write path (BookingService). */
#include "booking/v1/booking.pb-c.h"
#include "service.h"

extern const migration booking_migrations[];
extern const size_t booking_migration_count;

static const rpc_service booking_service = {&booking__v1__booking_service__descriptor, NULL, 0};
static const rpc_service *const services[] = {&booking_service};

int main(int argc, char **argv)
{
    service_definition def = {
        .name = "booking-svc",
        .grpc_listen_default = "127.0.0.1:50052",
        .metrics_listen_default = "127.0.0.1:9102",
        .database_url_default = "postgresql://booking_svc@127.0.0.1:15432/booking",
        .database_schema = "booking",
        .uses_redis = 1,
        .services = services,
        .service_count = 1,
        .migrations = booking_migrations,
        .migration_count = booking_migration_count,
    };
    return service_main(&def, argc, argv);
}
