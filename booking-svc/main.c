/* main.c — booking-svc: the strongly controlled write path (BookingService): its
 * settings, its method table and the service definition. */
#include <stdlib.h>

#include "auth.h"

#include "booking.h"
#include "booking_metrics.h"
#include "booking_schema.h"
#include "catalog_cache.h"
#include "maintenance.h"
#include "recorder.h"
#include "saga.h"
#include "waitlist_offer.h"
#include "webhook_sender.h"
#include "booking/v1/payment.pb-c.h"

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
    {"MAX_HOLD_EXTENSIONS", CONFIG_INT, &booking_config.max_hold_extensions, "3", 0, 100,
     "ExtendHold calls per hold unless the resource sets max_hold_extensions"},
    {"MAX_HOLD_SECONDS", CONFIG_INT, &booking_config.max_hold_seconds, "3600", 1, 86400,
     "longest life of a hold from its creation, extensions included, unless the resource sets max_hold_seconds"},
    {"WAITLIST_OFFER_TTL_SECONDS", CONFIG_INT, &waitlist_config.offer_ttl_seconds, "900", 1, 86400,
     "how long a hold offered to a waiting-list entry lives"},
    {"WAITLIST_INTERVAL_MS", CONFIG_INT, &waitlist_config.interval_ms, "200", 10, 600000,
     "the waiting list's offer pass (at once when this replica gave units back)"},
    {"WAITLIST_RESCAN_SECONDS", CONFIG_INT, &waitlist_config.rescan_seconds, "60", 1, 86400,
     "a waiting-list pass that reads PostgreSQL whatever the Redis hint says (a hint lost with Redis)"},
    {"WAITLIST_MAX_PER_USER", CONFIG_INT, &waitlist_config.max_open, "10", 1, 10000,
     "waiting-list entries one user may have WAITING or OFFERED at once"},
    {"REPAIR_INTERVAL_MS", CONFIG_INT, &maintenance_config.repair_interval_ms, "1000", 50, 600000,
     "the saga's repair pass (one replica at a time runs it)"},
    {"MAINTENANCE_FOLLOWER_CHECK_MS", CONFIG_INT, &maintenance_config.follower_check_ms, "5000", 50, 600000,
     "a replica that does not run the repair tries for it this often, holding no PostgreSQL connection between"},
    {"LOST_HOLD_AFTER_SECONDS", CONFIG_INT, &maintenance_config.lost_after_seconds, "60", 1, 86400,
     "a hold whose history is live this long past its expiry, unknown to Redis, is recorded as ended"},
    {"RECORDER_CLAIM_IDLE_MS", CONFIG_INT, &recorder_claim_idle_ms, "15000", 100, 3600000,
     "hold log entries another replica read and left unrecorded this long are taken over"},
    {"WEBHOOK_SENDER", CONFIG_BOOL, &webhook_config.enabled, "true", 0, 0,
     "this replica sends webhook deliveries (the outbox is written whatever this says)"},
    {"WEBHOOK_POLL_MS", CONFIG_INT, &webhook_config.poll_ms, "1000", 10, 60000,
     "the webhook sender looks for due deliveries at least this often (it also wakes on new events)"},
    {"WEBHOOK_TIMEOUT_MS", CONFIG_INT, &webhook_config.timeout_ms, "10000", 100, 60000,
     "one webhook POST, connection included"},
    {"WEBHOOK_CONCURRENCY", CONFIG_INT, &webhook_config.concurrency, "32", 1, 256,
     "webhook POSTs in flight per replica"},
    {"WEBHOOK_LEASE_SECONDS", CONFIG_INT, &webhook_config.lease_seconds, "60", 1, 3600,
     "a claimed delivery with no recorded outcome (its sender died) is sent again after this"},
    {"WEBHOOK_RETRY_BASE_MS", CONFIG_INT, &webhook_config.retry_base_ms, "30000", 10, 3600000,
     "wait after a delivery's first failed attempt; doubles with each failure (with jitter)"},
    {"WEBHOOK_RETRY_MAX_MS", CONFIG_INT, &webhook_config.retry_max_ms, "21600000", 10, 86400000,
     "the longest wait between two attempts of a delivery"},
    {"WEBHOOK_RETRY_WINDOW_SECONDS", CONFIG_INT, &webhook_config.retry_window_s, "259200", 1, 2592000,
     "how long a delivery is retried before it is given up (3 days)"},
    {"WEBHOOK_RETENTION_DAYS", CONFIG_INT, &webhook_config.retention_days, "30", 1, 3650,
     "delivered and failed webhook events (and their attempts) are purged after this"},
};

