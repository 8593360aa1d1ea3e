/* ctl.c — bookingctl's global options, addresses, calls and error reporting (text
 * lines, or one JSON document with --json). */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "booking/v1/booking.pb-c.h"
#include "booking/v1/expiry.pb-c.h"
#include "booking/v1/search.pb-c.h"
#include "format.h"
#include "ids.h"
#include "json.h"
#include "strbuf.h"
#include "tls_config.h"
#include "token.h"

typedef struct service_target {
    const ProtobufCServiceDescriptor *descriptor;
    const char *name, *env, *fallback;
} service_target;

static const service_target services[] = {
    [CTL_SEARCH] = {&booking__v1__search_service__descriptor, "search-svc", "SEARCH_ADDR", "127.0.0.1:50051"},
    [CTL_BOOKING] = {&booking__v1__booking_service__descriptor, "booking-svc", "BOOKING_ADDR", "127.0.0.1:50052"},
    [CTL_EXPIRY] = {&booking__v1__expiry_service__descriptor, "expiry-svc", "EXPIRY_ADDR", "127.0.0.1:50054"},
};

int ctl_global_option(ctl_context *ctx, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char **value = strcmp(a, "--user") == 0    ? &ctx->user_id
                         : strcmp(a, "--key") == 0   ? &ctx->key
                         : strcmp(a, "--token") == 0 ? &ctx->token
                                                     : NULL;
    ctx->user_given |= strcmp(a, "--user") == 0;
    if (strcmp(a, "--connect-timeout") == 0) {
        int64_t ms;
        if (*i + 1 >= argc || fmt_parse_int(argv[*i + 1], 1, 600000, &ms) != 0)
            return -1;
        ctx->connect_timeout_ms = ms;
        ++*i;
        return 1;
    }
    if (strcmp(a, "--json") == 0)
        ctx->json = 1;
    else if (strcmp(a, "--admin") == 0)
        ctx->role = "admin";
    else if (!value)
        return 0;
    else if (*i + 1 >= argc)
        return -1;
    else
        *value = argv[++*i];
    return 1;
}

int ctl_parse_globals(ctl_context *ctx, int argc, char **argv)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->user_id = getenv("BOOKING_USER") ? getenv("BOOKING_USER") : "demo-user";
    ctx->role = "customer";
    ctx->token = getenv("BOOKING_TOKEN") && *getenv("BOOKING_TOKEN") ? getenv("BOOKING_TOKEN") : NULL;
    ctx->timeout_ms = 10000;
    int64_t ms;
    const char *connect = getenv("BOOKINGCTL_CONNECT_TIMEOUT_MS");
    ctx->connect_timeout_ms = connect && fmt_parse_int(connect, 1, 600000, &ms) == 0 ? ms : CTL_CONNECT_TIMEOUT_MS;
    for (int k = 1; k < argc && strcmp(argv[k], "--") != 0; k++)
        ctx->json |= strcmp(argv[k], "--json") == 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return argc;
        if (strcmp(argv[i], "--version") == 0) {
            ctx->version = 1;
            return argc;
        }
        if (ctl_global_option(ctx, argc, argv, &i) != 1)
            return -1;
    }
    return i;
}

static void env_copy(char *dst, size_t cap, const char *name)
{
    snprintf(dst, cap, "%s", getenv(name) ? getenv(name) : "");
}

int ctl_setup(ctl_context *ctx)
{
    if (ctx->token && !ctx->user_given && token_subject(ctx->token, ctx->user_buf, sizeof ctx->user_buf) == 0)
        ctx->user_id = ctx->user_buf;
    static rpc_tls tls;
    env_copy(tls.ca_file, sizeof tls.ca_file, "TLS_CA_FILE");
    env_copy(tls.cert_file, sizeof tls.cert_file, "TLS_CERT_FILE");
    env_copy(tls.key_file, sizeof tls.key_file, "TLS_KEY_FILE");
    env_copy(tls.server_name, sizeof tls.server_name, "TLS_SERVER_NAME");
    tls.refresh_seconds = 60;
    if (tls.ca_file[0])
        rpc_client_set_tls(&tls);
    return 0;
}

