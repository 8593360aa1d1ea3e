/* page_token.c — page token layout, signature and base64url. Layout (before base64):
 *   version(1) fingerprint(8) order(1) price(8) currency(3) distance(8) rating(8)
 *   id_len(1) id(id_len) mac(16 = HMAC-SHA256 of everything before, truncated) */
#include "page_token.h"

#include <string.h>
#include <sys/random.h>

#include "sha256.h"

#define TOKEN_VERSION 1
#define MAC_BYTES 16
#define FIXED_BYTES 38 /* up to and including id_len */
#define RAW_MAX (FIXED_BYTES + RANK_ID_MAX + MAC_BYTES)

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int page_key_init(page_key *k, const char *secret)
{
    if (secret && *secret) {
        sha256(secret, strlen(secret), k->bytes);
        return 0;
    }
    return getrandom(k->bytes, sizeof k->bytes, 0) == (ssize_t)sizeof k->bytes ? 0 : -1;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bits_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        size_t chars = n - i >= 3 ? 4 : n - i + 1;
        for (size_t c = 0; c < chars; c++)
            out[o++] = B64[(v >> (18 - 6 * c)) & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(B64, c) : NULL;
    return p ? (int)(p - B64) : -1;
}

/* Strict decoding: no padding, no stray characters, no non-zero leftover bits. */
static int b64_decode(const char *in, uint8_t *out, size_t cap, size_t *n)
{
    size_t len = strlen(in), o = 0;
    if (len % 4 == 1 || len / 4 * 3 + 3 > cap)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (acc & ((1u << bits) - 1))
        return -1;
    *n = o;
    return 0;
}

static void sign(const page_key *k, const uint8_t *raw, size_t n, uint8_t mac[MAC_BYTES])
{
    uint8_t full[SHA256_BYTES];
    hmac_sha256(k->bytes, sizeof k->bytes, raw, n, full);
    memcpy(mac, full, MAC_BYTES);
}

void page_token_encode(const page_key *k, uint64_t fingerprint, rank_order order, const rank_key *last, char *out)
{
    uint8_t raw[RAW_MAX];
    size_t id_len = strnlen(last->resource_id, RANK_ID_MAX);
    raw[0] = TOKEN_VERSION;
    put_u64(raw + 1, fingerprint);
    raw[9] = (uint8_t)order;
    put_u64(raw + 10, (uint64_t)last->price_minor);
    memcpy(raw + 18, last->currency, 3);
    put_u64(raw + 21, double_bits(last->distance_km));
    put_u64(raw + 29, double_bits(last->rating));
    raw[37] = (uint8_t)id_len;
    memcpy(raw + FIXED_BYTES, last->resource_id, id_len);
    sign(k, raw, FIXED_BYTES + id_len, raw + FIXED_BYTES + id_len);
    b64_encode(raw, FIXED_BYTES + id_len + MAC_BYTES, out);
}

/* Constant-time comparison: how long it takes says nothing about the right MAC. */
static int mac_equal(const uint8_t *a, const uint8_t *b)
{
    uint8_t diff = 0;
    for (int i = 0; i < MAC_BYTES; i++)
        diff |= a[i] ^ b[i];
    return diff == 0;
}

static void read_key(const uint8_t *raw, size_t id_len, rank_key *last)
{
    memset(last, 0, sizeof *last);
    last->price_minor = (int64_t)get_u64(raw + 10);
    memcpy(last->currency, raw + 18, 3);
    last->distance_km = bits_double(get_u64(raw + 21));
    last->rating = bits_double(get_u64(raw + 29));
    memcpy(last->resource_id, raw + FIXED_BYTES, id_len);
}

page_token_status page_token_decode(const page_key *k, uint64_t fingerprint, rank_order order, const char *token,
                                    rank_key *last)
{
    uint8_t raw[RAW_MAX + 3], mac[MAC_BYTES];
    size_t n;
    if (!token || strlen(token) >= PAGE_TOKEN_MAX || b64_decode(token, raw, sizeof raw, &n) != 0)
        return PAGE_TOKEN_MALFORMED;
    if (n < FIXED_BYTES + MAC_BYTES || raw[0] != TOKEN_VERSION || raw[37] > RANK_ID_MAX ||
        n != FIXED_BYTES + (size_t)raw[37] + MAC_BYTES)
        return PAGE_TOKEN_MALFORMED;
    size_t id_len = raw[37];
    sign(k, raw, FIXED_BYTES + id_len, mac);
    if (!mac_equal(mac, raw + FIXED_BYTES + id_len))
        return PAGE_TOKEN_FORGED;
    if (get_u64(raw + 1) != fingerprint || raw[9] != (uint8_t)order)
        return PAGE_TOKEN_OTHER_QUERY;
    read_key(raw, id_len, last);
    if (memchr(last->resource_id, '\0', id_len))
        return PAGE_TOKEN_MALFORMED;
    return PAGE_TOKEN_OK;
}

const char *page_token_error(page_token_status st)
{
    switch (st) {
    case PAGE_TOKEN_OK:
        return "is valid";
    case PAGE_TOKEN_FORGED:
        return "is not a token this service issued (signature mismatch)";
    case PAGE_TOKEN_OTHER_QUERY:
        return "belongs to a different query; repeat the query without page_token";
    default:
        return "is not a valid page token";
    }
}
