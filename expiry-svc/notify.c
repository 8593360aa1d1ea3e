/* notify.c — keyspace-notification flags, channel name and TTL-marker key parsing. */
#include "notify.h"

#include <stdio.h>
#include <string.h>

#include "hold_cache.h"

int notify_flags_cover_expired(const char *flags)
{
    if (!flags || !strchr(flags, 'E'))
        return 0;
    return strchr(flags, 'x') != NULL || strchr(flags, 'A') != NULL;
}

void notify_channel(int db, char *out, size_t cap) { snprintf(out, cap, "__keyevent@%d__:expired", db); }

int notify_parse_ttl_key(const char *key, int *partition, char *hold_id, size_t cap)
{
    static const char prefix[] = "holdttl:{p";
    if (strncmp(key, prefix, sizeof prefix - 1) != 0)
        return -1;
    const char *p = key + sizeof prefix - 1;
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || strncmp(p + 2, "}:", 2) != 0)
        return -1;
    int n = (p[0] - '0') * 10 + (p[1] - '0');
    const char *id = p + 4;
    size_t len = strlen(id);
    if (n >= HOLD_PARTITIONS || len == 0 || len >= cap)
        return -1;
    memcpy(hold_id, id, len + 1);
    *partition = n;
    return 0;
}
