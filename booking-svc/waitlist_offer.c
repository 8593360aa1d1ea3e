/* waitlist_offer.c — the offer worker (waitlist_offer.h): every WAITLIST_INTERVAL_MS, or
 * at once when this process gave units back, it settles offers whose hold ended and
 * offers the units that came back to the WAITING entries that fit, oldest first, one
 * resource at a time under that resource's advisory lock. An offer is an ordinary hold
 * of the entry's user whose id is derived from the entry's (hold_<NN>_<entry body>):
 * made by the same steps as CreateHold (hold_take.c), then the entry is marked OFFERED
 * with waitlist.offered. A worker that dies between the two leaves a hold that the next
 * pass finds under the same id and adopts, so an entry gets at most one offer
 * (docs/checkout-lifecycle.md, "The waiting list"). */
#include "waitlist_offer.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "background.h"
#include "booking_store.h"
#include "hold_cache.h"
#include "hold_take.h"
#include "log.h"
#include "metrics.h"
#include "saga.h"
#include "timeutil.h"
#include "user_holds.h"
#include "waitlist_hint.h"
#include "waitlist_store.h"

#define ACTOR "waitlist"
#define WAITING_PAGE 2000 /* WAITING entries looked at per pass (by resource, oldest first)... */
#define WAITING_PER_RESOURCE 50 /* ...at most this many of each: one resource's line starves no other */
#define OFFER_UNITS_LIMIT 1000000000L /* an offer counts in its user's held units, never refused */
#define W(s) BOOKING__V1__WAITLIST_STATUS__WAITLIST_STATUS_##s

#define MIN_GAP_MS 20      /* between passes, however often this process wakes the worker */
#define HINT_MAX 1000      /* resources of the hint read per pass */

waitlist_settings waitlist_config = {900, 200, 10, 60};

static metric *m_offers, *m_passes_failed;

void waitlist_metrics_init(void)
{
    m_offers = metrics_counter("booking_waitlist_offers_total", "", "holds offered to waiting-list entries");
    m_passes_failed = metrics_counter("booking_waitlist_passes_failed_total", "",
                                      "offer passes a store failure cut short");
}

struct waitlist_worker {
    background bg;
    service_worker *w;
    rpc_call *call;  /* one offer's call context: memory, status, this worker's stores */
    arena mem;       /* what a pass keeps across offers (entries, their slots) */
    int64_t next_rescan_ms;  /* monotonic: the next pass that ignores the hint */
};

static _Atomic(waitlist_worker *) running;

void waitlist_wake(void)
{
    waitlist_worker *w = atomic_load(&running);
    if (w)
        background_poke(&w->bg);
}

typedef enum offer_result { OFFER_MADE, OFFER_SHORT, OFFER_CLOSED, OFFER_FAILED } offer_result;

/* The entry was not WAITING any more when its offer was to be recorded: unless another
 * worker recorded this very offer, the hold goes back (its user left meanwhile). */
static void offer_unwanted(waitlist_worker *w, const waitlist_row *e, const char *hold_id)
{
    waitlist_row now;
    if (waitlist_load(w->w->pg, e->entry_id, &now) == 1 && strcmp(now.offered_hold_id, hold_id) == 0)
        return;
    hold_end release = {'R', "", ACTOR, "the waiting-list entry left", 0};
    hold_release rel = hold_cache_release(w->w->redis, e->resource_id, hold_id, &release, wall_ms());
    if (rel.status == RELEASE_DONE)
        user_holds_give_back(w->w->redis, e->user_id, hold_id);
}

/* Records the offer: the entry OFFERED (once), and, while the hold lives, its units in
 * its user's held units. */
static offer_result record_offer(waitlist_worker *w, const waitlist_row *e, const hold_plan *p, int live)
{
    char meta[200], expires[40], start[40], end[40];
    snprintf(meta, sizeof meta, "{\"expires_at\":\"%s\",\"start_time\":\"%s\",\"end_time\":\"%s\"}",
             format_rfc3339(p->expires_ms / 1000, expires, sizeof expires),
             format_rfc3339(e->start_time, start, sizeof start), format_rfc3339(e->end_time, end, sizeof end));
    long held;
    if (live)
        user_holds_take(w->w->redis, e->user_id, p->hold_id, e->quantity, OFFER_UNITS_LIMIT, wall_ms(),
                        p->expires_ms + saga_config.confirm_timeout_seconds * 1000, &held);
    int moved = waitlist_move(w->w->pg, e->entry_id, W(OFFERED), p->hold_id, "waitlist.offered", meta, ACTOR);
    if (moved < 0)
        return OFFER_FAILED; /* the next pass finds the hold under its id and adopts it */
    if (moved == 0) {
        offer_unwanted(w, e, p->hold_id);
        return OFFER_CLOSED;
    }
    metric_inc(m_offers, 1);
    log_info("waiting-list entry %s of %s: offered hold %s (%d unit(s))", e->entry_id, e->user_id, p->hold_id,
             e->quantity);
    return OFFER_MADE;
}

