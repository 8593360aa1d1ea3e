/* repair.c — runs the booking saga's repair routine (booking-svc/saga.c) on a schedule,
 * with its own store connections and a channel to payment-svc (SPEC §5.5). */
#include "expiry.h"
#include "log.h"
#include "saga.h"

int repair_run(expiry_app *app, pg_conn *pg, redis_conn *r)
{
    saga_env env = saga_env_for(pg, r, app->payments, "expiry-svc");
    saga_repair_stats st;
    int rc = saga_repair_pass(&env, &st);
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
    while (!app_wait(app, expiry_config.repair_interval_ms))
        if (repair_run(app, w->pg, w->redis) != 0)
            log_warn("repair pass incomplete (postgres: %s); next pass retries", w->pg->errstr);
    service_worker_close(w);
    return NULL;
}
