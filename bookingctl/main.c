/* main.c — bookingctl: the command-line client of the booking platform, for people
 * (aligned tables) and scripts (--json). Commands are a table: words, handler, usage;
 * `help [COMMAND]`, `COMMAND --help` and `--version` read it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "process_metrics.h"

static const ctl_command commands[] = {
    {"health", NULL, ctl_health, "health [SERVICE]", "health of every service (or one) at its address"},
    {"resources", "create", ctl_resources_create,
     "resources create --type TYPE --name N --city C --capacity N --slot-minutes M\n"
     "        --price 120.00 --currency EUR [--lat X --lon Y] [--rating 4.5] [--amenity A]...\n"
     "        [--hold-ttl SECONDS] [--cancel HOURS:PERCENT]... [--weekend-bp BP] [--tax-bp BP]\n"
     "        [--fee-bp BP] [--id ID] --tz Europe/Paris [--check-in 15:00 --check-out 11:00]",
     "define a resource (admin); TYPE: hotel_room, restaurant_table, appointment,\n"
     "flight_seat, event_ticket, rental_car; --slot-minutes 1440 = nightly (local nights),\n"
     "0 = one slot; --tz: its IANA time zone (required: slots and prices are local)"},
    {"resources", "get", ctl_resources_get, "resources get ID", "show a resource"},
    {"inventory", "set", ctl_inventory_set,
     "inventory set RESOURCE_ID --from T --to T --capacity N [--price 99.00 --currency EUR]",
     "set the capacity (0 = blocked) and price of every slot of a range (admin)"},
    {"calendar", NULL, ctl_calendar, "calendar RESOURCE_ID --from T --to T",
     "capacity, availability and price of every slot of a range"},
    {"hold", "create", ctl_hold_create, "hold create RESOURCE_ID --from T --to T [--quantity N]",
     "hold units of a resource over a range: its quote and when it expires"},
    {"hold", "get", ctl_hold_get, "hold get HOLD_ID", "show a hold"},
    {"hold", "release", ctl_hold_release, "hold release HOLD_ID", "release a hold before it expires"},
    {"hold", "confirm", ctl_hold_confirm, "hold confirm HOLD_ID [--card PM]",
     "pay for a hold and turn it into a booking (--card default pm_card_ok)"},
    {"book", NULL, ctl_book, "book RESOURCE_ID --from T --to T [--quantity N] [--card PM]",
     "hold and confirm in one step: the booking, its payment and its price"},
    {"bookings", "list", ctl_bookings_list,
     "bookings list [--status confirmed|cancelled|completed] [--page-size N] [--page-token T] [--all]",
     "the --user's bookings, newest first (--all: every page)"},
    {"bookings", "get", ctl_bookings_get, "bookings get BOOKING_ID", "show a booking and its price"},
    {"bookings", "cancel", ctl_bookings_cancel, "bookings cancel BOOKING_ID [--reason TEXT]",
     "cancel a booking: the refund its cancellation rules give"},
    {"events", NULL, ctl_events, "events (--booking ID | --hold ID)",
     "the audit trail of a booking (and its hold) or of a hold, oldest first"},
    {"search", NULL, ctl_search,
     "search --type TYPE (--city C | --near LAT,LON --radius KM) --from T --to T\n"
     "        [--quantity N] [--max-price 300.00 --currency EUR] [--min-rating 4]\n"
     "        [--amenity A]... [--sort price|distance|rating] [--page-size N] [--page-token T]",
     "resources available for the whole range, with the total a hold would quote"},
    {"expiry", "stats", ctl_expiry_stats, "expiry stats", "holds released by the expiry service and how late"},
    {"expiry", "sweep", ctl_expiry_sweep, "expiry sweep", "release every expired hold now"},
    {"webhooks", "create", ctl_webhooks_create,
     "webhooks create --url URL --event TYPE... [--secret S]",
     "an endpoint receiving signed POSTs of events (admin); TYPE: booking.confirmed,\n"
     "booking.cancelled, booking.completed, hold.expired, waitlist.offered, payment.refunded;\n"
     "the secret (made when not given) is shown once"},
    {"webhooks", "list", ctl_webhooks_list, "webhooks list", "webhook endpoints and their status (admin)"},
    {"webhooks", "delete", ctl_webhooks_delete, "webhooks delete ENDPOINT_ID",
     "delete an endpoint and its deliveries (admin)"},
    {"webhooks", "deliveries", ctl_webhooks_deliveries,
     "webhooks deliveries [--endpoint ID] [--status pending|delivered|failed] [--page-size N]\n"
     "        [--page-token T]",
     "deliveries newest first, with attempts and their last outcome (admin)"},
    {"webhooks", "redeliver", ctl_webhooks_redeliver, "webhooks redeliver DELIVERY_ID",
     "send a delivery's event again now, and show its attempts (admin)"},
    {"keygen", NULL, ctl_keygen, "keygen [--kid K] [--alg RS256|ES256] [--private FILE] [--jwks FILE]",
     "a development signing key (private JWK, default .stack/auth/dev-key.jwk) and the JWKS\n"
     "the services verify with (default .stack/auth/jwks.json)"},
    {"token", NULL, ctl_token, "token [--sub ID] [--role customer|admin] [--ttl SECONDS] [--key-file FILE]",
     "a bearer token signed with the development key (sub default --user; --admin: admin)"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* Prints text with every line after the first indented by indent spaces. */
