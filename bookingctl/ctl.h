/* ctl.h — what bookingctl's commands share: global options, addresses, output. */
#ifndef BOOKINGCTL_CTL_H
#define BOOKINGCTL_CTL_H

#include "rpc_client.h"

typedef struct ctl_context {
    int json;              /* --json: one JSON document on stdout */
    const char *user_id;   /* --user (x-user-id), default "demo-user" */
    const char *role;      /* "customer", or "admin" with --admin */
    int64_t timeout_ms;
} ctl_context;

typedef int (*ctl_run)(ctl_context *ctx, int argc, char **argv);

typedef struct ctl_command {
    const char *name;
    ctl_run run;
    const char *usage;
    const char *help;
} ctl_command;

/* Parses the options before the command; returns the index of the command word,
 * argc when there is none, or -1 on a bad option. */
int ctl_parse_globals(ctl_context *ctx, int argc, char **argv);
/* The address of a service from its environment variable or the local default. */
const char *ctl_addr(const char *env_name, const char *fallback);
/* Prints a failed call ("NOT_FOUND: hold h_1 does not exist") to stderr; returns 1. */
int ctl_report(const char *what, const rpc_result *r);

int ctl_health(ctl_context *ctx, int argc, char **argv);

#endif
