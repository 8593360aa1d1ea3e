/* history_rpc.c — ListBookings (newest first, keyset-paged, status filter) and
 * ListEvents (the audit trail of a booking and its hold, oldest first). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "booking.h"
#include "booking_store.h"
#include "hold_view.h"
#include "saga_store.h"

#define PAGE_DEFAULT 20
#define PAGE_MAX 100

/* Page tokens are "<created_us>.<booking_id>" in hex: opaque to clients, and a forged
 * one can only move the cursor within the caller's own history. */
static char *token_encode(rpc_call *call, int64_t created_us, const char *booking_id)
{
    char plain[128];
    int n = snprintf(plain, sizeof plain, "%" PRId64 ".%s", created_us, booking_id);
    char *hex = rpc_alloc(call, (size_t)n * 2 + 1);
    for (int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)plain[i]);
    return hex;
}

static int token_decode(const char *token, int64_t *created_us, char *booking_id, size_t cap)
{
    char plain[128];
    size_t n = strlen(token);
    if (n % 2 || n / 2 >= sizeof plain)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(token + 2 * i, "%2x", &v) != 1)
            return -1;
        plain[i] = (char)v;
    }
    plain[n / 2] = '\0';
    char *dot = strchr(plain, '.');
    if (!dot || !id_valid(dot + 1) || strlen(dot + 1) >= cap)
        return -1;
    *dot = '\0';
    char *end;
    *created_us = strtoll(plain, &end, 10);
    if (*end || end == plain)
        return -1;
    snprintf(booking_id, cap, "%s", dot + 1);
    return 0;
}

static int list_args(rpc_call *call, const Booking__V1__ListBookingsRequest *req, const char **user, int *limit)
{
    *user = req->user_id && *req->user_id ? req->user_id : rpc_user_id(call);
    if (!rpc_is_admin(call) && strcmp(*user, rpc_user_id(call)) != 0)
        return rpc_fail(call, RPC_PERMISSION_DENIED, "NOT_OWNER", "a customer can only list their own bookings");
    if (req->page_size < 0 || req->page_size > PAGE_MAX)
        return rpc_invalid_argument(call, "page_size", "must be between 0 and %d", PAGE_MAX);
    if (req->status < 0 || req->status > BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_COMPLETED)
        return rpc_invalid_argument(call, "status", "is not a BookingStatus");
    *limit = req->page_size ? req->page_size : PAGE_DEFAULT;
    return 0;
}

int rpc_list_bookings(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__ListBookingsRequest *req = (const Booking__V1__ListBookingsRequest *)request;
    const char *user = NULL;
    int limit = PAGE_DEFAULT;
    int64_t after_us = 0;
    char after_id[ID_MAX + 1] = "";
    if (list_args(call, req, &user, &limit) != 0)
        return -1;
    if (req->page_token && *req->page_token && token_decode(req->page_token, &after_us, after_id, sizeof after_id) != 0)
        return rpc_invalid_argument(call, "page_token", "is not a token this service issued");
    booking_row *rows = rpc_alloc(call, sizeof *rows * (size_t)(limit + 1));
    int64_t *created = rpc_alloc(call, sizeof *created * (size_t)(limit + 1));
    int n = saga_bookings_list(booking_pg(call), user, req->status, after_us, after_id, limit + 1,
                               rpc_allocator(call), rows, created);
    if (n < 0)
        return store_fail_pg(call, booking_pg(call));
    Booking__V1__ListBookingsResponse *resp =
        RPC_NEW(call, Booking__V1__ListBookingsResponse, booking__v1__list_bookings_response__init);
    resp->n_bookings = (size_t)(n > limit ? limit : n);
    resp->bookings = rpc_alloc(call, sizeof *resp->bookings * (resp->n_bookings + 1));
    for (size_t i = 0; i < resp->n_bookings; i++)
        resp->bookings[i] = booking_message_of(call, &rows[i]);
    resp->next_page_token = n > limit ? token_encode(call, created[limit - 1], rows[limit - 1].booking_id)
                                      : rpc_strdup(call, "");
    *response = &resp->base;
    return 0;
}

int rpc_list_events(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__ListEventsRequest *req = (const Booking__V1__ListEventsRequest *)request;
    int by_booking = req->booking_id && *req->booking_id, by_hold = req->hold_id && *req->hold_id;
    if (by_booking == by_hold)
        return rpc_invalid_argument(call, by_booking ? "hold_id" : "booking_id",
                                    "give exactly one of booking_id and hold_id");
    const char *subject = by_booking ? req->booking_id : req->hold_id, *other = NULL;
    if (by_booking) {
        booking_row b;
        int found = saga_booking_load(booking_pg(call), subject, rpc_allocator(call), &b);
        if (found <= 0)
            return found < 0 ? store_fail_pg(call, booking_pg(call))
                             : rpc_fail(call, RPC_NOT_FOUND, "BOOKING_NOT_FOUND", "booking \"%s\" does not exist", subject);
        if (require_owner(call, b.user_id) != 0)
            return -1;
        other = rpc_strdup(call, b.hold_id);
    } else {
        hold_view h;
        if (load_hold_owned(call, subject, &h) != 0)
            return -1;
        const char *booking_id = h.live ? h.rec.booking_id : h.row.booking_id;
        other = booking_id[0] ? rpc_strdup(call, booking_id) : NULL;
    }
    Booking__V1__ListEventsResponse *resp =
        RPC_NEW(call, Booking__V1__ListEventsResponse, booking__v1__list_events_response__init);
    int n = saga_events_list(booking_pg(call), subject, other, rpc_allocator(call), &resp->events);
    if (n < 0)
        return store_fail_pg(call, booking_pg(call));
    resp->n_events = (size_t)n;
    *response = &resp->base;
    return 0;
}
