/* ebr.c — epoch-based reclamation: per-thread announced epochs (cache-line padded),
 * a global epoch, and a retire list stamped with the epoch at retirement. An object
 * retired at epoch e is unreachable for any reader that announced an epoch > e, so it
 * is freed when every active reader announced more than e. */
#include "ebr.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct reader_slot {
    _Atomic uint64_t epoch;  /* 0 = not reading */
    _Atomic int used;
    char pad[64 - sizeof(uint64_t) - sizeof(int)];
} reader_slot;

typedef struct retired {
    void *ptr;
    void (*free_fn)(void *);
    uint64_t epoch;
    struct retired *next;
} retired;

static reader_slot readers[EBR_MAX_THREADS];
static _Atomic uint64_t global_epoch = 1;
static pthread_mutex_t retire_lock = PTHREAD_MUTEX_INITIALIZER;
static retired *retired_list;
static size_t retired_count;
static pthread_key_t slot_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Thread_local reader_slot *my_slot;

static void release_slot(void *slot)
{
    reader_slot *s = slot;
    atomic_store(&s->epoch, 0);
    atomic_store(&s->used, 0);
}

static void make_key(void) { pthread_key_create(&slot_key, release_slot); }

static reader_slot *claim_slot(void)
{
    pthread_once(&key_once, make_key);
    for (int i = 0; i < EBR_MAX_THREADS; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&readers[i].used, &expected, 1)) {
            pthread_setspecific(slot_key, &readers[i]);
            return &readers[i];
        }
    }
    fputs("ebr: more than EBR_MAX_THREADS reader threads\n", stderr);
    abort();
}

void ebr_enter(void)
{
    if (!my_slot)
        my_slot = claim_slot();
    atomic_store_explicit(&my_slot->epoch, atomic_load(&global_epoch), memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
}

void ebr_exit(void) { atomic_store_explicit(&my_slot->epoch, 0, memory_order_release); }

void ebr_retire(void *ptr, void (*free_fn)(void *))
{
    if (!ptr)
        return;
    retired *r = malloc(sizeof *r);
    if (!r)
        abort();
    atomic_thread_fence(memory_order_seq_cst); /* the unlink is visible before the stamp */
    r->ptr = ptr;
    r->free_fn = free_fn;
    r->epoch = atomic_load(&global_epoch);
    pthread_mutex_lock(&retire_lock);
    r->next = retired_list;
    retired_list = r;
    retired_count++;
    pthread_mutex_unlock(&retire_lock);
}

/* The smallest epoch an active reader announced (UINT64_MAX when none reads). */
static uint64_t oldest_reader(void)
{
    uint64_t min = UINT64_MAX;
    for (int i = 0; i < EBR_MAX_THREADS; i++) {
        if (!atomic_load_explicit(&readers[i].used, memory_order_relaxed))
            continue;
        uint64_t e = atomic_load_explicit(&readers[i].epoch, memory_order_acquire);
        if (e && e < min)
            min = e;
    }
    return min;
}

/* Unlinks the entries retired before epoch `safe` into a private list. */
static retired *take_reclaimable(uint64_t safe)
{
    retired *keep = NULL, *free_list = NULL;
    pthread_mutex_lock(&retire_lock);
    for (retired *r = retired_list, *next; r; r = next) {
        next = r->next;
        retired **to = r->epoch < safe ? &free_list : &keep;
        r->next = *to;
        *to = r;
        if (to == &free_list)
            retired_count--;
    }
    retired_list = keep;
    pthread_mutex_unlock(&retire_lock);
    return free_list;
}

static size_t free_all(retired *list)
{
    size_t n = 0;
    for (retired *r = list, *next; r; r = next) {
        next = r->next;
        r->free_fn(r->ptr);
        free(r);
        n++;
    }
    return n;
}

size_t ebr_collect(void)
{
    atomic_fetch_add(&global_epoch, 1);
    atomic_thread_fence(memory_order_seq_cst);
    return free_all(take_reclaimable(oldest_reader()));
}

void ebr_drain(void) { free_all(take_reclaimable(UINT64_MAX)); }

size_t ebr_pending(void)
{
    pthread_mutex_lock(&retire_lock);
    size_t n = retired_count;
    pthread_mutex_unlock(&retire_lock);
    return n;
}
