/* format.h — bookingctl's text conventions: RFC 3339 UTC times, money with two
 * decimals, strict numbers and enum names without their prefix. Pure functions. */
#ifndef BOOKINGCTL_FORMAT_H
#define BOOKINGCTL_FORMAT_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "booking/v1/common.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "local_time.h"
#include "strbuf.h"

#define FMT_TIME_CAP 32  /* "2026-06-01T15:00:00Z" and "-" */
#define FMT_MONEY_CAP 48 /* "-92233720368547758.08 EUR" */
#define FMT_LOCAL_CAP 112 /* "2027-03-13 15:00 -08:00 America/Los_Angeles" */

/* Parses "2026-06-01T15:00:00Z", "2026-06-01T15:00Z", an offset instead of Z
 * ("2026-06-01T17:00:00+02:00") or a bare date "2026-06-01" (00:00Z) into Unix
 * seconds. Years 0001-9999. Returns 0, or -1 on anything else. */
int fmt_parse_time(const char *s, int64_t *seconds);
/* "2026-06-01T15:00:00Z", or "-" when t is NULL; returns buf. */
char *fmt_time(const Google__Protobuf__Timestamp *t, char *buf, size_t cap);
/* Instant t in zone z: "2027-03-13 15:00 -08:00" (":SS" when the seconds are not 0),
 * followed by " America/Los_Angeles" when with_zone; returns buf. */
char *fmt_local(const local_zone *z, int64_t t, int with_zone, char *buf, size_t cap);
/* A local RFC 3339 time as the services send it ("2027-03-13T15:00:00-08:00") the way
 * fmt_local writes it ("2027-03-13 15:00 -08:00"); other text as it is; "-" for ""
 * or NULL; returns buf. */
char *fmt_local_text(const char *rfc3339, char *buf, size_t cap);

/* Parses a non-negative amount with at most two decimals ("120", "120.5", "120.00")
 * into minor units (12000). Returns 0, or -1 (sign, letters, "1.", ".5", "1.234",
 * more than 13 integer digits). */
int fmt_parse_amount(const char *s, int64_t *minor);
/* 1 when s is three upper-case letters (ISO 4217 shape). */
int fmt_currency_valid(const char *s);
/* "123.45 EUR" (always two decimals; "123.45" without a currency); returns buf. */
char *fmt_amount(int64_t minor, const char *currency, char *buf, size_t cap);
/* fmt_amount of a Money, or "-" when m is NULL; returns buf. */
char *fmt_money(const Booking__V1__Money *m, char *buf, size_t cap);

/* Parses a whole decimal number within [min, max]. Returns 0 or -1. */
int fmt_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);
/* Parses a finite decimal number ("4.5", "-0.1278"). Returns 0 or -1. */
int fmt_parse_double(const char *s, double *out);
/* Parses "LAT,LON" ("38.7223,-9.1393"): latitude in [-90, 90], longitude in
 * [-180, 180], no spaces. Returns 0, or -1 (both outputs untouched). */
int fmt_parse_latlon(const char *s, double *lat, double *lon);

/* Finds the value named s, with or without the enum's prefix and in any case
 * ("hotel_room" or "RESOURCE_TYPE_HOTEL_ROOM"); the _UNSPECIFIED value is refused.
 * Returns 0, or -1 when no value has that name. */
int fmt_parse_enum(const ProtobufCEnumDescriptor *d, const char *s, int *value);
/* The name of value without the enum's prefix ("ACTIVE"), or its number in buf
 * when the enum has no such value. */
const char *fmt_enum_label(const ProtobufCEnumDescriptor *d, int value, char *buf, size_t cap);

/* How long a priced range is, from its lines: "2 nights" (every line 23 to 25 h: a
 * local night, DST days included),
 * "3 slots of 30 min" (lines of one length), "1 slot" (otherwise), "-" when p is
 * NULL or has no lines; returns buf. */
char *fmt_slots(const Booking__V1__Price *p, char *buf, size_t cap);
/* "12.3 km" (one decimal), or "-" when km is negative or not finite; returns buf. */
char *fmt_distance(double km, char *buf, size_t cap);
/* Appends an event's metadata as "key=value" pairs sorted by key, separated by
 * spaces; a value that is empty or holds a space, quote or backslash is quoted
 * ("reason=\"changed plans\""). Nothing for no entries. */
void fmt_metadata(strbuf *b, Booking__V1__Event__MetadataEntry *const *entries, size_t n);

#endif
