/* cmd_bookings.c — `bookingctl book`, `hold confirm` and `bookings list|get|cancel`:
 * the booking saga seen from the client, and a user's booking history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking/v1/booking.pb-c.h"
#include "ctl.h"
#include "format.h"
#include "table.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))
#define DEFAULT_CARD "pm_card_ok"

static void add_row(ctl_table *t, const char *label, const char *value)
{
    table_add(t, label);
    table_add(t, value);
}

static const char *booking_status(int value, char *buf, size_t cap)
{
    return fmt_enum_label(&booking__v1__booking_status__descriptor, value, buf, cap);
}

static const char *payment_status(int value, char *buf, size_t cap)
{
    return fmt_enum_label(&booking__v1__payment_status__descriptor, value, buf, cap);
}

/* Status, payment, total and refund; the refund only once there is one to show. */
static void state_rows(ctl_table *t, const Booking__V1__Booking *b)
{
    char buf[FMT_MONEY_CAP];
    add_row(t, "booking", b->booking_id);
    add_row(t, "status", booking_status(b->status, buf, sizeof buf));
    add_row(t, "payment", payment_status(b->payment_status, buf, sizeof buf));
    add_row(t, "payment id", *b->payment_id ? b->payment_id : "-");
    add_row(t, "total", fmt_money(b->price ? b->price->total : NULL, buf, sizeof buf));
    int cancelled = b->status == BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_CANCELLED;
    if (cancelled || (b->refunded && b->refunded->amount_minor))
        add_row(t, "refunded", fmt_money(b->refunded, buf, sizeof buf));
    if (*b->cancel_reason)
        add_row(t, "reason", b->cancel_reason);
}

static void print_booking(const ProtobufCMessage *m)
{
    const Booking__V1__Booking *b = (const Booking__V1__Booking *)m;
    char buf[FMT_TIME_CAP];
    ctl_table *t = table_new(2, NULL);
    state_rows(t, b);
    add_row(t, "resource", b->resource_id);
    ctl_range_rows(t, b->resource_id, b->start_time, b->end_time);
    table_add(t, "quantity");
    table_addf(t, "%d", b->quantity);
    add_row(t, "length", fmt_slots(b->price, buf, sizeof buf));
    add_row(t, "user", b->user_id);
    add_row(t, "hold", b->hold_id);
    add_row(t, "created", fmt_time(b->created_at, buf, sizeof buf));
    add_row(t, "updated", fmt_time(b->updated_at, buf, sizeof buf));
    table_print(t, stdout);
    table_free(t);
    if (b->price)
        ctl_print_price(b->price, b->resource_id);
}

/* Prints a booking in its resource's local time (fetching its clock for the table). */
static int output_booking(ctl_context *ctx, ProtobufCMessage *resp)
{
    if (!ctx->json)
        ctl_clock(ctx, ((Booking__V1__Booking *)resp)->resource_id);
    return ctl_output(ctx, resp, print_booking);
}

/* What a cancellation did: the new status and the refund. */
static void print_cancellation(const ProtobufCMessage *m)
{
    ctl_table *t = table_new(2, NULL);
    state_rows(t, (const Booking__V1__Booking *)m);
    table_print(t, stdout);
    table_free(t);
}

/* ConfirmBooking of hold_id paid with card; on success sets *booking (the caller
 * frees it) and returns 0, otherwise reports the failure and returns -1. */
static int confirm(ctl_context *ctx, const char *hold_id, const char *card, ProtobufCMessage **booking)
{
    Booking__V1__ConfirmBookingRequest req = BOOKING__V1__CONFIRM_BOOKING_REQUEST__INIT;
    req.hold_id = (char *)hold_id;
    req.payment_method_id = (char *)card;
    return ctl_call(ctx, CTL_BOOKING, "ConfirmBooking", &req.base, 1, booking);
}

