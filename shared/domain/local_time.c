/* local_time.c — IANA zones as tables of UTC offsets built from ICU's calendar (ucal)
 * once per zone and process; local date/time of an instant and the instant of a local
 * date/time by binary search in that table. */
#include "local_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

/* The table covers 1970-01-01 to 2100-01-01: before it, the offset of 1970; after it,
 * the last offset of 2099 (a booking platform sells neither). */
#define TABLE_FROM_MS 0.0
#define TABLE_TO_MS 4102444800000.0
#define SECONDS_A_DAY 86400

/* Interval i is [at[i], at[i + 1]) (the last one open), with UTC offset off[i]; at[0] is
 * INT64_MIN. Consecutive offsets differ. */
struct local_zone {
    struct local_zone *next;  /* the cache's list */
    char name[LOCAL_ZONE_NAME_MAX + 1];
    int n;
    const int64_t *at;
    const int32_t *off;
    int32_t min_off, max_off;
};

static const int64_t utc_at[1] = {INT64_MIN};
static const int32_t utc_off[1] = {0};
static struct local_zone utc_zone = {NULL, "UTC", 1, utc_at, utc_off, 0, 0};

static _Atomic(struct local_zone *) zones; /* built zones; nodes are never freed nor changed */
static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- arithmetic ---------------------------------------------------------------------- */

