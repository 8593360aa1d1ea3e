/* tls_config.c — TLS for servers and clients on gRPC core credentials: settings, server
 * credentials whose certificate config is fetched again when the files rotate
 * (grpc_ssl_server_credentials_create_options_using_config_fetcher), client credentials
 * on a file-watching certificate provider, and the service name of an mTLS peer. */
#include "tls_config.h"

#include <grpc/grpc_security_constants.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "tls_creds.h"

#define PEM_MAX (256 * 1024)
#define PEER_NAMES_MAX 16

size_t tls_config_entries(rpc_tls *t, config_entry *out)
{
    const config_entry table[TLS_CONFIG_COUNT] = {
        {"TLS_CERT_FILE", CONFIG_STRING, t->cert_file, "", 0, 0,
         "PEM certificate chain: set it (with TLS_KEY_FILE, TLS_CA_FILE) to serve and call over TLS"},
        {"TLS_KEY_FILE", CONFIG_STRING, t->key_file, "", 0, 0, "PEM private key of TLS_CERT_FILE"},
        {"TLS_CA_FILE", CONFIG_STRING, t->ca_file, "", 0, 0, "PEM CA bundle that peers' certificates chain to"},
        {"TLS_CLIENT_AUTH", CONFIG_STRING, t->client_auth, "require", 0, 0,
         "client certificates a TLS server asks for: none, optional (verified when sent) or require"},
        {"TLS_SERVER_NAME", CONFIG_STRING, t->server_name, "", 0, 0,
         "name the servers this service calls must present (default: the target's host)"},
        {"TLS_REFRESH_SECONDS", CONFIG_INT, &t->refresh_seconds, "60", 1, 86400,
         "how often clients re-read rotated certificate files (servers check at each handshake)"},
        {"HEALTH_LISTEN", CONFIG_STRING, t->health_listen, "", 0, 0,
         "with TLS: a plaintext address serving only grpc.health.v1.Health (Kubernetes gRPC probes)"},
    };
    memcpy(out, table, sizeof table);
    return TLS_CONFIG_COUNT;
}

int tls_enabled(const rpc_tls *t) { return t && t->cert_file[0] != '\0'; }

static grpc_ssl_client_certificate_request_type request_type(const char *client_auth)
{
    if (strcmp(client_auth, "none") == 0)
        return GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
    if (strcmp(client_auth, "optional") == 0)
        return GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
}

int tls_check(const rpc_tls *t, char *err, size_t errlen)
{
    if (!tls_enabled(t))
        return 0;
    const char *const files[][2] = {{"TLS_CERT_FILE", t->cert_file}, {"TLS_KEY_FILE", t->key_file},
                                    {"TLS_CA_FILE", t->ca_file}};
    for (size_t i = 0; i < 3; i++)
        if (!*files[i][1] || access(files[i][1], R_OK) != 0) {
            snprintf(err, errlen, "%s \"%s\" is not a readable file (TLS needs all three files)", files[i][0],
                     files[i][1]);
            return -1;
        }
    const char *a = t->client_auth;
    if (strcmp(a, "none") != 0 && strcmp(a, "optional") != 0 && strcmp(a, "require") != 0) {
        snprintf(err, errlen, "TLS_CLIENT_AUTH \"%s\" is not none, optional or require", a);
        return -1;
    }
    return 0;
}

/* ---- server: a certificate config fetched again when the files change ------------ */

struct tls_server_state {
    rpc_tls files;
    pthread_mutex_t lock;
    struct stat seen[3];  /* cert, key, CA as last loaded */
    int loaded;
};