static const rpc_method booking_methods[] = {
    {"CreateResource", rpc_create_resource, RPC_ROLE_ADMIN, RPC_UNARY, RPC_IDEMPOTENT},
    {"UpdateResource", rpc_update_resource, RPC_ROLE_ADMIN, RPC_UNARY, RPC_IDEMPOTENT},
    {"SetInventory", rpc_set_inventory, RPC_ROLE_ADMIN, RPC_UNARY, RPC_IDEMPOTENT},
    {"CreateHold", rpc_create_hold, RPC_ROLE_CUSTOMER, RPC_UNARY, RPC_IDEMPOTENT | RPC_KEYS_IN_REDIS},
    {"GetHold", rpc_get_hold, RPC_ROLE_CUSTOMER, RPC_UNARY, 0},
    {"ReleaseHold", rpc_release_hold, RPC_ROLE_CUSTOMER, RPC_UNARY, RPC_IDEMPOTENT | RPC_KEYS_IN_REDIS},
    {"ExtendHold", rpc_extend_hold, RPC_ROLE_CUSTOMER, RPC_UNARY, RPC_IDEMPOTENT | RPC_KEYS_IN_REDIS},
    {"ConfirmBooking", rpc_confirm_booking, RPC_ROLE_CUSTOMER, RPC_UNARY, RPC_IDEMPOTENT},
    {"GetBooking", rpc_get_booking, RPC_ROLE_CUSTOMER, RPC_UNARY, 0},
    {"ListBookings", rpc_list_bookings, RPC_ROLE_CUSTOMER, RPC_UNARY, 0},
    {"CancelBooking", rpc_cancel_booking, RPC_ROLE_CUSTOMER, RPC_UNARY, RPC_IDEMPOTENT},
    {"JoinWaitlist", rpc_join_waitlist, RPC_ROLE_CUSTOMER, RPC_UNARY, RPC_IDEMPOTENT},
    {"LeaveWaitlist", rpc_leave_waitlist, RPC_ROLE_CUSTOMER, RPC_UNARY, RPC_IDEMPOTENT},
    {"ListWaitlist", rpc_list_waitlist, RPC_ROLE_CUSTOMER, RPC_UNARY, 0},
    {"ListEvents", rpc_list_events, RPC_ROLE_CUSTOMER, RPC_UNARY, 0},
    {"CreateWebhookEndpoint", rpc_create_webhook_endpoint, RPC_ROLE_ADMIN, RPC_UNARY, RPC_IDEMPOTENT},
    {"ListWebhookEndpoints", rpc_list_webhook_endpoints, RPC_ROLE_ADMIN, RPC_UNARY, 0},
    {"DeleteWebhookEndpoint", rpc_delete_webhook_endpoint, RPC_ROLE_ADMIN, RPC_UNARY, RPC_IDEMPOTENT},
    {"ListWebhookDeliveries", rpc_list_webhook_deliveries, RPC_ROLE_ADMIN, RPC_UNARY, 0},
    {"RedeliverWebhook", rpc_redeliver_webhook, RPC_ROLE_ADMIN, RPC_UNARY, RPC_IDEMPOTENT},
};

static service_definition definition;

/* Background work of every replica: the recorder, the maintenance thread (which runs
 * its passes only while it holds the maintenance lock), the webhook sender and the
 * waiting list's offers. */
typedef struct booking_app {
    recorder *rec;
    maintenance *maint;
    webhook_sender *hooks;
    waitlist_worker *waitlist;
} booking_app;

static int start(const service_settings *common, void **out)
{
    booking_app *app = calloc(1, sizeof *app);
    booking_payments = rpc_client_new(saga_config.payment_addr, &booking__v1__payment_service__descriptor);
    booking_catalog = catalog_cache_new();
    recorder_metrics_init();
    booking_metrics_init();
    maintenance_metrics_init();
    webhook_metrics_init();
    waitlist_metrics_init();
    app->rec = recorder_start(&definition, common);
    app->maint = maintenance_start(&definition, common, booking_payments);
    if (webhook_config.enabled)
        app->hooks = webhook_sender_start(&definition, common, !auth_jwt_mode());
    app->waitlist = waitlist_worker_start(&definition, common);
    *out = app;
    return app->rec && app->maint && (app->hooks || !webhook_config.enabled) && app->waitlist ? 0 : -1;
}

static void stop(void *arg)
{
    booking_app *app = arg;
    if (app) {
        waitlist_worker_stop(app->waitlist);
        webhook_sender_stop(app->hooks);
        maintenance_stop(app->maint);
        recorder_stop(app->rec);
        free(app);
    }
    rpc_client_free(booking_payments);
    booking_payments = NULL;
    catalog_cache_free(booking_catalog);
    booking_catalog = NULL;
}

static const rpc_service booking_service = {&booking__v1__booking_service__descriptor, booking_methods,
                                            sizeof booking_methods / sizeof booking_methods[0]};
static const rpc_service *const services[] = {&booking_service};

int main(int argc, char **argv)
{
    definition = (service_definition){
        .name = "booking-svc",
        .grpc_listen_default = "127.0.0.1:50052",
        .metrics_listen_default = "127.0.0.1:9102",
        .database_url_default = BOOKING_DATABASE_URL_DEFAULT,
        .database_schema = "booking",
        .uses_redis = 1,
        .services = services,
        .service_count = 1,
        .config = settings,
        .config_count = sizeof settings / sizeof settings[0],
        .extra_config = saga_config_table,
        .extra_config_count = SAGA_CONFIG_COUNT,
        .migrations = booking_migrations,
        .migration_count = booking_migration_count,
        .start = start,
        .stop = stop,
    };
    return service_main(&definition, argc, argv);
}
