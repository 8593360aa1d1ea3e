/* proto_check.c — walks a protobuf-c message through its descriptor, checking strings. */
#include "proto_check.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || (size_t)(end - p) < len)
            return 0;
        uint32_t cp = len == 1 ? c : c & (0x7f >> len);
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += len;
    }
    return 1;
}

static int check_message(const ProtobufCMessage *msg, char *path, size_t cap, size_t used);

static int check_value(const ProtobufCFieldDescriptor *f, const void *value, char *path, size_t cap, size_t used)
{
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(char *const *)value;
        return !s || utf8_valid(s, strlen(s)) ? 0 : -1;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)value;
        return m ? check_message(m, path, cap, used) : 0;
    }
    return 0;
}

static size_t append_name(char *path, size_t cap, size_t used, const char *name)
{
    int n = snprintf(path + used, cap > used ? cap - used : 0, "%s%s", used ? "." : "", name);
    return n > 0 && used + (size_t)n < cap ? used + (size_t)n : used;
}

static int check_field(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, char *path, size_t cap,
                       size_t used)
{
    if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
        return 0;
    const char *base = (const char *)msg;
    size_t here = append_name(path, cap, used, f->name);
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t count = *(const size_t *)(base + f->quantifier_offset);
        const char *items = *(char *const *)(base + f->offset);
        for (size_t i = 0; i < count; i++)
            if (check_value(f, items + i * sizeof(void *), path, cap, here) != 0)
                return -1;
        return 0;
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t which = *(const uint32_t *)(base + f->quantifier_offset);
        if (which != f->id)
            return 0;
    }
    return check_value(f, base + f->offset, path, cap, here);
}

static int check_message(const ProtobufCMessage *msg, char *path, size_t cap, size_t used)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        if (check_field(msg, &d->fields[i], path, cap, used) != 0)
            return -1;
        if (used < cap)
            path[used] = '\0';
    }
    return 0;
}

int proto_check_utf8(const ProtobufCMessage *msg, char *path, size_t cap)
{
    if (cap)
        path[0] = '\0';
    return check_message(msg, path, cap, 0);
}
