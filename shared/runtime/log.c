/* log.c — leveled JSON-lines logging: one write(2) per line, so lines never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

log_level log_current_level = LOG_INFO;
static const char *log_service = "service";
static _Thread_local char log_request[64];

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int log_init(const char *service, const char *level_name)
{
    if (service)
        log_service = service;
    if (!level_name || !*level_name)
        return 0;
    for (int i = 0; i <= LOG_DEBUG; i++) {
        if (strcasecmp(level_name, level_names[i]) == 0) {
            log_current_level = (log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_set_request_id(const char *request_id)
{
    if (!request_id) {
        log_request[0] = '\0';
        return;
    }
    size_t n = strnlen(request_id, sizeof log_request - 1);
    memcpy(log_request, request_id, n);
    log_request[n] = '\0';
}

const char *log_request_id(void) { return log_request; }

size_t log_json_escape(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    if (cap == 0)
        return 0;
    for (; *s && n + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0xc0) { /* a UTF-8 lead byte: copy the whole character or stop */
            size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            if (n + len + 7 > cap || strnlen(s, len) < len)
                break;
            memcpy(out + n, s, len);
            n += len;
            s += len - 1;
            continue;
        }
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else if (c < 0x20 || c == 0x7f) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    return n;
}

void log_write(log_level level, const char *fmt, ...)
{
    char msg[1024], escaped[2048], line[2560], ts[40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_json_escape(escaped, sizeof escaped, msg);

    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t t = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + t, sizeof ts - t, ".%03ldZ", now.tv_nsec / 1000000);

    int len = snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\",\"service\":\"%s\"%s%s%s,\"msg\":\"%s\"}\n",
                       ts, level_names[level], log_service, log_request[0] ? ",\"request_id\":\"" : "",
                       log_request, log_request[0] ? "\"" : "", escaped);
    if (len > (int)sizeof line - 1) {
        len = (int)sizeof line - 1;
        line[len - 1] = '\n';
    }
    ssize_t ignored = write(STDOUT_FILENO, line, (size_t)len);
    (void)ignored;
}
