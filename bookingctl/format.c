/* format.c — parsing and printing of times, money, numbers and enum names. */
#include "format.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "timeutil.h"

/* Reads exactly n decimal digits at s; stops at the first non-digit (or NUL). */
static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* days_from_civil: local_time.h */

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* "YYYY-MM-DD" at the start of s, as days since the epoch. */
static int parse_date(const char *s, int64_t *days)
{
    int y, m, d;
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) || s[7] != '-' || digits(s + 8, 2, &d))
        return -1;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *days = days_from_civil(y, m, d);
    return 0;
}

/* "HH:MM" or "HH:MM:SS" at s, as seconds of the day; *end points past it. */
static int parse_clock(const char *s, int *seconds, const char **end)
{
    int h, mi, se = 0;
    if (digits(s, 2, &h) || s[2] != ':' || digits(s + 3, 2, &mi))
        return -1;
    s += 5;
    if (*s == ':') {
        if (digits(s + 1, 2, &se))
            return -1;
        s += 3;
    }
    if (h > 23 || mi > 59 || se > 59)
        return -1;
    *seconds = h * 3600 + mi * 60 + se;
    *end = s;
    return 0;
}

/* "Z" or "+HH:MM" / "-HH:MM" ending the string, as seconds east of UTC. */
static int parse_zone(const char *s, int *offset)
{
    int h, m;
    if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
        *offset = 0;
        return 0;
    }
    if ((s[0] != '+' && s[0] != '-') || digits(s + 1, 2, &h) || s[3] != ':' || digits(s + 4, 2, &m) ||
        s[6] != '\0' || h > 23 || m > 59)
        return -1;
    *offset = (h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1);
    return 0;
}

int fmt_parse_time(const char *s, int64_t *seconds)
{
    int64_t days;
    int clock = 0, offset = 0;
    if (!s || parse_date(s, &days) != 0)
        return -1;
    if (s[10] != '\0') {
        const char *zone;
        if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || parse_clock(s + 11, &clock, &zone) != 0 ||
            parse_zone(zone, &offset) != 0)
            return -1;
    }
    *seconds = days * 86400 + clock - offset;
    return 0;
}

char *fmt_time(const Google__Protobuf__Timestamp *t, char *buf, size_t cap)
{
    if (!t) {
        snprintf(buf, cap, "-");
        return buf;
    }
    return format_rfc3339(t->seconds, buf, cap);
}

char *fmt_local(const local_zone *z, int64_t t, int with_zone, char *buf, size_t cap)
{
    local_tm tm;
    local_time_of(z, t, &tm);
    int32_t a = tm.offset < 0 ? -tm.offset : tm.offset;
    char secs[8] = "";
    if (tm.second)
        snprintf(secs, sizeof secs, ":%02d", tm.second);
    snprintf(buf, cap, "%04lld-%02d-%02d %02d:%02d%s %c%02d:%02d%s%s", (long long)tm.year, tm.month, tm.day, tm.hour,
             tm.minute, secs, tm.offset < 0 ? '-' : '+', (int)(a / 3600), (int)(a / 60 % 60), with_zone ? " " : "",
             with_zone ? local_zone_name(z) : "");
    return buf;
}

char *fmt_local_text(const char *s, char *buf, size_t cap)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0)
        snprintf(buf, cap, "-");
    else if (n == 25 && s[10] == 'T' && s[13] == ':' && s[16] == ':') /* YYYY-MM-DDTHH:MM:SS+HH:MM */
        snprintf(buf, cap, "%.10s %.5s%.*s %.6s", s, s + 11, strncmp(s + 16, ":00", 3) ? 3 : 0, s + 16, s + 19);
    else
        snprintf(buf, cap, "%s", s);
    return buf;
}

int fmt_parse_amount(const char *s, int64_t *minor)
{
    int64_t whole = 0;
    int n = 0, frac = 0, decimals = 0;
    if (!s)
        return -1;
    for (; *s >= '0' && *s <= '9'; s++, n++) {
        if (n == 13)
            return -1;
        whole = whole * 10 + (*s - '0');
    }
    if (n == 0)
        return -1;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, decimals++) {
            if (decimals == 2)
                return -1;
            frac = frac * 10 + (*s - '0');
        }
        if (decimals == 0)
            return -1;
    }
    if (*s != '\0')
        return -1;
    *minor = whole * 100 + (decimals == 1 ? frac * 10 : frac);
    return 0;
}

