/* tls_creds.h — gRPC core credentials from rpc_tls settings (runtime-internal: used by
 * rpc_server.c and rpc_client.c). */
#ifndef SHARED_TLS_CREDS_H
#define SHARED_TLS_CREDS_H

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>

#include "arena.h"
#include "tls_config.h"

typedef struct tls_server_state tls_server_state;

/* Server credentials whose certificate, key and CA are re-read whenever the files change
 * (checked at each new handshake). *state must outlive the server: free it with
 * tls_server_state_free after grpc_server_destroy. NULL with err on failure. */
grpc_server_credentials *tls_server_credentials(const rpc_tls *t, tls_server_state **state, char *err,
                                                size_t errlen);
void tls_server_state_free(tls_server_state *state);

/* Channel credentials (mutual TLS when t has a certificate) that follow the files as they
 * rotate; *args gets the server-name override when t sets one (args->num_args 0 or 1,
 * backed by t). */
grpc_channel_credentials *tls_channel_credentials(const rpc_tls *t, grpc_arg *override);

/* The SERVICE_PEERS name proven by the call's client certificate (copied into mem), or
 * ""; *secure is set to 1 when the call came over TLS (0: the plaintext health port). */
const char *tls_peer_service(grpc_call *call, arena *mem, int *secure);

#endif
