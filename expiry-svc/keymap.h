/* keymap.h — a small open-addressing map from (string, int64) to int64, used for the
 * sweep's "CONFIRMING hold seen at score S" skips and reconciliation's suspected
 * mismatches. Not thread-safe: the owner locks. */
#ifndef EXPIRY_KEYMAP_H
#define EXPIRY_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct keymap_entry {
    char *key;      /* malloc'd copy; NULL = empty */
    int64_t sub;    /* second part of the key (slot start, or 0) */
    int64_t value;
} keymap_entry;

typedef struct keymap {
    keymap_entry *slots;
    size_t cap, count;  /* cap is 0 or a power of two */
} keymap;

#define KEYMAP_INIT {NULL, 0, 0}

/* 1 and *value set when (key, sub) is present, else 0. value may be NULL. */
int keymap_get(const keymap *m, const char *key, int64_t sub, int64_t *value);
/* Inserts or overwrites. */
void keymap_put(keymap *m, const char *key, int64_t sub, int64_t value);
/* Frees every entry; the map is empty and reusable afterwards. */
void keymap_clear(keymap *m);
/* Exchanges the contents of two maps. */
void keymap_swap(keymap *a, keymap *b);

#endif
