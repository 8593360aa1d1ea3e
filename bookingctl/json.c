/* json.c — a protobuf-c message walked through its descriptor and written as JSON. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/timestamp.pb-c.h"
#include "log.h"
#include "timeutil.h"

void json_quote(strbuf *b, const char *s)
{
    const char *in = s ? s : "";
    size_t cap = strlen(in) * 6 + 8; /* room for every byte as \u00XX: never truncates */
    char *out = malloc(cap);
    if (!out) {
        fputs("bookingctl: out of memory\n", stderr);
        abort();
    }
    size_t n = log_json_escape(out, cap, in);
    strbuf_puts(b, "\"");
    strbuf_append(b, out, n);
    strbuf_puts(b, "\"");
    free(out);
}

/* The size of one element of a repeated field of this type. */
static size_t value_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    default:
        return 4; /* 32-bit integers, enums, float */
    }
}

/* A finite double in the fewest of 15, 16 or 17 significant digits that read back as
 * the same double (15 keeps 4.5 and 0.1 short; 15 alone wrote 1.79769313486232e+308 for
 * the largest double, past it); a float in 9 digits, which always read back. */
static void json_double(strbuf *b, double v, int is_float)
{
    char text[32];
    if (!isfinite(v)) {
        strbuf_puts(b, "null");
        return;
    }
    for (int digits = is_float ? 9 : 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, v);
        if (is_float || strtod(text, NULL) == v)
            break;
    }
    strbuf_puts(b, text);
}

static void json_enum(strbuf *b, const ProtobufCEnumDescriptor *d, int value)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
    if (v)
        json_quote(b, v->name);
    else
        strbuf_printf(b, "%d", value); /* a value newer than this client: its number */
}

static void json_submessage(strbuf *b, const ProtobufCMessage *m)
{
    char buf[32];
    if (!m)
        strbuf_puts(b, "null");
    else if (m->descriptor == &google__protobuf__timestamp__descriptor)
        json_quote(b, format_rfc3339(((const Google__Protobuf__Timestamp *)m)->seconds, buf, sizeof buf));
    else
        json_message(b, m);
}

/* One value of field f stored at p: one case per protobuf type, hence its length. */
static void json_value(strbuf *b, const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        strbuf_printf(b, "%d", (int)*(const int32_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        strbuf_printf(b, "%u", (unsigned)*(const uint32_t *)p);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        strbuf_printf(b, "%lld", (long long)*(const int64_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        strbuf_printf(b, "%llu", (unsigned long long)*(const uint64_t *)p);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        json_double(b, *(const float *)p, 1);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        json_double(b, *(const double *)p, 0);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        strbuf_puts(b, *(const protobuf_c_boolean *)p ? "true" : "false");
        break;
    case PROTOBUF_C_TYPE_ENUM:
        json_enum(b, f->descriptor, *(const int *)p);
        break;
    case PROTOBUF_C_TYPE_STRING:
        json_quote(b, *(char *const *)p);
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        json_submessage(b, *(ProtobufCMessage *const *)p);
        break;
    default:
        strbuf_puts(b, "null"); /* bytes: booking.v1 has no bytes fields */
        break;
    }
}

/* 1 when f is a map<string, V>: repeated XxxEntry messages with key and value. */
static int is_string_map(const ProtobufCFieldDescriptor *f)
{
    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return 0;
    const ProtobufCMessageDescriptor *d = f->descriptor;
    const ProtobufCFieldDescriptor *key = protobuf_c_message_descriptor_get_field_by_name(d, "key");
    size_t n = strlen(d->short_name);
    return d->n_fields == 2 && key && key->type == PROTOBUF_C_TYPE_STRING && n > 5 &&
           strcmp(d->short_name + n - 5, "Entry") == 0 && protobuf_c_message_descriptor_get_field_by_name(d, "value");
}

static void json_map_entry(strbuf *b, const ProtobufCMessage *entry)
{
    const ProtobufCMessageDescriptor *d = entry->descriptor;
    const ProtobufCFieldDescriptor *key = protobuf_c_message_descriptor_get_field_by_name(d, "key");
    const ProtobufCFieldDescriptor *value = protobuf_c_message_descriptor_get_field_by_name(d, "value");
    json_quote(b, *(char *const *)((const char *)entry + key->offset));
    strbuf_puts(b, ":");
    json_value(b, value, (const char *)entry + value->offset);
}

static void json_repeated(strbuf *b, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
    const char *items = *(char *const *)((const char *)m + f->offset);
    int map = is_string_map(f);
    strbuf_puts(b, map ? "{" : "[");
    for (size_t i = 0; i < n; i++) {
        const void *item = items + i * value_size(f->type);
        if (i > 0)
            strbuf_puts(b, ",");
        if (map)
            json_map_entry(b, *(ProtobufCMessage *const *)item);
        else
            json_value(b, f, item);
    }
    strbuf_puts(b, map ? "}" : "]");
}

/* 0 for an absent sub-message, an unset proto3 `optional` or another oneof member. */
static int field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *)m;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return 1;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return *(void *const *)(base + f->offset) != NULL;
    if (f->type == PROTOBUF_C_TYPE_STRING)
        return 1; /* has no has_ flag; NULL is written as "" */
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
        return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
    return 1;
}

void json_message(strbuf *b, const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    int first = 1;
    strbuf_puts(b, "{");
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!field_present(msg, f))
            continue;
        strbuf_printf(b, "%s\"%s\":", first ? "" : ",", f->name);
        first = 0;
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
            json_repeated(b, msg, f);
        else
            json_value(b, f, (const char *)msg + f->offset);
    }
    strbuf_puts(b, "}");
}
