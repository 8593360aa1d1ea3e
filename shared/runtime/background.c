/* background.c — stoppers and background threads. */
#include "background.h"

#include <time.h>

void stopper_init(stopper *s)
{
    atomic_init(&s->stopping, 0);
    atomic_init(&s->poked, 0);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &attr);
    pthread_condattr_destroy(&attr);
}

void stopper_destroy(stopper *s)
{
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
}

int stopper_stopping(stopper *s) { return atomic_load(&s->stopping); }

static struct timespec deadline_in(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

int stopper_wait(stopper *s, int64_t ms)
{
    struct timespec ts = deadline_in(ms);
    pthread_mutex_lock(&s->lock);
    while (!atomic_load(&s->stopping) && !atomic_load(&s->poked) && ms > 0)
        if (pthread_cond_timedwait(&s->cond, &s->lock, &ts) != 0)
            break;
    atomic_store(&s->poked, 0);
    pthread_mutex_unlock(&s->lock);
    return stopper_stopping(s);
}

int stopper_pause(stopper *s, int64_t ms)
{
    struct timespec ts = deadline_in(ms);
    pthread_mutex_lock(&s->lock);
    while (!atomic_load(&s->stopping) && ms > 0)
        if (pthread_cond_timedwait(&s->cond, &s->lock, &ts) != 0)
            break;
    pthread_mutex_unlock(&s->lock);
    return stopper_stopping(s);
}

void stopper_stop(stopper *s)
{
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->stopping, 1);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void stopper_poke(stopper *s)
{
    if (atomic_load(&s->poked)) /* pending already: the loop runs after this anyway */
        return;
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->poked, 1);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void *trampoline(void *arg)
{
    background *b = arg;
    b->run(b, b->arg);
    return NULL;
}

int background_start(background *b, background_fn run, void *arg)
{
    stopper_init(&b->stop);
    b->run = run;
    b->arg = arg;
    b->started = pthread_create(&b->thread, NULL, trampoline, b) == 0;
    if (!b->started)
        stopper_destroy(&b->stop);
    return b->started ? 0 : -1;
}

int background_wait(background *b, int64_t ms) { return stopper_wait(&b->stop, ms); }
int background_pause(background *b, int64_t ms) { return stopper_pause(&b->stop, ms); }
int background_stopping(background *b) { return stopper_stopping(&b->stop); }
void background_poke(background *b) { stopper_poke(&b->stop); }

void background_stop(background *b)
{
    if (!b->started)
        return;
    stopper_stop(&b->stop);
    pthread_join(b->thread, NULL);
    stopper_destroy(&b->stop);
    b->started = 0;
}