static char *read_pem(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(PEM_MAX + 1);
    size_t n = fread(buf, 1, PEM_MAX, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static int stats_of(const tls_server_state *st, struct stat out[3])
{
    const char *paths[3] = {st->files.cert_file, st->files.key_file, st->files.ca_file};
    for (int i = 0; i < 3; i++)
        if (stat(paths[i], &out[i]) != 0)
            return -1;
    return 0;
}

static int stats_equal(const struct stat a[3], const struct stat b[3])
{
    for (int i = 0; i < 3; i++)
        if (a[i].st_ino != b[i].st_ino || a[i].st_size != b[i].st_size ||
            a[i].st_mtim.tv_sec != b[i].st_mtim.tv_sec || a[i].st_mtim.tv_nsec != b[i].st_mtim.tv_nsec)
            return 0;
    return 1;
}

/* The files as a core certificate config, or NULL when one cannot be read. */
static grpc_ssl_server_certificate_config *load_config(const tls_server_state *st)
{
    char *cert = read_pem(st->files.cert_file), *key = read_pem(st->files.key_file),
         *ca = read_pem(st->files.ca_file);
    grpc_ssl_server_certificate_config *config = NULL;
    if (cert && key && ca && strstr(cert, "-----BEGIN") && strstr(key, "-----BEGIN") && strstr(ca, "-----BEGIN")) {
        grpc_ssl_pem_key_cert_pair pair = {key, cert};
        config = grpc_ssl_server_certificate_config_create(ca, &pair, 1);
    }
    free(cert);
    free(key);
    free(ca);
    return config;
}

/* Called by the core at each handshake: a new config when the files changed. */
static grpc_ssl_certificate_config_reload_status fetch_config(void *user_data,
                                                              grpc_ssl_server_certificate_config **config)
{
    tls_server_state *st = user_data;
    struct stat now[3];
    grpc_ssl_certificate_config_reload_status status = GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
    pthread_mutex_lock(&st->lock);
    if (stats_of(st, now) == 0 && (!st->loaded || !stats_equal(now, st->seen))) {
        *config = load_config(st);
        if (*config) {
            if (st->loaded)
                log_info("TLS: certificate files changed; new handshakes use %s", st->files.cert_file);
            memcpy(st->seen, now, sizeof now);
            st->loaded = 1;
            status = GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW;
        } else {
            log_error("TLS: %s / %s / %s cannot be loaded; keeping the certificate in use", st->files.cert_file,
                      st->files.key_file, st->files.ca_file);
            status = st->loaded ? GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED : GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_FAIL;
        }
    }
    pthread_mutex_unlock(&st->lock);
    return status;
}

grpc_server_credentials *tls_server_credentials(const rpc_tls *t, tls_server_state **state, char *err,
                                                size_t errlen)
{
    *state = NULL;
    if (tls_check(t, err, errlen) != 0)
        return NULL;
    tls_server_state *st = calloc(1, sizeof *st);
    st->files = *t;
    pthread_mutex_init(&st->lock, NULL);
    grpc_ssl_server_certificate_config *first = NULL;
    if (fetch_config(st, &first) != GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW) {
        snprintf(err, errlen, "TLS: cannot load %s / %s / %s as PEM", t->cert_file, t->key_file, t->ca_file);
        tls_server_state_free(st);
        return NULL;
    }
    grpc_ssl_server_certificate_config_destroy(first);
    st->loaded = 0; /* the core fetches the first config itself */
    grpc_ssl_server_credentials_options *opts = grpc_ssl_server_credentials_create_options_using_config_fetcher(
        request_type(t->client_auth), fetch_config, st);
    *state = st;
    return grpc_ssl_server_credentials_create_with_options(opts);
}

void tls_server_state_free(tls_server_state *st)
{
    if (!st)
        return;
    pthread_mutex_destroy(&st->lock);
    free(st);
}

/* ---- client: a file-watching provider, mutual TLS when there is a certificate ------ */

grpc_channel_credentials *tls_channel_credentials(const rpc_tls *t, grpc_arg *override)
{
    int identity = t->cert_file[0] && t->key_file[0];
    grpc_tls_certificate_provider *provider = grpc_tls_certificate_provider_file_watcher_create(
        identity ? t->key_file : NULL, identity ? t->cert_file : NULL, t->ca_file[0] ? t->ca_file : NULL,
        (unsigned)(t->refresh_seconds > 0 ? t->refresh_seconds : 60));
    grpc_tls_credentials_options *opts = grpc_tls_credentials_options_create();
    grpc_tls_credentials_options_set_certificate_provider(opts, provider);
    grpc_tls_certificate_provider_release(provider);
    if (t->ca_file[0])
        grpc_tls_credentials_options_watch_root_certs(opts);
    if (identity)
        grpc_tls_credentials_options_watch_identity_key_cert_pairs(opts);
    grpc_tls_credentials_options_set_verify_server_cert(opts, 1);
    override->type = GRPC_ARG_STRING;
    override->key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
    override->value.string = (char *)t->server_name;
    return grpc_tls_credentials_create(opts);
}

/* ---- the peer ------------------------------------------------------------------- */

static size_t peer_names(grpc_auth_context *ctx, char names[][256], size_t cap)
{
    static const char *const props[] = {GRPC_X509_CN_PROPERTY_NAME, GRPC_X509_SAN_PROPERTY_NAME};
    size_t n = 0;
    for (size_t p = 0; p < 2; p++) {
        grpc_auth_property_iterator it = grpc_auth_context_find_properties_by_name(ctx, props[p]);
        const grpc_auth_property *prop;
        while ((prop = grpc_auth_property_iterator_next(&it)) != NULL && n < cap)
            if (prop->value_length < 256)
                snprintf(names[n++], 256, "%.*s", (int)prop->value_length, prop->value);
    }
    return n;
}

static int over_tls(grpc_auth_context *ctx)
{
    grpc_auth_property_iterator it =
        grpc_auth_context_find_properties_by_name(ctx, GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME);
    const grpc_auth_property *prop = grpc_auth_property_iterator_next(&it);
    return prop && prop->value_length == strlen(GRPC_SSL_TRANSPORT_SECURITY_TYPE) &&
           memcmp(prop->value, GRPC_SSL_TRANSPORT_SECURITY_TYPE, prop->value_length) == 0;
}

const char *tls_peer_service(grpc_call *call, arena *mem, int *secure)
{
    grpc_auth_context *ctx = grpc_call_auth_context(call);
    *secure = 0;
    if (!ctx)
        return "";
    *secure = over_tls(ctx);
    char names[PEER_NAMES_MAX][256], found[256];
    const char *ptrs[PEER_NAMES_MAX];
    size_t n = grpc_auth_context_peer_is_authenticated(ctx) ? peer_names(ctx, names, PEER_NAMES_MAX) : 0;
    grpc_auth_context_release(ctx);
    for (size_t i = 0; i < n; i++)
        ptrs[i] = names[i];
    return auth_service_peer(ptrs, n, found, sizeof found) ? arena_strdup(mem, found) : "";
}
