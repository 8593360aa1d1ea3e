/* fuzz_page_token.c — libFuzzer target: search-svc's page tokens (page_token.c).
 * Input: a mode byte, then
 *   mode even: a token as a client sends it, decoded for the query (fingerprint, and
 *     the order in the mode byte) it would be bound to; a token that decodes is the
 *     one this service would have written for that key (base64url is strict, so a
 *     token has one spelling);
 *   mode odd: a sort key (price 8, currency 3, distance 8, rating 8, fingerprint 8,
 *     then the resource id), encoded and decoded again: the key comes back bit for bit,
 *     and the token is refused for another query, under another key, or with any one
 *     character changed. */
#include <string.h>

#include "fuzz_support.h"
#include "page_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static page_key key_of(const char *secret)
{
    page_key k;
    FUZZ_ASSERT(page_key_init(&k, secret) == 0);
    return k;
}

static uint64_t u64_at(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static int same_key(const rank_key *a, const rank_key *b)
{
    return a->price_minor == b->price_minor && memcmp(a->currency, b->currency, 3) == 0 &&
           memcmp(&a->distance_km, &b->distance_km, sizeof(double)) == 0 &&
           memcmp(&a->rating, &b->rating, sizeof(double)) == 0 && strcmp(a->resource_id, b->resource_id) == 0;
}

static void decode_text(const page_key *k, rank_order order, const uint8_t *data, size_t size)
{
    char token[PAGE_TOKEN_MAX + 8];
    size_t n = size < sizeof token - 1 ? size : sizeof token - 1;
    memcpy(token, data, n);
    token[n] = '\0';
    rank_key last;
    page_token_status st = page_token_decode(k, FUZZ_TOKEN_FINGERPRINT, order, token, &last);
    FUZZ_ASSERT(st >= PAGE_TOKEN_OK && st <= PAGE_TOKEN_OTHER_QUERY && page_token_error(st)[0]);
    if (st != PAGE_TOKEN_OK)
        return;
    FUZZ_ASSERT(strlen(last.resource_id) <= RANK_ID_MAX);
    char again[PAGE_TOKEN_MAX];
    page_token_encode(k, FUZZ_TOKEN_FINGERPRINT, order, &last, again);
    FUZZ_ASSERT(strcmp(again, token) == 0);
}

static void round_trip(const page_key *k, rank_order order, const uint8_t *data, size_t size)
{
    if (size < 35)
        return;
    rank_key key;
    memset(&key, 0, sizeof key);
    key.price_minor = (int64_t)u64_at(data);
    memcpy(key.currency, data + 8, 3);
    memcpy(&key.distance_km, data + 11, 8);
    memcpy(&key.rating, data + 19, 8);
    uint64_t fingerprint = u64_at(data + 27);
    size_t id_len = strnlen((const char *)data + 35, size - 35);
    memcpy(key.resource_id, data + 35, id_len < RANK_ID_MAX ? id_len : RANK_ID_MAX);
    char token[PAGE_TOKEN_MAX];
    page_token_encode(k, fingerprint, order, &key, token);
    FUZZ_ASSERT(strlen(token) < PAGE_TOKEN_MAX);
    rank_key back;
    FUZZ_ASSERT(page_token_decode(k, fingerprint, order, token, &back) == PAGE_TOKEN_OK);
    FUZZ_ASSERT(same_key(&key, &back));
    FUZZ_ASSERT(page_token_decode(k, fingerprint + 1, order, token, &back) == PAGE_TOKEN_OTHER_QUERY);
    page_key other = key_of("another secret");
    FUZZ_ASSERT(page_token_decode(&other, fingerprint, order, token, &back) == PAGE_TOKEN_FORGED);
    size_t at = (size_t)data[size - 1] % strlen(token);
    token[at] = token[at] == 'A' ? 'B' : 'A';
    FUZZ_ASSERT(page_token_decode(k, fingerprint, order, token, &back) != PAGE_TOKEN_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static page_key k;
    static int ready;
    if (!ready) {
        k = key_of(FUZZ_TOKEN_SECRET);
        ready = 1;
    }
    if (size == 0)
        return 0;
    rank_order order = (rank_order)(RANK_PRICE + (data[0] >> 1) % 3);
    if (data[0] & 1)
        round_trip(&k, order, data + 1, size - 1);
    else
        decode_text(&k, order, data + 1, size - 1);
    return 0;
}
