/* metrics_http.h — the HTTP endpoint that serves GET /metrics (and GET /healthz). */
#ifndef SHARED_METRICS_HTTP_H
#define SHARED_METRICS_HTTP_H

typedef struct metrics_http metrics_http;

/* Listens on "host:port" ("0.0.0.0:9102", port 0 = any) in a background thread.
 * Returns NULL and writes err on failure. Free with metrics_http_stop. */
metrics_http *metrics_http_start(const char *listen_addr, char *err, unsigned long errlen);
int metrics_http_port(const metrics_http *h);
void metrics_http_stop(metrics_http *h);

/* Splits "host:port" into host (cap bytes) and port; returns 0/-1. */
int split_host_port(const char *addr, char *host, unsigned long cap, int *port);

#endif
