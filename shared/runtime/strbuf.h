/* strbuf.h — a growable, always NUL-terminated byte buffer. */
#ifndef SHARED_STRBUF_H
#define SHARED_STRBUF_H

#include <stddef.h>

typedef struct strbuf {
    char *data;  /* malloc'd; free with strbuf_free */
    size_t len, cap;
} strbuf;

#define STRBUF_INIT {NULL, 0, 0}

void strbuf_append(strbuf *b, const char *s, size_t n);
void strbuf_puts(strbuf *b, const char *s);
void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_free(strbuf *b);
/* Appends s as a quoted, escaped JSON string. */
void strbuf_json_string(strbuf *b, const char *s);

#endif
