/* timeutil.c — clocks and Timestamp helpers. */
#include "timeutil.h"

#include <stdio.h>
#include <time.h>

#define MIN_SECONDS (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define MAX_SECONDS 253402300799LL   /* 9999-12-31T23:59:59Z */

int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t wall_seconds(void) { return wall_ms() / 1000; }

int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t ts_seconds(const Google__Protobuf__Timestamp *t) { return t ? t->seconds : 0; }

int ts_valid(const Google__Protobuf__Timestamp *t)
{
    return t && t->seconds >= MIN_SECONDS && t->seconds <= MAX_SECONDS && t->nanos >= 0 && t->nanos < 1000000000;
}

void ts_set(Google__Protobuf__Timestamp *t, int64_t seconds)
{
    google__protobuf__timestamp__init(t);
    t->seconds = seconds;
}

/* Four-digit years, as RFC 3339 wants (strftime's %Y writes year 1 as "1"); a time
 * outside years 0000-9999 has no RFC 3339 form and is written "@<seconds>". */
char *format_rfc3339(int64_t seconds, char *buf, size_t cap)
{
    time_t t = (time_t)seconds;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
        snprintf(buf, cap, "@%lld", (long long)seconds);
    else
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}
