/* metrics_http.c — a minimal HTTP/1.0 server on one thread, polling so it stops promptly. */
#include "metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

struct metrics_http {
    int fd;
    int port;
    atomic_int stop;
    pthread_t thread;
};

int split_host_port(const char *addr, char *host, unsigned long cap, int *port)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= cap)
        return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    long p = 0;
    const char *d = colon + 1;
    for (; *d >= '0' && *d <= '9' && p <= 65535; d++)
        p = p * 10 + (*d - '0');
    if (d == colon + 1 || *d || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static void respond(int fd, const char *status, const char *type, const char *body, size_t len)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, type, len);
    send_all(fd, head, (size_t)n);
    send_all(fd, body, len);
}

static void serve_client(int fd)
{
    char req[1024];
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 2000) <= 0)
        return;
    ssize_t n = recv(fd, req, sizeof req - 1, 0);
    if (n <= 0)
        return;
    req[n] = '\0';
    if (strncmp(req, "GET /metrics", 12) == 0 && (req[12] == ' ' || req[12] == '?')) {
        strbuf body = STRBUF_INIT;
        metrics_render(&body);
        respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body.data ? body.data : "", body.len);
        strbuf_free(&body);
    } else if (strncmp(req, "GET /healthz ", 13) == 0) {
        respond(fd, "200 OK", "text/plain", "ok\n", 3);
    } else {
        respond(fd, "404 Not Found", "text/plain", "not found\n", 10);
    }
}

static void *metrics_http_loop(void *arg)
{
    metrics_http *h = arg;
    while (!atomic_load(&h->stop)) {
        struct pollfd p = {h->fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int client = accept(h->fd, NULL, NULL);
        if (client < 0)
            continue;
        serve_client(client);
        close(client);
    }
    return NULL;
}

static int listen_on(const char *addr, int *port_out, char *err, unsigned long errlen)
{
    char host[256];
    int port;
    struct sockaddr_in sa = {0};
    if (split_host_port(addr, host, sizeof host, &port) != 0 ||
        inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "metrics address \"%s\" is not IPv4 host:port", addr);
        return -1;
    }
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 64) != 0) {
        snprintf(err, errlen, "metrics: cannot listen on %s: %s", addr, strerror(errno));
        close(fd);
        return -1;
    }
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *port_out = ntohs(sa.sin_port);
    return fd;
}

metrics_http *metrics_http_start(const char *listen_addr, char *err, unsigned long errlen)
{
    int port;
    int fd = listen_on(listen_addr, &port, err, errlen);
    if (fd < 0)
        return NULL;
    metrics_http *h = calloc(1, sizeof *h);
    h->fd = fd;
    h->port = port;
    if (pthread_create(&h->thread, NULL, metrics_http_loop, h) != 0) {
        snprintf(err, errlen, "metrics: cannot start thread");
        close(fd);
        free(h);
        return NULL;
    }
    log_info("metrics listening on %s (port %d)", listen_addr, port);
    return h;
}

int metrics_http_port(const metrics_http *h) { return h->port; }

void metrics_http_stop(metrics_http *h)
{
    if (!h)
        return;
    atomic_store(&h->stop, 1);
    pthread_join(h->thread, NULL);
    close(h->fd);
    free(h);
}
