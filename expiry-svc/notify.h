/* notify.h — what Redis keyspace notifications mean to expiry-svc: the channel of
 * expired events, the `notify-keyspace-events` flags they need, and the hold id carried
 * by an expired `holdttl:{pNN}:<hold>` key. Pure functions. */
#ifndef EXPIRY_NOTIFY_H
#define EXPIRY_NOTIFY_H

#include <stddef.h>

/* What an operator must set when the check fails. */
#define NOTIFY_ADVICE "set notify-keyspace-events to include \"Ex\" (e.g. CONFIG SET notify-keyspace-events Ex)"

/* 1 when the flags make Redis publish expired events on __keyevent@<db>__:expired:
 * 'E' (keyevent channel) and 'x' (expired), or 'A' (an alias that includes 'x'). */
int notify_flags_cover_expired(const char *flags);

/* "__keyevent@<db>__:expired" into out. */
void notify_channel(int db, char *out, size_t cap);

/* Parses "holdttl:{pNN}:<hold_id>": 0 with *partition and hold_id set, -1 when the key
 * is not a hold's TTL marker (other expired keys are ignored). */
int notify_parse_ttl_key(const char *key, int *partition, char *hold_id, size_t cap);

#endif
