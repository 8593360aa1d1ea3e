/* waitlist_rpc.c — JoinWaitlist, LeaveWaitlist, ListWaitlist: a place in the waiting
 * list of a range that is sold out now; offers are the worker's (waitlist_offer.c).
 * docs/checkout-lifecycle.md, "The waiting list". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking.h"
#include "hold_cache.h"
#include "hold_take.h"
#include "log.h"
#include "timeutil.h"
#include "user_holds.h"
#include "waitlist_hint.h"
#include "waitlist_offer.h"
#include "waitlist_store.h"

#define W(s) BOOKING__V1__WAITLIST_STATUS__WAITLIST_STATUS_##s
#define PAGE_DEFAULT 20
#define PAGE_MAX 100

static Google__Protobuf__Timestamp *timestamp_us(rpc_call *call, int64_t us)
{
    if (us <= 0)
        return NULL;
    Google__Protobuf__Timestamp *t = timestamp_new(call, us / 1000000);
    t->nanos = (int32_t)(us % 1000000) * 1000;
    return t;
}

static Booking__V1__WaitlistEntry *entry_message(rpc_call *call, const waitlist_row *e)
{
    Booking__V1__WaitlistEntry *m = RPC_NEW(call, Booking__V1__WaitlistEntry, booking__v1__waitlist_entry__init);
    m->entry_id = rpc_strdup(call, e->entry_id);
    m->user_id = rpc_strdup(call, e->user_id);
    m->resource_id = rpc_strdup(call, e->resource_id);
    m->start_time = timestamp_new(call, e->start_time);
    m->end_time = timestamp_new(call, e->end_time);
    m->quantity = e->quantity;
    m->status = (Booking__V1__WaitlistStatus)e->status;
    m->offered_hold_id = rpc_strdup(call, e->offered_hold_id);
    m->created_at = timestamp_us(call, e->created_us);
    m->offered_at = timestamp_us(call, e->offered_us);
    m->updated_at = timestamp_us(call, e->updated_us);
    return m;
}

/* The entry answered from the store. */
static int answer_entry(rpc_call *call, const char *entry_id, ProtobufCMessage **response)
{
    waitlist_row e;
    int found = waitlist_load(booking_pg(call), entry_id, &e);
    if (found <= 0)
        return found < 0 ? store_fail_pg(call, booking_pg(call))
                         : rpc_fail(call, RPC_NOT_FOUND, "WAITLIST_ENTRY_NOT_FOUND", "entry \"%s\" does not exist",
                                    entry_id);
    *response = &entry_message(call, &e)->base;
    return 0;
}

/* Joining is for a range that is sold out: while every slot has the units, hold them. */
static int refuse_available(rpc_call *call, hold_plan *p)
{
    int available = 0;
    if (hold_plan_available(call, p, &available) != 0)
        return -1;
    if (available < p->quantity)
        return 0;
    char left[16];
    snprintf(left, sizeof left, "%d", available);
    rpc_fail(call, RPC_FAILED_PRECONDITION, "RANGE_AVAILABLE",
             "%d unit(s) of this range are available: hold them instead of joining the waiting list", available);
    rpc_error_detail(call, "available", left);
    return -1;
}

