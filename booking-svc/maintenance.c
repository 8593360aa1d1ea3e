/* maintenance.c — one replica at a time (the one holding the session advisory lock
 * "booking-maintenance" on its own connection, past any transaction pooler; a replica
 * that dies loses it with its connection) runs, every REPAIR_INTERVAL_MS, the saga's
 * repair pass (confirmations past their deadline, authorizations to void, payments owed, bookings to complete) and the
 * end of holds whose history is live but Redis no longer knows them. */
#include "maintenance.h"

#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "background.h"
#include "hold_cache.h"
#include "log.h"
#include "metrics.h"
#include "recorder_store.h"
#include "saga.h"
#include "timeutil.h"

#define LOST_PAGE 200
#define ACTOR "booking-svc"

maintenance_settings maintenance_config = {1000, 60, 5000};

static metric *m_leader, *m_resolved, *m_voided, *m_settled, *m_completed, *m_lost, *m_failed;

void maintenance_metrics_init(void)
{
    m_leader = metrics_gauge("booking_maintenance_leader", "", "1 while this replica runs the repair passes");
    m_resolved = metrics_counter("booking_repairs_total", "kind=\"confirmation_resolved\"",
                                 "what the repair routine settled, by kind");
    m_voided = metrics_counter("booking_repairs_total", "kind=\"authorization_voided\"", "");
    m_settled = metrics_counter("booking_repairs_total", "kind=\"payment_settled\"", "");
    m_completed = metrics_counter("booking_repairs_total", "kind=\"booking_completed\"", "");
    m_lost = metrics_counter("booking_repairs_total", "kind=\"hold_lost\"", "");
    m_failed = metrics_counter("booking_repair_passes_failed_total", "", "repair passes a store failure cut short");
}

struct maintenance {
    background bg;
    char bookings_checked[40];  /* unrecorded bookings looked for up to here ("" at first) */
    service_worker *w;
    rpc_client *payments;
};

/* 1 while this replica holds the lock (a session lock: asking again while holding it
 * answers true; a new connection after a failure asks afresh). */
static int leading(pg_conn *pg)
{
    PGresult *r = pg_exec(pg, "SELECT pg_try_advisory_lock(hashtext('booking-maintenance'))", 0, NULL);
    int lead = r && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return lead;
}

/* Records the end of every hold of `page` that Redis does not know (CONFIRMED from its
 * booking when it has one, else EXPIRED). Returns how many, -1 on a store failure. */
static int record_holds_redis_lost(service_worker *w, const stale_hold *page, int n)
{
    int settled = 0;
    arena mem;
    arena_init(&mem);
    for (int i = 0; i < n && settled >= 0; i++) {
        hold_record rec;
        int known = hold_cache_load(w->redis, page[i].hold_id, &mem.allocator, &rec);
        if (known < 0 || (known == 0 && recorder_record_lost(w->pg, &page[i], ACTOR) != 0))
            settled = -1;
        else if (known == 0) {
            log_info("hold %s (booking %s) is unknown to Redis; its end is recorded", page[i].hold_id,
                     page[i].booking_id[0] ? page[i].booking_id : "none");
            settled++;
        }
    }
    arena_free(&mem);
    return settled;
}

/* Holds whose history is live long after expiry and that Redis does not know: lost with
 * Redis. Returns how many were recorded, -1 on a store failure. */
static int settle_lost_holds(service_worker *w)
{
    stale_hold *page = malloc(sizeof *page * LOST_PAGE);
    int n = recorder_stale_holds(w->pg, (int)maintenance_config.lost_after_seconds, page, LOST_PAGE);
    int settled = n < 0 ? -1 : record_holds_redis_lost(w, page, n);
    free(page);
    return settled;
}

/* Bookings whose hold never reached PostgreSQL and that Redis does not know: the hold's
 * whole log was lost with Redis (created and confirmed within the recorder's lag); their
 * hold is recorded CONFIRMED from the booking. Each booking is looked at once per leader
 * (a new leader looks a day back). Returns how many, -1 on a store failure. */
