/* ctl.h — what bookingctl's commands share: global options, command options as a
 * table, calls with the caller's identity, output as tables or JSON. */
#ifndef BOOKINGCTL_CTL_H
#define BOOKINGCTL_CTL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "booking/v1/common.pb-c.h"
#include "error_json.h"
#include "rpc_client.h"
#include "slots.h"

#define CTL_CONNECT_TIMEOUT_MS 1500

/* The failure of a --json invocation, written by ctl_finish as one document on stderr. */
typedef struct ctl_failure_record {
    int set;
    int status;
    char code[32], method[64], reason[64], message[600], request_id[72], trace_id[33];
    rpc_error_info info;
    char hints[ERROR_HINTS_MAX][400];
    size_t n_hints;
} ctl_failure_record;

struct ctl_command;

typedef struct ctl_context {
    int json;              /* --json: one JSON document on stdout */
    const char *user_id;   /* --user (x-user-id), default $BOOKING_USER or "demo-user" */
    const char *role;      /* "customer", or "admin" with --admin */
    const char *key;       /* --key (idempotency-key of mutating calls); NULL = generate one */
    const char *token;     /* --token or $BOOKING_TOKEN: sent as authorization: Bearer */
    int user_given;        /* --user was given (else a token's sub is the user) */
    char user_buf[160];
    char key_buf[64];      /* the generated key, one per invocation */
    int64_t timeout_ms;
    int64_t connect_timeout_ms;  /* --connect-timeout or $BOOKINGCTL_CONNECT_TIMEOUT_MS: give up connecting */
    int version;                 /* --version */
    const struct ctl_command *command; /* the command running, for its usage line */
    ctl_failure_record failure;  /* --json: what went wrong, for ctl_finish */
} ctl_context;

typedef int (*ctl_run)(ctl_context *ctx, int argc, char **argv);

typedef struct ctl_command {
    const char *name;  /* "hold" */
    const char *sub;   /* "create", or NULL for a one-word command */
    ctl_run run;       /* gets the arguments after the command words; returns the exit status */
    const char *usage;
    const char *help;
} ctl_command;

/* Parses the options before the command (--json anywhere before "--" counts, so that
 * every error of the invocation is JSON); returns the index of the command word, argc
 * when there is none (or --help, --version), or -1 on a bad option. */
int ctl_parse_globals(ctl_context *ctx, int argc, char **argv);
/* Consumes the global option at argv[*i] (--json, --admin, --user ID, --key K,
 * --token T, --connect-timeout MS) and its value. Returns 1 when consumed, 0 when argv[*i] is not one, -1 when its value
 * is missing. Commands accept global options anywhere through ctl_parse_opts. */
int ctl_global_option(ctl_context *ctx, int argc, char **argv, int *i);
/* After the options: the user from the token's sub when --user was not given, TLS from
 * TLS_CA_FILE/TLS_CERT_FILE/TLS_KEY_FILE/TLS_SERVER_NAME. 0, or -1 after a message. */
int ctl_setup(ctl_context *ctx);
/* With $BOOKING_DEV_KEY (a private JWK: ./dev up in jwt mode) and no --token: a
 * five-minute token for --user (and --admin) signed with it becomes ctx->token. */
void ctl_dev_token(ctl_context *ctx);
/* The address of a service from its environment variable or the local default. */
const char *ctl_addr(const char *env_name, const char *fallback);
/* Prints a failed call ("GetHold: NOT_FOUND: hold h_1 does not exist [HOLD_NOT_FOUND]")
 * to stderr; returns 1. */
int ctl_report(const char *what, const rpc_result *r);

/* Errors go to stderr: as text lines, or with --json as one JSON document (error_json.h)
 * that ctl_finish writes when the command ends; stdout then holds nothing. */
