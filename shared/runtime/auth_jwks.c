/* auth_jwks.c — a JWKS file kept current (see auth_jwks.h): the set is replaced whole,
 * readers hold references, so a reload never disturbs a verification in progress. */
#include "auth_jwks.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "timeutil.h"

#define JWKS_MAX_BYTES (1 << 20)
#define UNKNOWN_KID_RECHECK_MS 100

struct auth_jwks {
    pthread_mutex_t lock;
    char path[512];
    long check_ms;
    auth_keyset *keys;     /* NULL until a JWKS was read */
    struct stat seen;      /* the file as last read */
    int64_t checked_ms;    /* last look at the file */
    int warned_missing;
};

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The file's contents (malloc'd, NUL-terminated) or NULL. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(JWKS_MAX_BYTES + 1);
    *len = fread(buf, 1, JWKS_MAX_BYTES + 1, f);
    fclose(f);
    if (*len > JWKS_MAX_BYTES) {
        free(buf);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

/* Re-reads the file when it changed. Called with the lock held. */
static void reload_if_changed(auth_jwks *j)
{
    struct stat st;
    j->checked_ms = monotonic_ms();
    if (stat(j->path, &st) != 0) {
        if (!j->warned_missing++)
            log_error("JWKS_FILE %s cannot be read: no bearer token verifies until it can", j->path);
        return;
    }
    if (j->keys && same_file(&st, &j->seen))
        return;
    size_t len = 0;
    char *text = read_file(j->path, &len), err[160] = "too large or unreadable";
    auth_keyset *ks = text ? auth_keyset_parse(text, len, err, sizeof err) : NULL;
    free(text);
    j->seen = st; /* a bad file is not re-parsed until it changes again */
    if (!ks) {
        log_error("JWKS_FILE %s: %s; keeping the %zu keys read before", j->path, err, auth_keyset_count(j->keys));
        return;
    }
    log_info("JWKS_FILE %s: %zu signing keys loaded", j->path, auth_keyset_count(ks));
    auth_keyset_release(j->keys);
    j->keys = ks;
    j->warned_missing = 0;
}

auth_jwks *auth_jwks_open(const char *path, long check_ms)
{
    auth_jwks *j = calloc(1, sizeof *j);
    pthread_mutex_init(&j->lock, NULL);
    snprintf(j->path, sizeof j->path, "%s", path);
    j->check_ms = check_ms > 0 ? check_ms : 1000;
    pthread_mutex_lock(&j->lock);
    reload_if_changed(j);
    pthread_mutex_unlock(&j->lock);
    return j;
}

void auth_jwks_free(auth_jwks *j)
{
    if (!j)
        return;
    auth_keyset_release(j->keys);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

auth_keyset *auth_jwks_acquire(auth_jwks *j, const char *want_kid)
{
    pthread_mutex_lock(&j->lock);
    int64_t since = monotonic_ms() - j->checked_ms;
    int unknown = want_kid && *want_kid && !auth_keyset_has_kid(j->keys, want_kid);
    if (since >= j->check_ms || (unknown && since >= UNKNOWN_KID_RECHECK_MS))
        reload_if_changed(j);
    auth_keyset *ks = j->keys ? auth_keyset_retain(j->keys) : NULL;
    pthread_mutex_unlock(&j->lock);
    return ks;
}
