/* model_mem.c — size-class allocator over huge-page regions (see model_mem.h). A block
 * is a 64-byte header (its class) followed by the caller's bytes. */
#include "model_mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define MM_PLAIN 1
#endif

#define HEADER 64
#define REGION (64u << 20)  /* 64 MB per region, 2 MB aligned */
#define HUGE (2u << 20)
#define CLASSES 96

#ifndef MM_PLAIN
typedef struct region {
    struct region *next;
    char *base, *mapped;
    size_t used, mapped_len;
} region;

static region *regions;
static void *free_lists[CLASSES];

/* Classes: multiples of 256 bytes up to 16 KB (64 classes), then powers of two. */
static int class_of(size_t total)
{
    if (total <= 16384)
        return (int)((total + 255) / 256) - 1;
    int c = 64;
    for (size_t s = 32768; s < total; s *= 2)
        c++;
    return c;
}

static size_t class_size(int c) { return c < 64 ? (size_t)(c + 1) * 256 : (size_t)32768 << (c - 64); }

static region *new_region(size_t at_least)
{
    size_t len = at_least > REGION ? (at_least + HUGE - 1) / HUGE * HUGE : REGION;
    char *m = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        abort();
    region *r = malloc(sizeof *r);
    r->mapped = m;
    r->mapped_len = len + HUGE;
    r->base = (char *)(((uintptr_t)m + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
    r->used = 0;
    madvise(r->base, len, MADV_HUGEPAGE); /* faults fill whole huge pages */
    r->next = regions;
    regions = r;
    return r;
}

static void *carve(size_t size)
{
    region *r = regions;
    size_t len = r ? r->mapped_len - HUGE : 0;
    if (!r || r->used + size > len)
        r = new_region(size);
    void *p = r->base + r->used;
    r->used += size;
    return p;
}

void *mm_alloc(size_t size)
{
    int c = class_of(size + HEADER);
    char *block = free_lists[c];
    if (block)
        free_lists[c] = *(void **)block;
    else
        block = carve(class_size(c));
    *(int *)block = c;
    return memset(block + HEADER, 0, class_size(c) - HEADER);
}

void mm_free(void *p)
{
    if (!p)
        return;
    char *block = (char *)p - HEADER;
    int c = *(int *)block;
    *(void **)block = free_lists[c];
    free_lists[c] = block;
}

void mm_release_all(void)
{
    while (regions) {
        region *r = regions;
        regions = r->next;
        munmap(r->mapped, r->mapped_len);
        free(r);
    }
    memset(free_lists, 0, sizeof free_lists);
}

#else /* AddressSanitizer sees every block */

void *mm_alloc(size_t size)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, size ? size : 1) != 0)
        abort();
    return memset(p, 0, size);
}

void mm_free(void *p) { free(p); }
void mm_release_all(void) {}

#endif
