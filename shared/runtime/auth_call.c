/* auth_call.c — the identity of a call and the role check of its method (auth.h): the
 * identity settings, bearer tokens verified against the JWKS in jwt mode, the
 * x-user-id/x-user-role development mode, the service role of mTLS peers. */
#include "auth.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth_jwks.h"
#include "log.h"
#include "rpc_internal.h"

#define PEERS_MAX 16
#define HEADER_WARN_INTERVAL_S 10

static struct {
    int jwt;  /* 0 until auth_start: headers mode */
    auth_jwt_config jwt_config;
    auth_jwks *jwks;
    char service[64];
    char peers[PEERS_MAX][64];
    size_t peer_count;
    auth_settings settings;  /* backs jwt_config's strings */
} auth;

static _Atomic long long last_header_warning;

size_t auth_config_entries(auth_settings *s, config_entry *out)
{
    const config_entry table[AUTH_CONFIG_COUNT] = {
        {"AUTH_MODE", CONFIG_STRING, s->mode, "jwt", 0, 0,
         "jwt (bearer tokens checked against JWKS_FILE) or headers (x-user-id/x-user-role: development only)"},
        {"JWKS_FILE", CONFIG_STRING, s->jwks_file, ".stack/auth/jwks.json", 0, 0,
         "JSON Web Key Set of the token issuer (re-read when it changes)"},
        {"JWT_ISSUER", CONFIG_STRING, s->issuer, "booking-dev", 0, 0, "required iss claim"},
        {"JWT_AUDIENCE", CONFIG_STRING, s->audience, "booking-platform", 0, 0, "required in the aud claim"},
        {"JWT_ROLE_CLAIM", CONFIG_STRING, s->role_claim, "role", 0, 0,
         "claim (dotted path allowed) whose value or array holding \"admin\" makes an admin"},
        {"JWT_CLOCK_SKEW_SECONDS", CONFIG_INT, &s->skew_seconds, "60", 0, 600, "allowance on exp, nbf and iat"},
        {"JWT_MAX_BYTES", CONFIG_INT, &s->max_token_bytes, "8192", 256, 65536, "longer tokens are refused"},
        {"JWKS_CHECK_MS", CONFIG_INT, &s->jwks_check_ms, "1000", 50, 3600000,
         "how often JWKS_FILE is checked for changes"},
        {"SERVICE_PEERS", CONFIG_STRING, s->service_peers, "booking-svc,expiry-svc", 0, 0,
         "mTLS certificate names (CN or SAN) granted the service role"},
    };
    memcpy(out, table, sizeof table);
    return AUTH_CONFIG_COUNT;
}

static void parse_peers(const char *csv)
{
    auth.peer_count = 0;
    while (*csv && auth.peer_count < PEERS_MAX) {
        size_t n = strcspn(csv, ", ");
        if (n > 0 && n < sizeof auth.peers[0]) {
            memcpy(auth.peers[auth.peer_count], csv, n);
            auth.peers[auth.peer_count++][n] = '\0';
        }
        csv += n;
        csv += strspn(csv, ", ");
    }
}

int auth_start(const auth_settings *s, const char *service, char *err, size_t errlen)
{
    auth.settings = *s;
    snprintf(auth.service, sizeof auth.service, "%s", service);
    parse_peers(auth.settings.service_peers);
    auth.jwt_config = (auth_jwt_config){auth.settings.issuer, auth.settings.audience, auth.settings.role_claim,
                                        s->skew_seconds, (size_t)s->max_token_bytes};
    if (strcmp(s->mode, "headers") == 0) {
        auth.jwt = 0;
        /* a bearer token sent anyway is verified when a JWKS is at hand (./dev up makes one) */
        if (access(auth.settings.jwks_file, R_OK) == 0)
            auth.jwks = auth_jwks_open(auth.settings.jwks_file, s->jwks_check_ms);
        log_warn("AUTH_MODE=headers: x-user-id/x-user-role are trusted as sent (development only)%s",
                 auth.jwks ? "; bearer tokens are verified too" : "");
        return 0;
    }
    if (strcmp(s->mode, "jwt") != 0) {
        snprintf(err, errlen, "AUTH_MODE \"%s\" is not jwt or headers", s->mode);
        return -1;
    }
    auth.jwks = auth_jwks_open(auth.settings.jwks_file, s->jwks_check_ms);
    auth.jwt = 1;
    log_info("AUTH_MODE=jwt: issuer %s, audience %s, keys from %s; x-user-id/x-user-role are refused",
             s->issuer, s->audience, s->jwks_file);
    return 0;
}

void auth_stop(void)
{
    auth_jwks_free(auth.jwks);
    auth.jwks = NULL;
    auth.jwt = 0;
}

int auth_jwt_mode(void) { return auth.jwt; }