static void print_indented(FILE *out, const char *text, int indent)
{
    for (const char *nl; (nl = strchr(text, '\n')) != NULL; text = nl + 1)
        fprintf(out, "%.*s\n%*s", (int)(nl - text), text, indent, "");
    fprintf(out, "%s\n", text);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: bookingctl [--json] [--user ID] [--admin] [--token T] [--key K] [--connect-timeout MS]\n"
                 "                  COMMAND ...\n"
                 "       bookingctl help [COMMAND]    bookingctl COMMAND --help    bookingctl --version\n\n"
                 "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fputs("  ", out);
        print_indented(out, commands[i].usage, 2);
        fputs("      ", out);
        print_indented(out, commands[i].help, 6);
    }
    fprintf(out, "\noptions (anywhere): --json one JSON document on stdout (a failure: one JSON document\n"
                 "  {\"error\":{\"code\",\"status\",\"reason\",\"message\",\"hints\",...}} on stderr); --user ID (x-user-id, default\n"
                 "  $BOOKING_USER or demo-user); --admin (x-user-role: admin); --key K (idempotency-key of\n"
                 "  a mutating command; default: a new random key per invocation); --token T (or\n"
                 "  $BOOKING_TOKEN) sends authorization: Bearer T instead of x-user-id/x-user-role;\n"
                 "  with $BOOKING_DEV_KEY (./dev up in jwt mode) a token for --user/--admin is minted\n"
                 "TLS: TLS_CA_FILE (and TLS_CERT_FILE, TLS_KEY_FILE for mutual TLS), TLS_SERVER_NAME\n"
                 "times: RFC 3339 such as 2026-06-01T15:00:00Z, or a date 2026-06-01: the resource's local\n"
                 "  date (book, hold: its check-in/check-out time for nights; calendar, inventory: local\n"
                 "  midnight); search: every resource's own dates and wall-clock times\n"
                 "addresses: SEARCH_ADDR, BOOKING_ADDR, PAYMENT_ADDR, EXPIRY_ADDR (default 127.0.0.1:5005x);\n"
                 "  a service that cannot be connected to within --connect-timeout MS (or\n"
                 "  $BOOKINGCTL_CONNECT_TIMEOUT_MS; default 1500) fails the command at once\n"
                 "exit status: 0 ok, 1 the call failed, 2 usage error\n");
}

/* The command named by argv[first] (and argv[first + 1] for two-word commands), or
 * NULL; *group is set when argv[first] names a command group with no such member. */
