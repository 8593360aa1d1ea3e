/* webhook_receiver.c — the test receiver of webhook deliveries: a one-thread HTTP/1.1
 * server on loopback (poll over keep-alive connections) that records and verifies what
 * booking-svc's sender POSTs and answers as the test tells it. */
#include "webhook_receiver.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "timeutil.h"
#include "webhook_rules.h"

#define MAX_CONNS 256

typedef struct conn {
    int fd;                 /* -1: free */
    char *buf;
    size_t len, cap;
    int awaiting;           /* a request was read; its answer goes out at answer_at */
    int64_t answer_at;
    int status;
} conn;

struct webhook_receiver {
    pthread_t thread;
    int listen_fd;
    atomic_int stopping;
    char url[64], secret[160];
    pthread_mutex_t lock;
    received_hook *hooks;
    char **bodies;
    int n, cap;
    int fail_left, fail_status, status, delay_ms;
    conn conns[MAX_CONNS];
};

static void header_value(const char *head, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    size_t n = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        const char *l = line + 2;
        if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
            const char *v = l + n + 1, *end = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            snprintf(out, cap, "%.*s", (int)(end ? end - v : (long)strlen(v)), v);
            return;
        }
    }
}

/* The body's fields a test looks at. */
static void parse_body(const char *body, received_hook *h)
{
    json_t *doc = json_loads(body, 0, NULL);
    const char *id = json_string_value(json_object_get(doc, "id"));
    const char *type = json_string_value(json_object_get(doc, "type"));
    const char *res = json_string_value(json_object_get(doc, "resource_id"));
    const char *created = json_string_value(json_object_get(doc, "created_at"));
    snprintf(h->event_id, sizeof h->event_id, "%s", id ? id : "");
    snprintf(h->event_type, sizeof h->event_type, "%s", type ? type : "");
    snprintf(h->resource_id, sizeof h->resource_id, "%s", res ? res : "");
    h->sequence = json_integer_value(json_object_get(doc, "sequence"));
    json_t *data = json_object_get(doc, "data");
    const char *subject = json_string_value(json_object_get(data, "booking_id"));
    subject = subject ? subject : json_string_value(json_object_get(data, "hold_id"));
    subject = subject ? subject : json_string_value(json_object_get(data, "entry_id"));
    snprintf(h->subject, sizeof h->subject, "%s", subject ? subject : "");
    struct tm tm = {0};
    int us = 0;
    if (created && sscanf(created, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                          &tm.tm_min, &tm.tm_sec, &us) == 7) {
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        h->created_ms = (int64_t)timegm(&tm) * 1000 + us / 1000;
    }
    json_decref(doc);
}

/* Records one request and decides its answer. */
static int take_request(webhook_receiver *r, const char *head, const char *body, size_t len)
{
    received_hook h = {0};
    h.at_ms = wall_ms();
    header_value(head, WEBHOOK_SIGNATURE_HEADER, h.signature, sizeof h.signature);
    header_value(head, "Booking-Event-Id", h.header_event_id, sizeof h.header_event_id);
    h.verified = webhook_verify(h.signature, r->secret, body, len, h.at_ms / 1000, WEBHOOK_TOLERANCE_S) == 0;
    char *copy = strndup(body, len);
    parse_body(copy, &h);
    pthread_mutex_lock(&r->lock);
    h.answered = r->fail_left > 0 ? (r->fail_left--, r->fail_status) : r->status;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->hooks = realloc(r->hooks, sizeof *r->hooks * (size_t)r->cap);
        r->bodies = realloc(r->bodies, sizeof *r->bodies * (size_t)r->cap);
    }
    r->hooks[r->n] = h;
    r->bodies[r->n++] = copy;
    pthread_mutex_unlock(&r->lock);
    return h.answered;
}

static void conn_close(conn *c)
{
    close(c->fd);
    free(c->buf);
    *c = (conn){.fd = -1};
}

/* A complete request in the buffer is taken (and removed from it). */
static void try_request(webhook_receiver *r, conn *c)
{
    if (c->awaiting || !c->buf)
        return;
    c->buf[c->len] = '\0';
    char *end = strstr(c->buf, "\r\n\r\n");
    if (!end)
        return;
    *end = '\0';
    char cl[32];
    header_value(c->buf, "Content-Length", cl, sizeof cl);
    size_t head = (size_t)(end - c->buf) + 4, body = (size_t)atol(cl);
    if (c->len < head + body) {
        *end = '\r';
        return;
    }
    c->status = take_request(r, c->buf, c->buf + head, body);
    memmove(c->buf, c->buf + head + body, c->len - head - body);
    c->len -= head + body;
    c->awaiting = 1;
    pthread_mutex_lock(&r->lock);
    c->answer_at = monotonic_ms() + r->delay_ms;
    pthread_mutex_unlock(&r->lock);
}

