/* cmd_search.c — `bookingctl search`: resources available for a whole range, by city
 * or around a point, filtered, sorted and paged (SearchService.SearchAvailability). */
#include <stdio.h>
#include <string.h>

#include "booking/v1/search.pb-c.h"
#include "ctl.h"
#include "format.h"
#include "table.h"
#include "timeutil.h"

#define N_OPTS(a) (sizeof(a) / sizeof((a)[0]))

/* The options of `search` and the storage the request points into. */
typedef struct search_args {
    const char *type, *city, *near, *currency, *sort, *page_token;
    int64_t from, to, max_price;
    double radius, min_rating;
    int32_t quantity, page_size;
    ctl_list amenities;
    Google__Protobuf__Timestamp start, end;
    Booking__V1__Money max;
    Booking__V1__SearchAvailabilityRequest req;
} search_args;

/* Whether the search being printed was around a point: the DISTANCE column means
 * something only then (a city search answers 0). Set once, before printing. */
static int searched_near;

static void print_results(const ProtobufCMessage *m)
{
    static const char *const headers[] = {"NAME", "CITY", "AVAILABLE", "TOTAL", "RATING", "DISTANCE",
                                          "FROM (LOCAL)", "RESOURCE ID"};
    const Booking__V1__SearchAvailabilityResponse *r = (const Booking__V1__SearchAvailabilityResponse *)m;
    char buf[FMT_LOCAL_CAP];
    ctl_table *t = table_new(8, headers);
    for (size_t c = 2; c < 6; c++)
        table_right(t, c);
    for (size_t i = 0; i < r->n_results; i++) {
        const Booking__V1__AvailabilityResult *a = r->results[i];
        const Booking__V1__Resource *res = a->resource;
        table_add(t, res ? res->name : "?");
        table_add(t, res ? res->location : "");
        table_addf(t, "%d", a->available_quantity);
        table_add(t, fmt_money(a->total_price, buf, sizeof buf));
        if (res && res->rating > 0)
            table_addf(t, "%.1f", res->rating);
        else
            table_add(t, "-");
        table_add(t, fmt_distance(searched_near ? a->distance_km : -1, buf, sizeof buf));
        table_addf(t, "%s %s", fmt_local_text(a->local_start, buf, sizeof buf), res ? res->time_zone : "");
        table_add(t, res ? res->resource_id : "");
    }
    if (r->n_results)
        table_print(t, stdout);
    else
        printf("nothing is available for the whole range\n");
    table_free(t);
    if (*r->next_page_token)
        printf("\nmore: repeat with --page-token %s\n", r->next_page_token);
    if (r->as_of)
        printf("\nas of %s\n", fmt_time(r->as_of, buf, sizeof buf));
}

/* The place: --city, or --near with --radius. Returns 0 or 2 (usage error printed). */
static int build_place(ctl_context *ctx, search_args *a, const ctl_opt *opts, size_t n_opts)
{
    Booking__V1__SearchAvailabilityRequest *req = &a->req;
    if (!a->city == !a->near)
        return ctl_usage_error(ctx, "give exactly one of --city and --near");
    if (ctl_opt_seen(opts, n_opts, "--radius") != !!a->near)
        return ctl_usage_error(ctx, "--near and --radius go together");
    if (a->near && fmt_parse_latlon(a->near, &req->latitude, &req->longitude) != 0)
        return ctl_usage_error(ctx, "--near: \"%s\" is not LAT,LON such as 38.7223,-9.1393", a->near);
    if (a->near && !(a->radius > 0))
        return ctl_usage_error(ctx, "--radius: must be more than 0 km");
    req->location = (char *)(a->city ? a->city : "");
    req->radius_km = a->radius;
    return 0;
}

