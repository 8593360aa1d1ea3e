/* test_redis_slots.c — the pure side of Redis Cluster routing (shared/runtime/
 * redis_cluster.c): key slots with hash tags (expected values from a real server's
 * CLUSTER KEYSLOT), the routing key of each command shape the services send, MOVED and
 * ASK answers, and CLUSTER SLOTS tables decoded from RESP by hiredis's own reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "redis_cluster.h"

static unsigned slot(const char *key) { return redis_key_slot(key, strlen(key)); }

static void test_key_slots_match_redis(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        unsigned slot;
    } cases[] = {
        {"foo", 12182},          {"somekey", 11058},        {"123456789", 12739},
        {"{user1000}.following", 3443}, {"foo{}{bar}", 8363}, {"foo{{bar}}zap", 4015},
        {"foo{bar}{zap}", 5061}, {"{p00}", 11214},          {"avail:{p07}:res-1", 6953},
        {"holdlog:{p63}", 12555}, {"uheld:{u:ana}", 618},   {"{", 4092},
        {"}{x}", 16287},         {"a{b", 13340},            {"", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (slot(cases[i].key) != cases[i].slot)
            fail_msg("slot of \"%s\" is %u, Redis says %u", cases[i].key, slot(cases[i].key), cases[i].slot);
}

static void test_hash_tags_group_keys(void **state)
{
    (void)state;
    /* every key of a partition shares its slot: what makes each script single-slot */
    assert_int_equal(slot("avail:{p07}:r1"), slot("hold:{p07}:hold_07_abc"));
    assert_int_equal(slot("deadlines:{p07}"), slot("holdlog:{p07}"));
    assert_int_equal(slot("{p07}"), slot("live:{p07}:anything{else}"));
    assert_int_not_equal(slot("{p07}"), slot("{p08}"));
    /* binary-safe: the length decides, not a NUL */
    assert_int_equal(redis_key_slot("foo\0bar", 3), slot("foo"));
}

static int key_of(int argc, const char *const *argv) { return redis_command_key(argc, argv, NULL); }

static void test_routing_key_of_commands(void **state)
{
    (void)state;
    const char *hget[] = {"HGET", "hold:{p01}:h", "rid"};
    assert_int_equal(key_of(3, hget), 1);
    const char *evalsha[] = {"EVALSHA", "abc", "2", "k1", "k2", "arg"};
    assert_int_equal(key_of(6, evalsha), 3);
    const char *nokeys[] = {"evalsha", "abc", "0", "arg"};
    assert_int_equal(key_of(4, nokeys), -1);
    const char *xread[] = {"XREADGROUP", "GROUP", "g", "c", "COUNT", "500", "STREAMS", "holdlog:{p02}", ">"};
    assert_int_equal(key_of(9, xread), 7);
    const char *xread_block[] = {"xread", "COUNT", "1", "BLOCK", "5", "streams", "changes:{p03}", "0-0"};
    assert_int_equal(key_of(8, xread_block), 6);
    const char *xinfo[] = {"XINFO", "GROUPS", "holdlog:{p04}"};
    assert_int_equal(key_of(3, xinfo), 2);
    const char *xgroup[] = {"XGROUP", "CREATE", "holdlog:{p05}", "recorder", "0", "MKSTREAM"};
    assert_int_equal(key_of(6, xgroup), 2);
    const char *xautoclaim[] = {"XAUTOCLAIM", "holdlog:{p06}", "recorder", "c", "15000", "0-0"};
    assert_int_equal(key_of(6, xautoclaim), 1);
    static const char *const keyless[][3] = {{"PING", "", ""}, {"SCRIPT", "LOAD", "return 1"},
                                             {"CONFIG", "GET", "notify-keyspace-events"}, {"SCAN", "0", "MATCH"},
                                             {"KEYS", "hold:*", ""}, {"cluster", "slots", ""}, {"WAIT", "1", "100"}};
    for (size_t i = 0; i < sizeof keyless / sizeof keyless[0]; i++)
        assert_int_equal(key_of(3, keyless[i]), -1);
    const char *ping[] = {"PING"};
    assert_int_equal(key_of(1, ping), -1);
    size_t lens[] = {4, 5};
    const char *counted[] = {"HGETxx", "{p09}junk"};
    assert_int_equal(redis_command_key(2, counted, lens), 1);
}

static void expect_redirect(const char *err, int ask, int slot_no, const char *host, int port)
{
    redis_redirect r;
    if (!redis_parse_redirect(err, strlen(err), &r))
        fail_msg("\"%s\" not read as a redirection", err);
    assert_int_equal(r.ask, ask);
    assert_int_equal(r.slot, slot_no);
    assert_string_equal(r.to.host, host);
    assert_int_equal(r.to.port, port);
}

