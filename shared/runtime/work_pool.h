/* work_pool.h — a fixed pool of threads, each with its own state (store connections),
 * running queued items in arrival order. The gRPC runtime runs handlers here so that
 * completion-queue threads never block on a store. */
#ifndef SHARED_WORK_POOL_H
#define SHARED_WORK_POOL_H

/* Embed in the queued object; the pool links items through it. */
typedef struct work_item {
    struct work_item *next;
    long long due_ms;  /* work_pool_push_after: not before this (CLOCK_MONOTONIC ms) */
} work_item;

typedef struct work_pool work_pool;

typedef struct work_pool_hooks {
    void *(*init)(int index, void *ctx);   /* per-thread state, made in the thread (optional) */
    void (*fini)(void *state, void *ctx);  /* frees it when the thread ends (optional) */
    void (*run)(work_item *item, void *state, void *ctx);
    void *ctx;
} work_pool_hooks;

/* Starts `threads` threads. Never NULL (aborts when threads cannot start). */
work_pool *work_pool_start(int threads, const work_pool_hooks *hooks);
void work_pool_push(work_pool *pool, work_item *item);
/* Queues the item to run after delay_ms; no thread waits for it meanwhile. */
void work_pool_push_after(work_pool *pool, work_item *item, long long delay_ms);
/* Runs what is queued (delayed items at once), then ends and joins the threads and
 * frees the pool. */
void work_pool_stop(work_pool *pool);

#endif
