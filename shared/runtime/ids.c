/* ids.c — identifiers from the kernel's random source. */
#include "ids.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void new_id(const char *prefix, char *out, size_t cap)
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789"; /* 32 symbols */
    uint8_t bytes[20];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) {
        fputs("ids: getrandom failed\n", stderr);
        abort();
    }
    char body[21];
    for (int i = 0; i < 20; i++)
        body[i] = alphabet[bytes[i] & 31];
    body[20] = '\0';
    snprintf(out, cap, "%s_%s", prefix, body);
}

int id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                 c == '_' || c == ':' || c == '-';
        if (!ok)
            return 0;
    }
    return 1;
}
