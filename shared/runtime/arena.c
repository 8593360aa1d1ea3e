/* arena.c — bump allocation in 16-byte aligned steps over a chain of chunks. */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
    arena_chunk *next;
    size_t size;
    _Alignas(16) char data[];
};

#define ARENA_ALIGN 16
#define ARENA_CHUNK_MIN 16384

static void *pb_alloc(void *data, size_t size) { return arena_alloc(data, size); }
static void pb_free(void *data, void *ptr) { (void)data, (void)ptr; }

void arena_init(arena *a)
{
    a->chunks = NULL;
    a->next = a->first;
    a->left = sizeof a->first;
    a->allocator.alloc = pb_alloc;
    a->allocator.free = pb_free;
    a->allocator.allocator_data = a;
}

static void arena_grow(arena *a, size_t size)
{
    size_t want = size > ARENA_CHUNK_MIN / 2 ? size : ARENA_CHUNK_MIN;
    arena_chunk *c = malloc(sizeof *c + want);
    if (!c) {
        fputs("arena: out of memory\n", stderr);
        abort();
    }
    c->size = want;
    c->next = a->chunks;
    a->chunks = c;
    a->next = c->data;
    a->left = want;
}

void *arena_alloc(arena *a, size_t size)
{
    if (size > SIZE_MAX / 2) {
        fputs("arena: allocation too large\n", stderr);
        abort();
    }
    size_t rounded = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (rounded == 0)
        rounded = ARENA_ALIGN;
    /* the inline buffer may start unaligned within the struct: align the cursor */
    uintptr_t misalign = (uintptr_t)a->next & (ARENA_ALIGN - 1);
    size_t pad = misalign ? ARENA_ALIGN - misalign : 0;
    if (a->left < rounded + pad) {
        arena_grow(a, rounded);
        pad = 0;
    }
    char *p = a->next + pad;
    a->next = p + rounded;
    a->left -= rounded + pad;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

void arena_reset(arena *a)
{
    arena_free(a);
    arena_init(a);
}

void arena_free(arena *a)
{
    while (a->chunks) {
        arena_chunk *next = a->chunks->next;
        free(a->chunks);
        a->chunks = next;
    }
}