int ctl_hold_confirm(ctl_context *ctx, int argc, char **argv)
{
    const char *hold_id, *card = DEFAULT_CARD;
    ctl_opt opts[] = {{"--card", CTL_OPT_STR, &card, 0, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, N_OPTS(opts), &hold_id, 1) != 0)
        return 2;
    ProtobufCMessage *resp;
    if (confirm(ctx, hold_id, card, &resp) != 0)
        return 1;
    return output_booking(ctx, resp);
}

/* After a failed confirmation: the hold is still there, and what to do with it. */
static void held_hint(ctl_context *ctx, const Booking__V1__Hold *h)
{
    char buf[FMT_TIME_CAP];
    ctl_hint(ctx, "hold %s is kept until %s; retry with `bookingctl hold confirm %s --card PM` or give it back "
                  "with `bookingctl hold release %s`",
             h->hold_id, fmt_time(h->expires_at, buf, sizeof buf), h->hold_id, h->hold_id);
}

int ctl_book(ctl_context *ctx, int argc, char **argv)
{
    const char *resource_id, *card = DEFAULT_CARD, *from_text = NULL, *to_text = NULL;
    int64_t from = 0, to = 0;
    int32_t quantity = 1;
    ctl_opt opts[] = {{"--from", CTL_OPT_STR, &from_text, 1, 0},
                      {"--to", CTL_OPT_STR, &to_text, 1, 0},
                      {"--quantity", CTL_OPT_INT, &quantity, 0, 0},
                      {"--card", CTL_OPT_STR, &card, 0, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, N_OPTS(opts), &resource_id, 1) != 0)
        return 2;
    int ranged = ctl_range_args(ctx, resource_id, from_text, to_text, &from, &to);
    if (ranged != 0)
        return ranged;
    ProtobufCMessage *hold, *booking;
    if (ctl_create_hold(ctx, resource_id, from, to, quantity, &hold) != 0)
        return 1;
    int rc = 1;
    if (confirm(ctx, ((Booking__V1__Hold *)hold)->hold_id, card, &booking) == 0)
        rc = output_booking(ctx, booking);
    else
        held_hint(ctx, (Booking__V1__Hold *)hold);
    protobuf_c_message_free_unpacked(hold, NULL);
    return rc;
}

static void print_bookings(const ProtobufCMessage *m)
{
    static const char *const headers[] = {"BOOKING", "STATUS", "PAYMENT", "RESOURCE", "FROM", "TO", "QTY", "TOTAL"};
    const Booking__V1__ListBookingsResponse *r = (const Booking__V1__ListBookingsResponse *)m;
    char buf[FMT_LOCAL_CAP];
    ctl_table *t = table_new(8, headers);
    table_right(t, 6);
    table_right(t, 7);
    for (size_t i = 0; i < r->n_bookings; i++) {
        const Booking__V1__Booking *b = r->bookings[i];
        table_add(t, b->booking_id);
        table_add(t, booking_status(b->status, buf, sizeof buf));
        table_add(t, payment_status(b->payment_status, buf, sizeof buf));
        table_add(t, b->resource_id);
        table_add(t, ctl_stay_edge(b->resource_id, b->start_time, 0, buf, sizeof buf));
        table_add(t, ctl_stay_edge(b->resource_id, b->end_time, 1, buf, sizeof buf));
        table_addf(t, "%d", b->quantity);
        table_add(t, fmt_money(b->price ? b->price->total : NULL, buf, sizeof buf));
    }
    if (r->n_bookings)
        table_print(t, stdout);
    else
        printf("no bookings\n");
    table_free(t);
    if (*r->next_page_token)
        printf("\nmore: repeat with --page-token %s (or --all)\n", r->next_page_token);
}

/* Moves the bookings of page to the end of all's (page keeps none) and takes its
 * next_page_token (page gets all's old one, freed with it). */
