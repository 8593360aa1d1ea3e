/* log.c — leveled JSON-lines logging: one write(2) per line, so lines never interleave.
 * Every line carries ts, level, service, and the request id and trace of the call the
 * thread serves; fields of a line come before msg. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"
#include "trace.h"

log_level log_current_level = LOG_INFO;
static const char *log_service = "service";
static _Thread_local char log_request[64];

#define LOG_LINE_MAX 2560 /* bytes of one line, newline included */

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

static void timestamp(char *ts, size_t cap)
{
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t t = strftime(ts, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + t, cap - t, ".%03ldZ", now.tv_nsec / 1000000);
}

/* ,"key":"escaped" or ,"key":number for each field. */
static void append_fields(strbuf *line, const log_field *fields, size_t n)
{
    char escaped[1024];
    for (size_t i = 0; i < n; i++) {
        if (fields[i].str) {
            log_json_escape(escaped, sizeof escaped, fields[i].str);
            strbuf_printf(line, ",\"%s\":\"%s\"", fields[i].key, escaped);
        } else {
            double v = fields[i].num;
            strbuf_printf(line, v == v && v - v == 0 ? ",\"%s\":%.17g" : ",\"%s\":null", fields[i].key, v);
        }
    }
}

static void log_emit(log_level level, const log_field *fields, size_t n, const char *fmt, va_list ap)
{
    char msg[1024], escaped[2048], ts[40];
    vsnprintf(msg, sizeof msg, fmt, ap);
    log_json_escape(escaped, sizeof escaped, msg);
    timestamp(ts, sizeof ts);
    strbuf line = STRBUF_INIT;
    strbuf_printf(&line, "{\"ts\":\"%s\",\"level\":\"%s\",\"service\":\"%s\"", ts, level_names[level],
                  log_service);
    if (log_request[0])
        strbuf_printf(&line, ",\"request_id\":\"%s\"", log_request);
    const trace_context *t = trace_current();
    if (t)
        strbuf_printf(&line, ",\"trace_id\":\"%s\",\"span_id\":\"%s\"", t->trace_id, t->span_id);
    append_fields(&line, fields, n);
    strbuf_printf(&line, ",\"msg\":\"%s\"}\n", escaped);
    if (line.len > LOG_LINE_MAX - 1) { /* only an absurd service name or field gets here */
        line.len = LOG_LINE_MAX - 1;
        line.data[line.len - 1] = '\n';
    }
    ssize_t ignored = write(STDOUT_FILENO, line.data, line.len);
    (void)ignored;
    strbuf_free(&line);
}

void log_write(log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(level, NULL, 0, fmt, ap);
    va_end(ap);
}

void log_write_fields(log_level level, const log_field *fields, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(level, fields, n, fmt, ap);
    va_end(ap);
}
