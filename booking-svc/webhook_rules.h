/* webhook_rules.h — what webhooks are made of, as pure functions (unit-tested without a
 * stack): the event types, which endpoint URLs and secrets are acceptable, the
 * Booking-Signature header (signing and verifying) and the retry schedule.
 * docs/webhooks.md describes them for receivers. */
#ifndef BOOKING_SVC_WEBHOOK_RULES_H
#define BOOKING_SVC_WEBHOOK_RULES_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* The event types an endpoint may subscribe to (the outbox's webhook_event_types). */
extern const char *const webhook_event_types[];
#define WEBHOOK_EVENT_TYPE_COUNT 6
int webhook_event_type_known(const char *type);

#define WEBHOOK_URL_MAX 2048
#define WEBHOOK_SECRET_MIN 16
#define WEBHOOK_SECRET_MAX 128
#define WEBHOOK_SIGNATURE_HEADER "Booking-Signature"
#define WEBHOOK_SIGNATURE_MAX 96  /* "t=<up to 20 digits>,v1=<64 hex>" and its NUL */
#define WEBHOOK_TOLERANCE_S 300   /* what receivers should accept, either side of now */

/* NULL when url may be an endpoint, else why not (a phrase that follows the field name:
 * "must use https"). https anywhere but on loopback; in development mode also http on
 * loopback only. Outside development mode, loopback, link-local and unspecified address
 * literals and localhost names are refused. */
const char *webhook_url_problem(const char *url, int development);
/* NULL when secret is 16-128 printable ASCII characters (no space), else why not. */
const char *webhook_secret_problem(const char *secret);

/* 1 when a connection to sa would stay on this machine or reach a link-local service
 * (loopback, unspecified, link-local, IPv4-mapped forms of those). */
int webhook_address_internal(const struct sockaddr *sa);

/* The Booking-Signature value of body sent at Unix time t:
 * "t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>". 0, or -1 when cap is too small. */
int webhook_sign(const char *secret, int64_t t, const char *body, size_t len, char *out, size_t cap);
/* What a receiver does: 0 when header holds t and a v1 signature of body by secret
 * (one of several v1 entries may match) and t is within tolerance_s of now; else -1. */
int webhook_verify(const char *header, const char *secret, const char *body, size_t len, int64_t now,
                   int64_t tolerance_s);

/* The retry schedule of a delivery: after the n-th failed attempt of a round (n >= 1) the
 * next one waits min(base * 2^(n-1), max), with jitter in [0, 1) spreading it over
 * [d/2, d); a round lasts window_s from its start (the event, or a redelivery), and ends
 * with one last attempt at its end. */
typedef struct webhook_retry_policy {
    int64_t base_ms, max_ms, window_s;
} webhook_retry_policy;

int64_t webhook_backoff_ms(const webhook_retry_policy *p, int failed, double jitter);
/* After a failed attempt (the round's `failed`-th): 1 when the delivery is given up (the
 * round is over), else 0 and the wait before the next attempt in *delay_ms. */
int webhook_retry_next(const webhook_retry_policy *p, int failed, int64_t round_started_ms, int64_t now_ms,
                       double jitter, int64_t *delay_ms);

#endif
