/* request_checks.h — the pure validation of each hosted method, for fuzz_requests: the
 * table (request_checks.c), the checks of each service (booking_checks.c,
 * search_checks.c) and the only calls into shared/domain (domain_checks.c). */
#ifndef TESTS_FUZZ_REQUEST_CHECKS_H
#define TESTS_FUZZ_REQUEST_CHECKS_H

#include <stdint.h>

#include "booking/v1/booking.pb-c.h"
#include "fuzz_support.h"

/* Runs the services' own validators on a decoded request of method m (one whose
 * strings passed proto_check, as rpc_server.c guarantees before a handler runs), and
 * checks what they promise. Methods without pure validation return at once. The
 * request may be changed (validators fill in defaults). */
void request_check(const fuzz_method *m, ProtobufCMessage *request);

/* booking.v1.BookingService */
void check_create_resource(ProtobufCMessage *request);
void check_update_resource(ProtobufCMessage *request);
void check_set_inventory(ProtobufCMessage *request);
void check_create_hold(ProtobufCMessage *request);
void check_cancel_booking(ProtobufCMessage *request);
void check_create_webhook_endpoint(ProtobufCMessage *request);

/* booking.v1.SearchService */
void check_search(ProtobufCMessage *request);
void check_get_calendar(ProtobufCMessage *request);

/* shared/domain: slot_span_of of [start, end) for every kind of resource, at most max
 * slots; the quote (price_quote, price_total) and refunds of a valid resource. */
void check_spans(int64_t start, int64_t end, int max);
void check_prices(const Booking__V1__Resource *r);
void check_refunds(const Booking__V1__Resource *r);

#endif
