/* main.c — expiry-svc: releases abandoned holds and reconciles counters (ExpiryService):
 * its settings, its method table and the service definition. */
#include "booking/v1/expiry.pb-c.h"
#include "booking_schema.h"
#include "expiry.h"

expiry_settings expiry_config;

static const config_entry settings[] = {
    {"SWEEP_INTERVAL_MS", CONFIG_INT, &expiry_config.sweep_interval_ms, "50", 1, 3600000,
     "deadline sweep period (the release-lag bound when notifications are late)"},
    {"SWEEP_BATCH", CONFIG_INT, &expiry_config.sweep_batch, "500", 1, 100000,
     "due holds read per partition and round"},
    {"SWEEP_THREADS", CONFIG_INT, &expiry_config.sweep_threads, "2", 1, SWEEP_THREADS_MAX,
     "sweeper threads (the 64 partitions are shared out)"},
    {"RECONCILE_INTERVAL_MS", CONFIG_INT, &expiry_config.reconcile_interval_ms, "10000", 100, 86400000,
     "availability counters vs PostgreSQL"},
    {"NOTIFY_CHECK_INTERVAL_MS", CONFIG_INT, &expiry_config.notify_check_interval_ms, "30000", 100, 3600000,
     "how often notify-keyspace-events is checked"},
};

static const rpc_method expiry_methods[] = {
    {"GetStats", rpc_get_stats, RPC_ROLE_NONE, RPC_UNARY, 0},
    {"RunSweep", rpc_run_sweep, RPC_ROLE_NONE, RPC_UNARY, 0},
};

static const rpc_service expiry_service = {&booking__v1__expiry_service__descriptor, expiry_methods,
                                           sizeof expiry_methods / sizeof expiry_methods[0]};
static const rpc_service *const services[] = {&expiry_service};

static const service_definition definition = {
    .name = "expiry-svc",
    .grpc_listen_default = "127.0.0.1:50054",
    .metrics_listen_default = "127.0.0.1:9104",
    .database_url_default = BOOKING_DATABASE_URL_DEFAULT,
    .database_schema = "booking",
    .uses_redis = 1,
    .services = services,
    .service_count = 1,
    .config = settings,
    .config_count = sizeof settings / sizeof settings[0],
    .start = expiry_start,
    .stop = expiry_stop,
    .health = expiry_health,
};

const service_definition *expiry_definition(void) { return &definition; }

int main(int argc, char **argv) { return service_main(&definition, argc, argv); }
