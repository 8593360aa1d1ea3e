/* hold_log.c — reading entries of the hold log (the format lua/hold_*.lua write). */
#include "hold_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hold_log_key(char *out, size_t cap, int partition) { snprintf(out, cap, "holdlog:{p%02d}", partition); }

static int64_t position_of(const char *id)
{
    char *dash;
    long long ms = strtoll(id, &dash, 10);
    long long seq = *dash == '-' ? strtoll(dash + 1, NULL, 10) : 0;
    return (int64_t)ms * (1 << 20) + (seq < (1 << 20) ? seq : (1 << 20) - 1);
}

/* Assigns one field/value pair of the entry. */
static void take_field(hold_event *e, const redisReply *f, const redisReply *v)
{
    const char *name = f->str, *s = v->str;
    if (!strcmp(name, "h"))
        e->hold_id = s;
    else if (!strcmp(name, "e"))
        e->event_type = s;
    else if (!strcmp(name, "a"))
        e->actor = s;
    else if (!strcmp(name, "rid"))
        e->resource_id = s;
    else if (!strcmp(name, "user"))
        e->user_id = s;
    else if (!strcmp(name, "bk"))
        e->booking_id = s;
    else if (!strcmp(name, "m"))
        e->metadata = s;
    else if (!strcmp(name, "st"))
        e->status = s[0];
    else if (!strcmp(name, "q"))
        e->quantity = atoi(s);
    else if (!strcmp(name, "t"))
        e->at_ms = strtoll(s, NULL, 10);
    else if (!strcmp(name, "tu"))
        e->at_us = strtoll(s, NULL, 10);
    else if (!strcmp(name, "start"))
        e->start = strtoll(s, NULL, 10);
    else if (!strcmp(name, "end"))
        e->end = strtoll(s, NULL, 10);
    else if (!strcmp(name, "exp"))
        e->expires_ms = strtoll(s, NULL, 10);
    else if (!strcmp(name, "created"))
        e->created_ms = strtoll(s, NULL, 10);
    else if (!strcmp(name, "quote")) {
        e->quote = s;
        e->quote_len = v->len;
    }
}

int hold_event_parse(const redisReply *entry, int partition, hold_event *out)
{
    memset(out, 0, sizeof *out);
    out->partition = partition;
    out->booking_id = "";
    out->metadata = "{}";
    out->actor = "";
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || entry->element[0]->type != REDIS_REPLY_STRING ||
        entry->element[0]->len >= HOLD_LOG_ENTRY_ID_MAX)
        return -1;
    snprintf(out->entry_id, sizeof out->entry_id, "%s", entry->element[0]->str);
    out->position = position_of(out->entry_id);
    const redisReply *fields = entry->element[1];
    if (fields->type != REDIS_REPLY_ARRAY)
        return -1;
    for (size_t i = 0; i + 1 < fields->elements; i += 2)
        if (fields->element[i]->type == REDIS_REPLY_STRING && fields->element[i + 1]->type == REDIS_REPLY_STRING)
            take_field(out, fields->element[i], fields->element[i + 1]);
    if (!out->at_us)
        out->at_us = out->at_ms * 1000;
    int ok = out->hold_id && out->event_type && out->resource_id && out->user_id && out->status &&
             strlen(out->hold_id) <= ID_MAX && strlen(out->resource_id) <= ID_MAX &&
             strlen(out->event_type) < HOLD_EVENT_TYPE_MAX && out->quantity > 0;
    return ok ? 0 : -1;
}

/* The value of `field` in a flat [name, value, ...] reply, or NULL. */
static const redisReply *field_of(const redisReply *map, const char *field)
{
    for (size_t i = 0; map && map->type == REDIS_REPLY_ARRAY && i + 1 < map->elements; i += 2)
        if (map->element[i]->type == REDIS_REPLY_STRING && strcmp(map->element[i]->str, field) == 0)
            return map->element[i + 1];
    return NULL;
}

const char *hold_log_trim_point(const redisReply *pending, const redisReply *groups)
{
    if (!pending || pending->type != REDIS_REPLY_ARRAY || pending->elements < 2)
        return NULL;
    if (pending->element[0]->type == REDIS_REPLY_INTEGER && pending->element[0]->integer > 0)
        return pending->element[1]->type == REDIS_REPLY_STRING ? pending->element[1]->str : NULL;
    for (size_t g = 0; groups && groups->type == REDIS_REPLY_ARRAY && g < groups->elements; g++) {
        const redisReply *name = field_of(groups->element[g], "name");
        const redisReply *last = field_of(groups->element[g], "last-delivered-id");
        if (name && name->type == REDIS_REPLY_STRING && strcmp(name->str, HOLD_LOG_GROUP) == 0 && last &&
            last->type == REDIS_REPLY_STRING && strcmp(last->str, "0-0") != 0)
            return last->str;
    }
    return NULL;
}
