/* work_pool.c — a mutex/condvar FIFO drained by a fixed set of threads, and a short list
 * of items due later (moved to the FIFO when due). */
#include "work_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "timeutil.h"

typedef struct pool_thread {
    work_pool *pool;
    int index;
    pthread_t thread;
} pool_thread;

struct work_pool {
    work_pool_hooks hooks;
    pthread_mutex_t lock;
    pthread_cond_t ready;
    work_item *head, *tail;
    work_item *delayed;  /* unordered: few items, each due soon */
    int stopping;
    int count;
    pool_thread *threads;
};

static void append(work_pool *p, work_item *item)
{
    item->next = NULL;
    if (p->tail)
        p->tail->next = item;
    else
        p->head = item;
    p->tail = item;
}

/* Moves delayed items that are due (all when stopping) to the FIFO; returns the
 * earliest due time of those left, or 0 when none is (under the lock). */
static long long release_due(work_pool *p)
{
    long long now = monotonic_ms(), earliest = 0;
    work_item **link = &p->delayed;
    while (*link) {
        work_item *item = *link;
        if (p->stopping || item->due_ms <= now) {
            *link = item->next;
            append(p, item);
        } else {
            earliest = earliest && earliest < item->due_ms ? earliest : item->due_ms;
            link = &item->next;
        }
    }
    return earliest;
}

static work_item *next_item(work_pool *p)
{
    pthread_mutex_lock(&p->lock);
    for (;;) {
        long long earliest = release_due(p);
        if (p->head || p->stopping)
            break;
        if (!earliest) {
            pthread_cond_wait(&p->ready, &p->lock);
            continue;
        }
        struct timespec until = {(time_t)(earliest / 1000), (long)(earliest % 1000) * 1000000L};
        pthread_cond_timedwait(&p->ready, &p->lock, &until);
    }
    work_item *item = p->head;
    if (item) {
        p->head = item->next;
        if (!p->head)
            p->tail = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    return item;
}

static void *pool_main(void *arg)
{
    pool_thread *t = arg;
    work_pool *p = t->pool;
    void *state = p->hooks.init ? p->hooks.init(t->index, p->hooks.ctx) : NULL;
    for (work_item *item; (item = next_item(p)) != NULL;)
        p->hooks.run(item, state, p->hooks.ctx);
    if (p->hooks.fini)
        p->hooks.fini(state, p->hooks.ctx);
    return NULL;
}

work_pool *work_pool_start(int threads, const work_pool_hooks *hooks)
{
    work_pool *p = calloc(1, sizeof *p);
    p->hooks = *hooks;
    p->count = threads;
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->ready, &attr);
    pthread_condattr_destroy(&attr);
    p->threads = calloc((size_t)threads, sizeof *p->threads);
    for (int i = 0; i < threads; i++) {
        p->threads[i] = (pool_thread){p, i, 0};
        if (pthread_create(&p->threads[i].thread, NULL, pool_main, &p->threads[i]) != 0) {
            fputs("work_pool: cannot start a thread\n", stderr);
            abort();
        }
    }
    return p;
}

void work_pool_push(work_pool *p, work_item *item)
{
    pthread_mutex_lock(&p->lock);
    append(p, item);
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

void work_pool_push_after(work_pool *p, work_item *item, long long delay_ms)
{
    pthread_mutex_lock(&p->lock);
    item->due_ms = monotonic_ms() + delay_ms;
    item->next = p->delayed;
    p->delayed = item;
    pthread_cond_signal(&p->ready); /* a sleeping thread re-arms its wait for this one */
    pthread_mutex_unlock(&p->lock);
}

void work_pool_stop(work_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->count; i++)
        pthread_join(p->threads[i].thread, NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->ready);
    free(p->threads);
    free(p);
}