static void answer(webhook_receiver *r, conn *c)
{
    char out[160];
    const char *text = c->status == 200 ? "OK" : c->status == 410 ? "Gone" : "Error";
    int n = snprintf(out, sizeof out, "HTTP/1.1 %d %s\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok",
                     c->status, text);
    c->awaiting = 0;
    if (send(c->fd, out, (size_t)n, MSG_NOSIGNAL) != n)
        conn_close(c);
    else
        try_request(r, c);
}

static void read_conn(webhook_receiver *r, conn *c)
{
    if (c->cap - c->len < 4097) {
        c->cap = c->cap ? c->cap * 2 : 16384;
        c->buf = realloc(c->buf, c->cap);
    }
    ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
    if (n <= 0) {
        conn_close(c);
        return;
    }
    c->len += (size_t)n;
    try_request(r, c);
}

static void accept_conn(webhook_receiver *r)
{
    int fd = accept(r->listen_fd, NULL, NULL);
    for (int i = 0; fd >= 0 && i < MAX_CONNS; i++)
        if (r->conns[i].fd < 0) {
            r->conns[i] = (conn){.fd = fd};
            return;
        }
    if (fd >= 0)
        close(fd);
}

static void *serve(void *arg)
{
    webhook_receiver *r = arg;
    struct pollfd fds[MAX_CONNS + 1];
    int index[MAX_CONNS + 1];
    while (!atomic_load(&r->stopping)) {
        int n = 0, timeout = 50;
        int64_t now = monotonic_ms();
        fds[n++] = (struct pollfd){r->listen_fd, POLLIN, 0};
        for (int i = 0; i < MAX_CONNS; i++) {
            conn *c = &r->conns[i];
            if (c->fd < 0)
                continue;
            if (c->awaiting && c->answer_at <= now) {
                answer(r, c);
                if (c->fd < 0)
                    continue;
            }
            if (c->awaiting) {
                timeout = c->answer_at - now < timeout ? (int)(c->answer_at - now) : timeout;
                continue;
            }
            index[n] = i;
            fds[n++] = (struct pollfd){c->fd, POLLIN, 0};
        }
        if (poll(fds, (nfds_t)n, timeout < 1 ? 1 : timeout) <= 0)
            continue;
        if (fds[0].revents & POLLIN)
            accept_conn(r);
        for (int k = 1; k < n; k++)
            if (fds[k].revents)
                read_conn(r, &r->conns[index[k]]);
    }
    return NULL;
}

webhook_receiver *receiver_start(const char *secret)
{
    webhook_receiver *r = calloc(1, sizeof *r);
    snprintf(r->secret, sizeof r->secret, "%s", secret);
    r->status = 200;
    pthread_mutex_init(&r->lock, NULL);
    for (int i = 0; i < MAX_CONNS; i++)
        r->conns[i].fd = -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    r->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (r->listen_fd < 0 || bind(r->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(r->listen_fd, 128) != 0 || getsockname(r->listen_fd, (struct sockaddr *)&sa, &len) != 0 ||
        pthread_create(&r->thread, NULL, serve, r) != 0) {
        perror("webhook receiver");
        abort();
    }
    snprintf(r->url, sizeof r->url, "http://127.0.0.1:%d/hooks", ntohs(sa.sin_port));
    return r;
}

const char *receiver_url(const webhook_receiver *r) { return r->url; }

void receiver_fail_next(webhook_receiver *r, int n, int status)
{
    pthread_mutex_lock(&r->lock);
    r->fail_left = n;
    r->fail_status = status;
    pthread_mutex_unlock(&r->lock);
}

void receiver_answer(webhook_receiver *r, int status)
{
    pthread_mutex_lock(&r->lock);
    r->status = status;
    pthread_mutex_unlock(&r->lock);
}

void receiver_delay(webhook_receiver *r, int ms)
{
    pthread_mutex_lock(&r->lock);
    r->delay_ms = ms;
    pthread_mutex_unlock(&r->lock);
}

int receiver_count(webhook_receiver *r)
{
    pthread_mutex_lock(&r->lock);
    int n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}

int receiver_get(webhook_receiver *r, int i, received_hook *out)
{
    pthread_mutex_lock(&r->lock);
    int ok = i >= 0 && i < r->n;
    if (ok)
        *out = r->hooks[i];
    pthread_mutex_unlock(&r->lock);
    return ok ? 0 : -1;
}

char *receiver_body(webhook_receiver *r, int i)
{
    pthread_mutex_lock(&r->lock);
    char *body = i >= 0 && i < r->n ? strdup(r->bodies[i]) : NULL;
    pthread_mutex_unlock(&r->lock);
    return body;
}

void receiver_stop(webhook_receiver *r)
{
    atomic_store(&r->stopping, 1);
    pthread_join(r->thread, NULL);
    for (int i = 0; i < MAX_CONNS; i++)
        if (r->conns[i].fd >= 0)
            conn_close(&r->conns[i]);
    close(r->listen_fd);
    for (int i = 0; i < r->n; i++)
        free(r->bodies[i]);
    free(r->bodies);
    free(r->hooks);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