/* Type, sort and price filter. Returns 0 or 2 (usage error printed). */
static int build_filters(ctl_context *ctx, search_args *a, const ctl_opt *opts, size_t n_opts)
{
    Booking__V1__SearchAvailabilityRequest *req = &a->req;
    int type, sort = 0;
    if (fmt_parse_enum(&booking__v1__resource_type__descriptor, a->type, &type) != 0)
        return ctl_usage_error(ctx, "--type: \"%s\" is not hotel_room, restaurant_table, appointment, "
                                    "flight_seat, event_ticket or rental_car", a->type);
    if (a->sort && fmt_parse_enum(&booking__v1__sort_order__descriptor, a->sort, &sort) != 0)
        return ctl_usage_error(ctx, "--sort: \"%s\" is not price, distance or rating", a->sort);
    if (sort == BOOKING__V1__SORT_ORDER__SORT_ORDER_DISTANCE && !a->near)
        return ctl_usage_error(ctx, "--sort distance needs --near and --radius");
    if (ctl_opt_seen(opts, n_opts, "--max-price") != ctl_opt_seen(opts, n_opts, "--currency"))
        return ctl_usage_error(ctx, "--max-price and --currency go together");
    if (a->currency && !fmt_currency_valid(a->currency))
        return ctl_usage_error(ctx, "--currency: \"%s\" is not an ISO 4217 code such as EUR", a->currency);
    req->resource_type = (Booking__V1__ResourceType)type;
    req->sort = (Booking__V1__SortOrder)sort;
    if (a->currency) {
        a->max.currency = (char *)a->currency;
        a->max.amount_minor = a->max_price;
        req->max_price = &a->max;
    }
    return 0;
}

/* The range, quantity, rating, amenities and page: taken as given (the service checks). */
static void build_rest(search_args *a)
{
    Booking__V1__SearchAvailabilityRequest *req = &a->req;
    ts_set(&a->start, a->from);
    ts_set(&a->end, a->to);
    req->start_time = &a->start;
    req->end_time = &a->end;
    req->quantity = a->quantity;
    req->min_rating = a->min_rating;
    req->n_amenities = a->amenities.count;
    req->amenities = (char **)a->amenities.item;
    req->page_size = a->page_size;
    req->page_token = (char *)(a->page_token ? a->page_token : "");
}

int ctl_search(ctl_context *ctx, int argc, char **argv)
{
    search_args a;
    memset(&a, 0, sizeof a);
    booking__v1__money__init(&a.max);
    booking__v1__search_availability_request__init(&a.req);
    a.quantity = 1;
    ctl_opt opts[] = {
        {"--type", CTL_OPT_STR, &a.type, 1, 0},           {"--city", CTL_OPT_STR, &a.city, 0, 0},
        {"--near", CTL_OPT_STR, &a.near, 0, 0},           {"--radius", CTL_OPT_DOUBLE, &a.radius, 0, 0},
        {"--from", CTL_OPT_TIME, &a.from, 1, 0},          {"--to", CTL_OPT_TIME, &a.to, 1, 0},
        {"--quantity", CTL_OPT_INT, &a.quantity, 0, 0},   {"--max-price", CTL_OPT_AMOUNT, &a.max_price, 0, 0},
        {"--currency", CTL_OPT_STR, &a.currency, 0, 0},   {"--min-rating", CTL_OPT_DOUBLE, &a.min_rating, 0, 0},
        {"--amenity", CTL_OPT_LIST, &a.amenities, 0, 0},  {"--sort", CTL_OPT_STR, &a.sort, 0, 0},
        {"--page-size", CTL_OPT_INT, &a.page_size, 0, 0}, {"--page-token", CTL_OPT_STR, &a.page_token, 0, 0},
    };
    if (ctl_parse_opts(ctx, argc, argv, opts, N_OPTS(opts), NULL, 0) != 0 ||
        build_place(ctx, &a, opts, N_OPTS(opts)) != 0 || build_filters(ctx, &a, opts, N_OPTS(opts)) != 0)
        return 2;
    build_rest(&a);
    searched_near = a.near != NULL;
    ProtobufCMessage *resp;
    if (ctl_call(ctx, CTL_SEARCH, "SearchAvailability", &a.req.base, 0, &resp) != 0)
        return 1;
    return ctl_output(ctx, resp, print_results);
}
