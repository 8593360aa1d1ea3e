/* loader.h — reads the read model's data in bulk: resources and their slot rows from
 * PostgreSQL (a chunk in id order, or a list of ids), and availability counters from
 * Redis (pipelined HGETALL). Nothing here touches the model. */
#ifndef SEARCH_SVC_LOADER_H
#define SEARCH_SVC_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "pg.h"
#include "redis.h"

/* The window of slots the model keeps: starts in [lo, hi). */
typedef struct load_window {
    int64_t lo, hi;
} load_window;

/* One resource as loaded: meta NULL when it does not exist (any more) or its body is
 * unusable. The caller takes ownership of meta and rows. */
typedef struct loaded {
    char id[MODEL_ID_MAX + 1];
    res_meta *meta;
    slot_rows *rows;
} loaded;

/* A place in a full pass: resources come in (partition, id) order. */
typedef struct load_cursor {
    int partition;
    char id[MODEL_ID_MAX + 1];  /* "": before the partition's first resource */
} load_cursor;

/* Up to `limit` resources after *at and before partition `hi` (a shard's partitions are
 * contiguous: shard.h), with their rows; *at moves past the last one. *count is how
 * many; 0, or -1 on a store error. *out is malloc'd (free it, after taking or freeing
 * each meta and rows). */
int load_chunk(pg_conn *pg, load_cursor *at, int hi, int limit, load_window w, loaded **out, int *count);

/* The resources named by ids (n of them), in that order: out[i] for ids[i]. 0 or -1. */
int load_ids(pg_conn *pg, char *const *ids, int n, load_window w, loaded *out);

/* Counters of n resources (HGETALL avail:{pNN}:<id>, pipelined): out[i] NULL when the
 * resource has none in the window. 0, or -1 when Redis failed (out untouched). */
int load_counters(redis_conn *r, char *const *ids, int n, load_window w, slot_counters **out);

/* A PostgreSQL text[] literal of the ids (each quoted); malloc'd. */
char *text_array_literal(char *const *ids, int n);

#endif