/* A failed call (text: ctl_report). */
void ctl_failed_call(ctl_context *ctx, const char *method, const rpc_result *r);
/* What to do next about the failure: "bookingctl: <hint>" or a hint of the document. */
void ctl_hint(ctl_context *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A failure outside a call (code "LOCAL", or "USAGE"); returns 1. */
int ctl_fail(ctl_context *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes the JSON document of a --json failure, if any; returns status. */
int ctl_finish(ctl_context *ctx, int status);

/* ---- command options (ctl_opts.c) ---- */

#define CTL_LIST_MAX 32

typedef struct ctl_list {
    const char *item[CTL_LIST_MAX];
    size_t count;
} ctl_list;

typedef enum ctl_opt_type {
    CTL_OPT_STR,    /* const char ** */
    CTL_OPT_INT,    /* int32_t * */
    CTL_OPT_DOUBLE, /* double * */
    CTL_OPT_TIME,   /* int64_t *: Unix seconds (fmt_parse_time) */
    CTL_OPT_AMOUNT, /* int64_t *: minor units (fmt_parse_amount) */
    CTL_OPT_LIST,   /* ctl_list *: a repeatable string option */
    CTL_OPT_FLAG,   /* int *: set to 1; takes no value */
} ctl_opt_type;

typedef struct ctl_opt {
    const char *name; /* "--from"; "--from=T" is accepted too */
    ctl_opt_type type;
    void *target;
    int required;
    int seen; /* set by ctl_parse_opts */
} ctl_opt;

/* Parses a command's arguments: its options (table opts), global options anywhere,
 * and exactly n_pos positional arguments into pos ("--" ends the options). Returns
 * 0, or 2 after printing a usage error. */
int ctl_parse_opts(ctl_context *ctx, int argc, char **argv, ctl_opt *opts, size_t n_opts, const char **pos,
                   size_t n_pos);
/* 1 when the option called name was given. */
int ctl_opt_seen(const ctl_opt *opts, size_t n_opts, const char *name);
/* Prints "bookingctl: <message>" and the command's usage to stderr (with --json: a
 * failure of code "USAGE" with the usage as a hint); returns 2. */
int ctl_usage_error(ctl_context *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ctl_usage_failure(ctl_context *ctx, const char *fmt, va_list ap);

/* ---- calls and output ---- */

typedef enum ctl_service { CTL_SEARCH, CTL_BOOKING, CTL_EXPIRY } ctl_service;

/* Calls service.method with x-user-id and x-user-role, plus idempotency-key when
 * mutating (so UNAVAILABLE is retried safely). On success sets *response (the caller
 * frees it, e.g. through ctl_output) and returns 0; otherwise reports the failure
 * to stderr and returns -1. */
int ctl_call(ctl_context *ctx, ctl_service service, const char *method, const ProtobufCMessage *request,
             int mutating, ProtobufCMessage **response);

/* For commands whose one argument is an id: parses it (no options), calls
 * service.method with a request of `request_type` whose string field `id_field` is the
 * id, and sets *response. 0, 1 when the call failed (reported), 2 on a usage error. */
int ctl_call_with_id(ctl_context *ctx, int argc, char **argv, ctl_service service, const char *method,
                     const ProtobufCMessageDescriptor *request_type, const char *id_field, int mutating,
                     ProtobufCMessage **response);

typedef void (*ctl_printer)(const ProtobufCMessage *response);
/* Prints response as one JSON document (--json) or with print_table, then frees it.
 * Returns the exit status: 0, or 1 when stdout could not be written. */
int ctl_output(ctl_context *ctx, ProtobufCMessage *response, ctl_printer print_table);
/* CreateHold of quantity units of resource_id over [from, to) for the caller; on
 * success sets *hold (a Booking__V1__Hold the caller frees) and returns 0, otherwise
 * reports the failure and returns -1. */
int ctl_create_hold(ctl_context *ctx, const char *resource_id, int64_t from, int64_t to, int32_t quantity,
                    ProtobufCMessage **hold);
/* The --from/--to values of a range at a resource (ctl_local_arg: a date is a local
 * date at the check-in/check-out time of a night, else at 00:00). 0, 1 when the
 * resource could not be read (reported), 2 after a usage error. */
int ctl_range_args(ctl_context *ctx, const char *resource_id, const char *from_text, const char *to_text,
                   int64_t *from, int64_t *to);
/* Prints a price as a table: one row per slot (in the local time of the resource when
 * its clock is known), then subtotal, fees, taxes and total. */
void ctl_print_price(const Booking__V1__Price *p, const char *resource_id);

/* ---- local time (local.c) ---- */

/* The clock (zone, slots, check-in/out) of a resource, from GetResource once per run;
 * NULL when the call failed (reported) or too many resources were asked for. */
const resource_clock *ctl_clock(ctl_context *ctx, const char *resource_id);
/* The clock fetched before for resource_id, or NULL: for printers, which make no calls. */
const resource_clock *ctl_clock_known(const char *resource_id);
/* Parses the value of a --from/--to option: a bare date (2026-06-01) is that local date
 * of the clock's zone at `minutes` after midnight; anything else an instant (RFC 3339).
 * 0, or 2 after a usage error. */
int ctl_local_arg(ctl_context *ctx, const resource_clock *clock, const char *option, const char *value, int minutes,
                  int64_t *out);
/* t in the local time of resource_id with its zone when its clock is known
 * ("2027-03-13 15:00 -08:00 America/Los_Angeles"), else in UTC; returns buf. */
char *ctl_local_time(const char *resource_id, const Google__Protobuf__Timestamp *t, char *buf, size_t cap);
/* A range's start (end = 0) or end in local time: for a nightly resource its check-in
 * or check-out, else as ctl_local_time; returns buf. */
char *ctl_stay_edge(const char *resource_id, const Google__Protobuf__Timestamp *t, int end, char *buf, size_t cap);
/* The rows of a hold's or booking's range in local time: check-in and check-out of a
 * nightly resource (and its nights), from and to of others. */
struct ctl_table;
void ctl_range_rows(struct ctl_table *t, const char *resource_id, const Google__Protobuf__Timestamp *start,
                    const Google__Protobuf__Timestamp *end);

/* ---- commands ---- */

int ctl_health(ctl_context *ctx, int argc, char **argv);
int ctl_resources_create(ctl_context *ctx, int argc, char **argv);
int ctl_resources_get(ctl_context *ctx, int argc, char **argv);
int ctl_inventory_set(ctl_context *ctx, int argc, char **argv);
int ctl_calendar(ctl_context *ctx, int argc, char **argv);
int ctl_hold_create(ctl_context *ctx, int argc, char **argv);
int ctl_hold_get(ctl_context *ctx, int argc, char **argv);
int ctl_hold_release(ctl_context *ctx, int argc, char **argv);
int ctl_hold_confirm(ctl_context *ctx, int argc, char **argv);
int ctl_book(ctl_context *ctx, int argc, char **argv);
int ctl_bookings_list(ctl_context *ctx, int argc, char **argv);
int ctl_bookings_get(ctl_context *ctx, int argc, char **argv);
int ctl_bookings_cancel(ctl_context *ctx, int argc, char **argv);
int ctl_events(ctl_context *ctx, int argc, char **argv);
int ctl_search(ctl_context *ctx, int argc, char **argv);
int ctl_expiry_stats(ctl_context *ctx, int argc, char **argv);
int ctl_expiry_sweep(ctl_context *ctx, int argc, char **argv);
int ctl_webhooks_create(ctl_context *ctx, int argc, char **argv);
int ctl_webhooks_list(ctl_context *ctx, int argc, char **argv);
int ctl_webhooks_delete(ctl_context *ctx, int argc, char **argv);
int ctl_webhooks_deliveries(ctl_context *ctx, int argc, char **argv);
int ctl_webhooks_redeliver(ctl_context *ctx, int argc, char **argv);
int ctl_keygen(ctl_context *ctx, int argc, char **argv);
int ctl_token(ctl_context *ctx, int argc, char **argv);

#endif