static void take_page(Booking__V1__ListBookingsResponse *all, Booking__V1__ListBookingsResponse *page)
{
    size_t n = all->n_bookings + page->n_bookings;
    Booking__V1__Booking **merged = realloc(all->bookings, (n ? n : 1) * sizeof *merged);
    if (!merged) {
        fputs("bookingctl: out of memory\n", stderr);
        abort();
    }
    memcpy(merged + all->n_bookings, page->bookings, page->n_bookings * sizeof *merged);
    all->bookings = merged; /* protobuf-c's default allocator is malloc: free_unpacked frees it */
    all->n_bookings = n;
    page->n_bookings = 0;
    char *token = all->next_page_token;
    all->next_page_token = page->next_page_token;
    page->next_page_token = token;
}

/* --all: fetches the pages after all's and appends them to it. Returns 0, or -1
 * when a call failed (reported). */
static int follow_pages(ctl_context *ctx, Booking__V1__ListBookingsRequest *req, Booking__V1__ListBookingsResponse *all)
{
    while (*all->next_page_token) {
        ProtobufCMessage *page;
        req->page_token = all->next_page_token;
        if (ctl_call(ctx, CTL_BOOKING, "ListBookings", &req->base, 0, &page) != 0)
            return -1;
        take_page(all, (Booking__V1__ListBookingsResponse *)page);
        protobuf_c_message_free_unpacked(page, NULL);
    }
    return 0;
}

int ctl_bookings_list(ctl_context *ctx, int argc, char **argv)
{
    const char *status = NULL, *token = "";
    int32_t page_size = 0;
    int all = 0, value = 0;
    ctl_opt opts[] = {{"--status", CTL_OPT_STR, &status, 0, 0},
                      {"--page-size", CTL_OPT_INT, &page_size, 0, 0},
                      {"--page-token", CTL_OPT_STR, &token, 0, 0},
                      {"--all", CTL_OPT_FLAG, &all, 0, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, N_OPTS(opts), NULL, 0) != 0)
        return 2;
    if (status && fmt_parse_enum(&booking__v1__booking_status__descriptor, status, &value) != 0)
        return ctl_usage_error(ctx, "--status: \"%s\" is not confirmed, cancelled or completed", status);
    Booking__V1__ListBookingsRequest req = BOOKING__V1__LIST_BOOKINGS_REQUEST__INIT;
    req.user_id = (char *)ctx->user_id;
    req.page_size = page_size;
    req.page_token = (char *)token;
    req.status = (Booking__V1__BookingStatus)value;
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_BOOKING, "ListBookings", &req.base, 0, &resp) != 0)
        return 1;
    if (all && follow_pages(ctx, &req, (Booking__V1__ListBookingsResponse *)resp) != 0) {
        protobuf_c_message_free_unpacked(resp, NULL);
        return 1;
    }
    const Booking__V1__ListBookingsResponse *list = (const Booking__V1__ListBookingsResponse *)resp;
    for (size_t i = 0; !ctx->json && i < list->n_bookings; i++) /* their local times */
        ctl_clock(ctx, list->bookings[i]->resource_id);
    return ctl_output(ctx, resp, print_bookings);
}

int ctl_bookings_get(ctl_context *ctx, int argc, char **argv)
{
    ProtobufCMessage *resp;
    int rc = ctl_call_with_id(ctx, argc, argv, CTL_BOOKING, "GetBooking", &booking__v1__get_booking_request__descriptor,
                              "booking_id", 0, &resp);
    return rc ? rc : output_booking(ctx, resp);
}

int ctl_bookings_cancel(ctl_context *ctx, int argc, char **argv)
{
    const char *id, *reason = "";
    ctl_opt opts[] = {{"--reason", CTL_OPT_STR, &reason, 0, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, N_OPTS(opts), &id, 1) != 0)
        return 2;
    Booking__V1__CancelBookingRequest req = BOOKING__V1__CANCEL_BOOKING_REQUEST__INIT;
    req.booking_id = (char *)id;
    req.reason = (char *)reason;
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_BOOKING, "CancelBooking", &req.base, 1, &resp) != 0)
        return 1;
    return ctl_output(ctx, resp, print_cancellation);
}
