/* search.h — what search-svc's handlers share: settings, the application state (read
 * model, refresher, page-token key), store access and the handlers. */
#ifndef SEARCH_SVC_SEARCH_H
#define SEARCH_SVC_SEARCH_H

#include "booking/v1/search.pb-c.h"
#include "model.h"
#include "page_token.h"
#include "query.h"
#include "refresher.h"
#include "rpc.h"
#include "service.h"

#define CALENDAR_MAX_SLOTS 2000

typedef struct search_settings {
    long horizon_days;          /* SEARCH_HORIZON_DAYS: the model's window */
    long full_refresh_seconds;  /* SEARCH_FULL_REFRESH_SECONDS: backstop period (0 = off) */
    long pg_reload_ms;          /* SEARCH_PG_RELOAD_MS: per-resource PostgreSQL reload interval */
    long load_chunk;            /* SEARCH_LOAD_CHUNK: resources per load query */
    long max_range_days;        /* SEARCH_MAX_RANGE_DAYS */
    long max_quantity;          /* MAX_QUANTITY: booking-svc's per-hold default */
    long max_slots;             /* MAX_SLOTS_PER_HOLD: booking-svc's slots per hold */
    char token_key[CONFIG_STRING_MAX]; /* SEARCH_TOKEN_KEY */
    char shard[CONFIG_STRING_MAX];     /* SEARCH_SHARD: "i/n", the partitions this replica holds */
    char shards[CONFIG_STRING_MAX];    /* SEARCH_SHARDS: shard addresses; set = this process routes */
} search_settings;

extern search_settings search_config;

typedef struct search_app {
    model *model;
    refresher *refresher;
    page_key token_key;
} search_app;

search_app *search_app_of(rpc_call *call);
pg_conn *search_pg(rpc_call *call);
redis_conn *search_redis(rpc_call *call);

int rpc_search_availability(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
/* Validates a search (the same for a shard and a router) and decodes its page token;
 * 0, or -1 with INVALID_ARGUMENT naming the field. */
int search_parse_or_fail(rpc_call *call, const page_key *key, const Booking__V1__SearchAvailabilityRequest *req,
                         search_query *q, rank_key *cursor, int *has_cursor);
int rpc_get_resource(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_get_calendar(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);

/* catalog_store.c: answers straight from PostgreSQL and Redis (resources the model
 * does not have yet, ranges outside its window, and read-your-writes). 0 or -1 with
 * the status set. */
int store_get_resource(rpc_call *call, const char *resource_id, Booking__V1__Resource **out);
int store_get_calendar(rpc_call *call, const Booking__V1__Resource *r, int64_t from, int64_t to,
                       Booking__V1__GetCalendarResponse **out);

/* calendar_slots.c: the count + 1 boundaries of the slots that cover [from, to) on a
 * nightly or timed resource's local clock (call memory); 0, or -1 with INVALID_ARGUMENT
 * end_time when there are more than CALENDAR_MAX_SLOTS. */
int calendar_bounds(rpc_call *call, const resource_clock *clock, int64_t from, int64_t to, int64_t **bounds,
                    int *count);
/* Fills a calendar slot's local date, start and end (from its slot_start and slot_end). */
void slot_local_times(rpc_call *call, Booking__V1__SlotAvailability *m, const local_zone *zone);

/* A Timestamp in call memory from Unix milliseconds. */
Google__Protobuf__Timestamp *stamp_ms(rpc_call *call, int64_t ms);
/* The model's watermark (Unix ms): every change made before it is in the model. */
int64_t model_as_of_ms(const model *m);

/* search_metrics.c */
void search_metrics_init(search_app *app);
void search_metrics_query(size_t candidates, size_t results, double seconds);
void search_metrics_fallback(void);

#endif
