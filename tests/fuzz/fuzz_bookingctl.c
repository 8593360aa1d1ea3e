/* fuzz_bookingctl.c — libFuzzer target: bookingctl's JSON and text helpers (json.c,
 * format.c, error_json.c) on what a server or a user could send. Input: a mode byte, then
 *   0: a method byte and an answer of that method (its response type), printed by
 *      json_message;
 *   1: a grpc-status-details-bin trailer, read by rpc_status_details_unpack and printed
 *      by error_json, as a failed --json command does;
 *   2: a Price, Money, Timestamp or Event (next byte), through the table formatters;
 *   3: a command-line word, through every parser (times, amounts, numbers, lat/lon,
 *      enum names, a traceparent) and json_quote.
 * Checked: what json_message, error_json and json_quote write parses with jansson when
 * every string was UTF-8 (json_quote's string comes back unchanged), and whatever
 * parses formats back to the same value (times, amounts). */
#include <jansson.h>
#include <string.h>

#include "booking/v1/booking.pb-c.h"
#include "error_json.h"
#include "format.h"
#include "fuzz_support.h"
#include "json.h"
#include "proto_check.h"
#include "status.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* b holds one JSON document (trailing newline allowed); *out the parsed value if wanted. */
static void expect_json(const strbuf *b, json_t **out)
{
    json_error_t error;
    json_t *doc = json_loadb(b->data, b->len, JSON_DECODE_ANY, &error);
    if (!doc)
        fprintf(stderr, "fuzz: not JSON (%s at %d): %.*s\n", error.text, error.position, (int)b->len, b->data);
    FUZZ_ASSERT(doc);
    if (out)
        *out = doc;
    else
        json_decref(doc);
}

static void print_answer(const uint8_t *data, size_t size)
{
    if (size == 0)
        return;
    const ProtobufCMessageDescriptor *type = fuzz_method_at(data[0] % fuzz_method_count())->method->output;
    fuzz_heap heap;
    fuzz_heap_init(&heap);
    ProtobufCMessage *m = protobuf_c_message_unpack(type, &heap.allocator, size - 1, data + 1);
    if (m) {
        strbuf b = STRBUF_INIT;
        json_message(&b, m);
        char field[128];
        if (proto_check_utf8(m, field, sizeof field) == 0)
            expect_json(&b, NULL);
        strbuf_free(&b);
    }
    fuzz_heap_release(&heap);
}

static void print_failure(const uint8_t *data, size_t size)
{
    int code;
    char message[512];
    rpc_error_info info;
    if (rpc_status_details_unpack(data, size, &code, message, sizeof message, &info) != 0)
        return;
    ctl_failure f = {rpc_code_name((rpc_code)code), code, "GetHold", info.reason, message, &info, "", "", {"a hint"}, 1};
    strbuf b = STRBUF_INIT;
    error_json(&b, &f);
    int utf8 = utf8_valid(message, strlen(message)) && utf8_valid(info.reason, strlen(info.reason));
    for (size_t i = 0; i < info.meta_count && utf8; i++)
        utf8 = utf8_valid(info.meta_key[i], strlen(info.meta_key[i])) &&
               utf8_valid(info.meta_value[i], strlen(info.meta_value[i]));
    if (utf8)
        expect_json(&b, NULL);
    strbuf_free(&b);
}

static void format_message(const uint8_t *data, size_t size)
{
    static const ProtobufCMessageDescriptor *const types[] = {
        &booking__v1__price__descriptor, &booking__v1__money__descriptor, &google__protobuf__timestamp__descriptor,
        &booking__v1__event__descriptor};
    if (size == 0)
        return;
    const ProtobufCMessageDescriptor *type = types[data[0] % 4];
    fuzz_heap heap;
    fuzz_heap_init(&heap);
    ProtobufCMessage *m = protobuf_c_message_unpack(type, &heap.allocator, size - 1, data + 1);
    char buf[FMT_MONEY_CAP + FMT_TIME_CAP];
    strbuf b = STRBUF_INIT;
    if (m && type == &booking__v1__price__descriptor)
        fmt_slots((const Booking__V1__Price *)m, buf, sizeof buf);
    else if (m && type == &booking__v1__money__descriptor)
        fmt_money((const Booking__V1__Money *)m, buf, FMT_MONEY_CAP);
    else if (m && type == &google__protobuf__timestamp__descriptor)
        fmt_time((const Google__Protobuf__Timestamp *)m, buf, FMT_TIME_CAP);
    else if (m)
        fmt_metadata(&b, ((const Booking__V1__Event *)m)->metadata, ((const Booking__V1__Event *)m)->n_metadata);
    strbuf_free(&b);
    fuzz_heap_release(&heap);
}

/* json_quote of a UTF-8 word is a JSON string holding the same word. */
static void quote_word(const char *s)
{
    strbuf b = STRBUF_INIT;
    json_quote(&b, s);
    if (utf8_valid(s, strlen(s))) {
        json_t *doc;
        expect_json(&b, &doc);
        FUZZ_ASSERT(json_is_string(doc) && strcmp(json_string_value(doc), s) == 0);
        json_decref(doc);
    }
    strbuf_free(&b);
}

static void parse_word(const char *s)
{
    int64_t seconds, again, minor, n;
    char buf[FMT_MONEY_CAP];
    if (fmt_parse_time(s, &seconds) == 0) {
        FUZZ_ASSERT(fmt_parse_time(fmt_time(&(Google__Protobuf__Timestamp){.seconds = seconds}, buf, FMT_TIME_CAP),
                                   &again) == 0 && again == seconds);
    }
    if (fmt_parse_amount(s, &minor) == 0) {
        FUZZ_ASSERT(minor >= 0 && fmt_parse_amount(fmt_amount(minor, NULL, buf, sizeof buf), &again) == 0 &&
                    again == minor);
    }
    (void)fmt_currency_valid(s);
    if (fmt_parse_int(s, -1000, 1000, &n) == 0)
        FUZZ_ASSERT(n >= -1000 && n <= 1000);
    double d, lat, lon;
    (void)fmt_parse_double(s, &d);
    if (fmt_parse_latlon(s, &lat, &lon) == 0)
        FUZZ_ASSERT(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180);
    int value;
    if (fmt_parse_enum(&booking__v1__resource_type__descriptor, s, &value) == 0)
        FUZZ_ASSERT(value != 0 && protobuf_c_enum_descriptor_get_value(&booking__v1__resource_type__descriptor, value));
    (void)fmt_parse_enum(&booking__v1__hold_status__descriptor, s, &value);
    char trace[33];
    error_trace_id(s, trace);
    FUZZ_ASSERT(strlen(trace) == 0 || strlen(trace) == 32);
    quote_word(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 4) {
    case 0: print_answer(data + 1, size - 1); break;
    case 1: print_failure(data + 1, size - 1); break;
    case 2: format_message(data + 1, size - 1); break;
    default: {
        char *word = strndup((const char *)data + 1, size - 1);
        FUZZ_ASSERT(word);
        parse_word(word);
        free(word);
        break;
    }
    }
    return 0;
}
