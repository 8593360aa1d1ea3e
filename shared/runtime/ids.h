/* ids.h — random, URL-safe identifiers with a type prefix ("hold_k3x9..."). */
#ifndef SHARED_IDS_H
#define SHARED_IDS_H

#include <stddef.h>

#define ID_MAX 64

/* Writes prefix + "_" + 20 base32 characters (100 random bits) into out. */
void new_id(const char *prefix, char *out, size_t cap);

/* 1 when s is 1..64 characters of [A-Za-z0-9._:-] (the ids clients may choose). */
int id_valid(const char *s);

#endif
