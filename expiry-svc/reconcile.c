/* reconcile.c — reconciliation (docs/architecture.md, invariant 2): every loaded
 * availability counter against total - confirmed (PostgreSQL) - live holds (Redis),
 * corrected by an atomic script when the same mismatch shows on two consecutive passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expiry.h"
#include "inventory_store.h"
#include "log.h"
#include "slots.h"
#include "timeutil.h"

#define CHUNK 1000      /* slots per script call (3 arguments each) */

extern const unsigned char expiry_lua_reconcile_counters_lua[];
static redis_script script_reconcile = REDIS_SCRIPT("reconcile_counters", expiry_lua_reconcile_counters_lua);

struct reconciler {
    pthread_mutex_t lock;  /* one pass at a time (background or RunSweep) */
    keymap seen;           /* (resource, slot) -> difference seen on the last pass */
};

typedef struct pass {
    keymap next;
    int suspects, fixed;
} pass;

reconciler *reconciler_new(void)
{
    reconciler *rc = calloc(1, sizeof *rc);
    pthread_mutex_init(&rc->lock, NULL);
    return rc;
}

void reconciler_free(reconciler *rc)
{
    if (!rc)
        return;
    keymap_clear(&rc->seen);
    pthread_mutex_destroy(&rc->lock);
    free(rc);
}

static void *pb_alloc(void *data, size_t size) { (void)data; return malloc(size); }
static void pb_free(void *data, void *ptr) { (void)data; free(ptr); }
static ProtobufCAllocator heap = {pb_alloc, pb_free, NULL};

/* The loaded slots of the resource's counter hash; returns n (malloc'd *slots) or -1. */
static int counter_slots(redis_conn *r, const hold_keys *k, int64_t **slots)
{
    redisReply *reply = redis_command(r, "HKEYS %s", k->avail);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(reply);
        return -1;
    }
    int n = (int)reply->elements;
    *slots = malloc(sizeof **slots * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        (*slots)[i] = strtoll(reply->element[i]->str, NULL, 10);
    freeReplyObject(reply);
    return n;
}

/* base[i] = total - confirmed per PostgreSQL. 1 done, 0 unknown resource, -1 error. */
static int slot_bases(pg_conn *pg, const char *rid, const int64_t *slots, int n, int *base)
{
    Booking__V1__Resource *res = NULL;
    int found = inventory_load_resource(pg, rid, LOCK_NONE, &heap, &res);
    if (found <= 0)
        return found;
    int implicit = res->slot_minutes == SLOT_MINUTES_SINGLE ? 0 : res->capacity;
    slot_row *rows = malloc(sizeof *rows * (size_t)n);
    int rc = inventory_load_slots(pg, rid, slots, n, NULL, implicit, rows); /* ends unused */
    for (int i = 0; rc == 0 && i < n; i++)
        base[i] = rows[i].total - rows[i].confirmed;
    free(rows);
    booking__v1__resource__free_unpacked(res, &heap);
    return rc == 0 ? 1 : -1;
}

static void note_mismatches(reconciler *rc, pass *ps, const char *rid, const redisReply *reply)
{
    for (size_t i = 0; i + 2 < reply->elements; i += 3) {
        int64_t slot = strtoll(reply->element[i]->str, NULL, 10);
        long long diff = reply->element[i + 1]->integer;
        if (reply->element[i + 2]->integer) {
            ps->fixed++;
            stats_reconcile(0, 1); /* counted as it happens: GetStats may be asked right away */
            log_warn("reconcile: %s slot %lld was off by %+lld (seen on two passes); corrected", rid,
                     (long long)slot, diff);
        } else {
            ps->suspects++;
            stats_reconcile(1, 0);
            keymap_put(&ps->next, rid, slot, diff);
        }
    }
    (void)rc;
}

#define STALE_RETRIES 5 /* a hold taken between listing the live set and the script */

/* The hash keys of the resource's live holds (malloc'd, *n set), or NULL on a failure. */
static char (*live_hold_keys(redis_conn *r, const hold_keys *k, const char *rid, int *n))[HOLD_KEY_MAX]
{
    redisReply *reply = redis_command(r, "SMEMBERS %s", k->live);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(reply);
        return NULL;
    }
    *n = (int)reply->elements;
    char(*keys)[HOLD_KEY_MAX] = malloc(sizeof *keys * (reply->elements ? reply->elements : 1));
    for (size_t i = 0; i < reply->elements; i++) {
        hold_keys hk;
        hold_keys_for(&hk, rid, reply->element[i]->str);
        memcpy(keys[i], hk.hold, sizeof hk.hold);
    }
    freeReplyObject(reply);
    return keys;
}

/* One script call over slots [0, n) of the resource, with the live holds' keys
 * declared. 0, 1 when the live set changed under it (call again), or -1. */
