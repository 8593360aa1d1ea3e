/* main.c — bookingctl: the command-line client of the booking platform, for people
 * (aligned tables) and scripts (--json). Commands are a table: name, handler, usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const ctl_command commands[] = {
    {"health", ctl_health, "health [SERVICE]", "health of every service (or one) at its address"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: bookingctl [--json] [--user ID] [--admin] COMMAND ...\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-44s %s\n", commands[i].usage, commands[i].help);
    fprintf(out, "\naddresses: SEARCH_ADDR, BOOKING_ADDR, PAYMENT_ADDR, EXPIRY_ADDR (default 127.0.0.1:5005x)\n");
}

int main(int argc, char **argv)
{
    ctl_context ctx;
    int first = ctl_parse_globals(&ctx, argc, argv);
    if (first < 0 || first >= argc) {
        usage(first < 0 ? stderr : stdout);
        return first < 0 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[first], commands[i].name) == 0)
            return commands[i].run(&ctx, argc - first - 1, argv + first + 1);
    fprintf(stderr, "bookingctl: unknown command \"%s\"\n\n", argv[first]);
    usage(stderr);
    return 2;
}
