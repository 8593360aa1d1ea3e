/* local_time.h — wall-clock time in IANA time zones: the local date and time of an
 * instant, and the instant of a local date and time, from the time zone database ICU
 * carries (ucal). A zone handle is built once per process (its table of UTC offsets,
 * 1970-2100), is immutable, and is shared by every thread; every function on a handle
 * is pure. Nothing here reads or changes the process's TZ. */
#ifndef SHARED_LOCAL_TIME_H
#define SHARED_LOCAL_TIME_H

#include <stddef.h>
#include <stdint.h>

#define LOCAL_ZONE_NAME_MAX 64

typedef struct local_zone local_zone;

/* The zone named name ("America/Los_Angeles", "UTC"): a handle valid until the process
 * exits; NULL when name is not an IANA zone of the database (ICU's three-letter aliases
 * that IANA does not have, such as "PST" or "IST", are refused: they are ambiguous).
 * Thread-safe; the first call for a zone builds its table, later calls find it. */
const local_zone *local_zone_get(const char *name);
/* UTC (never NULL; needs no database). */
const local_zone *local_zone_utc(void);
const char *local_zone_name(const local_zone *z);
/* The version of the time zone rules in use ("2022e"). */
const char *local_zone_data_version(void);

/* Seconds east of UTC in effect at instant t (Unix seconds). */
int32_t local_offset(const local_zone *z, int64_t t);
/* The wall clock at instant t as seconds since 1970-01-01T00:00 of the local calendar
 * (t + offset): local date and time "written as if it were UTC". */
int64_t local_wall(const local_zone *z, int64_t t);
/* The instant at which the wall clock shows wall. When it shows it twice (the hour a
 * fall-back repeats): the earlier; when never (the hour a spring-forward skips): the
 * instant the gap ends. */
int64_t local_instant(const local_zone *z, int64_t wall);
/* The first instant after t at which the zone's UTC offset changes; INT64_MAX when it
 * never does again. */
int64_t local_next_change(const local_zone *z, int64_t t);

/* The latest instant at or before t at which the zone's UTC offset changed; INT64_MIN
 * when it never did. */
int64_t local_last_change(const local_zone *z, int64_t t);

/* Local calendar days: day numbers count days since 1970-01-01 of the local calendar. */
int64_t local_day(const local_zone *z, int64_t t);
/* The first instant of local day `day`: its midnight, or the end of the gap when the
 * clock skips midnight. A day the zone skipped entirely starts where the next begins. */
int64_t local_day_start(const local_zone *z, int64_t day);

/* A local date and time, broken down. */
typedef struct local_tm {
    int64_t year;
    int month, day;              /* 1-12, 1-31 */
    int hour, minute, second;
    int weekday;                 /* 0 = Sunday .. 6 = Saturday */
    int32_t offset;              /* seconds east of UTC */
} local_tm;

void local_time_of(const local_zone *z, int64_t t, local_tm *out);
/* "2027-03-14T03:00:00-07:00" (RFC 3339 with the local offset; "Z" never); returns buf. */
char *local_rfc3339(const local_zone *z, int64_t t, char *buf, size_t cap);
/* "2027-03-14" (the local date of t); returns buf. */
char *local_date_text(const local_zone *z, int64_t t, char *buf, size_t cap);

/* Proleptic Gregorian calendar arithmetic (any zone). */
int64_t days_from_civil(int64_t year, int month, int day);
void civil_from_days(int64_t days, int64_t *year, int *month, int *day);
/* 0 = Sunday .. 6 = Saturday of day number `day`. */
int weekday_of_day(int64_t day);

/* floor(a / b) and a mod b in [0, b), for b > 0. */
int64_t floor_div64(int64_t a, int64_t b);
int64_t floor_mod64(int64_t a, int64_t b);

#endif
