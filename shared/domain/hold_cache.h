/* hold_cache.h — live holds and availability in Redis, their one authority: the key
 * layout (hash-tagged by partition, so every script touches one hash slot) and the Lua
 * scripts that create, price, confirm and end holds and move counters atomically. Every
 * state change of a hold appends its audit event to the partition's hold log in the
 * same script (hold_log.h reads it). Used by booking-svc, expiry-svc and search-svc. */
#ifndef SHARED_DOMAIN_HOLD_CACHE_H
#define SHARED_DOMAIN_HOLD_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "ids.h"
#include "inventory_store.h"
#include "redis.h"

/* Resources are spread over this many partitions ({p00}..{p63}); fixed for the life of
 * the data, since it decides key names. */
#define HOLD_PARTITIONS 64
#define HOLD_KEY_MAX 192

typedef struct hold_keys {
    char avail[HOLD_KEY_MAX];      /* avail:{pNN}:<resource>    HASH slot start -> units available */
    char info[HOLD_KEY_MAX];       /* slotinfo:{pNN}:<resource> HASH slot start -> "total price end"; v -> version */
    char hold[HOLD_KEY_MAX];       /* hold:{pNN}:<hold>         HASH the live hold (see hold_record) */
    char ttl[HOLD_KEY_MAX];        /* holdttl:{pNN}:<hold>      STRING with the hold's TTL (keyspace events) */
    char deadlines[HOLD_KEY_MAX];  /* deadlines:{pNN}           ZSET hold -> expires_at (or confirm deadline) ms */
    char live[HOLD_KEY_MAX];       /* live:{pNN}:<resource>     SET of live hold ids */
    char changes[HOLD_KEY_MAX];    /* changes:{pNN}             STREAM of changed resource ids (r) */
    char log[HOLD_KEY_MAX];        /* holdlog:{pNN}             STREAM of hold events (hold_log.h) */
} hold_keys;

int hold_partition(const char *resource_id);
/* Fills the key names of the resource's partition; hold_id may be NULL when only
 * resource keys are needed. */
void hold_keys_for(hold_keys *keys, const char *resource_id, const char *hold_id);

/* Hold ids name their partition and their resource: "hold_NN_<20 characters>_<resource
 * id>", so that every key of a hold follows from its id and a release needs no read
 * first. A resource id too long for that (over HOLD_ID_RESOURCE_MAX) leaves the id as
 * "hold_NN_<20 characters>". A new id for a hold of the resource; body is 20 id
 * characters to use (an idempotency token, so that a retry names the same hold) or NULL
 * for random ones. */
#define HOLD_ID_RESOURCE_MAX (ID_MAX - 29)
void hold_id_new(const char *resource_id, const char *body, char *out, size_t cap);
/* The partition a hold id names, or -1 (not a hold id of this form). */
int hold_id_partition(const char *hold_id);
/* 1 when the hold id names its resource (copied into out), else 0. */
int hold_id_resource(const char *hold_id, char *out, size_t cap);

/* ---- creating a hold ---------------------------------------------------------------- */

typedef enum hold_take_status {
    HOLD_TAKEN,    /* units taken: before[] and info per slot are filled */
    HOLD_STALE,    /* the slot info was loaded for another resource version: stale_version */
    HOLD_MISSING,  /* counters or slot info not loaded: missing[] lists the slots */
    HOLD_SHORT,    /* not enough units: short_slot / short_available */
    HOLD_EXISTS,   /* a hold with this id exists already: exists_user, exists_status */
    HOLD_FAILED,   /* Redis unreachable or an error reply: see errstr */
} hold_take_status;

typedef struct hold_take_args {
    const char *resource_id, *hold_id, *user_id;
    int quantity;
    int64_t expires_ms, ttl_ms, now_ms;
    int64_t version;          /* of the caller's copy of the resource */
    int64_t start, end;       /* the hold's range, Unix seconds */
    const int64_t *slots;     /* slot starts, Unix seconds */
    int n;
    const uint8_t *quote;     /* packed booking.v1.Price priced before the take, or NULL */
    size_t quote_len;
    const char *actor;        /* of hold.created, when quoted */
} hold_take_args;

typedef struct hold_take {
    hold_take_status status;
    int *before;              /* caller's array of n: units available before this hold */
    int *total;               /* caller's array of n: slot capacity */
    int64_t *price;           /* caller's array of n: price override, -1 = base price */
    int64_t *end;             /* caller's array of n: where each slot ends (0: no such slot) */
    int64_t *missing;         /* caller's array of n */
    int missing_count;
    int64_t first_end;        /* TAKEN: where the first slot ends (0: no such slot); SHORT: of the short slot */
    int64_t stale_version;    /* -1 when no slot info is loaded */
    int64_t short_slot;
    int short_available;
    char exists_user[160];
    char exists_status;
    char errstr[300];
} hold_take;

