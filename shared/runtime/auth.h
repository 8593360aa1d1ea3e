/* auth.h — who is calling: the identity settings of every service (AUTH_MODE, JWKS_FILE,
 * JWT_*, SERVICE_PEERS), a verified bearer token in `jwt` mode, x-user-id/x-user-role in
 * the `headers` development mode, and the service role of an mTLS peer. */
#ifndef SHARED_AUTH_H
#define SHARED_AUTH_H

#include <stddef.h>

#include "config.h"

typedef struct auth_settings {
    char mode[CONFIG_STRING_MAX];       /* "jwt" or "headers" */
    char jwks_file[CONFIG_STRING_MAX];
    char issuer[CONFIG_STRING_MAX];
    char audience[CONFIG_STRING_MAX];
    char role_claim[CONFIG_STRING_MAX];
    char service_peers[CONFIG_STRING_MAX];  /* "booking-svc,expiry-svc" */
    long skew_seconds;
    long max_token_bytes;
    long jwks_check_ms;
} auth_settings;

#define AUTH_CONFIG_COUNT 9

/* Writes the settings table (AUTH_CONFIG_COUNT entries targeting s) into out. */
size_t auth_config_entries(auth_settings *s, config_entry *out);

/* Applies the settings for this process (`service` names it in logs and in the
 * development identity of its outgoing calls). 0, or -1 with a message in err. Until
 * it is called the runtime is in headers mode (unit tests). */
int auth_start(const auth_settings *s, const char *service, char *err, size_t errlen);
void auth_stop(void);

/* 1 in jwt mode. */
int auth_jwt_mode(void);

/* 1 when an mTLS peer's certificate names (CN or SAN) include one of SERVICE_PEERS;
 * the matching name is copied into out. */
int auth_service_peer(const char *const *names, size_t count, char *out, size_t cap);

/* The development identity (x-user-id: <service>, x-user-role: service) a service's
 * outgoing calls carry in headers mode: fills up to cap pairs, returns how many (0 in jwt
 * mode, where the mTLS certificate is the service's credential). */
size_t auth_outgoing_identity(const char **keys, const char **values, size_t cap);

#endif
