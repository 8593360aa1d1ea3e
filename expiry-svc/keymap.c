/* keymap.c — linear-probing hash map of (string, int64) keys; grows at 50 % load. */
#include "keymap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_of(const char *key, int64_t sub)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    h ^= (uint64_t)sub * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

/* The slot holding (key, sub), or the empty slot where it would go. */
static keymap_entry *probe(keymap_entry *slots, size_t cap, const char *key, int64_t sub)
{
    size_t i = (size_t)hash_of(key, sub) & (cap - 1);
    while (slots[i].key && (slots[i].sub != sub || strcmp(slots[i].key, key) != 0))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static void grow(keymap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    keymap_entry *slots = calloc(cap, sizeof *slots);
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            *probe(slots, cap, m->slots[i].key, m->slots[i].sub) = m->slots[i];
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
}

int keymap_get(const keymap *m, const char *key, int64_t sub, int64_t *value)
{
    if (!m->count)
        return 0;
    const keymap_entry *e = probe(m->slots, m->cap, key, sub);
    if (!e->key)
        return 0;
    if (value)
        *value = e->value;
    return 1;
}

void keymap_put(keymap *m, const char *key, int64_t sub, int64_t value)
{
    if ((m->count + 1) * 2 > m->cap)
        grow(m);
    keymap_entry *e = probe(m->slots, m->cap, key, sub);
    if (!e->key) {
        e->key = strdup(key);
        e->sub = sub;
        m->count++;
    }
    e->value = value;
}

void keymap_clear(keymap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}

void keymap_swap(keymap *a, keymap *b)
{
    keymap t = *a;
    *a = *b;
    *b = t;
}
