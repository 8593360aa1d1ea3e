/* seeds.c — writes the committed corpus of every fuzz target (tests/fuzz/corpus/):
 * real requests and answers of every method, valid page tokens and sort keys, the real
 * descriptor set and self-contained parts of it, settings, trailers and words. Run
 * after changing a proto or a target's input format:
 *   cmake --build build-fuzz --target fuzz_seeds && build-fuzz/tests/fuzz/fuzz_seeds tests/fuzz/corpus */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "booking/v1/booking.pb-c.h"
#include "descriptor_pool.h"
#include "descriptor_set.h"
#include "page_token.h"
#include "seed_messages.h"
#include "status.h"

static const char *out_dir;

/* Writes out_dir/target/name holding prefix then body. */
static void write_seed(const char *target, const char *name, const uint8_t *prefix, size_t prefix_len,
                       const uint8_t *body, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", out_dir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(prefix, 1, prefix_len, f) != prefix_len || (len && fwrite(body, 1, len, f) != len) ||
        fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void write_message(const char *target, const char *name, const uint8_t *prefix, size_t prefix_len,
                          const ProtobufCMessage *m)
{
    size_t len;
    uint8_t *bytes = seed_pack(m, prefix, prefix_len, &len);
    write_seed(target, name, bytes, len, NULL, 0);
    free(bytes);
}

/* "BookingService.CreateHold.<what>" */
static const char *method_file(const fuzz_method *m, const char *what)
{
    static char name[256];
    const char *service = strrchr(m->service->name, '.');
    const char *package = strstr(m->service->name, "v1alpha") ? "v1alpha." : "";
    snprintf(name, sizeof name, "%s%s.%s.%s", package, service ? service + 1 : m->service->name, m->method->name,
             what);
    return name;
}

/* requests: each method empty and filled, then the real requests; bookingctl's answers. */
static void request_seeds(fuzz_heap *h)
{
    for (size_t i = 0; i < fuzz_method_count(); i++) {
        const fuzz_method *m = fuzz_method_at(i);
        uint8_t pick[2] = {(uint8_t)i, (uint8_t)i};
        write_seed("requests", method_file(m, "empty"), pick, 1, NULL, 0);
        write_message("requests", method_file(m, "filled"), pick, 1, seed_filled(h, m->method->input));
        uint8_t answer[2] = {0, (uint8_t)i};
        write_message("bookingctl", method_file(m, "answer"), answer, 2, seed_filled(h, m->method->output));
    }
    seed_request real[64];
    size_t n = seed_requests(h, real, 64);
    for (size_t i = 0; i < n; i++) {
        int at = fuzz_method_find(real[i].service, real[i].method);
        FUZZ_ASSERT(at >= 0);
        uint8_t pick = (uint8_t)at;
        write_message("requests", method_file(fuzz_method_at((size_t)at), real[i].name), &pick, 1, real[i].message);
    }
}

/* page_token: tokens in each order (mode byte 0, 2, 4) and sort keys (mode 1). */
static void token_seeds(void)
{
    page_key key;
    page_key_init(&key, FUZZ_TOKEN_SECRET);
    const rank_key keys[] = {{24000, "EUR", 0, 4.5, "seed-hotel"}, {999, "USD", 12.5, 3, "a:b.c-d_e"},
                             {0, "", 0, 0, ""}};
    const char *const orders[] = {"price", "distance", "rating"};
    for (int o = 0; o < 3; o++)
        for (size_t k = 0; k < 3; k++) {
            char token[PAGE_TOKEN_MAX], name[64];
            page_token_encode(&key, FUZZ_TOKEN_FINGERPRINT, (rank_order)(RANK_PRICE + o), &keys[k], token);
            snprintf(name, sizeof name, "token_%s_%zu", orders[o], k);
            uint8_t mode = (uint8_t)(2 * o);
            write_seed("page_token", name, &mode, 1, (const uint8_t *)token, strlen(token));
        }
    uint8_t raw[1 + 35 + RANK_ID_MAX];
    memset(raw, 0, sizeof raw);
    raw[0] = 1;
    int64_t price = 24000;
    double distance = 1.25, rating = 4.5;
    memcpy(raw + 1, &price, 8);
    memcpy(raw + 9, "EUR", 3);
    memcpy(raw + 12, &distance, 8);
    memcpy(raw + 20, &rating, 8);
    memcpy(raw + 28, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    memcpy(raw + 36, "seed-hotel", 10);
    write_seed("page_token", "key_price_order", raw, 46, NULL, 0);
    memset(raw + 36, 'x', RANK_ID_MAX);
    raw[0] = 5;
    write_seed("page_token", "key_longest_id_rating_order", raw, sizeof raw, NULL, 0);
}

/* descriptor_pool: the real set, a file with its imports as a set of its own, empty. */
static void descriptor_seeds(void)
{
    write_seed("descriptor_pool", "booking_descriptor_set", booking_descriptor_set, booking_descriptor_set_len, NULL,
               0);
    write_seed("descriptor_pool", "empty", (const uint8_t *)"", 0, NULL, 0);
    descriptor_pool *pool = descriptor_pool_new(booking_descriptor_set, booking_descriptor_set_len);
    FUZZ_ASSERT(pool);
    static const char *const files[] = {"google/protobuf/timestamp.proto", "grpc/health/v1/health.proto",
                                        "google/rpc/error_details.proto", "booking/v1/common.proto"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        int f = descriptor_pool_find_file(pool, files[i]);
        FUZZ_ASSERT(f >= 0);
        size_t closure[64], n = descriptor_pool_closure(pool, (size_t)f, closure, 64);
        char name[128];
        snprintf(name, sizeof name, "%s", files[i]);
        for (char *c = name; *c; c++)
            *c = *c == '/' ? '_' : *c;
        uint8_t *set = NULL;
        size_t len = 0;
        for (size_t k = n; k-- > 0;) { /* imports first, as protoc writes them */
            size_t file_len;
            const uint8_t *bytes = descriptor_pool_file_bytes(pool, closure[k], &file_len);
            set = realloc(set, len + 11 + file_len);
            FUZZ_ASSERT(set);
            set[len++] = 0x0a; /* field 1, length-delimited */
            for (size_t v = file_len; ; v >>= 7) {
                set[len++] = (uint8_t)(v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
                if (v < 0x80)
                    break;
            }
            memcpy(set + len, bytes, file_len);
            len += file_len;
        }
        write_seed("descriptor_pool", name, set, len, NULL, 0);
        free(set);
    }
    descriptor_pool_free(pool);
}

/* config: values for each table (byte: table, 0x80 = through the environment). */
static void config_seeds(void)
{
    static const struct {
        const char *name;
        uint8_t table;
        const char *values;
        size_t len;
    } seeds[] = {
#define VALUES(s) s, sizeof s - 1
        {"own_valid", 0, VALUES("hello\0 16\0-9223372036854775808\0-3\0off\0x\0001\0yes")},
        {"own_bad_int", 0, VALUES("hello\0" "12abc")},
        {"own_unset", 0, VALUES("")},
        {"own_environment", 0x80, VALUES("from env\0" "256\0" "42\0-10\0" "TRUE\0y\0" "1\0" "0")},
        {"auth_headers", 1, VALUES("headers\0/tmp/jwks.json\0iss\0aud\0role\0booking-svc,expiry-svc\0" "0\0" "256\0" "50")},
        {"tls_files", 2, VALUES("/nonexistent/cert.pem\0/nonexistent/key.pem\0/nonexistent/ca.pem\0optional\0name\0" "60\0" "127.0.0.1:0")},
        {"tls_off", 0x82, VALUES("\0\0\0none\0\0" "86400")},
#undef VALUES
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        write_seed("config", seeds[i].name, &seeds[i].table, 1, (const uint8_t *)seeds[i].values, seeds[i].len);
}

/* bookingctl: a failure trailer, formatted messages, and words (answers: request_seeds). */
static void bookingctl_seeds(fuzz_heap *h)
{
    rpc_error_info info = {"HOLD_NOT_FOUND", 1, {"field"}, {"hold_id"}};
    uint8_t *details, mode = 1;
    size_t len;
    FUZZ_ASSERT(rpc_status_details_pack(5, "hold \"h1\" does not exist — ação", &info, &details, &len) == 0);
    write_seed("bookingctl", "failure_not_found", &mode, 1, details, len);
    free(details);
    static const char *const words[] = {
        "2026-06-01T15:00:00Z", "2026-06-01T17:00+02:00", "2026-06-01", "0001-01-01", "120.50", "7", "-42",
        "38.7223,-9.1393", "4.5e0", "hotel_room", "RESOURCE_TYPE_RENTAL_CAR", "active",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "say \"olá\"\\\n\t\x7f", "EUR"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "word_%02zu", i);
        mode = 3;
        write_seed("bookingctl", name, &mode, 1, (const uint8_t *)words[i], strlen(words[i]));
    }
    static const char *const kinds[] = {"price", "money", "timestamp", "event"};
    static const ProtobufCMessageDescriptor *const types[] = {
        &booking__v1__price__descriptor, &booking__v1__money__descriptor, &google__protobuf__timestamp__descriptor,
        &booking__v1__event__descriptor};
    for (int k = 0; k < 4; k++) {
        uint8_t prefix[2] = {2, (uint8_t)k};
        char name[32];
        snprintf(name, sizeof name, "format_%s", kinds[k]);
        write_message("bookingctl", name, prefix, 2, seed_filled(h, types[k]));
    }
}

/* metadata: pairs of (length, key, length, value) as fuzz_metadata reads them. */
static void metadata_seeds(void)
{
    static const char *const calls[][12] = {
        {"customer", "x-user-id", "ana", "x-user-role", "customer", "idempotency-key", "key-1", "x-request-id",
         "req-1", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
        {"admin_with_tracestate", "x-user-id", "ops", "x-user-role", "admin", "traceparent",
         "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "tracestate", "vendor=opaque,other=1"},
        {"service_later_version", "x-user-id", "booking-svc", "x-user-role", "service", "traceparent",
         "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future", "authorization", "Bearer abc.def.ghi"},
        {"traceparent_twice", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
         "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "x-request-id", "bad \"id\""},
        {"binary_skipped", "grpc-status-details-bin", "\x01\x02", "x-user-id", "", "x-user-role", "root"},
    };
    for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
        uint8_t buf[1024];
        size_t len = 0;
        for (size_t i = 1; i < 12 && calls[c][i]; i++) {
            size_t n = strlen(calls[c][i]);
            buf[len++] = (uint8_t)n;
            memcpy(buf + len, calls[c][i], n);
            len += n;
        }
        write_seed("metadata", calls[c][0], buf, len, NULL, 0);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR (tests/fuzz/corpus)\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        perror(out_dir);
        return 1;
    }
    fuzz_heap h;
    fuzz_heap_init(&h);
    request_seeds(&h);
    token_seeds();
    descriptor_seeds();
    config_seeds();
    metadata_seeds();
    bookingctl_seeds(&h);
    fuzz_heap_release(&h);
    return 0;
}