static void test_moved_and_ask(void **state)
{
    (void)state;
    expect_redirect("MOVED 3999 127.0.0.1:6381", 0, 3999, "127.0.0.1", 6381);
    expect_redirect("ASK 12182 10.0.0.7:7000", 1, 12182, "10.0.0.7", 7000);
    expect_redirect("MOVED 0 redis-cluster-2.redis-cluster.booking.svc:6379", 0, 0,
                    "redis-cluster-2.redis-cluster.booking.svc", 6379);
    expect_redirect("MOVED 16383 ::1:6379", 0, 16383, "::1", 6379);  /* IPv6: the last colon */
    expect_redirect("MOVED 5 :6380", 0, 5, "", 6380);                 /* endpoint unknown: the node asked */
    static const char *const not_redirects[] = {
        "NOSCRIPT No matching script", "MOVED", "MOVED 3999", "MOVED x 127.0.0.1:1", "MOVED 16384 h:1",
        "MOVED -1 h:1", "MOVED 1 h", "MOVED 1 h:0", "MOVED 1 h:65536", "MOVED 1 h:1x", "ASK  1 h:1", "MOVED 1 h:+1", "MOVED +1 h:1",
        "CLUSTERDOWN The cluster is down", "TRYAGAIN Multiple keys request during rehashing of slot",
    };
    for (size_t i = 0; i < sizeof not_redirects / sizeof not_redirects[0]; i++) {
        redis_redirect r;
        if (redis_parse_redirect(not_redirects[i], strlen(not_redirects[i]), &r))
            fail_msg("\"%s\" read as a redirection", not_redirects[i]);
    }
}

/* A reply decoded from RESP text by hiredis's reader (freeReplyObject it). */
static redisReply *resp(const char *text)
{
    redisReader *reader = redisReaderCreate();
    void *reply = NULL;
    redisReaderFeed(reader, text, strlen(text));
    assert_int_equal(redisReaderGetReply(reader, &reply), REDIS_OK);
    redisReaderFree(reader);
    assert_non_null(reply);
    return reply;
}

/* Three primaries with a replica each, as `redis-cli --cluster create` lays them out. */
static const char three_primaries[] =
    "*3\r\n"
    "*4\r\n:0\r\n:5460\r\n*3\r\n$9\r\n127.0.0.1\r\n:7000\r\n$2\r\nn1\r\n*3\r\n$9\r\n127.0.0.1\r\n:7004\r\n$2\r\nn5\r\n"
    "*4\r\n:5461\r\n:10922\r\n*3\r\n$9\r\n127.0.0.1\r\n:7001\r\n$2\r\nn2\r\n*3\r\n$9\r\n127.0.0.1\r\n:7005\r\n$2\r\nn6\r\n"
    "*4\r\n:10923\r\n:16383\r\n*3\r\n$9\r\n127.0.0.1\r\n:7002\r\n$2\r\nn3\r\n*3\r\n$9\r\n127.0.0.1\r\n:7003\r\n$2\r\nn4\r\n";

static void test_cluster_slots_table(void **state)
{
    (void)state;
    static redis_topology t;
    redisReply *reply = resp(three_primaries);
    assert_int_equal(redis_topology_parse(reply, "seed-host", &t), 0);
    freeReplyObject(reply);
    assert_int_equal(t.primaries, 3);
    assert_int_equal(t.seeds, 6);
    assert_int_equal(t.slot[0], 0);
    assert_int_equal(t.slot[5460], 0);
    assert_int_equal(t.slot[5461], 1);
    assert_int_equal(t.slot[16383], 2);
    assert_int_equal(t.primary[t.slot[slot("foo")]].port, 7002); /* 12182 */
    assert_string_equal(t.primary[1].host, "127.0.0.1");
    /* a MOVED to a node not in the table adds it */
    assert_int_equal(redis_topology_primary(&t, "127.0.0.1", 7001), 1);
    assert_int_equal(redis_topology_primary(&t, "127.0.0.1", 7009), 3);
    assert_int_equal(t.primaries, 4);
}

static void test_cluster_slots_odd_answers(void **state)
{
    (void)state;
    static redis_topology t;
    /* an endpoint Redis does not know ("" or "?") is the node that answered */
    redisReply *reply = resp("*2\r\n*3\r\n:0\r\n:99\r\n*2\r\n$0\r\n\r\n:6379\r\n"
                             "*3\r\n:100\r\n:16383\r\n*2\r\n$1\r\n?\r\n:6380\r\n");
    assert_int_equal(redis_topology_parse(reply, "redis-0.redis", &t), 0);
    freeReplyObject(reply);
    assert_int_equal(t.primaries, 2);
    assert_string_equal(t.primary[0].host, "redis-0.redis");
    assert_int_equal(t.primary[t.slot[99]].port, 6379);
    assert_int_equal(t.primary[t.slot[100]].port, 6380);
    /* a cluster with no slots assigned yet: no primary, every slot unserved */
    reply = resp("*0\r\n");
    assert_int_equal(redis_topology_parse(reply, "h", &t), 0);
    freeReplyObject(reply);
    assert_int_equal(t.primaries, 0);
    assert_int_equal(t.slot[42], REDIS_SLOT_NONE);
    /* not a table: refused, t untouched */
    t.primaries = 7;
    static const char *const bad[] = {"-ERR This instance has cluster support disabled\r\n",
                                      "*1\r\n*3\r\n:10\r\n:5\r\n*2\r\n$1\r\nh\r\n:1\r\n",      /* end < start */
                                      "*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\nh\r\n:1\r\n",   /* past the last slot */
                                      "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\nh\r\n:0\r\n",       /* port 0 */
                                      "*1\r\n*2\r\n:0\r\n:1\r\n"};                              /* no node */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reply = resp(bad[i]);
        assert_int_equal(redis_topology_parse(reply, "h", &t), -1);
        freeReplyObject(reply);
    }
    assert_int_equal(t.primaries, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_slots_match_redis),   cmocka_unit_test(test_hash_tags_group_keys),
        cmocka_unit_test(test_routing_key_of_commands), cmocka_unit_test(test_moved_and_ask),
        cmocka_unit_test(test_cluster_slots_table),     cmocka_unit_test(test_cluster_slots_odd_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
