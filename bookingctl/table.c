/* table.c — a text table that keeps its cells until printed, then sizes its columns. */
#include "table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct ctl_table {
    size_t ncols;
    const char *headers[TABLE_MAX_COLS]; /* borrowed; NULL row = no header */
    int right[TABLE_MAX_COLS];
    char **cells; /* owned, row-major */
    size_t count, cap;
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fputs("bookingctl: out of memory\n", stderr);
        abort();
    }
    return q;
}

ctl_table *table_new(size_t ncols, const char *const *headers)
{
    ctl_table *t = xrealloc(NULL, sizeof *t);
    memset(t, 0, sizeof *t);
    t->ncols = ncols < 1 ? 1 : ncols > TABLE_MAX_COLS ? TABLE_MAX_COLS : ncols;
    for (size_t i = 0; headers && i < t->ncols; i++)
        t->headers[i] = headers[i];
    return t;
}

void table_free(ctl_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->count; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

void table_right(ctl_table *t, size_t col)
{
    if (col < t->ncols)
        t->right[col] = 1;
}

void table_add(ctl_table *t, const char *cell)
{
    const char *s = cell ? cell : "";
    size_t n = strlen(s);
    char *copy = xrealloc(NULL, n + 1);
    for (size_t i = 0; i <= n; i++)
        copy[i] = (i < n && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)) ? '?' : s[i];
    if (t->count == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = xrealloc(t->cells, t->cap * sizeof *t->cells);
    }
    t->cells[t->count++] = copy;
}

void table_addf(ctl_table *t, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    table_add(t, buf);
}

size_t table_rows(const ctl_table *t) { return (t->count + t->ncols - 1) / t->ncols; }

size_t text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80; /* count every byte but continuation bytes */
    return n;
}

size_t table_width(const ctl_table *t, size_t col)
{
    size_t w = t->headers[col] ? text_width(t->headers[col]) : 0;
    for (size_t i = col; i < t->count; i += t->ncols) {
        size_t cw = text_width(t->cells[i]);
        w = cw > w ? cw : w;
    }
    return w;
}

/* Prints one row; cells[i] may be NULL past the last cell of a partial row. */
static void print_row(const ctl_table *t, const char *const *cells, const size_t *widths, FILE *out)
{
    size_t last = t->ncols - 1;
    while (last > 0 && !(cells[last] && *cells[last]))
        last--; /* trailing empty cells print nothing: no trailing blanks */
    for (size_t c = 0; c <= last; c++) {
        const char *s = cells[c] ? cells[c] : "";
        size_t pad = widths[c] - text_width(s);
        if (c > 0)
            fputs("  ", out);
        if (t->right[c])
            fprintf(out, "%*s%s", (int)pad, "", s);
        else
            fprintf(out, "%s%*s", s, c == last ? 0 : (int)pad, "");
    }
    fputc('\n', out);
}

void table_print(const ctl_table *t, FILE *out)
{
    size_t widths[TABLE_MAX_COLS];
    const char *row[TABLE_MAX_COLS];
    for (size_t c = 0; c < t->ncols; c++)
        widths[c] = table_width(t, c);
    if (t->headers[0])
        print_row(t, t->headers, widths, out);
    for (size_t r = 0; r < table_rows(t); r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            size_t i = r * t->ncols + c;
            row[c] = i < t->count ? t->cells[i] : NULL;
        }
        print_row(t, row, widths, out);
    }
}
