/* request_checks.c — which pure validation runs for each hosted method (a table from
 * service and method names to a check: booking_checks.c, search_checks.c), and
 * reflection's: the lookups server_reflection_info makes, in the real descriptor pool. */
#include "request_checks.h"

#include <string.h>

#include "descriptor_pool.h"
#include "descriptor_set.h"
#include "grpc/reflection/v1/reflection.pb-c.h"

typedef void (*check_fn)(ProtobufCMessage *request);

/* ---- grpc.reflection (v1 and v1alpha share the messages) ---- */

static const descriptor_pool *real_pool(void)
{
    static descriptor_pool *pool;
    if (!pool)
        pool = descriptor_pool_new(booking_descriptor_set, booking_descriptor_set_len);
    FUZZ_ASSERT(pool);
    return pool;
}

/* A file found answers with its closure: the file first, each dependency once. */
static void check_file(const descriptor_pool *pool, int file)
{
    if (file < 0)
        return;
    size_t count = descriptor_pool_file_count(pool), closure[64];
    FUZZ_ASSERT((size_t)file < count && count <= 64);
    size_t n = descriptor_pool_closure(pool, (size_t)file, closure, count);
    FUZZ_ASSERT(n >= 1 && n <= count && closure[0] == (size_t)file);
}

/* The lookups server_reflection_info makes for each kind of request. */
static void check_reflection(ProtobufCMessage *request)
{
    const Grpc__Reflection__V1__ServerReflectionRequest *req = (const Grpc__Reflection__V1__ServerReflectionRequest *)request;
    const descriptor_pool *pool = real_pool();
    const char *s;
    int numbers[64];
    switch (req->message_request_case) {
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        check_file(pool, descriptor_pool_find_file(pool, req->file_by_filename));
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
        s = req->file_containing_symbol ? req->file_containing_symbol : "";
        check_file(pool, descriptor_pool_find_symbol(pool, s[0] == '.' ? s + 1 : s));
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
        if (req->file_containing_extension)
            check_file(pool, descriptor_pool_find_extension(pool, req->file_containing_extension->containing_type,
                                                            req->file_containing_extension->extension_number));
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        s = req->all_extension_numbers_of_type ? req->all_extension_numbers_of_type : "";
        (void)descriptor_pool_extension_numbers(pool, s[0] == '.' ? s + 1 : s, numbers, 64);
        break;
    default:
        break;
    }
}

/* ---- the table ---- */

static const struct {
    const char *service, *method;
    check_fn check;
} checks[] = {
    {"booking.v1.BookingService", "CreateResource", check_create_resource},
    {"booking.v1.BookingService", "UpdateResource", check_update_resource},
    {"booking.v1.BookingService", "SetInventory", check_set_inventory},
    {"booking.v1.BookingService", "CreateHold", check_create_hold},
    {"booking.v1.BookingService", "CancelBooking", check_cancel_booking},
    {"booking.v1.BookingService", "CreateWebhookEndpoint", check_create_webhook_endpoint},
    {"booking.v1.SearchService", "SearchAvailability", check_search},
    {"booking.v1.SearchService", "GetCalendar", check_get_calendar},
    {"grpc.reflection.v1.ServerReflection", "ServerReflectionInfo", check_reflection},
    {"grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo", check_reflection},
};

void request_check(const fuzz_method *m, ProtobufCMessage *request)
{
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (strcmp(m->service->name, checks[i].service) == 0 && strcmp(m->method->name, checks[i].method) == 0) {
            checks[i].check(request);
            return;
        }
}
