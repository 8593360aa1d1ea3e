/* background.h — background work of a service: a stopper (an interruptible wait that
 * every thread of a service can share, ended once on stop) and a background thread that
 * runs its own loop on one. */
#ifndef SHARED_BACKGROUND_H
#define SHARED_BACKGROUND_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct stopper {
    atomic_int stopping;
    atomic_int poked;  /* stopper_poke: the next (or current) wait ends early, once */
    pthread_mutex_t lock;
    pthread_cond_t cond;
} stopper;

void stopper_init(stopper *s);
void stopper_destroy(stopper *s);
/* Sleeps up to ms, or until stopper_stop: returns 1 then (the loop should end). */
int stopper_wait(stopper *s, int64_t ms);
/* Sleeps ms however often it is poked (a poke stays pending for the next wait), or
 * until stopper_stop: returns 1 then. */
int stopper_pause(stopper *s, int64_t ms);
int stopper_stopping(stopper *s);
/* Ends every wait, now and later. */
void stopper_stop(stopper *s);
/* Ends the current wait early (returning 0), or the next one when none runs: work came
 * in for the loop before its interval is up. */
void stopper_poke(stopper *s);

typedef struct background background;
typedef void (*background_fn)(background *b, void *arg);

struct background {
    pthread_t thread;
    stopper stop;
    background_fn run;
    void *arg;
    int started;
};

/* Runs run(b, arg) on a new thread. 0 or -1. */
int background_start(background *b, background_fn run, void *arg);
/* Sleeps up to ms, or until stop is asked: returns 1 then (the loop should end). */
int background_wait(background *b, int64_t ms);
/* stopper_pause of the loop's stopper: a gap between runs that pokes do not cut short. */
int background_pause(background *b, int64_t ms);
int background_stopping(background *b);
/* stopper_poke of the loop's stopper (thread-safe; b must be started). */
void background_poke(background *b);
/* Asks the loop to end, wakes it and joins it. */
void background_stop(background *b);

#endif
