/* auth_jwks.h — a JWKS file kept current: re-read when its inode, size or mtime changes
 * (a Kubernetes Secret volume swaps a symlink; an editor rewrites in place), checked at
 * most every check_ms, or sooner when a token names a key the set does not have. */
#ifndef SHARED_AUTH_JWKS_H
#define SHARED_AUTH_JWKS_H

#include "auth_jwt.h"

typedef struct auth_jwks auth_jwks;

/* Watches path. Never NULL; the file may be missing (then no key verifies anything until
 * it appears). Free with auth_jwks_free. Thread-safe. */
auth_jwks *auth_jwks_open(const char *path, long check_ms);
void auth_jwks_free(auth_jwks *j);

/* The current key set, re-read first if due (or, with want_kid not NULL and not in the
 * set, if the last look was over 100 ms ago). Returns a reference (release with
 * auth_keyset_release), or NULL when no readable JWKS was ever found. */
auth_keyset *auth_jwks_acquire(auth_jwks *j, const char *want_kid);

#endif
