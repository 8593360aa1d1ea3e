/* error_json.h — a failed bookingctl command as one JSON document, for scripts
 * (--json writes it on stderr; stdout then holds nothing). Pure. */
#ifndef BOOKINGCTL_ERROR_JSON_H
#define BOOKINGCTL_ERROR_JSON_H

#include <stddef.h>

#include "status.h"
#include "strbuf.h"

#define ERROR_HINTS_MAX 4

typedef struct ctl_failure {
    const char *code;         /* a gRPC code name ("NOT_FOUND"), or "USAGE" / "LOCAL" */
    int status;               /* the gRPC status number; -1 when the call never ran */
    const char *method;       /* "GetHold", or "" for a failure outside a call */
    const char *reason;       /* the ErrorInfo reason, or "" */
    const char *message;
    const rpc_error_info *info;  /* ErrorInfo metadata ("field", ...), or NULL */
    const char *request_id;   /* echoed by the service, or "" */
    const char *trace_id;     /* of the service's traceparent, or "" */
    const char *hints[ERROR_HINTS_MAX];
    size_t n_hints;
} ctl_failure;

/* Appends {"error":{"code":..,"status":..,"method":..,"reason":..,"message":..,
 * "metadata":{..},"hints":[..],"request_id":..,"trace_id":..}} and a newline. status is
 * null when -1; metadata, request_id and trace_id are left out when empty. */
void error_json(strbuf *b, const ctl_failure *f);

/* The trace id of a W3C traceparent ("00-<trace>-<span>-<flags>") into out (33 bytes),
 * or "" when it is not one. */
void error_trace_id(const char *traceparent, char out[33]);

#endif
