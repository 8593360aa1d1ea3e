/* page_token.h — tamper-proof page tokens: the query's fingerprint and the sort key of
 * the last result served, signed with HMAC-SHA256 under a process (or configured) key,
 * in URL-safe base64. The next page starts strictly after that key (keyset paging), so
 * results that keep their key are served exactly once across pages. Pure. */
#ifndef SEARCH_SVC_PAGE_TOKEN_H
#define SEARCH_SVC_PAGE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "ranking.h"

#define PAGE_TOKEN_KEY_BYTES 32
#define PAGE_TOKEN_MAX 200  /* characters, NUL included */

typedef struct page_key {
    uint8_t bytes[PAGE_TOKEN_KEY_BYTES];
} page_key;

/* The key from a configured secret (any text; hashed), or random bytes when secret is
 * empty. 0, or -1 when no randomness is available. */
int page_key_init(page_key *k, const char *secret);

typedef enum page_token_status {
    PAGE_TOKEN_OK = 0,
    PAGE_TOKEN_MALFORMED,    /* not base64url, wrong length or version */
    PAGE_TOKEN_FORGED,       /* the signature does not match */
    PAGE_TOKEN_OTHER_QUERY,  /* signed by us, but for a different query */
} page_token_status;

/* Writes the token of (fingerprint, order, last) into out (PAGE_TOKEN_MAX bytes). */
void page_token_encode(const page_key *k, uint64_t fingerprint, rank_order order, const rank_key *last, char *out);

/* Checks and decodes a token for the query with this fingerprint and order. */
page_token_status page_token_decode(const page_key *k, uint64_t fingerprint, rank_order order, const char *token,
                                    rank_key *last);

/* A message for a status ("is not a valid page token", ...). */
const char *page_token_error(page_token_status st);

#endif
