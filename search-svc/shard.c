/* shard.c — partition ranges of search-svc shards (shard.h). */
#include "shard.h"

#include <stdio.h>

static int range_lo(int index, int count) { return HOLD_PARTITIONS * index / count; }

int shard_parse(const char *text, shard *out)
{
    int i = 0, n = 1, used = 0;
    if (text && *text && (sscanf(text, "%d/%d%n", &i, &n, &used) != 2 || text[used] != '\0'))
        return -1;
    if (n < 1 || n > SHARD_MAX || i < 0 || i >= n)
        return -1;
    *out = (shard){i, n, range_lo(i, n), range_lo(i + 1, n)};
    return 0;
}

int shard_of_partition(int p, int count)
{
    int i = 0;
    while (i + 1 < count && range_lo(i + 1, count) <= p)
        i++;
    return i;
}

int shard_has_partition(const shard *s, int p) { return p >= s->lo && p < s->hi; }

int shard_has_resource(const shard *s, const char *resource_id)
{
    return shard_has_partition(s, hold_partition(resource_id));
}