/* Takes the units of every slot for a new hold (all or none) and creates it; announced
 * at once when the arguments carry its quote, else by hold_cache_quote. */
void hold_cache_take(redis_conn *r, const hold_take_args *a, hold_take *out);
/* The same, with `first` (another script call, e.g. the user's allowance) run just before
 * it in the same round trip; first->reply is set (freeReplyObject it). */
void hold_cache_take_after(redis_conn *r, redis_call *first, const hold_take_args *a, hold_take *out);

typedef enum hold_quote_status { QUOTE_STORED, QUOTE_ALREADY, QUOTE_GONE, QUOTE_FAILED } hold_quote_status;

/* Stores the quote (packed booking.v1.Price) of a hold just taken and appends its
 * hold.created event; a repeat answers QUOTE_ALREADY. */
hold_quote_status hold_cache_quote(redis_conn *r, const char *resource_id, const char *hold_id, const uint8_t *quote,
                                   size_t len, const char *actor, int64_t now_ms);

/* ---- reading a hold ----------------------------------------------------------------- */

/* A live hold (or one that ended within the last hour) as Redis has it. */
typedef struct hold_record {
    char hold_id[ID_MAX + 1];
    char resource_id[ID_MAX + 1];
    char user_id[160];
    char booking_id[ID_MAX + 1];  /* CONFIRMED: its booking */
    char status;                  /* letter: A C F R X (states.h) */
    int quantity;
    int epoch;                    /* confirmations begun so far */
    int extensions;               /* ExtendHold moves so far */
    int64_t start, end;           /* Unix seconds */
    int64_t expires_ms, created_ms, confirm_until_ms;
    uint8_t *quote;               /* packed booking.v1.Price in the caller's allocator; NULL when not priced */
    size_t quote_len;
} hold_record;

/* 1 found (out filled, quote copied with alloc), 0 unknown to Redis, -1 unreachable. */
int hold_cache_load(redis_conn *r, const char *hold_id, ProtobufCAllocator *alloc, hold_record *out);

/* ---- ending a hold ------------------------------------------------------------------ */

typedef enum hold_release_status {
    RELEASE_DONE,      /* units returned; final_status is 'R', 'X' or 'Z' (creation aborted) */
    RELEASE_NOT_DUE,   /* expiry asked too early */
    RELEASE_NOT_OWNER, /* the caller is not the hold's user */
    RELEASE_FINAL,     /* not in a status the mode ends: final_status says which */
    RELEASE_GONE,      /* unknown to Redis (lost with a flush, or long ended) */
    RELEASE_FAILED,    /* Redis unreachable */
} hold_release_status;

typedef struct hold_release {
    hold_release_status status;
    int quantity;        /* RELEASE_DONE: units returned */
    char final_status;   /* RELEASE_DONE: 'R', 'X' or 'Z'; RELEASE_FINAL: the status found */
    int64_t expires_ms;  /* RELEASE_DONE: the hold's expires_at */
    char user_id[160];   /* RELEASE_DONE / RELEASE_FINAL: whose allowance to give back */
} hold_release;

/* What ends a hold (see lua/hold_release.lua): 'R' the owner releases, 'X' expiry of
 * an overdue ACTIVE hold, 'F' forced expiry of the confirmation with `epoch`, 'Z' abort
 * of a creation that was never announced. caller: the user id the hold must belong to
 * ("" = anyone); actor: the audit actor; detail: the expiry path or forced reason. */
typedef struct hold_end {
    char mode;
    const char *caller, *actor, *detail;
    int epoch;
} hold_end;

hold_release hold_cache_release(redis_conn *r, const char *resource_id, const char *hold_id, const hold_end *how,
                                int64_t now_ms);
/* The same, with `next` (e.g. the give-back of the user's units) sent right after it in
 * the same round trip; next->reply is set (freeReplyObject it). */
hold_release hold_cache_release_before(redis_conn *r, const char *resource_id, const char *hold_id,
                                       const hold_end *how, int64_t now_ms, redis_call *next);
/* The same, answered also with the hold as it is after the call, when Redis still has it
 * (RELEASE_DONE or RELEASE_FINAL; else after->status stays 0): its quote copied with
 * alloc. */
hold_release hold_cache_release_read(redis_conn *r, const char *resource_id, const char *hold_id,
                                     const hold_end *how, int64_t now_ms, redis_call *next, ProtobufCAllocator *alloc,
                                     hold_record *after);

typedef struct hold_release_item {
    const char *resource_id, *hold_id;
    hold_release rel;  /* the outcome; RELEASE_FAILED when unanswered */
} hold_release_item;

/* hold_cache_release for many holds in one round trip (redis_eval_many: on a cluster
 * one per node, all nodes at once). 0, or -1 when a connection failed (unanswered
 * items stay RELEASE_FAILED). */
