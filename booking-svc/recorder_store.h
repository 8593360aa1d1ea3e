/* recorder_store.h — the SQL that turns hold log entries into hold history (holds) and
 * audit events (events), exactly once: an event's key is unique, and a hold row keeps
 * the latest state by its log position. Also the end of holds Redis lost. */
#ifndef BOOKING_SVC_RECORDER_STORE_H
#define BOOKING_SVC_RECORDER_STORE_H

#include "hold_log.h"
#include "pg.h"

/* Writes n events in one transaction: each event (once, by its key) and each hold's
 * latest state. 0 committed, -1 on error (nothing written; pg's sqlstate/lost say why). */
int recorder_write(pg_conn *pg, const hold_event *events, int n);

/* A hold whose history is still live (ACTIVE or CONFIRMING) long after it could be. */
typedef struct stale_hold {
    char hold_id[ID_MAX + 1];
    char booking_id[ID_MAX + 1];  /* "" when the hold has no booking */
} stale_hold;

/* Holds whose history says ACTIVE or CONFIRMING although their expiry (plus grace_s)
 * passed, with the booking each has, if any; at most cap; -1 on error. */
int recorder_stale_holds(pg_conn *pg, int grace_s, stale_hold *out, int cap);
/* Bookings made after `*since` (a timestamptz as text; "" for a day ago) and at least
 * grace_s ago whose hold has no history row at all: Redis lost the hold's whole log
 * (its creation and its end) before the recorder wrote it. In creation order, at most
 * cap; *since moves past what this call covered. -1 on error (*since unchanged). */
int recorder_unrecorded_bookings(pg_conn *pg, int grace_s, char since[40], stale_hold *out, int cap);
/* Records the end of a hold Redis no longer knows: CONFIRMED when it has a booking, else
 * EXPIRED, with the hold's one end event (path "lost"). 0 or -1. */
int recorder_record_lost(pg_conn *pg, const stale_hold *h, const char *actor);
/* Records the hold of a booking CONFIRMED (its history row made from the booking when
 * Redis lost even its creation), with its one end event (path "lost"). 0 or -1. */
int recorder_record_booked(pg_conn *pg, const char *booking_id, const char *actor);

#endif
