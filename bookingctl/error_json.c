/* error_json.c — the JSON document of a failed command: code, status, reason,
 * message, ErrorInfo metadata, hints and the ids to quote to an operator. */
#include "error_json.h"

#include <string.h>

#include "json.h"
#include "trace.h"

static void field(strbuf *b, const char *key, const char *value)
{
    strbuf_printf(b, ",\"%s\":", key);
    json_quote(b, value ? value : "");
}

void error_json(strbuf *b, const ctl_failure *f)
{
    strbuf_puts(b, "{\"error\":{\"code\":");
    json_quote(b, f->code);
    if (f->status >= 0)
        strbuf_printf(b, ",\"status\":%d", f->status);
    else
        strbuf_puts(b, ",\"status\":null");
    field(b, "method", f->method);
    field(b, "reason", f->reason);
    field(b, "message", f->message);
    if (f->info && f->info->meta_count) {
        strbuf_puts(b, ",\"metadata\":{");
        for (size_t i = 0; i < f->info->meta_count; i++) {
            strbuf_puts(b, i ? "," : "");
            json_quote(b, f->info->meta_key[i]);
            strbuf_puts(b, ":");
            json_quote(b, f->info->meta_value[i]);
        }
        strbuf_puts(b, "}");
    }
    strbuf_puts(b, ",\"hints\":[");
    for (size_t i = 0; i < f->n_hints && i < ERROR_HINTS_MAX; i++) {
        strbuf_puts(b, i ? "," : "");
        json_quote(b, f->hints[i]);
    }
    strbuf_puts(b, "]");
    if (f->request_id && *f->request_id)
        field(b, "request_id", f->request_id);
    if (f->trace_id && *f->trace_id)
        field(b, "trace_id", f->trace_id);
    strbuf_puts(b, "}}\n");
}

void error_trace_id(const char *traceparent, char out[33])
{
    char parent[SPAN_ID_HEX + 1];
    unsigned flags;
    if (!traceparent || trace_parse(traceparent, out, parent, &flags) != 0)
        out[0] = '\0';
}