static const ctl_command *find_command(int argc, char **argv, int first, int *group)
{
    *group = 0;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const ctl_command *c = &commands[i];
        if (strcmp(argv[first], c->name) != 0)
            continue;
        *group = 1;
        if (!c->sub || (first + 1 < argc && strcmp(argv[first + 1], c->sub) == 0))
            return c;
    }
    return NULL;
}

/* 1 when the command's arguments ask for help (before any "--"). */
static int wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* The usage and help of one command. */
static void command_help(FILE *out, const ctl_command *c)
{
    fprintf(out, "usage: bookingctl %s\n\n", c->usage);
    print_indented(out, c->help, 0);
}

/* The commands of a group ("hold": create, get, ...); returns how many. */
static int group_help(FILE *out, const char *name)
{
    int n = 0;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) != 0)
            continue;
        fprintf(out, "%s  ", n++ ? "" : "commands:\n");
        print_indented(out, commands[i].usage, 2);
        fputs("      ", out);
        print_indented(out, commands[i].help, 6);
    }
    return n;
}

static int print_version(const ctl_context *ctx)
{
    if (ctx->json)
        printf("{\"name\":\"bookingctl\",\"version\":\"%s\",\"revision\":\"%s\"}\n", build_version(),
               build_revision());
    else
        printf("bookingctl %s (revision %s)\n", build_version(), build_revision());
    return 0;
}

/* An unknown command or group member: the message, and the commands (text) or a USAGE
 * failure (--json). */
static int unknown_command(ctl_context *ctx, const char *fmt, const char *a, const char *b)
{
    ctl_usage_error(ctx, fmt, a, b);
    if (!ctx->json) {
        fputc('\n', stderr);
        usage(stderr);
    }
    return 2;
}

/* `bookingctl help [WORD [WORD]]`. */
static int help(ctl_context *ctx, int argc, char **argv)
{
    int group;
    if (argc == 0) {
        usage(stdout);
        return 0;
    }
    const ctl_command *cmd = find_command(argc, argv, 0, &group);
    if (cmd && argc <= (cmd->sub ? 2 : 1)) {
        command_help(stdout, cmd);
        return 0;
    }
    if (group && argc == 1)
        return group_help(stdout, argv[0]) > 0 ? 0 : 2;
    return unknown_command(ctx, "help: no command \"%s%s\"", argv[0], argc > 1 ? " ..." : "");
}

static int run(ctl_context *ctx, int argc, char **argv)
{
    int group, first = ctl_parse_globals(ctx, argc, argv);
    if (first < 0)
        return unknown_command(ctx, "unknown global option or missing value%s%s", "", "");
    if (ctx->version)
        return print_version(ctx);
    if (first >= argc) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[first], "help") == 0)
        return help(ctx, argc - first - 1, argv + first + 1);
    if (strcmp(argv[first], "version") == 0)
        return print_version(ctx);
    const ctl_command *cmd = find_command(argc, argv, first, &group);
    if (!cmd && group && wants_help(argc - first - 1, argv + first + 1))
        return group_help(stdout, argv[first]) > 0 ? 0 : 2;
    if (!cmd && group && first + 1 < argc)
        return unknown_command(ctx, "unknown command \"%s %s\"", argv[first], argv[first + 1]);
    if (!cmd)
        return unknown_command(ctx, "%s \"%s\"", group ? "missing the subcommand of" : "unknown command",
                               argv[first]);
    int words = cmd->sub ? 2 : 1;
    ctx->command = cmd;
    if (ctl_setup(ctx) != 0)
        return 2;
    if (wants_help(argc - first - words, argv + first + words)) {
        command_help(stdout, cmd);
        return 0;
    }
    return cmd->run(ctx, argc - first - words, argv + first + words);
}

int main(int argc, char **argv)
{
    ctl_context ctx;
    int status = run(&ctx, argc, argv);
    return ctl_finish(&ctx, status);
}