void ctl_dev_token(ctl_context *ctx)
{
    static char minted[8192];
    const char *key = getenv("BOOKING_DEV_KEY");
    if (ctx->token || !key || !*key)
        return;
    FILE *f = fopen(key, "r");
    char jwk[8192];
    size_t n = f ? fread(jwk, 1, sizeof jwk - 1, f) : 0;
    if (f)
        fclose(f);
    jwk[n] = '\0';
    char *claims = token_claims(ctx->user_id, ctx->role, getenv("JWT_ISSUER") ? getenv("JWT_ISSUER") : "booking-dev",
                                getenv("JWT_AUDIENCE") ? getenv("JWT_AUDIENCE") : "booking-platform",
                                (int64_t)time(NULL), 300, 0);
    char *t = n && claims ? token_sign(jwk, NULL, claims) : NULL;
    if (t && strlen(t) < sizeof minted) {
        memcpy(minted, t, strlen(t) + 1);
        ctx->token = minted;
    } else {
        fprintf(stderr, "bookingctl: BOOKING_DEV_KEY %s is not a private JWK; calling without a token\n", key);
    }
    free(claims);
    free(t);
}

const char *ctl_addr(const char *env_name, const char *fallback)
{
    const char *v = getenv(env_name);
    return v && *v ? v : fallback;
}

/* Writes s with control characters as spaces: one line, no terminal escapes. */
static void put_line(const char *s, FILE *out)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, out);
}

int ctl_report(const char *what, const rpc_result *r)
{
    fprintf(stderr, "%s: %s: ", what, rpc_code_name(r->code));
    put_line(r->message, stderr);
    if (r->info.reason[0]) {
        fputs(" [", stderr);
        put_line(r->info.reason, stderr);
        for (size_t i = 0; i < r->info.meta_count; i++) {
            fputc(' ', stderr);
            put_line(r->info.meta_key[i], stderr);
            fputc('=', stderr);
            put_line(r->info.meta_value[i], stderr);
        }
        fputc(']', stderr);
    }
    fputc('\n', stderr);
    return 1;
}

static void copy(char *dst, size_t cap, const char *s) { snprintf(dst, cap, "%s", s ? s : ""); }

void ctl_failed_call(ctl_context *ctx, const char *method, const rpc_result *r)
{
    if (!ctx->json) {
        ctl_report(method, r);
        return;
    }
    ctl_failure_record *f = &ctx->failure;
    memset(f, 0, sizeof *f);
    f->set = 1;
    f->status = (int)r->code;
    copy(f->code, sizeof f->code, rpc_code_name(r->code));
    copy(f->method, sizeof f->method, method);
    copy(f->reason, sizeof f->reason, r->info.reason);
    copy(f->message, sizeof f->message, r->message);
    copy(f->request_id, sizeof f->request_id, r->request_id);
    error_trace_id(r->traceparent, f->trace_id);
    f->info = r->info;
}

void ctl_hint(ctl_context *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!ctx->json) {
        fputs("bookingctl: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    } else if (ctx->failure.n_hints < ERROR_HINTS_MAX) {
        vsnprintf(ctx->failure.hints[ctx->failure.n_hints++], sizeof ctx->failure.hints[0], fmt, ap);
    }
    va_end(ap);
}

