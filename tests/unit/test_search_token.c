/* test_search_token.c — SHA-256 / HMAC-SHA256 test vectors, and page tokens: round
 * trip, and rejection of flipped, truncated, extended, foreign-key, other-query and
 * garbage tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "page_token.h"
#include "sha256.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha256_vectors(void **state)
{
    (void)state;
    uint8_t d[SHA256_BYTES];
    char h[65];
    sha256("", 0, d);
    hex(d, 32, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256("abc", 3, d);
    hex(d, 32, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 56 bytes: two blocks */
    sha256(two, strlen(two), d);
    hex(d, 32, h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    uint8_t key[20], d[SHA256_BYTES];
    char h[65];
    memset(key, 0x0b, sizeof key);
    hmac_sha256(key, sizeof key, "Hi There", 8, d);
    hex(d, 32, h);
    assert_string_equal(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hmac_sha256((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28, d);
    hex(d, 32, h);
    assert_string_equal(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    uint8_t big[131];
    memset(big, 0xaa, sizeof big); /* a key longer than a block is hashed first */
    const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    hmac_sha256(big, sizeof big, msg, strlen(msg), d);
    hex(d, 32, h);
    assert_string_equal(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static rank_key sample_key(void)
{
    rank_key k;
    memset(&k, 0, sizeof k);
    k.price_minor = 123456;
    memcpy(k.currency, "EUR", 3);
    k.distance_km = 12.345678901234;
    k.rating = 4.5;
    snprintf(k.resource_id, sizeof k.resource_id, "res_abcdefghij0123456789");
    return k;
}

static page_key key_of(const char *secret)
{
    page_key k;
    assert_int_equal(page_key_init(&k, secret), 0);
    return k;
}

static void test_round_trip(void **state)
{
    (void)state;
    page_key k = key_of("secret");
    rank_key in = sample_key(), out;
    char token[PAGE_TOKEN_MAX];
    page_token_encode(&k, 0x1122334455667788ull, RANK_DISTANCE, &in, token);
    assert_true(strlen(token) > 40);
    assert_null(strpbrk(token, "+/="));
    assert_int_equal(page_token_decode(&k, 0x1122334455667788ull, RANK_DISTANCE, token, &out), PAGE_TOKEN_OK);
    assert_int_equal(out.price_minor, in.price_minor);
    assert_string_equal(out.currency, "EUR");
    assert_true(out.distance_km == in.distance_km); /* bit-exact */
    assert_true(out.rating == in.rating);
    assert_string_equal(out.resource_id, in.resource_id);
    /* the longest id fits */
    memset(in.resource_id, 'x', RANK_ID_MAX);
    in.resource_id[RANK_ID_MAX] = '\0';
    page_token_encode(&k, 1, RANK_PRICE, &in, token);
    assert_int_equal(page_token_decode(&k, 1, RANK_PRICE, token, &out), PAGE_TOKEN_OK);
    assert_string_equal(out.resource_id, in.resource_id);
}

static void test_every_flipped_character_is_rejected(void **state)
{
    (void)state;
    page_key k = key_of("secret");
    rank_key in = sample_key(), out;
    char token[PAGE_TOKEN_MAX];
    page_token_encode(&k, 42, RANK_PRICE, &in, token);
    size_t n = strlen(token);
    for (size_t i = 0; i < n; i++) {
        char bad[PAGE_TOKEN_MAX];
        memcpy(bad, token, n + 1);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        assert_int_not_equal(page_token_decode(&k, 42, RANK_PRICE, bad, &out), PAGE_TOKEN_OK);
    }
}

static void test_truncated_and_extended_are_rejected(void **state)
{
    (void)state;
    page_key k = key_of("secret");
    rank_key in = sample_key(), out;
    char token[PAGE_TOKEN_MAX], bad[PAGE_TOKEN_MAX + 8];
    page_token_encode(&k, 42, RANK_PRICE, &in, token);
    size_t n = strlen(token);
    for (size_t len = 0; len < n; len++) {
        memcpy(bad, token, len);
        bad[len] = '\0';
        assert_int_not_equal(page_token_decode(&k, 42, RANK_PRICE, bad, &out), PAGE_TOKEN_OK);
    }
    snprintf(bad, sizeof bad, "%sAA", token);
    assert_int_not_equal(page_token_decode(&k, 42, RANK_PRICE, bad, &out), PAGE_TOKEN_OK);
}

static void test_other_query_other_order_other_key(void **state)
{
    (void)state;
    page_key k = key_of("secret"), other = key_of("another secret");
    rank_key in = sample_key(), out;
    char token[PAGE_TOKEN_MAX];
    page_token_encode(&k, 42, RANK_PRICE, &in, token);
    assert_int_equal(page_token_decode(&k, 43, RANK_PRICE, token, &out), PAGE_TOKEN_OTHER_QUERY);
    assert_int_equal(page_token_decode(&k, 42, RANK_RATING, token, &out), PAGE_TOKEN_OTHER_QUERY);
    assert_int_equal(page_token_decode(&other, 42, RANK_PRICE, token, &out), PAGE_TOKEN_FORGED);
}

static void test_garbage(void **state)
{
    (void)state;
    page_key k = key_of(""); /* random */
    rank_key out;
    static const char *const junk[] = {"", "!!!!", "abc=", "a", "////////////////", "\xc3\xa9t\xc3\xa9",
                                       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        assert_int_not_equal(page_token_decode(&k, 1, RANK_PRICE, junk[i], &out), PAGE_TOKEN_OK);
    char huge[1000];
    memset(huge, 'A', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    assert_int_equal(page_token_decode(&k, 1, RANK_PRICE, huge, &out), PAGE_TOKEN_MALFORMED);
    assert_string_equal(page_token_error(PAGE_TOKEN_OTHER_QUERY),
                        "belongs to a different query; repeat the query without page_token");
}

static void test_random_keys_differ(void **state)
{
    (void)state;
    page_key a = key_of(""), b = key_of("");
    assert_memory_not_equal(a.bytes, b.bytes, sizeof a.bytes);
    page_key c = key_of("same"), d = key_of("same");
    assert_memory_equal(c.bytes, d.bytes, sizeof c.bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_every_flipped_character_is_rejected),
        cmocka_unit_test(test_truncated_and_extended_are_rejected),
        cmocka_unit_test(test_other_query_other_order_other_key),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_random_keys_differ),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