static int reconcile_chunk(reconciler *rc, pass *ps, redis_conn *r, const hold_keys *k, const char *rid,
                           const int64_t *slots, const int *base, int n)
{
    int nholds = 0;
    char(*holds)[HOLD_KEY_MAX] = live_hold_keys(r, k, rid, &nholds);
    if (!holds)
        return -1;
    char prefix[HOLD_KEY_MAX], *cells = malloc((size_t)n * 3 * 24);
    const char **argv = malloc(sizeof *argv * (size_t)(5 + nholds + 3 * n));
    snprintf(prefix, sizeof prefix, "hold:{p%02d}:", hold_partition(rid));
    int argc = 0;
    argv[argc++] = k->avail, argv[argc++] = k->live, argv[argc++] = k->changes;
    for (int i = 0; i < nholds; i++)
        argv[argc++] = holds[i];
    argv[argc++] = prefix, argv[argc++] = rid;
    for (int i = 0; i < n; i++) {
        int64_t seen = 0;
        keymap_get(&rc->seen, rid, slots[i], &seen);
        char *c = cells + (size_t)i * 72;
        snprintf(c, 24, "%lld", (long long)slots[i]);
        snprintf(c + 24, 24, "%d", base[i]);
        snprintf(c + 48, 24, "%lld", (long long)seen);
        argv[argc++] = c, argv[argc++] = c + 24, argv[argc++] = c + 48;
    }
    redisReply *reply = redis_eval(r, &script_reconcile, 3 + nholds, argc, argv);
    int ok = reply && reply->type == REDIS_REPLY_ARRAY;
    int stale = ok && reply->elements == 1 && reply->element[0]->type == REDIS_REPLY_STRING &&
                strcmp(reply->element[0]->str, "STALE") == 0;
    if (ok && !stale)
        note_mismatches(rc, ps, rid, reply);
    else if (reply && !ok)
        log_error("reconcile_counters %s: %s", rid, reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected");
    freeReplyObject(reply);
    free(argv);
    free(cells);
    free(holds);
    return !ok ? -1 : stale;
}

static int reconcile_resource(reconciler *rc, pass *ps, pg_conn *pg, redis_conn *r, const char *rid)
{
    hold_keys k;
    int64_t *slots = NULL;
    hold_keys_for(&k, rid, NULL);
    int n = counter_slots(r, &k, &slots);
    if (n <= 0) {
        free(slots);
        return n;
    }
    int *base = malloc(sizeof *base * (size_t)n);
    int rc_ = slot_bases(pg, rid, slots, n, base);
    for (int i = 0; rc_ > 0 && i < n; i += CHUNK) {
        int done = 1;
        for (int attempt = 0; done == 1 && attempt < STALE_RETRIES; attempt++)
            done = reconcile_chunk(rc, ps, r, &k, rid, slots + i, base + i, n - i < CHUNK ? n - i : CHUNK);
        if (done != 0)
            rc_ = -1; /* an error, or holds kept coming: the next pass looks again */
    }
    free(base);
    free(slots);
    return rc_ < 0 ? -1 : 0;
}

/* "avail:{pNN}:<resource>" -> resource id, or NULL. */
static const char *resource_of(const char *key)
{
    const char *p = strstr(key, "}:");
    return strncmp(key, "avail:{p", 8) == 0 && p && p[2] ? p + 2 : NULL;
}

/* One SCAN step on one node; updates cursor. 0 or -1. */
static int scan_step(reconciler *rc, pass *ps, pg_conn *pg, redis_conn *r, int node, char *cursor, size_t cap)
{
    redisReply *reply = redis_node_command(r, node, "SCAN %s MATCH avail:* COUNT 500", cursor);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        freeReplyObject(reply);
        return -1;
    }
    snprintf(cursor, cap, "%s", reply->element[0]->str);
    int rc_ = 0;
    redisReply *keys = reply->element[1];
    for (size_t i = 0; rc_ == 0 && i < keys->elements; i++) {
        const char *rid = resource_of(keys->element[i]->str);
        if (rid && strlen(rid) <= ID_MAX)
            rc_ = reconcile_resource(rc, ps, pg, r, rid);
    }
    freeReplyObject(reply);
    return rc_;
}

int reconcile_counters(expiry_app *app, pg_conn *pg, redis_conn *r, int *unfixed)
{
    reconciler *rc = app->recon;
    pass ps = {KEYMAP_INIT, 0, 0};
    /* Every primary's keys (one on a single server). Should the cluster change shape
     * mid-pass, the pass may miss or repeat counters; the next pass sees them. */
    int nodes = redis_node_count(r), status = nodes < 0 ? -1 : 0;
    pthread_mutex_lock(&rc->lock);
    for (int node = 0; status == 0 && node < nodes && !app_stopping(app); node++) {
        char cursor[32] = "0";
        do
            status = scan_step(rc, &ps, pg, r, node, cursor, sizeof cursor);
        while (status == 0 && strcmp(cursor, "0") != 0 && !app_stopping(app));
    }
    if (status == 0)
        keymap_swap(&rc->seen, &ps.next);
    pthread_mutex_unlock(&rc->lock);
    keymap_clear(&ps.next);
    if (unfixed)
        *unfixed = ps.suspects;
    return status == 0 ? ps.fixed : -1;
}

void *reconciler_main(void *arg)
{
    expiry_app *app = arg;
    service_worker *w = service_worker_open(expiry_definition(), &app->settings, app, 400);
    while (!app_wait(app, expiry_config.reconcile_interval_ms)) {
        if (reconcile_counters(app, w->pg, w->redis, NULL) < 0)
            log_warn("reconcile: counters pass failed (redis: %s; postgres: %s)", w->redis->errstr, w->pg->errstr);
    }
    service_worker_close(w);
    return NULL;
}
