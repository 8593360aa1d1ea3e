/* waitlist_hint.h — the hint of the waiting list's offer worker: a Redis sorted set
 * (`waitlist:open`) of the resources that may have open entries, scored by when an entry
 * last joined, so that a pass over an empty waiting list costs no SQL
 * (docs/checkout-lifecycle.md, "Offers: who, when, exactly once"). */
#ifndef BOOKING_SVC_WAITLIST_HINT_H
#define BOOKING_SVC_WAITLIST_HINT_H

#include "arena.h"
#include "pg.h"
#include "redis.h"

/* JoinWaitlist adds its resource after the entry is stored. 0 or -1 (the worker's
 * rescan finds the entry then). */
int waitlist_hint(redis_conn *r, const char *resource_id);

/* The hint as read at a pass's start: resources and their scores (in mem). */
typedef struct waitlist_hint_set {
    int n;
    char **ids, **scores;
} waitlist_hint_set;

/* Reads it (at most the first cap resources). 0, or -1 when Redis did not answer. */
int waitlist_hint_read(redis_conn *r, arena *mem, int cap, waitlist_hint_set *h);

/* After a pass: the resources of h without open entries in PostgreSQL leave the hint
 * (unless an entry joined since h was read); with `rescan`, every resource that has
 * some is put back (a hint lost with Redis). */
void waitlist_hint_update(redis_conn *r, pg_conn *pg, arena *mem, const waitlist_hint_set *h, int rescan);

#endif