int auth_service_peer(const char *const *names, size_t count, char *out, size_t cap)
{
    for (size_t i = 0; i < count; i++)
        for (size_t j = 0; j < auth.peer_count; j++)
            if (strcmp(names[i], auth.peers[j]) == 0) {
                snprintf(out, cap, "%s", names[i]);
                return 1;
            }
    return 0;
}

/* The development identity a service's outgoing calls carry in headers mode. */
size_t auth_outgoing_identity(const char **keys, const char **values, size_t cap)
{
    if (auth.jwt || !*auth.service || cap < 2)
        return 0;
    keys[0] = "x-user-id", values[0] = auth.service;
    keys[1] = "x-user-role", values[1] = "service";
    return 2;
}

/* jwt mode: a caller that sends x-user-id/x-user-role is refused, and told why. */
static int refuse_header_identity(rpc_call *call)
{
    long long now = (long long)time(NULL), last = atomic_load(&last_header_warning);
    if (now - last >= HEADER_WARN_INTERVAL_S && atomic_compare_exchange_strong(&last_header_warning, &last, now))
        log_warn("refused a call to %s with x-user-id/x-user-role metadata: AUTH_MODE=jwt accepts only "
                 "authorization: Bearer tokens (headers mode is for development)", call->entry->path);
    return rpc_fail(call, RPC_UNAUTHENTICATED, "HEADER_IDENTITY_REFUSED",
                    "x-user-id/x-user-role are not accepted here: send authorization: Bearer <token>");
}

static int verify_bearer(rpc_call *call, const char *authz)
{
    if (strncasecmp(authz, "Bearer ", 7) != 0)
        return rpc_fail(call, RPC_UNAUTHENTICATED, AUTH_MALFORMED_TOKEN,
                        "authorization must be \"Bearer <token>\"");
    const char *token = authz + 7;
    char kid[128] = "", msg[200];
    if (strlen(token) <= auth.jwt_config.max_token_bytes)
        auth_jwt_kid(token, kid, sizeof kid);
    auth_keyset *keys = auth_jwks_acquire(auth.jwks, kid);
    if (!keys)
        return rpc_fail(call, RPC_UNAUTHENTICATED, "JWKS_UNAVAILABLE", "no signing keys are available to verify tokens");
    auth_identity id;
    const char *reason = auth_jwt_verify(keys, &auth.jwt_config, token, (int64_t)time(NULL), &id, msg, sizeof msg);
    auth_keyset_release(keys);
    if (reason)
        return rpc_fail(call, RPC_UNAUTHENTICATED, reason, "bearer token refused: %s", msg);
    call->user_id = rpc_strdup(call, id.user_id);
    call->role = rpc_strdup(call, id.role);
    return 0;
}

int rpc_call_identify(rpc_call *call)
{
    const char *authz = rpc_metadata(call, "authorization");
    if (!auth.jwt) /* headers mode: x-user-id/x-user-role as read, unless a token says otherwise */
        return authz && auth.jwks ? verify_bearer(call, authz) : 0;
    if (*call->user_id || *call->role)
        return refuse_header_identity(call);
    return authz ? verify_bearer(call, authz) : 0;
}

static int missing_identity(rpc_call *call)
{
    if (auth.jwt)
        return rpc_fail(call, RPC_UNAUTHENTICATED, "MISSING_TOKEN", "authorization: Bearer <token> is required");
    return rpc_fail(call, RPC_UNAUTHENTICATED, "MISSING_IDENTITY", "x-user-id metadata is required");
}

/* payment-svc and other internal methods: an mTLS peer named in SERVICE_PEERS, or in
 * headers mode a caller saying x-user-role: service. */
static int authorize_service(rpc_call *call)
{
    if (*call->peer_service || (!auth.jwt && strcmp(call->role, "service") == 0))
        return 0;
    if (!*call->user_id)
        return rpc_fail(call, RPC_UNAUTHENTICATED, "SERVICE_IDENTITY_REQUIRED",
                        "this method serves only platform services (mTLS client certificate)");
    return rpc_fail(call, RPC_PERMISSION_DENIED, "SERVICE_REQUIRED", "this method serves only platform services");
}

int rpc_call_authorize(rpc_call *call, rpc_role role)
{
    if (role == RPC_ROLE_NONE)
        return 0;
    if (role == RPC_ROLE_SERVICE)
        return authorize_service(call);
    if (!*call->user_id)
        return missing_identity(call);
    int admin = strcmp(call->role, "admin") == 0;
    int customer = !*call->role || strcmp(call->role, "customer") == 0;
    if (!admin && !customer)
        return rpc_fail(call, RPC_PERMISSION_DENIED, "UNKNOWN_ROLE", "x-user-role \"%s\" is not customer or admin",
                        call->role);
    if (role == RPC_ROLE_ADMIN && !admin)
        return rpc_fail(call, RPC_PERMISSION_DENIED, "ADMIN_REQUIRED", "this method needs the admin role");
    return 0;
}