int fmt_currency_valid(const char *s)
{
    if (!s || strlen(s) != 3)
        return 0;
    for (int i = 0; i < 3; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return 0;
    return 1;
}

char *fmt_amount(int64_t minor, const char *currency, char *buf, size_t cap)
{
    uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    int named = currency && *currency;
    snprintf(buf, cap, "%s%llu.%02llu%s%s", minor < 0 ? "-" : "", (unsigned long long)(mag / 100),
             (unsigned long long)(mag % 100), named ? " " : "", named ? currency : "");
    return buf;
}

char *fmt_money(const Booking__V1__Money *m, char *buf, size_t cap)
{
    if (!m) {
        snprintf(buf, cap, "-");
        return buf;
    }
    return fmt_amount(m->amount_minor, m->currency, buf, cap);
}

int fmt_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    if (!s || !(s[0] == '-' ? s[1] >= '0' && s[1] <= '9' : s[0] >= '0' && s[0] <= '9'))
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int fmt_parse_double(const char *s, double *out)
{
    char *end;
    if (!s || !*s || strspn(s, "0123456789+-.eE") != strlen(s))
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int fmt_parse_latlon(const char *s, double *lat, double *lon)
{
    char part[64];
    const char *comma = s ? strchr(s, ',') : NULL;
    double a, b;
    if (!comma || (size_t)(comma - s) >= sizeof part)
        return -1;
    memcpy(part, s, (size_t)(comma - s));
    part[comma - s] = '\0';
    if (fmt_parse_double(part, &a) != 0 || fmt_parse_double(comma + 1, &b) != 0 || a < -90 || a > 90 ||
        b < -180 || b > 180)
        return -1;
    *lat = a;
    *lon = b;
    return 0;
}

/* Length of the prefix every value name of d shares: the _UNSPECIFIED value's name
 * minus "UNSPECIFIED" ("HOLD_STATUS_"); 0 when the enum has no such value. */
static size_t enum_prefix_len(const ProtobufCEnumDescriptor *d)
{
    const ProtobufCEnumValue *zero = protobuf_c_enum_descriptor_get_value(d, 0);
    const char *u = zero ? strstr(zero->name, "UNSPECIFIED") : NULL;
    return u ? (size_t)(u - zero->name) : 0;
}

int fmt_parse_enum(const ProtobufCEnumDescriptor *d, const char *s, int *value)
{
    size_t prefix = enum_prefix_len(d);
    for (unsigned i = 0; s && i < d->n_values; i++) {
        const ProtobufCEnumValue *v = &d->values[i];
        if (v->value != 0 && (strcasecmp(s, v->name) == 0 || strcasecmp(s, v->name + prefix) == 0)) {
            *value = v->value;
            return 0;
        }
    }
    return -1;
}

const char *fmt_enum_label(const ProtobufCEnumDescriptor *d, int value, char *buf, size_t cap)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
    if (v)
        return v->name + enum_prefix_len(d);
    snprintf(buf, cap, "%d", value);
    return buf;
}

char *fmt_slots(const Booking__V1__Price *p, char *buf, size_t cap)
{
    if (!p || p->n_lines == 0) {
        snprintf(buf, cap, "-");
        return buf;
    }
    int64_t len = -1;
    for (size_t i = 0; i < p->n_lines; i++) {
        const Booking__V1__PriceLine *l = p->lines[i];
        int64_t d = 0; /* unknown: a time missing, or a length past int64 (a broken answer) */
        if (l->slot_start && l->slot_end && __builtin_sub_overflow(l->slot_end->seconds, l->slot_start->seconds, &d))
            d = 0;
        if (d >= 23 * 3600 && d <= 25 * 3600 && d % 1800 == 0 && (i == 0 || len == 86400))
            d = 86400; /* a local night, 23 to 25 hours long */
        len = i == 0 || d == len ? d : 0; /* 0: lengths differ or are unknown */
    }
    const char *s = p->n_lines == 1 ? "" : "s";
    if (len == 86400)
        snprintf(buf, cap, "%zu night%s", p->n_lines, s);
    else if (len > 0 && len % 60 == 0 && len < 86400)
        snprintf(buf, cap, "%zu slot%s of %lld min", p->n_lines, s, (long long)(len / 60));
    else
        snprintf(buf, cap, "%zu slot%s", p->n_lines, s);
    return buf;
}

char *fmt_distance(double km, char *buf, size_t cap)
{
    if (!isfinite(km) || km < 0)
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.1f km", km);
    return buf;
}

static int entry_cmp(const void *a, const void *b)
{
    const Booking__V1__Event__MetadataEntry *x = *(Booking__V1__Event__MetadataEntry *const *)a;
    const Booking__V1__Event__MetadataEntry *y = *(Booking__V1__Event__MetadataEntry *const *)b;
    return strcmp(x->key ? x->key : "", y->key ? y->key : "");
}

/* Appends v, quoted when it is empty or holds a space, quote or backslash. */
static void append_value(strbuf *b, const char *v)
{
    if (*v && !strpbrk(v, " \"\\")) {
        strbuf_puts(b, v);
        return;
    }
    strbuf_puts(b, "\"");
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            strbuf_puts(b, "\\");
        strbuf_append(b, v, 1);
    }
    strbuf_puts(b, "\"");
}

void fmt_metadata(strbuf *b, Booking__V1__Event__MetadataEntry *const *entries, size_t n)
{
    if (n == 0)
        return;
    Booking__V1__Event__MetadataEntry **sorted = malloc(n * sizeof *sorted);
    if (!sorted) {
        fputs("bookingctl: out of memory\n", stderr);
        abort();
    }
    memcpy(sorted, entries, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, entry_cmp);
    for (size_t i = 0; i < n; i++) {
        strbuf_printf(b, "%s%s=", i ? " " : "", sorted[i]->key ? sorted[i]->key : "");
        append_value(b, sorted[i]->value ? sorted[i]->value : "");
    }
    free(sorted);
}
