/* lag_window.h — the most recent release lags (ms) in a fixed ring, with percentiles
 * and the maximum over the ring. Thread-safe; no heap, so a static one lives safely
 * for the whole process (metrics read it at scrape time). */
#ifndef EXPIRY_LAG_WINDOW_H
#define EXPIRY_LAG_WINDOW_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define LAG_WINDOW_SIZE 16384

typedef struct lag_window {
    pthread_mutex_t lock;
    double samples[LAG_WINDOW_SIZE];
    size_t next, count;  /* count saturates at LAG_WINDOW_SIZE */
} lag_window;

#define LAG_WINDOW_INIT {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 0}

typedef struct lag_summary {
    double p50, p99, max;
    size_t count;  /* samples in the window */
} lag_summary;

void lag_window_add(lag_window *w, double lag_ms);
/* Nearest-rank percentiles over the window; all zero when it is empty. */
lag_summary lag_window_summary(lag_window *w);
void lag_window_reset(lag_window *w);

/* Nearest-rank percentile q (0..1) of sorted[0..n); 0 when n == 0. */
double lag_percentile(const double *sorted, size_t n, double q);

#endif