/* Records (--json) or prints a failure outside a call. */
static void vfail(ctl_context *ctx, const char *code, const char *fmt, va_list ap)
{
    if (!ctx->json) {
        fputs("bookingctl: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        return;
    }
    ctl_failure_record *f = &ctx->failure;
    memset(f, 0, sizeof *f);
    f->set = 1;
    f->status = -1;
    copy(f->code, sizeof f->code, code);
    copy(f->reason, sizeof f->reason, code);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
}

int ctl_fail(ctl_context *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(ctx, "LOCAL", fmt, ap);
    va_end(ap);
    return 1;
}

int ctl_usage_failure(ctl_context *ctx, const char *fmt, va_list ap)
{
    vfail(ctx, "USAGE", fmt, ap);
    if (ctx->command && ctx->json)
        ctl_hint(ctx, "usage: bookingctl %s", ctx->command->usage);
    else if (ctx->command)
        fprintf(stderr, "usage: bookingctl %s\n", ctx->command->usage);
    return 2;
}

int ctl_finish(ctl_context *ctx, int status)
{
    const ctl_failure_record *r = &ctx->failure;
    if (!ctx->json || !r->set)
        return status;
    ctl_failure f = {r->code, r->status, r->method, r->reason, r->message, &r->info, r->request_id, r->trace_id,
                     {NULL}, r->n_hints};
    for (size_t i = 0; i < r->n_hints; i++)
        f.hints[i] = r->hints[i];
    strbuf b = STRBUF_INIT;
    error_json(&b, &f);
    fputs(b.data, stderr);
    strbuf_free(&b);
    return status;
}

/* The idempotency key of this invocation: --key, or one generated on first use. */
static const char *idempotency_key(ctl_context *ctx)
{
    if (!ctx->key) {
        new_id("ctl", ctx->key_buf, sizeof ctx->key_buf);
        ctx->key = ctx->key_buf;
    }
    return ctx->key;
}

/* What to do next after a failure whose cause the user can act on. */
static void hint(ctl_context *ctx, const service_target *s, const char *addr, const char *method,
                 const rpc_result *r, int mutating)
{
    if (r->code == RPC_UNAVAILABLE && !r->info.reason[0]) /* no answer from the service itself */
        ctl_hint(ctx, "is %s running at %s? (set %s)", s->name, addr, s->env);
    if (r->code == RPC_UNIMPLEMENTED)
        ctl_hint(ctx, "%s at %s does not serve %s.%s: not implemented there yet, or %s names another service",
                 s->name, addr, s->descriptor->name, method, s->env);
    if (mutating && (r->code == RPC_UNAVAILABLE || r->code == RPC_DEADLINE_EXCEEDED || r->code == RPC_UNKNOWN))
        ctl_hint(ctx, "if it may have been applied, repeat with --key %s to retry safely", ctx->key);
}

int ctl_call(ctl_context *ctx, ctl_service service, const char *method, const ProtobufCMessage *request,
             int mutating, ProtobufCMessage **response)
{
    const service_target *s = &services[service];
    const char *addr = ctl_addr(s->env, s->fallback);
    rpc_md md[3] = {{"x-user-id", ctx->user_id}, {"x-user-role", ctx->role}, {"idempotency-key", NULL}};
    size_t n_md = 2;
    char *bearer = NULL;
    ctl_dev_token(ctx);
    if (ctx->token) { /* the token is the identity: no x-user-* (jwt mode refuses them) */
        size_t n = strlen(ctx->token) + 8;
        bearer = malloc(n);
        snprintf(bearer, n, "Bearer %s", ctx->token);
        md[0] = (rpc_md){"authorization", bearer};
        n_md = 1;
    }
    if (mutating)
        md[n_md++] = (rpc_md){"idempotency-key", idempotency_key(ctx)};
    rpc_result r;
    rpc_client *client = rpc_client_new(addr, s->descriptor);
    int rc = -1;
    if (rpc_client_wait_ready(client, ctx->connect_timeout_ms) != 0) { /* fail fast: nobody answers there */
        memset(&r, 0, sizeof r);
        r.code = RPC_UNAVAILABLE;
        snprintf(r.message, sizeof r.message, "cannot connect to %s at %s (refused, or not ready within %lld ms: "
                 "--connect-timeout MS)", s->name, addr, (long long)ctx->connect_timeout_ms);
    } else {
        rc = rpc_client_call(client, method, request, md, n_md, ctx->timeout_ms, 1, response, &r);
    }
    rpc_client_free(client);
    free(bearer);
    if (rc == 0)
        return 0;
    ctl_failed_call(ctx, method, &r);
    hint(ctx, s, addr, method, &r, mutating);
    return -1;
}

int ctl_call_with_id(ctl_context *ctx, int argc, char **argv, ctl_service service, const char *method,
                     const ProtobufCMessageDescriptor *request_type, const char *id_field, int mutating,
                     ProtobufCMessage **response)
{
    const char *id;
    if (ctl_parse_opts(ctx, argc, argv, NULL, 0, &id, 1) != 0)
        return 2;
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(request_type, id_field);
    ProtobufCMessage *req = calloc(1, request_type->sizeof_message);
    request_type->message_init(req);
    *(const char **)((char *)req + f->offset) = id;
    int rc = ctl_call(ctx, service, method, req, mutating, response) == 0 ? 0 : 1;
    free(req); /* the id is argv's */
    return rc;
}

int ctl_output(ctl_context *ctx, ProtobufCMessage *response, ctl_printer print_table)
{
    if (ctx->json) {
        strbuf b = STRBUF_INIT;
        json_message(&b, response);
        puts(b.data);
        strbuf_free(&b);
    } else {
        print_table(response);
    }
    protobuf_c_message_free_unpacked(response, NULL);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