int rpc_join_waitlist(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__JoinWaitlistRequest *req = (const Booking__V1__JoinWaitlistRequest *)request;
    hold_plan p = {.now_ms = wall_ms()};
    if (hold_check_request(call, req->user_id, req->resource_id, req->start_time, req->end_time, &p) != 0 ||
        hold_plan_resource(call, req->resource_id, 0, &p) != 0 ||
        hold_plan_range(call, &p, ts_seconds(req->start_time), ts_seconds(req->end_time), req->quantity, NULL, 0) !=
            0 ||
        refuse_available(call, &p) != 0)
        return -1;
    waitlist_row e = {.quantity = p.quantity, .start_time = p.span.first_start, .end_time = p.span.end};
    const char *token = rpc_idempotency_token(call); /* a retry after a crash finds the same entry */
    if (token)
        snprintf(e.entry_id, sizeof e.entry_id, "wl_%s", token);
    else
        new_id("wl", e.entry_id, sizeof e.entry_id);
    snprintf(e.user_id, sizeof e.user_id, "%s", p.user_id);
    snprintf(e.resource_id, sizeof e.resource_id, "%s", p.resource->resource_id);
    switch (waitlist_insert(booking_pg(call), &e, p.starts, p.span.count, (int)waitlist_config.max_open,
                            rpc_user_id(call))) {
    case JOIN_DONE:
    case JOIN_EXISTS:
        if (waitlist_hint(booking_redis(call), e.resource_id) != 0) /* the worker's rescan finds it later */
            log_warn("waiting-list entry %s: the offer worker's hint was not set: %s", e.entry_id,
                     booking_redis(call)->errstr);
        return answer_entry(call, e.entry_id, response);
    case JOIN_TOO_MANY:
        return rpc_fail(call, RPC_RESOURCE_EXHAUSTED, "TOO_MANY_WAITLIST_ENTRIES",
                        "user %s already waits in %ld waiting list(s); at most %ld at once", e.user_id,
                        waitlist_config.max_open, waitlist_config.max_open);
    default:
        return store_fail_pg(call, booking_pg(call));
    }
}

/* Releases the entry's offered hold (made, or maybe made by a worker that died before
 * recording it: its id is the entry's), giving its units to the next in line. */
static int release_offer(rpc_call *call, const waitlist_row *e)
{
    char hold_id[ID_MAX + 1];
    hold_id_new(e->resource_id, e->entry_id + 3, hold_id, sizeof hold_id);
    hold_end how = {'R', "", rpc_user_id(call), "left the waiting list", 0};
    hold_release rel = hold_cache_release(booking_redis(call), e->resource_id, hold_id, &how, wall_ms());
    if (rel.status == RELEASE_FAILED)
        return store_fail_redis(call, booking_redis(call)->errstr);
    if (rel.status == RELEASE_FINAL && (rel.final_status == 'C' || rel.final_status == 'F'))
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "OFFER_TAKEN",
                        "the offer of entry %s is being confirmed or was confirmed: cancel the booking instead",
                        e->entry_id);
    if (rel.status == RELEASE_DONE) {
        user_holds_give_back(booking_redis(call), e->user_id, hold_id);
        waitlist_wake();
    }
    return 0;
}

/* An offer being confirmed or confirmed is the user's booking now: -1 with the status. */
static int offer_taken(rpc_call *call, const waitlist_row *e)
{
    hold_record h;
    int found = hold_cache_load(booking_redis(call), e->offered_hold_id, rpc_allocator(call), &h);
    if (found < 0)
        return store_fail_redis(call, booking_redis(call)->errstr);
    if (found && (h.status == 'C' || h.status == 'F'))
        return rpc_fail(call, RPC_FAILED_PRECONDITION, "OFFER_TAKEN",
                        "the offer of entry %s is being confirmed or was confirmed: cancel the booking instead",
                        e->entry_id);
    return 0;
}

