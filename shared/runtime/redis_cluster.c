/* redis_cluster.c — hash slots, the routing key of a command, MOVED/ASK answers and
 * CLUSTER SLOTS tables (docs/redis-cluster.md). Pure: no connection here. */
#include "redis_cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, as Redis Cluster uses. */
static unsigned crc16(const unsigned char *p, size_t len)
{
    unsigned crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (unsigned)p[i] << 8;
        for (int bit = 0; bit < 8; bit++)
            crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc;
}

unsigned redis_key_slot(const char *key, size_t len)
{
    const char *open = memchr(key, '{', len);
    if (open) {
        size_t rest = len - (size_t)(open - key) - 1;
        const char *close = memchr(open + 1, '}', rest);
        if (close && close > open + 1)
            return crc16((const unsigned char *)open + 1, (size_t)(close - open - 1)) % REDIS_CLUSTER_SLOTS;
    }
    return crc16((const unsigned char *)key, len) % REDIS_CLUSTER_SLOTS;
}

static int is(const char *word, const char *const *argv, const size_t *lens, int i)
{
    size_t n = lens ? lens[i] : strlen(argv[i]);
    return n == strlen(word) && strncasecmp(argv[i], word, n) == 0;
}

/* Commands that name no key: they run on whichever node they are sent to. */
static const char *const keyless[] = {
    "PING", "ECHO", "INFO", "CONFIG", "CLUSTER", "SCRIPT", "AUTH", "SELECT", "DBSIZE", "FLUSHALL", "FLUSHDB",
    "KEYS", "SCAN", "TIME", "WAIT", "PUBLISH", "SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "PUBSUB",
    "COMMAND", "CLIENT", "DEBUG", "SHUTDOWN", "SAVE", "BGSAVE", "BGREWRITEAOF", "LASTSAVE", "MONITOR", "READONLY",
    "READWRITE", "ROLE", "FUNCTION", "SLOWLOG", "LATENCY", "ACL", "MULTI", "EXEC", "DISCARD", "ASKING", "HELLO",
    "RESET", "QUIT", "RANDOMKEY", "SWAPDB", "FAILOVER", "REPLICAOF", "SLAVEOF", "LOLWUT", "MODULE",
};

int redis_command_key(int argc, const char *const *argv, const size_t *lens)
{
    if (argc < 2)
        return -1;
    for (size_t i = 0; i < sizeof keyless / sizeof keyless[0]; i++)
        if (is(keyless[i], argv, lens, 0))
            return -1;
    if (is("EVAL", argv, lens, 0) || is("EVALSHA", argv, lens, 0) || is("EVAL_RO", argv, lens, 0) ||
        is("EVALSHA_RO", argv, lens, 0) || is("FCALL", argv, lens, 0) || is("FCALL_RO", argv, lens, 0)) {
        if (argc < 4)
            return -1;
        char n[16];
        size_t len = lens ? lens[2] : strlen(argv[2]);
        snprintf(n, sizeof n, "%.*s", (int)(len < sizeof n ? len : sizeof n - 1), argv[2]);
        return atoi(n) > 0 ? 3 : -1;
    }
    if (is("XREAD", argv, lens, 0) || is("XREADGROUP", argv, lens, 0)) {
        for (int i = 1; i + 1 < argc; i++)
            if (is("STREAMS", argv, lens, i))
                return i + 1;
        return -1;
    }
    if (is("XINFO", argv, lens, 0) || is("XGROUP", argv, lens, 0) || is("OBJECT", argv, lens, 0) ||
        is("MEMORY", argv, lens, 0))
        return argc > 2 ? 2 : -1;
    return 1;
}

int redis_parse_redirect(const char *err, size_t len, redis_redirect *out)
{
    char buf[REDIS_HOST_MAX + 64];
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, err, len);
    buf[len] = '\0';
    const char *p;
    if (strncmp(buf, "MOVED ", 6) == 0)
        out->ask = 0, p = buf + 6;
    else if (strncmp(buf, "ASK ", 4) == 0)
        out->ask = 1, p = buf + 4;
    else
        return 0;
    char *end;
    if (*p < '0' || *p > '9')
        return 0;
    long slot = strtol(p, &end, 10);
    if (end == p || *end != ' ' || slot < 0 || slot >= REDIS_CLUSTER_SLOTS)
        return 0;
    const char *addr = end + 1, *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof out->to.host)
        return 0;
    if (colon[1] < '0' || colon[1] > '9')
        return 0;
    long port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || port < 1 || port > 65535)
        return 0;
    out->slot = (int)slot;
    snprintf(out->to.host, sizeof out->to.host, "%.*s", (int)(colon - addr), addr);
    out->to.port = (int)port;
    return 1;
}

int redis_topology_primary(redis_topology *t, const char *host, int port)
{
    for (int i = 0; i < t->primaries; i++)
        if (t->primary[i].port == port && strcmp(t->primary[i].host, host) == 0)
            return i;
    if (t->primaries == REDIS_NODES_MAX)
        return -1;
    redis_endpoint *e = &t->primary[t->primaries];
    snprintf(e->host, sizeof e->host, "%s", host);
    e->port = port;
    return t->primaries++;
}

void redis_topology_seed(redis_topology *t, const redis_endpoint *e)
{
    for (int i = 0; i < t->seeds; i++)
        if (t->seed[i].port == e->port && strcmp(t->seed[i].host, e->host) == 0)
            return;
    if (t->seeds < REDIS_SEEDS_MAX)
        t->seed[t->seeds++] = *e;
}

/* [host, port, ...] into e. 0 or -1. */
static int endpoint_of(const redisReply *node, const char *asked_host, redis_endpoint *e)
{
    if (node->type != REDIS_REPLY_ARRAY || node->elements < 2 || node->element[0]->type != REDIS_REPLY_STRING ||
        node->element[1]->type != REDIS_REPLY_INTEGER || node->element[1]->integer < 1 ||
        node->element[1]->integer > 65535)
        return -1;
    const char *host = node->element[0]->str;
    if (host[0] == '\0' || strcmp(host, "?") == 0)
        host = asked_host;
    if (strlen(host) >= sizeof e->host)
        return -1;
    snprintf(e->host, sizeof e->host, "%s", host);
    e->port = (int)node->element[1]->integer;
    return 0;
}

int redis_topology_parse(const redisReply *reply, const char *asked_host, redis_topology *out)
{
    if (!reply || reply->type != REDIS_REPLY_ARRAY)
        return -1;
    redis_topology *t = calloc(1, sizeof *t);
    memset(t->slot, REDIS_SLOT_NONE, sizeof t->slot);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < reply->elements; i++) {
        const redisReply *range = reply->element[i];
        redis_endpoint e;
        rc = -1;
        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 || range->element[0]->type != REDIS_REPLY_INTEGER ||
            range->element[1]->type != REDIS_REPLY_INTEGER || endpoint_of(range->element[2], asked_host, &e) != 0)
            break;
        long long lo = range->element[0]->integer, hi = range->element[1]->integer;
        int index = redis_topology_primary(t, e.host, e.port);
        if (lo < 0 || hi < lo || hi >= REDIS_CLUSTER_SLOTS || index < 0)
            break;
        memset(t->slot + lo, index, (size_t)(hi - lo + 1));
        redis_topology_seed(t, &e);
        for (size_t r = 3; r < range->elements; r++)
            if (endpoint_of(range->element[r], asked_host, &e) == 0)
                redis_topology_seed(t, &e);
        rc = 0;
    }
    if (rc == 0)
        *out = *t;
    free(t);
    return rc;
}