int hold_cache_release_many(redis_conn *r, hold_release_item *items, int n, const hold_end *how, int64_t now_ms);

/* ---- the confirmation saga's moves ---------------------------------------------------- */

typedef enum hold_confirm_mode { CONFIRM_BEGIN, CONFIRM_DONE, CONFIRM_UNDO } hold_confirm_mode;

typedef enum hold_confirm_status {
    CONFIRM_OK,        /* moved (or the same step repeated): epoch and status are the hold's now */
    CONFIRM_LATE,      /* begin: the hold is past expires_at */
    CONFIRM_STATE,     /* not in the status (or epoch) the move needs: status, epoch, until say where it is */
    CONFIRM_NOT_OWNER, /* begin: the caller is not the hold's user */
    CONFIRM_GONE,      /* unknown to Redis */
    CONFIRM_FAILED,    /* Redis unreachable */
} hold_confirm_status;

typedef struct hold_confirm {
    hold_confirm_status status;
    int epoch;
    char state;                   /* the hold's status letter after the call */
    int64_t until_ms;             /* CONFIRM_STATE: the confirm deadline of a CONFIRMING hold */
    char booking_id[ID_MAX + 1];  /* CONFIRMED: its booking */
    char user_id[160];
} hold_confirm;

/* One move of lua/hold_confirm.lua. begin: arg = confirm deadline ms, token = this
 * attempt's nonce, caller as in hold_end; done: arg = booking id; undo: arg = the event
 * type recorded (hold.payment_declined, hold.confirm_abandoned); done and undo name the
 * confirmation's epoch. */
typedef struct hold_move {
    hold_confirm_mode mode;
    const char *caller, *actor, *arg, *nonce;
    int epoch;
} hold_move;

hold_confirm hold_cache_confirm(redis_conn *r, const char *resource_id, const char *hold_id, const hold_move *m,
                                int64_t now_ms);

/* ---- extending a hold (lua/hold_extend.lua) --------------------------------------------- */

typedef enum hold_extend_status {
    EXTEND_DONE,       /* expires_at moved (or this nonce's move already was): expires_ms, extensions */
    EXTEND_REFUSED,    /* why says which bound or state refused it; status, expires_ms, extensions as found */
    EXTEND_NOT_OWNER,  /* the caller is not the hold's user */
    EXTEND_GONE,       /* unknown to Redis */
    EXTEND_FAILED,     /* Redis unreachable */
} hold_extend_status;

typedef struct hold_extend_args {
    const char *caller;      /* the user the hold must belong to ("" = anyone) */
    const char *actor;       /* of hold.extended */
    const char *nonce;       /* the call's idempotency token, or "" */
    int64_t extend_ms;
    int max_extensions;
    int64_t max_life_ms;     /* from the hold's creation */
} hold_extend_args;

typedef struct hold_extend {
    hold_extend_status status;
    char why[16];            /* REFUSED: "state", "expired", "count" or "lifetime" */
    char state;              /* REFUSED: the hold's status letter */
    int64_t expires_ms;
    int extensions, quantity;
    char user_id[160];
} hold_extend;

/* Moves an ACTIVE hold's expires_at, TTL marker and deadline entry by extend_ms and logs
 * hold.extended, unless it has been extended max_extensions times or would live longer
 * than max_life_ms from its creation. */
hold_extend hold_cache_extend(redis_conn *r, const char *resource_id, const char *hold_id,
                              const hold_extend_args *a, int64_t now_ms);

/* ---- counters and slot info ----------------------------------------------------------- */

/* Loads slots from their PostgreSQL rows (the caller holds the resource row lock): sets
 * missing counters to limit - confirmed (the sell limit: overbooking counted), writes each slot's capacity, price (-1 = base)
 * and end (0 when the row does not exist and slots exist only as rows: single-slot
 * resources) and stamps the slot info with the resource version. 0 or -1. */
int hold_cache_init_slots(redis_conn *r, const char *resource_id, int64_t version, const slot_row *rows, int n,
                          int rows_only);
/* Adds deltas to counters that exist. 0 or -1. */
int hold_cache_adjust(redis_conn *r, const char *resource_id, const int64_t *slots, const int *deltas, int n);
/* Drops all slot info of the resource: its version changed (capacity, price, rules); the
 * next hold loads what it needs under the new version. 0 or -1. */
int hold_cache_forget_resource(redis_conn *r, const char *resource_id);
/* Reads counters; values[i] = -1 when missing. 0 or -1. */
int hold_cache_read(redis_conn *r, const char *resource_id, const int64_t *slots, int n, int *values);
/* Tells readers of the change stream that the resource changed in PostgreSQL. 0/-1. */
int hold_cache_touch(redis_conn *r, const char *resource_id);

#endif
