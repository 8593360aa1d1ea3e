/* webhook_rules.c — the pure rules of webhooks: event types, endpoint URL and secret
 * checks, the Booking-Signature header (HMAC-SHA256 over "<t>.<body>") and the retry
 * schedule (docs/webhooks.md). */
#include "webhook_rules.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

const char *const webhook_event_types[WEBHOOK_EVENT_TYPE_COUNT] = {
    "booking.confirmed", "booking.cancelled", "booking.completed",
    "hold.expired",      "waitlist.offered",  "payment.refunded",
};

int webhook_event_type_known(const char *type)
{
    for (int i = 0; i < WEBHOOK_EVENT_TYPE_COUNT; i++)
        if (strcmp(type, webhook_event_types[i]) == 0)
            return 1;
    return 0;
}

/* ---- endpoints ----------------------------------------------------------------------- */

static int ipv4_internal(const unsigned char *a)
{
    return a[0] == 127 || a[0] == 0 || (a[0] == 169 && a[1] == 254);
}

static int ipv6_internal(const unsigned char *a)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char zero[15] = {0};
    if (memcmp(a, mapped, 12) == 0)
        return ipv4_internal(a + 12);
    if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1)) /* :: and ::1 */
        return 1;
    return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; /* fe80::/10 */
}

int webhook_address_internal(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ipv4_internal((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
    if (sa->sa_family == AF_INET6)
        return ipv6_internal(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
    return 1;
}

/* 1 for a name or address literal of this machine ("localhost", 127.0.0.0/8, ::1). */
static int host_loopback(const char *host)
{
    unsigned char a[16];
    size_t n = strlen(host);
    if (strcasecmp(host, "localhost") == 0 || (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
        return 1;
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    return inet_pton(AF_INET6, host, a) == 1 && memcmp(a, (unsigned char[16]){[15] = 1}, 16) == 0;
}

/* 1 for a host a production endpoint may not name: loopback, or an internal literal. */
static int host_internal(const char *host)
{
    unsigned char a[16];
    if (host_loopback(host))
        return 1;
    if (inet_pton(AF_INET, host, a) == 1)
        return ipv4_internal(a);
    return inet_pton(AF_INET6, host, a) == 1 && ipv6_internal(a);
}

/* The URL's scheme and host (brackets of an IPv6 literal removed). 0 or -1. */
static int url_parts(const char *url, char *scheme, size_t scap, char *host, size_t hcap, int *has_user)
{
    CURLU *u = curl_url();
    char *s = NULL, *h = NULL, *user = NULL;
    int rc = -1;
    if (!u || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK || curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
        goto done;
    *has_user = curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK;
    size_t n = strlen(h);
    int bracketed = n >= 2 && h[0] == '[' && h[n - 1] == ']';
    snprintf(scheme, scap, "%s", s);
    snprintf(host, hcap, "%.*s", (int)(bracketed ? n - 2 : n), bracketed ? h + 1 : h);
    rc = 0;
done:
    curl_free(s);
    curl_free(h);
    curl_free(user);
    curl_url_cleanup(u);
    return rc;
}

const char *webhook_url_problem(const char *url, int development)
{
    char scheme[16], host[512];
    int has_user = 0;
    if (!url || !*url)
        return "is required";
    if (strlen(url) > WEBHOOK_URL_MAX)
        return "is longer than 2048 bytes";
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
            return "must be ASCII without spaces";
    const char *sep = strstr(url, "://");
    if (!sep || sep[3] == '/' || url_parts(url, scheme, sizeof scheme, host, sizeof host, &has_user) != 0 || !host[0])
        return "is not an absolute http(s) URL";
    if (has_user)
        return "must not carry credentials";
    int https = strcasecmp(scheme, "https") == 0, http = strcasecmp(scheme, "http") == 0;
    if (!https && !http)
        return "must use https";
    if (development)
        return https || host_loopback(host) ? NULL : "must use https (http only on loopback in development mode)";
    if (host_internal(host))
        return "must not name loopback, link-local or unspecified addresses outside development mode";
    return https ? NULL : "must use https";
}

const char *webhook_secret_problem(const char *secret)
{
    size_t n = strlen(secret);
    if (n < WEBHOOK_SECRET_MIN || n > WEBHOOK_SECRET_MAX)
        return "must be 16 to 128 characters long";
    for (size_t i = 0; i < n; i++)
        if (secret[i] <= ' ' || secret[i] > '~')
            return "must be printable ASCII without spaces";
    return NULL;
}

/* ---- signatures ---------------------------------------------------------------------- */

/* The hex HMAC-SHA256 of "<t>.<body>" into hex (65 bytes). */
static void signature_hex(const char *secret, int64_t t, const char *body, size_t len, char *hex)
{
    char prefix[32];
    int plen = snprintf(prefix, sizeof prefix, "%" PRId64 ".", t);
    unsigned char *msg = malloc((size_t)plen + len + 1), mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    memcpy(msg, prefix, (size_t)plen);
    if (len)
        memcpy(msg + plen, body, len);
    HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, (size_t)plen + len, mac, &mac_len);
    free(msg);
    for (unsigned int i = 0; i < mac_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

int webhook_sign(const char *secret, int64_t t, const char *body, size_t len, char *out, size_t cap)
{
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    signature_hex(secret, t, body, len, hex);
    int n = snprintf(out, cap, "t=%" PRId64 ",v1=%s", t, hex);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int webhook_verify(const char *header, const char *secret, const char *body, size_t len, int64_t now,
                   int64_t tolerance_s)
{
    char copy[1024], hex[2 * EVP_MAX_MD_SIZE + 1], *save = NULL;
    const char *sigs[8];
    int n_sigs = 0, have_t = 0;
    int64_t t = 0;
    if (!header || strlen(header) >= sizeof copy)
        return -1;
    snprintf(copy, sizeof copy, "%s", header);
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *end;
        if (strncmp(item, "t=", 2) == 0) {
            t = strtoll(item + 2, &end, 10);
            have_t = end != item + 2 && !*end;
        } else if (strncmp(item, "v1=", 3) == 0 && n_sigs < 8) {
            sigs[n_sigs++] = item + 3;
        }
    }
    if (!have_t || (t > now ? t - now : now - t) > tolerance_s)
        return -1;
    signature_hex(secret, t, body, len, hex);
    for (int i = 0; i < n_sigs; i++)
        if (strlen(sigs[i]) == strlen(hex) && CRYPTO_memcmp(sigs[i], hex, strlen(hex)) == 0)
            return 0;
    return -1;
}

/* ---- retries ------------------------------------------------------------------------- */

int64_t webhook_backoff_ms(const webhook_retry_policy *p, int failed, double jitter)
{
    int64_t d = p->base_ms;
    for (int i = 1; i < failed && d < p->max_ms; i++)
        d *= 2;
    if (d > p->max_ms)
        d = p->max_ms;
    if (jitter < 0)
        jitter = 0;
    if (jitter >= 1)
        jitter = 0.999999;
    return d / 2 + (int64_t)((double)(d - d / 2) * jitter);
}

int webhook_retry_next(const webhook_retry_policy *p, int failed, int64_t round_started_ms, int64_t now_ms,
                       double jitter, int64_t *delay_ms)
{
    int64_t end = round_started_ms + p->window_s * 1000;
    if (now_ms >= end)
        return 1;
    int64_t d = webhook_backoff_ms(p, failed, jitter);
    *delay_ms = now_ms + d > end ? end - now_ms : d;
    return 0;
}
