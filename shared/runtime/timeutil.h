/* timeutil.h — the one clock helper (wall and monotonic), google.protobuf.Timestamp conversion and RFC 3339 text. */
#ifndef SHARED_TIMEUTIL_H
#define SHARED_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "google/protobuf/timestamp.pb-c.h"

/* Wall clock (Unix) in milliseconds and seconds. */
int64_t wall_ms(void);
int64_t wall_seconds(void);
/* Monotonic clock (for durations, deadlines, timeouts) in milliseconds and seconds. */
int64_t monotonic_ms(void);
double monotonic_seconds(void);

/* Seconds of a Timestamp; nanos are truncated. A NULL timestamp is 0. */
int64_t ts_seconds(const Google__Protobuf__Timestamp *t);
/* 1 when t is set and within years 1..9999 with 0 <= nanos < 1e9. */
int ts_valid(const Google__Protobuf__Timestamp *t);
void ts_set(Google__Protobuf__Timestamp *t, int64_t seconds);

/* "2026-06-01T15:00:00Z" (years 0000-9999; "@<seconds>" outside them); returns buf. */
char *format_rfc3339(int64_t seconds, char *buf, size_t cap);

#endif
