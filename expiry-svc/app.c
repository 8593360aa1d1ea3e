/* app.c — expiry-svc's life: the shared state, its background threads (sweepers, the
 * keyevent subscriber, the reconciler), their orderly stop, and the health hook
 * (NOT_SERVING while Redis does not publish expired events). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "expiry.h"
#include "log.h"

int app_stopping(expiry_app *app) { return stopper_stopping(&app->stop); }
int app_wait(expiry_app *app, int64_t ms) { return stopper_wait(&app->stop, ms); }

static expiry_app *app_new(const service_settings *settings)
{
    expiry_app *app = calloc(1, sizeof *app);
    char host[256], password[128];
    int port;
    app->settings = *settings;
    if (redis_parse_url(settings->redis_url, host, sizeof host, &port, &app->redis_db, password, sizeof password) != 0)
        app->redis_db = 0;
    stopper_init(&app->stop);
    atomic_init(&app->notify_ok, -1);
    for (int p = 0; p < HOLD_PARTITIONS; p++)
        pthread_mutex_init(&app->parts[p].lock, NULL);
    app->recon = reconciler_new();
    app->sweeper_count = (int)expiry_config.sweep_threads;
    return app;
}

static void app_free(expiry_app *app)
{
    for (int p = 0; p < HOLD_PARTITIONS; p++) {
        keymap_clear(&app->parts[p].skip);
        pthread_mutex_destroy(&app->parts[p].lock);
    }
    reconciler_free(app->recon);
    stopper_destroy(&app->stop);
    free(app);
}

/* The start-time check, on a connection of its own (health is right from the start). */
static void check_notify_config(expiry_app *app)
{
    redis_conn *r = service_redis_connect(&app->settings);
    if (notify_config_check(app, r) < 0)
        log_warn("cannot check notify-keyspace-events yet (redis: %s); will retry", r->errstr);
    redis_close(r);
}

static int start_threads(expiry_app *app)
{
    if (pthread_create(&app->subscriber, NULL, subscriber_main, app) != 0)
        return -1;
    int ok = pthread_create(&app->reconciler_thread, NULL, reconciler_main, app) == 0;
    for (int i = 0; ok && i < app->sweeper_count; i++) {
        app->sweeper_args[i] = (sweeper_arg){app, i};
        ok = pthread_create(&app->sweepers[i], NULL, sweeper_main, &app->sweeper_args[i]) == 0;
    }
    if (!ok) {
        log_error("cannot start expiry-svc's threads");
        abort(); /* a half-started set of threads cannot be joined safely */
    }
    return 0;
}

int expiry_start(const service_settings *settings, void **out)
{
    stats_init();
    expiry_app *app = app_new(settings);
    check_notify_config(app);
    if (start_threads(app) != 0) {
        log_error("cannot start the subscriber thread");
        app_free(app);
        return -1;
    }
    log_info("expiry: sweep every %ld ms (batch %ld, %d thread(s)), reconcile every %ld ms",
             expiry_config.sweep_interval_ms, expiry_config.sweep_batch, app->sweeper_count,
             expiry_config.reconcile_interval_ms);
    *out = app;
    return 0;
}

void expiry_stop(void *arg)
{
    expiry_app *app = arg;
    if (!app)
        return;
    stopper_stop(&app->stop);
    for (int i = 0; i < app->sweeper_count; i++)
        pthread_join(app->sweepers[i], NULL);
    pthread_join(app->subscriber, NULL);
    pthread_join(app->reconciler_thread, NULL);
    app_free(app);
}

int expiry_health(void *arg)
{
    expiry_app *app = arg;
    return app && atomic_load(&app->notify_ok) == 0 ? -1 : 0;
}
