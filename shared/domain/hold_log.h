/* hold_log.h — the hold log: one Redis stream per partition (holdlog:{pNN}) to which the
 * hold scripts append every state change of a hold, with its audit event, in the same
 * atomic step as the change. booking-svc's recorder reads it through a consumer group
 * (HOLD_LOG_GROUP) and writes hold history and events to PostgreSQL. */
#ifndef SHARED_DOMAIN_HOLD_LOG_H
#define SHARED_DOMAIN_HOLD_LOG_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "ids.h"

#define HOLD_LOG_GROUP "recorder"
#define HOLD_LOG_ENTRY_ID_MAX 48
#define HOLD_EVENT_TYPE_MAX 48

/* One entry. Strings point into the reply it was parsed from. */
typedef struct hold_event {
    int partition;
    char entry_id[HOLD_LOG_ENTRY_ID_MAX];  /* the stream id, "<ms>-<seq>" */
    int64_t position;                      /* the stream id as one number: ms * 2^20 + seq */
    const char *hold_id, *event_type, *actor, *resource_id, *user_id, *booking_id, *metadata;
    char status;                           /* the hold's status letter after the change */
    int quantity;
    int64_t at_ms, start, end, expires_ms, created_ms;
    int64_t at_us;                         /* the event's time per Redis's clock (the audit record's) */
    const char *quote;                     /* packed booking.v1.Price (hold.created only), else NULL */
    size_t quote_len;
} hold_event;

/* Parses one stream entry ([id, [field, value, ...]]). 0, or -1 when it is not a hold
 * event (a deleted entry, missing fields): the caller acknowledges it and moves on. */
int hold_event_parse(const redisReply *entry, int partition, hold_event *out);

/* Where a partition's log may be trimmed (XTRIM MINID): the oldest entry still pending
 * in the group (from an XPENDING summary reply), or when none is, the group's last
 * delivered entry (from an XINFO GROUPS reply). Points into a reply; NULL when the
 * replies say nothing usable. */
const char *hold_log_trim_point(const redisReply *pending, const redisReply *groups);

/* "holdlog:{pNN}" */
void hold_log_key(char *out, size_t cap, int partition);

#endif
