/* background.c — background threads with an interruptible wait. */
#include "background.h"

#include <time.h>

static void *trampoline(void *arg)
{
    background *b = arg;
    b->run(b, b->arg);
    return NULL;
}

int background_start(background *b, background_fn run, void *arg)
{
    atomic_init(&b->stopping, 0);
    pthread_mutex_init(&b->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cond, &attr);
    pthread_condattr_destroy(&attr);
    b->run = run;
    b->arg = arg;
    b->started = pthread_create(&b->thread, NULL, trampoline, b) == 0;
    return b->started ? 0 : -1;
}

int background_stopping(background *b) { return atomic_load(&b->stopping); }

int background_wait(background *b, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&b->lock);
    while (!atomic_load(&b->stopping) && ms > 0)
        if (pthread_cond_timedwait(&b->cond, &b->lock, &ts) != 0)
            break;
    pthread_mutex_unlock(&b->lock);
    return background_stopping(b);
}

void background_stop(background *b)
{
    if (!b->started)
        return;
    pthread_mutex_lock(&b->lock);
    atomic_store(&b->stopping, 1);
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->thread, NULL);
    pthread_cond_destroy(&b->cond);
    pthread_mutex_destroy(&b->lock);
    b->started = 0;
}
