/* main.c — payment-svc: PaymentService over a provider interface, own schema. */
#include "booking/v1/payment.pb-c.h"
#include "service.h"

extern const migration payment_migrations[];
extern const size_t payment_migration_count;

static const rpc_service payment_service = {&booking__v1__payment_service__descriptor, NULL, 0};
static const rpc_service *const services[] = {&payment_service};

int main(int argc, char **argv)
{
    service_definition def = {
        .name = "payment-svc",
        .grpc_listen_default = "127.0.0.1:50053",
        .metrics_listen_default = "127.0.0.1:9103",
        .database_url_default = "postgresql://payment_svc@127.0.0.1:15432/booking",
        .database_schema = "payment",
        .services = services,
        .service_count = 1,
        .migrations = payment_migrations,
        .migration_count = payment_migration_count,
    };
    return service_main(&def, argc, argv);
}
