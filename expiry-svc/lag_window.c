/* lag_window.c — ring of recent lags and its nearest-rank summary. */
#include "lag_window.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void lag_window_add(lag_window *w, double lag_ms)
{
    pthread_mutex_lock(&w->lock);
    w->samples[w->next] = lag_ms;
    w->next = (w->next + 1) % LAG_WINDOW_SIZE;
    if (w->count < LAG_WINDOW_SIZE)
        w->count++;
    pthread_mutex_unlock(&w->lock);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double lag_percentile(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return 0;
    double rank = ceil(q * (double)n);
    size_t i = rank < 1 ? 0 : (size_t)rank - 1;
    return sorted[i < n ? i : n - 1];
}

lag_summary lag_window_summary(lag_window *w)
{
    lag_summary s = {0, 0, 0, 0};
    double *copy = malloc(sizeof *copy * LAG_WINDOW_SIZE);
    pthread_mutex_lock(&w->lock);
    s.count = w->count;
    memcpy(copy, w->samples, sizeof *copy * s.count);
    pthread_mutex_unlock(&w->lock);
    if (s.count > 0) {
        qsort(copy, s.count, sizeof *copy, cmp_double);
        s.p50 = lag_percentile(copy, s.count, 0.50);
        s.p99 = lag_percentile(copy, s.count, 0.99);
        s.max = copy[s.count - 1];
    }
    free(copy);
    return s;
}

void lag_window_reset(lag_window *w)
{
    pthread_mutex_lock(&w->lock);
    w->next = w->count = 0;
    pthread_mutex_unlock(&w->lock);
}
