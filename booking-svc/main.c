/* main.c — booking-svc: the strongly controlled write path (BookingService): its
 * settings, its method table and the service definition. */
#include "booking.h"

extern const migration booking_migrations[];
extern const size_t booking_migration_count;

static const config_entry settings[] = {
    {"HOLD_TTL_SECONDS", CONFIG_INT, &booking_config.hold_ttl_seconds, "600", 1, 86400,
     "hold lifetime unless the resource sets one"},
    {"MAX_HELD_UNITS", CONFIG_INT, &booking_config.max_held_units, "20", 1, 1000000,
     "anti-hoarding: units one user may hold at once"},
    {"MAX_QUANTITY", CONFIG_INT, &booking_config.max_quantity, "10", 1, 100000,
     "units per hold unless the resource sets max_quantity_per_hold"},
    {"MAX_SLOTS_PER_HOLD", CONFIG_INT, &booking_config.max_slots, "366", 1, 10000, "slots one hold may cover"},
    {"BOOKING_HORIZON_DAYS", CONFIG_INT, &booking_config.horizon_days, "730", 1, 3650,
     "how far ahead a hold may reach"},
    {"MAX_INVENTORY_SLOTS", CONFIG_INT, &booking_config.max_inventory_slots, "20000", 1, 1000000,
     "slots one SetInventory may change"},
};

static const rpc_method booking_methods[] = {
    {"CreateResource", rpc_create_resource, RPC_ROLE_ADMIN, RPC_UNARY, RPC_IDEMPOTENT},
    {"UpdateResource", rpc_update_resource, RPC_ROLE_ADMIN, RPC_UNARY, RPC_IDEMPOTENT},
    {"SetInventory", rpc_set_inventory, RPC_ROLE_ADMIN, RPC_UNARY, RPC_IDEMPOTENT},
    {"CreateHold", rpc_create_hold, RPC_ROLE_CUSTOMER, RPC_UNARY, RPC_IDEMPOTENT},
    {"GetHold", rpc_get_hold, RPC_ROLE_CUSTOMER, RPC_UNARY, 0},
    {"ReleaseHold", rpc_release_hold, RPC_ROLE_CUSTOMER, RPC_UNARY, RPC_IDEMPOTENT},
};

static const rpc_service booking_service = {&booking__v1__booking_service__descriptor, booking_methods,
                                            sizeof booking_methods / sizeof booking_methods[0]};
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
        .config = settings,
        .config_count = sizeof settings / sizeof settings[0],
        .migrations = booking_migrations,
        .migration_count = booking_migration_count,
    };
    return service_main(&def, argc, argv);
}