int64_t floor_div64(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

int64_t floor_mod64(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* H. Hinnant's days_from_civil / civil_from_days (public domain). */
int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div64(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
    z += 719468;
    int64_t era = floor_div64(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

int weekday_of_day(int64_t day) { return (int)floor_mod64(day + 4, 7); } /* 1970-01-01: Thursday */

/* ---- the table ----------------------------------------------------------------------- */

/* Index of the interval holding t. */
static int interval_of(const local_zone *z, int64_t t)
{
    int lo = 0, hi = z->n - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (z->at[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

int32_t local_offset(const local_zone *z, int64_t t) { return z->n == 1 ? z->off[0] : z->off[interval_of(z, t)]; }

int64_t local_wall(const local_zone *z, int64_t t) { return sat_add(t, local_offset(z, t)); }

int64_t local_instant(const local_zone *z, int64_t wall)
{
    if (z->n == 1)
        return sat_add(wall, -(int64_t)z->off[0]);
    /* any instant showing `wall` lies in [wall - max_off, wall - min_off] */
    int a = interval_of(z, sat_add(wall, -(int64_t)z->max_off));
    int b = interval_of(z, sat_add(wall, -(int64_t)z->min_off));
    for (int i = a; i <= b; i++) { /* ascending: the first found is the earliest */
        int64_t t = sat_add(wall, -(int64_t)z->off[i]);
        if (t >= z->at[i] && (i + 1 == z->n || t < z->at[i + 1]))
            return t;
    }
    for (int i = a + 1; i <= b; i++) /* in a gap: where the clock jumps over wall */
        if (sat_add(z->at[i], z->off[i - 1]) <= wall && wall < sat_add(z->at[i], z->off[i]))
            return z->at[i];
    return sat_add(wall, -(int64_t)z->off[b]);
}

int64_t local_next_change(const local_zone *z, int64_t t)
{
    int i = interval_of(z, t);
    return i + 1 < z->n ? z->at[i + 1] : INT64_MAX;
}

int64_t local_last_change(const local_zone *z, int64_t t) { return z->at[interval_of(z, t)]; }

int64_t local_day(const local_zone *z, int64_t t) { return floor_div64(local_wall(z, t), SECONDS_A_DAY); }

int64_t local_day_start(const local_zone *z, int64_t day)
{
    int64_t wall;
    if (__builtin_mul_overflow(day, (int64_t)SECONDS_A_DAY, &wall))
        wall = day > 0 ? INT64_MAX : INT64_MIN;
    return local_instant(z, wall);
}

void local_time_of(const local_zone *z, int64_t t, local_tm *out)
{
    int32_t off = local_offset(z, t);
    int64_t wall = sat_add(t, off);
    int64_t day = floor_div64(wall, SECONDS_A_DAY), secs = floor_mod64(wall, SECONDS_A_DAY);
    civil_from_days(day, &out->year, &out->month, &out->day);
    out->hour = (int)(secs / 3600);
    out->minute = (int)(secs / 60 % 60);
    out->second = (int)(secs % 60);
    out->weekday = weekday_of_day(day);
    out->offset = off;
}

char *local_rfc3339(const local_zone *z, int64_t t, char *buf, size_t cap)
{
    local_tm tm;
    local_time_of(z, t, &tm);
    int32_t a = tm.offset < 0 ? -tm.offset : tm.offset;
    snprintf(buf, cap, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", (long long)tm.year, tm.month, tm.day, tm.hour,
             tm.minute, tm.second, tm.offset < 0 ? '-' : '+', (int)(a / 3600), (int)(a / 60 % 60));
    return buf;
}

char *local_date_text(const local_zone *z, int64_t t, char *buf, size_t cap)
{
    local_tm tm;
    local_time_of(z, t, &tm);
    snprintf(buf, cap, "%04lld-%02d-%02d", (long long)tm.year, tm.month, tm.day);
    return buf;
}

/* ---- building zones from ICU ---------------------------------------------------------- */

typedef struct table {
    int64_t *at;
    int32_t *off;
    int n, cap;
} table;

static int table_push(table *t, int64_t at, int32_t off)
{
    if (t->n > 0 && t->off[t->n - 1] == off) /* only the split into raw and DST changed */
        return 0;
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        int64_t *a = realloc(t->at, sizeof *a * (size_t)cap);
        if (a)
            t->at = a;
        int32_t *o = realloc(t->off, sizeof *o * (size_t)cap);
        if (o)
            t->off = o;
        if (!a || !o)
            return -1;
        t->cap = cap;
    }
    t->at[t->n] = at;
    t->off[t->n++] = off;
    return 0;
}

static int32_t offset_at(UCalendar *cal, UDate ms, UErrorCode *st)
{
    ucal_setMillis(cal, ms, st);
    int32_t total = ucal_get(cal, UCAL_ZONE_OFFSET, st) + ucal_get(cal, UCAL_DST_OFFSET, st);
    return (int32_t)floor_div64(total, 1000);
}

/* The offsets of the zone over the table's years; -1 when ICU fails. */
static int fill_table(const UChar *id, int32_t len, table *t)
{
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(id, len, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st))
        return -1;
    int rc = table_push(t, INT64_MIN, offset_at(cal, TABLE_FROM_MS, &st));
    UDate next;
    while (rc == 0 && U_SUCCESS(st) && ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_NEXT, &next, &st) &&
           U_SUCCESS(st) && next < TABLE_TO_MS) {
        int32_t off = offset_at(cal, next, &st);
        rc = table_push(t, (int64_t)(next / 1000), off);
    }
    ucal_close(cal);
    return rc == 0 && U_SUCCESS(st) ? 0 : -1;
}

/* ICU also knows Java's three-letter aliases ("PST", "IST" = Asia/Kolkata, "BST" =
 * Asia/Dhaka); of the three-letter names only these are IANA zones. */
static int iana_name(const char *name)
{
    static const char *const three[] = {"UTC", "UCT", "GMT", "EST", "MST", "HST", "CET", "EET", "MET", "WET",
                                        "PRC", "ROC", "ROK"};
    size_t len = strlen(name);
    if (len == 0 || len > LOCAL_ZONE_NAME_MAX)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '/' ||
              *p == '_' || *p == '-' || *p == '+'))
            return 0;
    if (len != 3 || strchr(name, '/'))
        return 1;
    for (size_t i = 0; i < sizeof three / sizeof three[0]; i++)
        if (strcmp(name, three[i]) == 0)
            return 1;
    return 0;
}

/* A new zone from ICU, or NULL when ICU does not know the name. */
static struct local_zone *zone_build(const char *name)
{
    UChar id[LOCAL_ZONE_NAME_MAX + 1], canonical[128];
    int32_t len = (int32_t)strlen(name);
    UBool system = 0;
    UErrorCode st = U_ZERO_ERROR;
    u_charsToUChars(name, id, len);
    id[len] = 0;
    ucal_getCanonicalTimeZoneID(id, len, canonical, (int32_t)(sizeof canonical / sizeof canonical[0]), &system, &st);
    if (U_FAILURE(st) || !system)
        return NULL;
    table t = {0};
    struct local_zone *z = calloc(1, sizeof *z);
    if (!z || fill_table(id, len, &t) != 0) {
        free(z);
        free(t.at);
        free(t.off);
        return NULL;
    }
    snprintf(z->name, sizeof z->name, "%s", name);
    z->n = t.n, z->at = t.at, z->off = t.off;
    z->min_off = z->max_off = t.off[0];
    for (int i = 1; i < t.n; i++) {
        z->min_off = t.off[i] < z->min_off ? t.off[i] : z->min_off;
        z->max_off = t.off[i] > z->max_off ? t.off[i] : z->max_off;
    }
    return z;
}

static const local_zone *zone_find(struct local_zone *list, const char *name)
{
    for (struct local_zone *z = list; z; z = z->next)
        if (strcmp(z->name, name) == 0)
            return z;
    return NULL;
}

const local_zone *local_zone_get(const char *name)
{
    if (!name || !iana_name(name))
        return NULL;
    if (strcmp(name, "UTC") == 0)
        return &utc_zone;
    const local_zone *found = zone_find(atomic_load_explicit(&zones, memory_order_acquire), name);
    if (found)
        return found;
    pthread_mutex_lock(&build_lock);
    struct local_zone *head = atomic_load_explicit(&zones, memory_order_acquire);
    found = zone_find(head, name);
    if (!found) {
        struct local_zone *z = zone_build(name);
        if (z) {
            z->next = head;
            atomic_store_explicit(&zones, z, memory_order_release);
        }
        found = z;
    }
    pthread_mutex_unlock(&build_lock);
    return found;
}

const local_zone *local_zone_utc(void) { return &utc_zone; }

const char *local_zone_name(const local_zone *z) { return z->name; }

const char *local_zone_data_version(void)
{
    UErrorCode st = U_ZERO_ERROR;
    const char *v = ucal_getTZDataVersion(&st);
    return U_SUCCESS(st) && v ? v : "unknown";
}
