/* work_pool.c — a mutex/condvar FIFO drained by a fixed set of threads. */
#include "work_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

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
    int stopping;
    int count;
    pool_thread *threads;
};

static work_item *next_item(work_pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (!p->head && !p->stopping)
        pthread_cond_wait(&p->ready, &p->lock);
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
    pthread_cond_init(&p->ready, NULL);
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
    item->next = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->tail)
        p->tail->next = item;
    else
        p->head = item;
    p->tail = item;
    pthread_cond_signal(&p->ready);
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
