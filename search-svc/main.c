/* main.c — search-svc: the read path (SearchService): settings, method table, and the
 * read model's life (loaded before serving, refreshed by a thread, freed at stop). */
#include <stdlib.h>

#include "booking_schema.h"
#include "ebr.h"
#include "log.h"
#include "router.h"
#include "search.h"
#include "shard.h"
#include "timeutil.h"

search_settings search_config;
static const service_definition definition;

static const config_entry settings[] = {
    {"SEARCH_HORIZON_DAYS", CONFIG_INT, &search_config.horizon_days, "400", 1, 3650,
     "days ahead (from today) the read model holds and searches cover"},
    {"SEARCH_FULL_REFRESH_SECONDS", CONFIG_INT, &search_config.full_refresh_seconds, "30", 0, 86400,
     "period of the full reload from PostgreSQL, a backstop for missed changes (0 = never)"},
    {"SEARCH_PG_RELOAD_MS", CONFIG_INT, &search_config.pg_reload_ms, "200", 0, 600000,
     "at most one PostgreSQL reload per changed resource per this interval"},
    {"SEARCH_LOAD_CHUNK", CONFIG_INT, &search_config.load_chunk, "500", 10, 100000, "resources per load query"},
    {"SEARCH_MAX_RANGE_DAYS", CONFIG_INT, &search_config.max_range_days, "366", 1, 3650,
     "longest start_time..end_time a search accepts"},
    {"MAX_QUANTITY", CONFIG_INT, &search_config.max_quantity, "10", 1, 100000,
     "units per hold unless the resource says otherwise (as booking-svc)"},
    {"MAX_SLOTS_PER_HOLD", CONFIG_INT, &search_config.max_slots, "366", 1, 10000,
     "slots one hold may cover (as booking-svc)"},
    {"SEARCH_TOKEN_KEY", CONFIG_STRING, search_config.token_key, "", 0, 0,
     "secret that signs page tokens (same on every replica); empty = random per process"},
    {"SEARCH_SHARD", CONFIG_STRING, search_config.shard, "0/1", 0, 0,
     "i/n: this replica holds partitions [64i/n, 64(i+1)/n) of the catalogue; 0/1 = all"},
    {"SEARCH_SHARDS", CONFIG_STRING, search_config.shards, "", 0, 0,
     "set: this process is the router over these shard addresses (comma-separated, shard i "
     "the i-th), holding no data; empty: a replica holding its SEARCH_SHARD"},
};

search_app *search_app_of(rpc_call *call) { return ((service_worker *)rpc_worker_state(call))->app; }
pg_conn *search_pg(rpc_call *call) { return ((service_worker *)rpc_worker_state(call))->pg; }
redis_conn *search_redis(rpc_call *call) { return ((service_worker *)rpc_worker_state(call))->redis; }

static void app_free(search_app *app)
{
    refresher_free(app->refresher);
    model_free(app->model);
    free(app);
}

static int start(const service_settings *s, void **out)
{
    shard sh;
    if (shard_parse(search_config.shard, &sh) != 0) {
        log_error("bad setting: SEARCH_SHARD \"%s\" (i/n, 0 <= i < n <= %d)", search_config.shard, SHARD_MAX);
        return -1;
    }
    search_app *app = calloc(1, sizeof *app);
    if (page_key_init(&app->token_key, search_config.token_key) != 0) {
        log_error("no randomness for the page-token key; set SEARCH_TOKEN_KEY");
        free(app);
        return -1;
    }
    app->model = model_new((int)search_config.horizon_days);
    /* full loads from DATABASE_READ_URL when set: a replica takes the bulk reads */
    refresher_config rc = {service_pg_open(&definition, s, SERVICE_PG_MAIN),
                           s->database_read_url[0] ? service_pg_open(&definition, s, SERVICE_PG_READ) : NULL,
                           s->redis_url, s->redis_username, s->redis_password, (int)s->store_timeout_ms,
                           (int)search_config.full_refresh_seconds * 1000, (int)search_config.pg_reload_ms,
                           (int)search_config.load_chunk, sh};
    if (sh.count > 1)
        log_info("shard %d of %d: partitions %d..%d", sh.index, sh.count, sh.lo, sh.hi - 1);
    app->refresher = refresher_new(app->model, &rc);
    search_metrics_init(app);
    int64_t t0 = wall_ms();
    if (refresher_initial_load(app->refresher) != 0)
        log_warn("initial load failed; the refresher keeps trying (health is NOT_SERVING until it succeeds)");
    else
        log_info("read model ready in %lld ms", (long long)(wall_ms() - t0));
    if (refresher_start(app->refresher) != 0) {
        app_free(app);
        return -1;
    }
    *out = app;
    return 0;
}

static void stop(void *app) { app_free(app); }

static int health(void *app) { return atomic_load(&((search_app *)app)->model->ready) ? 0 : -1; }

static const rpc_method search_methods[] = {
    {"SearchAvailability", rpc_search_availability, RPC_ROLE_NONE, RPC_UNARY, RPC_INLINE},
    {"GetResource", rpc_get_resource, RPC_ROLE_NONE, RPC_UNARY, 0},
    {"GetCalendar", rpc_get_calendar, RPC_ROLE_NONE, RPC_UNARY, 0},
};

static const rpc_service search_service = {&booking__v1__search_service__descriptor, search_methods,
                                           sizeof search_methods / sizeof search_methods[0]};
static const rpc_service *const services[] = {&search_service};

static const service_definition definition = {
    .name = "search-svc",
    .grpc_listen_default = "127.0.0.1:50051",
    .metrics_listen_default = "127.0.0.1:9101",
    .database_url_default = BOOKING_DATABASE_URL_DEFAULT,
    .database_schema = "booking",
    .uses_redis = 1,
    .services = services,
    .service_count = 1,
    .config = settings,
    .config_count = sizeof settings / sizeof settings[0],
    .start = start,
    .stop = stop,
    .health = health,
};

/* The router (SEARCH_SHARDS set): the same service and settings, no data and no stores. */
static int router_start(const service_settings *s, void **out)
{
    (void)s;
    char err[160];
    search_router *rt = router_new(search_config.shards, search_config.token_key, err, sizeof err);
    if (!rt)
        log_error("bad setting: %s", err);
    *out = rt;
    return rt ? 0 : -1;
}

static void router_stop(void *rt) { router_free(rt); }

static const rpc_method router_methods[] = {
    {"SearchAvailability", router_search, RPC_ROLE_NONE, RPC_UNARY, 0},
    {"GetResource", router_get_resource, RPC_ROLE_NONE, RPC_UNARY, 0},
    {"GetCalendar", router_get_calendar, RPC_ROLE_NONE, RPC_UNARY, 0},
};

static const rpc_service router_service = {&booking__v1__search_service__descriptor, router_methods,
                                           sizeof router_methods / sizeof router_methods[0]};
static const rpc_service *const router_services[] = {&router_service};

static const service_definition router_definition = {
    .name = "search-svc",
    .grpc_listen_default = "127.0.0.1:50051",
    .metrics_listen_default = "127.0.0.1:9101",
    .services = router_services,
    .service_count = 1,
    .config = settings,
    .config_count = sizeof settings / sizeof settings[0],
    .start = router_start,
    .stop = router_stop,
};

int main(int argc, char **argv)
{
    /* which of the two it is decides its stores, so it is read before the settings */
    const char *shards = getenv("SEARCH_SHARDS");
    return service_main(shards && *shards ? &router_definition : &definition, argc, argv);
}