/* The entry can never be offered (its range passed): EXPIRED, the reason in its event. */
static offer_result close_entry(waitlist_worker *w, const waitlist_row *e, const char *why)
{
    char meta[400];
    int n = snprintf(meta, sizeof meta, "{\"reason\":\"");
    for (const char *c = why; *c && n < (int)sizeof meta - 3; c++)
        meta[n++] = *c == '"' || *c == '\\' || (unsigned char)*c < 0x20 ? ' ' : *c; /* JSON-safe */
    snprintf(meta + n, sizeof meta - (size_t)n, "\"}");
    if (waitlist_move(w->w->pg, e->entry_id, W(EXPIRED), NULL, "waitlist.expired", meta, ACTOR) < 0)
        return OFFER_FAILED;
    return OFFER_CLOSED;
}

/* The offer's hold, made as CreateHold makes one, or found made before under its id
 * (*live: it may still be taken; p->expires_ms is its expiry then). */
static offer_result take_offer(waitlist_worker *w, hold_plan *p, int *live)
{
    rpc_call *call = w->call;
    hold_row before;
    hold_record rec;
    *live = 0;
    int recorded = store_hold_load(w->w->pg, p->hold_id, rpc_allocator(call), &before);
    if (recorded < 0)
        return OFFER_FAILED;
    if (recorded) /* made long ago, Redis has forgotten it: it was the offer */
        return OFFER_MADE;
    hold_taken t = hold_take_units(call, p, NULL);
    if (t == TAKEN_BEFORE && !hold_was_announced(call, p->hold_id)) { /* a pass died between take and announce */
        hold_abort_creation(call, p);
        t = hold_take_units(call, p, NULL);
    }
    if (t == TAKEN_NEW && !p->announced && hold_announce(call, p) != 0) {
        hold_abort_creation(call, p);
        return OFFER_FAILED;
    }
    if (t == TAKEN_NEW) {
        *live = 1;
        return OFFER_MADE;
    }
    if (t == TAKEN_BEFORE) { /* a pass died after the take: adopted as it is now */
        if (hold_cache_load(w->w->redis, p->hold_id, rpc_allocator(call), &rec) == 1) {
            *live = rec.status == 'A' || rec.status == 'C';
            p->expires_ms = rec.expires_ms;
        }
        return OFFER_MADE;
    }
    return rpc_status_code(call) == RPC_RESOURCE_EXHAUSTED ? OFFER_SHORT : OFFER_FAILED;
}

/* One entry: its offer if its units are there. */
static offer_result offer_one(waitlist_worker *w, const waitlist_row *e)
{
    rpc_call *call = w->call;
    rpc_call_background_reset(call);
    hold_plan p = {.now_ms = wall_ms(), .user_id = e->user_id};
    if (hold_plan_resource(call, e->resource_id, 0, &p) != 0)
        return OFFER_FAILED;
    if (hold_plan_range(call, &p, e->start_time, e->end_time, e->quantity, e->entry_id + 3,
                        waitlist_config.offer_ttl_seconds * 1000) != 0)
        return rpc_status_code(call) == RPC_INVALID_ARGUMENT ? close_entry(w, e, rpc_status_message(call))
                                                              : OFFER_SHORT; /* not bookable now */
    int live;
    offer_result r = take_offer(w, &p, &live);
    if (r != OFFER_MADE) {
        if (r == OFFER_FAILED)
            log_warn("waiting-list entry %s: no offer yet: %s", e->entry_id, rpc_status_message(call));
        return r;
    }
    return record_offer(w, e, &p, live);
}

/* 1 when entry j cannot fit while an earlier entry i that did not fit could not either:
 * its slots include i's and it wants at least as many units (so offers keep join order). */
static int blocked_by(const waitlist_row *i, const waitlist_row *j)
{
    if (j->quantity < i->quantity)
        return 0;
    for (int a = 0; a < i->n_slots; a++) {
        int found = 0;
        for (int b = 0; b < j->n_slots && !found; b++)
            found = j->slots[b] == i->slots[a];
        if (!found)
            return 0;
    }
    return 1;
}

/* What the counters say of each entry (one read for the resource): 1 it may fit (or a
 * counter is not loaded: the take loads it), 0 it cannot now. */
static int precheck(waitlist_worker *w, const waitlist_row *rows, int n, int *fits)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += rows[i].n_slots;
    int64_t *slots = arena_alloc(&w->mem, sizeof *slots * (size_t)(total ? total : 1));
    int *values = arena_alloc(&w->mem, sizeof *values * (size_t)(total ? total : 1));
    for (int i = 0, k = 0; i < n; i++)
        for (int s = 0; s < rows[i].n_slots; s++)
            slots[k++] = rows[i].slots[s];
    if (hold_cache_read(w->w->redis, rows[0].resource_id, slots, total, values) != 0)
        return -1;
    int64_t now = wall_seconds();
    for (int i = 0, k = 0; i < n; i++) {
        fits[i] = rows[i].start_time <= now; /* past: the offer attempt closes it */
        int all = 1;
        for (int s = 0; s < rows[i].n_slots; s++, k++)
            all = all && (values[k] < 0 || values[k] >= rows[i].quantity);
        fits[i] = fits[i] || all;
    }
    return 0;
}

