/* shard.h — which partitions of the catalogue a search-svc shard holds: shard i of n
 * (SEARCH_SHARD "i/n") holds the contiguous partitions [64 i / n, 64 (i + 1) / n) — the
 * {pNN} of the resources' Redis keys — and a router sends a resource's calls to the
 * shard holding its partition (docs/scale-out.md, "Sharded search"). Pure. */
#ifndef SEARCH_SVC_SHARD_H
#define SEARCH_SVC_SHARD_H

#include "hold_cache.h"

#define SHARD_MAX HOLD_PARTITIONS

typedef struct shard {
    int index, count;  /* shard index of count */
    int lo, hi;        /* partitions [lo, hi) */
} shard;

/* Parses "i/n" (0 <= i < n <= 64; "" = "0/1", everything). 0, or -1 when malformed. */
int shard_parse(const char *text, shard *out);
/* Shard index of count that holds partition p. */
int shard_of_partition(int p, int count);
/* 1 when the shard holds the partition / the resource. */
int shard_has_partition(const shard *s, int p);
int shard_has_resource(const shard *s, const char *resource_id);

#endif
