/* arena.h — a bump allocator that owns everything one call allocates; freed at once. */
#ifndef SHARED_ARENA_H
#define SHARED_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct arena_chunk arena_chunk;

typedef struct arena {
    arena_chunk *chunks;  /* heap chunks, newest first */
    char *next;
    size_t left;
    ProtobufCAllocator allocator;  /* unpacks messages into this arena */
    char first[4096];     /* serves small calls without touching malloc */
} arena;

void arena_init(arena *a);
/* Zeroed memory that lives until arena_reset/arena_free; never NULL (aborts on OOM). */
void *arena_alloc(arena *a, size_t size);
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
/* Frees every chunk but the first; the arena can be reused. */
void arena_reset(arena *a);
void arena_free(arena *a);

#endif
