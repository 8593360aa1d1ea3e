/* resource_validate.h — field-by-field validation of resources and money. */
#ifndef BOOKING_SVC_RESOURCE_VALIDATE_H
#define BOOKING_SVC_RESOURCE_VALIDATE_H

#include "booking/v1/booking.pb-c.h"
#include "rpc.h"
#include "slots.h"

#define NAME_MAX_LEN 200
#define LOCATION_MAX_LEN 100
#define MAX_CAPACITY 100000
#define MAX_PRICE_MINOR 1000000000000LL /* 10^10 major units */

/* Sets defaults (status ACTIVE) and checks every field (time_zone: a required IANA
 * zone; check-in/out: "HH:MM"); on failure sets INVALID_ARGUMENT naming the field
 * ("resource.name") and returns -1. */
int validate_resource(rpc_call *call, Booking__V1__Resource *r);
/* The clock of a stored resource (its zone, slots, check-in and check-out); -1 with
 * FAILED_PRECONDITION RESOURCE_TIME_ZONE when its zone is unknown to this process's
 * time zone data. */
int resource_clock_or_status(rpc_call *call, const Booking__V1__Resource *r, resource_clock *out);
/* A Money field: 3 upper-case letters and 0 <= amount <= MAX_PRICE_MINOR. */
int validate_money(rpc_call *call, const char *field, const Booking__V1__Money *m);
/* A string field of at most max bytes; required = must not be empty. */
int validate_text(rpc_call *call, const char *field, const char *s, size_t max, int required);

#endif
