/* hold_cache.h — holds and availability in Redis: key layout (hash-tagged by
 * partition, so every script touches one hash slot) and the Lua scripts that take and
 * give back units atomically. Used by booking-svc and expiry-svc. */
#ifndef SHARED_HOLD_CACHE_H
#define SHARED_HOLD_CACHE_H

#include <stdint.h>

#include "redis.h"

/* Resources are spread over this many partitions ({p00}..{p63}); fixed for the life of
 * the data, since it decides key names. */
#define HOLD_PARTITIONS 64
#define HOLD_KEY_MAX 192

typedef struct hold_keys {
    char avail[HOLD_KEY_MAX];      /* avail:{pNN}:<resource>   HASH slot start -> units available */
    char hold[HOLD_KEY_MAX];       /* hold:{pNN}:<hold>        HASH rid user q slots exp st */
    char ttl[HOLD_KEY_MAX];        /* holdttl:{pNN}:<hold>     STRING with the hold's TTL */
    char deadlines[HOLD_KEY_MAX];  /* deadlines:{pNN}          ZSET hold -> expires_at ms */
    char live[HOLD_KEY_MAX];       /* live:{pNN}:<resource>    SET of live hold ids */
    char changes[HOLD_KEY_MAX];    /* changes:{pNN}            STREAM of changed resource ids (r) */
} hold_keys;

int hold_partition(const char *resource_id);
/* Fills the key names; hold_id may be NULL when only resource keys are needed. */
void hold_keys_for(hold_keys *keys, const char *resource_id, const char *hold_id);

typedef enum hold_take_status {
    HOLD_TAKEN,    /* units taken; available[] holds each slot's count before */
    HOLD_MISSING,  /* some counters are not loaded: missing[] lists them */
    HOLD_SHORT,    /* not enough units: short_slot/short_available */
    HOLD_EXISTS,   /* a hold with this id exists already */
    HOLD_FAILED,   /* Redis unreachable or an error reply: see errstr */
} hold_take_status;

typedef struct hold_take {
    hold_take_status status;
    int *available;      /* caller's array of n */
    int64_t *missing;    /* caller's array of n */
    int missing_count;
    int64_t short_slot;
    int short_available;
    char errstr[300];
} hold_take;

/* Takes q units of each slot (Unix seconds) for a new hold expiring at expires_ms. */
void hold_cache_take(redis_conn *r, const char *resource_id, const char *hold_id, const char *user_id, int q,
                     int64_t expires_ms, int64_t ttl_ms, const int64_t *slots, int n, hold_take *out);

typedef enum hold_release_status {
    RELEASE_DONE,      /* units returned; *final_status is 'R' or 'X' */
    RELEASE_NOT_DUE,   /* expiry asked too early */
    RELEASE_FINAL,     /* already ended, or CONFIRMING/CONFIRMED: *final_status says which */
    RELEASE_GONE,      /* unknown to Redis (lost with a flush, or long ended) */
    RELEASE_FAILED,    /* Redis unreachable */
} hold_release_status;

typedef struct hold_release {
    hold_release_status status;
    int quantity;        /* RELEASE_DONE: units returned */
    char final_status;   /* RELEASE_DONE: 'R' or 'X'; RELEASE_FINAL: the status found */
    int64_t expires_ms;  /* RELEASE_DONE: the hold's expires_at */
} hold_release;

/* mode: 'R' user release, 'X' expiry, 'F' forced expiry of ACTIVE/CONFIRMING. */
hold_release hold_cache_release(redis_conn *r, const char *resource_id, const char *hold_id, char mode,
                                int64_t now_ms);

typedef struct hold_release_item {
    const char *resource_id, *hold_id;
    hold_release rel;  /* the outcome; RELEASE_FAILED when unanswered */
} hold_release_item;

/* hold_cache_release for many holds in one round trip (pipelined EVALSHA of the same
 * script; a NOSCRIPT answer is retried alone). 0, or -1 when the connection failed. */
int hold_cache_release_many(redis_conn *r, hold_release_item *items, int n, char mode, int64_t now_ms);

typedef enum hold_confirm_mode { CONFIRM_BEGIN, CONFIRM_DONE, CONFIRM_UNDO } hold_confirm_mode;

typedef enum hold_confirm_status {
    CONFIRM_OK,      /* moved */
    CONFIRM_LATE,    /* begin: the hold is past expires_at */
    CONFIRM_STATE,   /* not in the status the move needs: *status says which */
    CONFIRM_GONE,    /* unknown to Redis */
    CONFIRM_FAILED,  /* Redis unreachable */
} hold_confirm_status;

/* The saga's moves (see lua/hold_confirm.lua); until_ms is the confirm deadline of begin. */
hold_confirm_status hold_cache_confirm(redis_conn *r, const char *resource_id, const char *hold_id,
                                       hold_confirm_mode mode, int64_t now_ms, int64_t until_ms, char *status);

/* Sets counters that are missing (HSETNX). 0 or -1. */
int hold_cache_init_slots(redis_conn *r, const char *resource_id, const int64_t *slots, const int *values, int n);
/* Adds deltas to counters that exist. 0 or -1. */
int hold_cache_adjust(redis_conn *r, const char *resource_id, const int64_t *slots, const int *deltas, int n);
/* Reads counters; values[i] = -1 when missing. 0 or -1. */
int hold_cache_read(redis_conn *r, const char *resource_id, const int64_t *slots, int n, int *values);
/* The Redis status letter of a hold (A, C, F, R, X), or 0 when Redis does not know it;
 * -1 when Redis is unreachable. */
int hold_cache_status(redis_conn *r, const char *resource_id, const char *hold_id);
/* Tells readers of the change stream that the resource changed in PostgreSQL. 0/-1. */
int hold_cache_touch(redis_conn *r, const char *resource_id);

#endif
