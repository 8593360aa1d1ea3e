/* table.h — aligned text tables for people: cells in row order, widths computed. */
#ifndef BOOKINGCTL_TABLE_H
#define BOOKINGCTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS 8

typedef struct ctl_table ctl_table;

/* A table of ncols (1..TABLE_MAX_COLS) columns; headers may be NULL (no header row).
 * Never NULL (aborts when out of memory). Free with table_free. */
ctl_table *table_new(size_t ncols, const char *const *headers);
void table_free(ctl_table *t);
/* Right-aligns column col (numbers, money). */
void table_right(ctl_table *t, size_t col);
/* Appends the next cell, filling rows left to right. NULL is an empty cell; control
 * characters are shown as '?' so that a value cannot break the layout. */
void table_add(ctl_table *t, const char *cell);
void table_addf(ctl_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Rows so far (a partly filled last row counts). */
size_t table_rows(const ctl_table *t);
/* The width of column col: its widest cell or header, in characters. */
size_t table_width(const ctl_table *t, size_t col);
/* Prints the table, columns separated by two spaces, no trailing blanks. */
void table_print(const ctl_table *t, FILE *out);

/* Display width of UTF-8 text: its characters, not its bytes. */
size_t text_width(const char *s);

#endif
