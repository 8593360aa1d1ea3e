/* ctl.c — bookingctl's global options, addresses and error reporting. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ctl_parse_globals(ctl_context *ctx, int argc, char **argv)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->user_id = getenv("BOOKING_USER") ? getenv("BOOKING_USER") : "demo-user";
    ctx->role = "customer";
    ctx->timeout_ms = 10000;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--json") == 0)
            ctx->json = 1;
        else if (strcmp(argv[i], "--admin") == 0)
            ctx->role = "admin";
        else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
            ctx->user_id = argv[++i];
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return argc;
        else
            return -1;
    }
    return i;
}

const char *ctl_addr(const char *env_name, const char *fallback)
{
    const char *v = getenv(env_name);
    return v && *v ? v : fallback;
}

int ctl_report(const char *what, const rpc_result *r)
{
    fprintf(stderr, "%s: %s: %s", what, rpc_code_name(r->code), r->message);
    if (r->info.reason[0])
        fprintf(stderr, " [%s]", r->info.reason);
    fputc('\n', stderr);
    return 1;
}