/* The WAITING entries of one resource (join order): offers for those that fit, under
 * the resource's lock. -1 when a store failed. */
static int offer_resource(waitlist_worker *w, const waitlist_row *rows, int n)
{
    int *fits = arena_alloc(&w->mem, sizeof *fits * (size_t)n), *shorts = arena_alloc(&w->mem, sizeof *shorts * (size_t)n);
    if (precheck(w, rows, n, fits) != 0)
        return -1;
    int any = 0;
    for (int i = 0; i < n; i++)
        any |= fits[i];
    if (!any)
        return 0;
    int locked = waitlist_lock(w->w->pg, rows[0].resource_id);
    if (locked <= 0)
        return locked; /* another replica offers them now */
    int rc = 0;
    for (int j = 0; j < n && rc == 0; j++) {
        int blocked = !fits[j];
        for (int i = 0; i < j && !blocked; i++)
            blocked = shorts[i] && blocked_by(&rows[i], &rows[j]);
        offer_result r = blocked ? OFFER_SHORT : offer_one(w, &rows[j]);
        shorts[j] = r == OFFER_SHORT;
        rc = r == OFFER_FAILED ? -1 : 0;
    }
    waitlist_unlock(w->w->pg, rows[0].resource_id);
    return rc;
}

/* One pass: offers whose hold ended settled, then offers made, resource by resource.
 * Nothing reaches PostgreSQL while the hint is empty, but for a rescan now and then. */
static void pass(waitlist_worker *w)
{
    arena_reset(&w->mem);
    waitlist_hint_set h;
    int rescan = monotonic_ms() >= w->next_rescan_ms,
        failed = waitlist_hint_read(w->w->redis, &w->mem, HINT_MAX, &h) != 0;
    if (!rescan && !failed && h.n == 0)
        return;
    if (rescan)
        w->next_rescan_ms = monotonic_ms() + waitlist_config.rescan_seconds * 1000;
    failed |= waitlist_settle_offers(w->w->pg, ACTOR) < 0;
    waitlist_row *rows = arena_alloc(&w->mem, sizeof *rows * WAITING_PAGE);
    int n = waitlist_waiting(w->w->pg, &w->mem.allocator, rows, WAITING_PAGE, WAITING_PER_RESOURCE);
    failed |= n < 0;
    for (int first = 0, last; first < n && !background_stopping(&w->bg); first = last) {
        for (last = first + 1; last < n && strcmp(rows[last].resource_id, rows[first].resource_id) == 0; last++)
            ;
        failed |= offer_resource(w, rows + first, last - first) != 0;
    }
    if (!failed)
        waitlist_hint_update(w->w->redis, w->w->pg, &w->mem, &h, rescan);
    static int64_t last_warned;
    if (failed) {
        metric_inc(m_passes_failed, 1);
        if (monotonic_ms() - last_warned < 10000)
            return; /* a store that is down is said once in a while, not every pass */
        last_warned = monotonic_ms();
        log_warn("waiting-list pass incomplete (postgres: %s; redis: %s); the next pass retries", w->w->pg->errstr,
                 w->w->redis->errstr);
    }
}

static void loop(background *bg, void *arg)
{
    waitlist_worker *w = arg;
    while (!background_wait(bg, waitlist_config.interval_ms)) {
        pass(w);
        if (background_pause(bg, MIN_GAP_MS)) /* wakes that came during the pass or the gap run the next pass */
            break;
    }
}

waitlist_worker *waitlist_worker_start(const service_definition *def, const service_settings *settings)
{
    /* the per-resource locks are session advisory locks: a session of its own, never a
     * transaction pooler's shared backend (docs/scale-out.md), as the maintenance lock */
    service_worker *sw = service_worker_open_on(def, settings, NULL, -4, SERVICE_PG_DIRECT);
    if (!sw)
        return NULL;
    waitlist_worker *w = calloc(1, sizeof *w);
    w->w = sw;
    pg_set_application_name(w->w->pg, "booking-waitlist");
    w->call = rpc_call_background_new(w->w, ACTOR, "admin");
    arena_init(&w->mem);
    if (background_start(&w->bg, loop, w) != 0) {
        arena_free(&w->mem);
        rpc_call_background_free(w->call);
        service_worker_close(w->w);
        free(w);
        return NULL;
    }
    atomic_store(&running, w);
    return w;
}

void waitlist_worker_stop(waitlist_worker *w)
{
    if (!w)
        return;
    atomic_store(&running, NULL);
    background_stop(&w->bg);
    arena_free(&w->mem);
    rpc_call_background_free(w->call);
    service_worker_close(w->w);
    free(w);
}
