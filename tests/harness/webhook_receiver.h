/* webhook_receiver.h — a small HTTP/1.1 server on loopback for webhook tests and the
 * benchmark: it records every request (body, Booking-Signature verified against the
 * endpoint's secret, arrival time) and answers as told: 200, or a status for the first
 * N requests, or always, after a delay if asked. One thread; keep-alive connections. */
#ifndef TESTS_WEBHOOK_RECEIVER_H
#define TESTS_WEBHOOK_RECEIVER_H

#include <stdint.h>

typedef struct webhook_receiver webhook_receiver;

typedef struct received_hook {
    int64_t at_ms;         /* wall clock when the body was complete */
    int verified;          /* the signature matched the secret, within 300 s */
    int answered;          /* the status it was answered with */
    char event_id[40];     /* the body's "id" */
    char event_type[40];
    char resource_id[80];
    char subject[80];      /* data.booking_id, else data.hold_id, else data.entry_id */
    long long sequence;
    int64_t created_ms;    /* the body's "created_at" */
    char signature[160];   /* the Booking-Signature header */
    char header_event_id[40];  /* the Booking-Event-Id header */
} received_hook;

/* Listens on 127.0.0.1 (a free port); verifies signatures with secret. Aborts on failure. */
webhook_receiver *receiver_start(const char *secret);
/* "http://127.0.0.1:PORT/hooks" */
const char *receiver_url(const webhook_receiver *r);
/* The next n requests are answered with status (e.g. 500), then 200 again. */
void receiver_fail_next(webhook_receiver *r, int n, int status);
/* Every request is answered with status from now on (200 to go back). */
void receiver_answer(webhook_receiver *r, int status);
/* Answers wait this long after the request arrived (0: at once). */
void receiver_delay(webhook_receiver *r, int ms);
/* How many requests arrived so far. */
int receiver_count(webhook_receiver *r);
/* Copies request i (0 = first); 0, or -1 when there is none. */
int receiver_get(webhook_receiver *r, int i, received_hook *out);
/* The body of request i (malloc'd; free it), NULL when none. */
char *receiver_body(webhook_receiver *r, int i);
/* Stops the server and frees everything. */
void receiver_stop(webhook_receiver *r);

#endif
