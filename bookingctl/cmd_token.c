/* cmd_token.c — bookingctl keygen and token: a development key pair (private JWK +
 * JWKS for the services' JWKS_FILE) and tokens signed with it, so the demo runs with
 * AUTH_MODE=jwt. Production tokens come from the real identity provider. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ctl.h"
#include "token.h"

#define DEV_KEY_DEFAULT ".stack/auth/dev-key.jwk"

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static int write_text(const char *path, const char *text, mode_t mode)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fputs(text, f) < 0 || fputc('\n', f) < 0 || fclose(f) != 0) {
        perror(path);
        return -1;
    }
    chmod(tmp, mode);
    return rename(tmp, path) == 0 ? 0 : -1;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65537);
    size_t n = fread(buf, 1, 65536, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

int ctl_keygen(ctl_context *ctx, int argc, char **argv)
{
    const char *kid = "dev-1", *alg = "RS256", *priv_path = DEV_KEY_DEFAULT, *jwks_path = ".stack/auth/jwks.json";
    ctl_opt opts[] = {{"--kid", CTL_OPT_STR, &kid, 0, 0},
                      {"--alg", CTL_OPT_STR, &alg, 0, 0},
                      {"--private", CTL_OPT_STR, &priv_path, 0, 0},
                      {"--jwks", CTL_OPT_STR, &jwks_path, 0, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0) != 0)
        return 2;
    char *priv = NULL, *pub = NULL;
    if (token_keygen(alg, kid, &priv, &pub) != 0)
        return ctl_usage_error(ctx, "--alg %s: only RS256 and ES256 keys are made", alg);
    const char *keys[] = {pub};
    char *jwks = token_jwks(keys, 1);
    int rc = write_text(priv_path, priv, 0600) == 0 && write_text(jwks_path, jwks, 0644) == 0 ? 0 : 1;
    if (rc == 0)
        printf("private key %s (keep it), JWKS %s (JWKS_FILE of the services)\n", priv_path, jwks_path);
    free(priv), free(pub), free(jwks);
    return rc;
}

int ctl_token(ctl_context *ctx, int argc, char **argv)
{
    const char *sub = ctx->user_id, *role = NULL, *key_path = env_or("BOOKING_DEV_KEY", DEV_KEY_DEFAULT);
    const char *iss = env_or("JWT_ISSUER", "booking-dev"), *aud = env_or("JWT_AUDIENCE", "booking-platform");
    int32_t ttl = 3600;
    ctl_opt opts[] = {{"--sub", CTL_OPT_STR, &sub, 0, 0},       {"--role", CTL_OPT_STR, &role, 0, 0},
                      {"--ttl", CTL_OPT_INT, &ttl, 0, 0},       {"--key-file", CTL_OPT_STR, &key_path, 0, 0},
                      {"--iss", CTL_OPT_STR, &iss, 0, 0},       {"--aud", CTL_OPT_STR, &aud, 0, 0}};
    if (ctl_parse_opts(ctx, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0) != 0)
        return 2;
    if (!role)
        role = strcmp(ctx->role, "admin") == 0 ? "admin" : "customer";
    char *priv = read_text(key_path);
    if (!priv) {
        return ctl_fail(ctx, "cannot read the signing key %s (bookingctl keygen makes one)", key_path);
    }
    char *claims = token_claims(sub, role, iss, aud, (int64_t)time(NULL), ttl, 0);
    char *token = claims ? token_sign(priv, NULL, claims) : NULL;
    free(priv);
    free(claims);
    if (!token) {
        return ctl_fail(ctx, "%s is not a private JWK", key_path);
    }
    puts(token);
    free(token);
    return 0;
}
