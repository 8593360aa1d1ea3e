/* log.h — leveled JSON-lines logging to stdout with the current request id and W3C
 * trace (trace_id, span_id: trace.h), and structured fields for lines that need them. */
#ifndef SHARED_LOG_H
#define SHARED_LOG_H

#include <stddef.h>

typedef enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level;

extern log_level log_current_level;

/* Sets the service name and level; level_name is "error", "warn", "info" or "debug".
 * Returns 0, or -1 when the name is unknown (the level is left unchanged). */
int log_init(const char *service, const char *level_name);

/* The request id attached to every line logged by this thread (NULL clears it). */
void log_set_request_id(const char *request_id);
const char *log_request_id(void);

void log_write(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A JSON field of a line: a string (str != NULL) or a number. */
typedef struct log_field {
    const char *key;
    const char *str;
    double num;
} log_field;
#define LOG_STR(k, v) ((log_field){(k), (v) ? (v) : "", 0})
#define LOG_NUM(k, v) ((log_field){(k), NULL, (double)(v)})

/* log_write with fields placed before "msg" (keys are written as given: plain ASCII). */
void log_write_fields(log_level level, const log_field *fields, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The macros cost one comparison when the level is off. */
#define log_error(...) do { if (log_current_level >= LOG_ERROR) log_write(LOG_ERROR, __VA_ARGS__); } while (0)
#define log_warn(...)  do { if (log_current_level >= LOG_WARN)  log_write(LOG_WARN, __VA_ARGS__); } while (0)
#define log_info(...)  do { if (log_current_level >= LOG_INFO)  log_write(LOG_INFO, __VA_ARGS__); } while (0)
#define log_debug(...) do { if (log_current_level >= LOG_DEBUG) log_write(LOG_DEBUG, __VA_ARGS__); } while (0)

/* Appends s to out as the body of a JSON string (no quotes), escaping as needed.
 * Writes at most cap-1 bytes plus NUL; returns the length written. */
size_t log_json_escape(char *out, size_t cap, const char *s);

#endif