int rpc_leave_waitlist(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__LeaveWaitlistRequest *req = (const Booking__V1__LeaveWaitlistRequest *)request;
    waitlist_row e;
    if (!req->entry_id || !*req->entry_id)
        return rpc_invalid_argument(call, "entry_id", "is required");
    if (!id_valid(req->entry_id) || strncmp(req->entry_id, "wl_", 3) != 0)
        return rpc_invalid_argument(call, "entry_id", "is not a waiting-list entry id");
    int found = waitlist_load(booking_pg(call), req->entry_id, &e);
    if (found <= 0)
        return found < 0 ? store_fail_pg(call, booking_pg(call))
                         : rpc_fail(call, RPC_NOT_FOUND, "WAITLIST_ENTRY_NOT_FOUND", "entry \"%s\" does not exist",
                                    req->entry_id);
    if (require_owner(call, e.user_id) != 0)
        return -1;
    if (e.status == W(OFFERED) && offer_taken(call, &e) != 0)
        return -1;
    if (e.status == W(WAITING) || e.status == W(OFFERED)) {
        /* first out of the list (the worker makes no offer to a LEFT entry), then any
         * offer given back */
        if (waitlist_move(booking_pg(call), e.entry_id, W(LEFT), NULL, "waitlist.left", NULL, rpc_user_id(call)) < 0)
            return store_fail_pg(call, booking_pg(call));
        if (release_offer(call, &e) != 0)
            return -1;
    }
    return answer_entry(call, e.entry_id, response); /* ended already: left twice is left once */
}

/* A page token: the join_seq of the last entry of the previous page. */
static int page_after(rpc_call *call, const char *token, int64_t *after)
{
    *after = 0;
    if (!token || !*token)
        return 0;
    char *end;
    long long v = strtoll(token, &end, 10);
    if (*end || v < 0)
        return rpc_invalid_argument(call, "page_token", "is not a token this method gave");
    *after = v;
    return 0;
}

/* Whose entries: a customer's own; an admin's of a user or of a resource. */
static int list_scope(rpc_call *call, const Booking__V1__ListWaitlistRequest *req, const char **user,
                      const char **resource)
{
    *user = req->user_id && *req->user_id ? req->user_id : NULL;
    *resource = req->resource_id && *req->resource_id ? req->resource_id : NULL;
    if (*resource && !id_valid(*resource))
        return rpc_invalid_argument(call, "resource_id", "is not a valid id");
    if (!rpc_is_admin(call)) {
        if (*resource && !*user)
            return rpc_fail(call, RPC_PERMISSION_DENIED, "ADMIN_ONLY", "a resource's waiting list is for admins");
        if (*user && strcmp(*user, rpc_user_id(call)) != 0)
            return require_owner(call, *user);
        *user = rpc_user_id(call);
        *resource = NULL;
    } else if (!*user && !*resource) {
        *user = rpc_user_id(call);
    }
    if (*user)
        *resource = NULL;
    return 0;
}

int rpc_list_waitlist(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const Booking__V1__ListWaitlistRequest *req = (const Booking__V1__ListWaitlistRequest *)request;
    const char *user, *resource;
    int64_t after;
    int size = req->page_size > 0 ? req->page_size : PAGE_DEFAULT;
    if (req->page_size < 0 || req->page_size > PAGE_MAX)
        return rpc_invalid_argument(call, "page_size", "must be between 0 and %d", PAGE_MAX);
    if (req->status < 0 || req->status > W(LEFT))
        return rpc_invalid_argument(call, "status", "is not a WAITLIST_STATUS_ value");
    if (list_scope(call, req, &user, &resource) != 0 || page_after(call, req->page_token, &after) != 0)
        return -1;
    waitlist_row *rows = rpc_alloc(call, sizeof *rows * (size_t)(size + 1));
    int n = waitlist_list(booking_pg(call), user, resource, req->status, after, size + 1, rows);
    if (n < 0)
        return store_fail_pg(call, booking_pg(call));
    Booking__V1__ListWaitlistResponse *resp =
        RPC_NEW(call, Booking__V1__ListWaitlistResponse, booking__v1__list_waitlist_response__init);
    resp->n_entries = (size_t)(n > size ? size : n);
    resp->entries = rpc_alloc(call, sizeof *resp->entries * (resp->n_entries + 1));
    for (size_t i = 0; i < resp->n_entries; i++)
        resp->entries[i] = entry_message(call, &rows[i]);
    resp->next_page_token = n > size ? rpc_sprintf(call, "%lld", (long long)rows[size - 1].join_seq) : (char *)"";
    *response = &resp->base;
    return 0;
}
