/* stream_tail.h — follows the 64 change streams (changes:{pNN}, field r = resource id)
 * with XREAD BLOCK: one connection per stream, because the streams live in different
 * hash slots and a multi-key XREAD is CROSSSLOT on Redis Cluster. The connections are
 * multiplexed with poll() in the caller's thread; a wake file descriptor interrupts
 * the wait. */
#ifndef SEARCH_SVC_STREAM_TAIL_H
#define SEARCH_SVC_STREAM_TAIL_H

#include <stdint.h>

#include "hold_cache.h"
#include "model.h"
#include "redis.h"

typedef struct stream_tail stream_tail;

/* Called for every entry read: the partition, the entry id and its resource id. */
typedef void (*tail_entry_fn)(int partition, const char *id, const char *resource_id, void *ctx);

/* Follows the streams of partitions [lo, hi) (a shard's; 0..64 for all). Connections
 * are opened lazily, each to the node of its stream per `route` (whose credentials they
 * use; route must outlive the tail); block_ms bounds each XREAD. */
stream_tail *tail_new(redis_conn *route, int timeout_ms, int block_ms, int lo, int hi);
void tail_free(stream_tail *t);

/* Where each stream is read from next ("0-0" for the start of a stream). */
void tail_set_position(stream_tail *t, int partition, const char *id);
const char *tail_position(const stream_tail *t, int partition);

/* Reads the newest id of every stream with `sync` (before the first load, so that
 * changes made during the load are replayed). 0, or -1 when Redis failed. */
int tail_capture_heads(stream_tail *t, redis_conn *sync);

/* Waits up to timeout_ms for entries (or wake_fd readable), reads what arrived and
 * calls fn per entry. Returns the number of entries, or -1 when a connection failed
 * (it is retried with backoff; *reconnected is set when a connection came back after
 * a failure, i.e. Redis may have restarted). */
int tail_poll(stream_tail *t, int wake_fd, int timeout_ms, tail_entry_fn fn, void *ctx, int *reconnected);

/* 1 when every connection is up with a read outstanding. */
int tail_healthy(const stream_tail *t);

#endif
