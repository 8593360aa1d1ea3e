/* repair.c — runs the booking saga's repair routine (booking-svc/saga.c) on a schedule,
 * with its own store connections and a channel to payment-svc (SPEC §5.5). */
#include <stdio.h>
#include <string.h>

#include "expiry.h"
#include "log.h"
#include "saga.h"
#include "timeutil.h"

#define REPAIR_POLL_MS 200

void repair_request(expiry_app *app, const char *hold_id)
{
    pthread_mutex_lock(&app->repair_lock);
    int known = 0;
    for (int i = 0; i < app->repair_count && !known; i++)
        known = strcmp(app->repair_ids[i], hold_id) == 0;
    if (!known && app->repair_count < REPAIR_QUEUE_MAX)
        snprintf(app->repair_ids[app->repair_count++], ID_MAX + 1, "%s", hold_id);
    pthread_mutex_unlock(&app->repair_lock);
}

/* Resolves the holds the sweep and the lost-holds pass found stuck in CONFIRMING. */
static int resolve_requested(expiry_app *app, saga_env *env)
{
    char ids[REPAIR_QUEUE_MAX][ID_MAX + 1];
    pthread_mutex_lock(&app->repair_lock);
    int n = app->repair_count;
    memcpy(ids, app->repair_ids, sizeof ids[0] * (size_t)n);
    app->repair_count = 0;
    pthread_mutex_unlock(&app->repair_lock);
    int resolved = 0;
    for (int i = 0; i < n; i++)
        resolved += saga_resolve_hold(env, ids[i]) > 0;
    return resolved;
}

int repair_run(expiry_app *app, pg_conn *pg, redis_conn *r)
{
    saga_env env = saga_env_for(pg, r, app->payments, "expiry-svc");
    saga_repair_stats st;
    int resolved = resolve_requested(app, &env);
    int rc = saga_repair_pass(&env, &st);
    st.holds_resolved += resolved;
    int repairs = st.holds_resolved + st.authorizations_voided + st.payments_settled;
    stats_saga(repairs, st.bookings_completed);
    if (repairs || st.bookings_completed)
        log_info("repair: %d confirmation(s) resolved, %d authorization(s) voided, %d payment(s) settled, "
                 "%d booking(s) completed", st.holds_resolved, st.authorizations_voided, st.payments_settled,
                 st.bookings_completed);
    return rc;
}

void *repair_main(void *arg)
{
    expiry_app *app = arg;
    service_worker *w = service_worker_open(expiry_definition(), &app->settings, app, -1);
    saga_env env = saga_env_for(w->pg, w->redis, app->payments, "expiry-svc");
    int64_t next_pass = 0;
    /* requested holds within REPAIR_POLL_MS; the whole pass every REPAIR_INTERVAL_MS */
    while (!app_wait(app, REPAIR_POLL_MS < expiry_config.repair_interval_ms ? REPAIR_POLL_MS
                                                                              : expiry_config.repair_interval_ms)) {
        if (wall_ms() < next_pass) {
            stats_saga(resolve_requested(app, &env), 0);
            continue;
        }
        next_pass = wall_ms() + expiry_config.repair_interval_ms;
        if (repair_run(app, w->pg, w->redis) != 0)
            log_warn("repair pass incomplete (postgres: %s); next pass retries", w->pg->errstr);
    }
    service_worker_close(w);
    return NULL;
}
