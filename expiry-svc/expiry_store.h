/* expiry_store.h — expiry-svc's SQL on the booking schema: recording released holds
 * (status and its one event in one statement), and finding holds PostgreSQL still
 * thinks are live long after their expiry. Every statement is parameterised. */
#ifndef EXPIRY_STORE_H
#define EXPIRY_STORE_H

#include <stdint.h>

#include "ids.h"
#include "pg.h"

#define HOLD_STATUS_ACTIVE 1
#define HOLD_STATUS_RELEASED 4
#define HOLD_STATUS_EXPIRED 5

/* One hold to record: EXPIRED (from ACTIVE or CONFIRMING) with a hold.expired event, or
 * RELEASED (from ACTIVE) with a hold.released event. */
typedef struct expiry_record {
    char hold_id[ID_MAX + 1];
    int to;             /* HOLD_STATUS_EXPIRED or HOLD_STATUS_RELEASED */
    int64_t lag_ms;     /* -1 when not measured */
    const char *path;   /* static: "sweep", "notification", "reconcile", "lost" */
    int64_t first_ms;   /* when it was queued */
    int64_t next_ms;    /* not before */
    int attempts;
} expiry_record;

/* Moves the holds in one statement; moved[i] = 1 for each that moved (and got its
 * event). 0, or -1 on a store error (nothing moved). */
int store_record_holds(pg_conn *pg, const expiry_record *recs, int n, int *moved);

/* status[i] = the hold's status, or 0 when PostgreSQL has no such hold. 0 or -1. */
int store_hold_statuses(pg_conn *pg, const expiry_record *recs, int n, int *status);

typedef struct overdue_hold {
    char hold_id[ID_MAX + 1];
    char resource_id[ID_MAX + 1];
    int64_t expires_us;
} overdue_hold;

/* ACTIVE holds whose expires_at is more than older_than_s seconds ago, after the
 * (after_us, after_id) cursor, oldest first; returns how many (at most cap), -1 on error. */
int store_overdue_active(pg_conn *pg, int older_than_s, int64_t after_us, const char *after_id, overdue_hold *out,
                         int cap);

#endif
