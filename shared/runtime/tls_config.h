/* tls_config.h — TLS settings of servers and clients: certificate, key and CA files from
 * the environment (TLS_CERT_FILE, TLS_KEY_FILE, TLS_CA_FILE), the client-certificate
 * policy of servers (TLS_CLIENT_AUTH), re-read when the files rotate. No gRPC type here;
 * tls_creds.h turns these into core credentials. */
#ifndef SHARED_TLS_CONFIG_H
#define SHARED_TLS_CONFIG_H

#include <stddef.h>

#include "config.h"

typedef struct rpc_tls {
    char cert_file[CONFIG_STRING_MAX];  /* PEM chain; "" = TLS off */
    char key_file[CONFIG_STRING_MAX];   /* PEM private key */
    char ca_file[CONFIG_STRING_MAX];    /* PEM roots that peers' certificates must chain to */
    char client_auth[CONFIG_STRING_MAX];  /* server: none | optional | require */
    char server_name[CONFIG_STRING_MAX];  /* client: name to verify instead of the target's host */
    long refresh_seconds;               /* client: how often the files are checked */
    char health_listen[CONFIG_STRING_MAX];  /* server: plaintext health-only address ("" = none) */
} rpc_tls;

#define TLS_CONFIG_COUNT 7

/* Writes the settings table (TLS_CONFIG_COUNT entries targeting t) into out. */
size_t tls_config_entries(rpc_tls *t, config_entry *out);

/* 1 when a certificate is configured (TLS on). */
int tls_enabled(const rpc_tls *t);

/* With TLS on: every file readable and TLS_CLIENT_AUTH known. 0, or -1 with err. */
int tls_check(const rpc_tls *t, char *err, size_t errlen);

#endif
