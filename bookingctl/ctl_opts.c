/* ctl_opts.c — a command's options as a table (name, type, target), parsed strictly;
 * usage errors name the option and show the command's usage line. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "format.h"

int ctl_usage_error(ctl_context *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ctl_usage_failure(ctx, fmt, ap);
    va_end(ap);
    return rc;
}

int ctl_opt_seen(const ctl_opt *opts, size_t n_opts, const char *name)
{
    for (size_t i = 0; i < n_opts; i++)
        if (strcmp(opts[i].name, name) == 0)
            return opts[i].seen;
    return 0;
}

/* Stores v into o's target after checking it; returns 0 or 2 (usage error printed). */
static int set_value(ctl_context *ctx, ctl_opt *o, const char *v)
{
    int64_t n;
    ctl_list *list = o->target;
    switch (o->type) {
    case CTL_OPT_STR:
        *(const char **)o->target = v;
        return 0;
    case CTL_OPT_INT:
        if (fmt_parse_int(v, INT32_MIN, INT32_MAX, &n) != 0)
            return ctl_usage_error(ctx, "%s: \"%s\" is not a whole number", o->name, v);
        *(int32_t *)o->target = (int32_t)n;
        return 0;
    case CTL_OPT_DOUBLE:
        return fmt_parse_double(v, o->target) == 0 ? 0 : ctl_usage_error(ctx, "%s: \"%s\" is not a number", o->name, v);
    case CTL_OPT_TIME:
        return fmt_parse_time(v, o->target) == 0 ? 0
            : ctl_usage_error(ctx, "%s: \"%s\" is not a time such as 2026-06-01T15:00:00Z or 2026-06-01", o->name, v);
    case CTL_OPT_AMOUNT:
        return fmt_parse_amount(v, o->target) == 0 ? 0
            : ctl_usage_error(ctx, "%s: \"%s\" is not an amount such as 120.00", o->name, v);
    case CTL_OPT_LIST:
        if (list->count == CTL_LIST_MAX)
            return ctl_usage_error(ctx, "%s: at most %d times", o->name, CTL_LIST_MAX);
        list->item[list->count++] = v;
        return 0;
    case CTL_OPT_FLAG:
        *(int *)o->target = 1;
        return 0;
    }
    return 0;
}

/* Parses the option at argv[*i]: "--name value", "--name=value", or "--name" alone
 * for a flag. Returns 0 or 2. */
static int parse_option(ctl_context *ctx, int argc, char **argv, int *i, ctl_opt *opts, size_t n_opts)
{
    const char *a = argv[*i], *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    ctl_opt *o = NULL;
    for (size_t k = 0; k < n_opts && !o; k++)
        if (strlen(opts[k].name) == len && strncmp(opts[k].name, a, len) == 0)
            o = &opts[k];
    if (!o)
        return ctl_usage_error(ctx, "unknown option \"%s\"", a);
    if (o->type == CTL_OPT_FLAG && eq)
        return ctl_usage_error(ctx, "%s takes no value", o->name);
    if (o->type == CTL_OPT_FLAG) {
        o->seen = 1;
        return set_value(ctx, o, NULL);
    }
    const char *v = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    if (!v)
        return ctl_usage_error(ctx, "%s needs a value", o->name);
    o->seen = 1;
    return set_value(ctx, o, v);
}

static int check_required(ctl_context *ctx, const ctl_opt *opts, size_t n_opts)
{
    for (size_t i = 0; i < n_opts; i++)
        if (opts[i].required && !opts[i].seen)
            return ctl_usage_error(ctx, "%s is required", opts[i].name);
    return 0;
}

int ctl_parse_opts(ctl_context *ctx, int argc, char **argv, ctl_opt *opts, size_t n_opts, const char **pos,
                   size_t n_pos)
{
    size_t got = 0;
    int options_done = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int global = 0;
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = 1;
        } else if (options_done || a[0] != '-' || a[1] == '\0') {
            if (got == n_pos)
                return ctl_usage_error(ctx, "unexpected argument \"%s\"", a);
            pos[got++] = a;
        } else if ((global = ctl_global_option(ctx, argc, argv, &i)) < 0) {
            return ctl_usage_error(ctx, "%s needs a value", a);
        } else if (!global && parse_option(ctx, argc, argv, &i, opts, n_opts) != 0) {
            return 2;
        }
    }
    if (got < n_pos)
        return ctl_usage_error(ctx, "expected %zu argument%s, got %zu", n_pos, n_pos == 1 ? "" : "s", got);
    return check_required(ctx, opts, n_opts);
}
