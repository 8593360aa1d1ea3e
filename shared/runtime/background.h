/* background.h — a service's background thread: started with its own loop, woken from
 * its waits and joined on stop. */
#ifndef SHARED_BACKGROUND_H
#define SHARED_BACKGROUND_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct background background;
typedef void (*background_fn)(background *b, void *arg);

struct background {
    pthread_t thread;
    atomic_int stopping;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    background_fn run;
    void *arg;
    int started;
};

/* Runs run(b, arg) on a new thread. 0 or -1. */
int background_start(background *b, background_fn run, void *arg);
/* Sleeps up to ms, or until stop is asked: returns 1 then (the loop should end). */
int background_wait(background *b, int64_t ms);
int background_stopping(background *b);
/* Asks the loop to end, wakes it and joins it. */
void background_stop(background *b);

#endif