static int settle_unrecorded_bookings(maintenance *m)
{
    stale_hold *page = malloc(sizeof *page * LOST_PAGE);
    char since[40];
    snprintf(since, sizeof since, "%s", m->bookings_checked);
    int n = recorder_unrecorded_bookings(m->w->pg, (int)maintenance_config.lost_after_seconds, since, page,
                                         LOST_PAGE);
    int settled = n < 0 ? -1 : record_holds_redis_lost(m->w, page, n);
    if (settled >= 0) /* the window moves on only once every booking in it is settled */
        snprintf(m->bookings_checked, sizeof m->bookings_checked, "%s", since);
    free(page);
    return settled;
}

static void pass(maintenance *m)
{
    saga_env env = saga_env_for(m->w->pg, m->w->redis, m->payments, ACTOR);
    env.stop = &m->bg.stop;
    saga_repair_stats st;
    int rc = saga_repair_pass(&env, &st);
    int lost = settle_lost_holds(m->w), unrecorded = settle_unrecorded_bookings(m);
    lost = lost < 0 || unrecorded < 0 ? -1 : lost + unrecorded;
    metric_inc(m_resolved, (uint64_t)st.holds_resolved);
    metric_inc(m_voided, (uint64_t)st.authorizations_voided);
    metric_inc(m_settled, (uint64_t)st.payments_settled);
    metric_inc(m_completed, (uint64_t)st.bookings_completed);
    metric_inc(m_lost, (uint64_t)(lost > 0 ? lost : 0));
    if (rc != 0 || lost < 0) {
        metric_inc(m_failed, 1);
        log_warn("repair pass incomplete (postgres: %s; redis: %s); the next pass retries", m->w->pg->errstr,
                 m->w->redis->errstr);
    }
    if (st.holds_resolved + st.authorizations_voided + st.payments_settled + st.bookings_completed + (lost > 0))
        log_info("repair: %d confirmation(s) resolved, %d authorization(s) voided, %d payment(s) settled, "
                 "%d booking(s) completed, %d lost hold(s) recorded", st.holds_resolved, st.authorizations_voided,
                 st.payments_settled, st.bookings_completed, lost > 0 ? lost : 0);
}

/* The leader keeps its session; a follower holds none between its tries (every
 * MAINTENANCE_FOLLOWER_CHECK_MS), so the replicas cost PostgreSQL one connection, not
 * one each (docs/scale-out.md, the connection budget). */
static void loop(background *bg, void *arg)
{
    maintenance *m = arg;
    long wait = maintenance_config.repair_interval_ms;
    while (!background_wait(bg, wait)) {
        int lead = leading(m->w->pg);
        metric_set(m_leader, lead);
        if (lead)
            pass(m);
        else
            pg_disconnect(m->w->pg);
        wait = lead || maintenance_config.follower_check_ms < maintenance_config.repair_interval_ms
                   ? maintenance_config.repair_interval_ms
                   : maintenance_config.follower_check_ms;
    }
}

maintenance *maintenance_start(const service_definition *def, const service_settings *settings,
                               rpc_client *payments)
{
    /* a session lock held through a transaction pooler would stay on a backend other
     * clients share (they would all "hold" it) and outlive this replica: a session of
     * its own (docs/scale-out.md) */
    service_worker *w = service_worker_open_on(def, settings, NULL, -3, SERVICE_PG_DIRECT);
    if (!w)
        return NULL;
    maintenance *m = calloc(1, sizeof *m);
    m->w = w;
    pg_set_application_name(m->w->pg, "booking-maintenance");
    m->payments = payments;
    if (background_start(&m->bg, loop, m) != 0) {
        service_worker_close(m->w);
        free(m);
        return NULL;
    }
    return m;
}

void maintenance_stop(maintenance *m)
{
    if (!m)
        return;
    background_stop(&m->bg);
    service_worker_close(m->w);
    free(m);
}
