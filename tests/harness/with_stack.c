/* with_stack.c — runs a command against a full test stack: starts the stores and the
 * four services through the harness, exports their addresses (SEARCH_ADDR,
 * BOOKING_ADDR, PAYMENT_ADDR, EXPIRY_ADDR, REDIS_URL, DATABASE_URL), runs the command,
 * tears everything down, and exits non-zero if the command or a service failed.
 *
 *   with_stack [--env NAME=VALUE]... [--tls DIR] COMMAND [ARGS...]
 * --env sets a variable for every service; --tls DIR gives each service DIR/<service>.pem
 * and DIR/<service>.key as its certificate and DIR/ca.pem as its CA (tests/certs.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define ENV_MAX 32

static const char *const services[] = {"payment-svc", "booking-svc", "search-svc", "expiry-svc", NULL};

/* Starts the four services, each with its own certificate when tls_dir is set. */
static harness *start(const char *const *env, const char *tls_dir)
{
    harness *h = harness_start(tls_dir ? NULL : services, env);
    for (int i = 0; tls_dir && services[i]; i++) {
        static char cert[4][600], key[4][600], ca[600];
        snprintf(cert[i], sizeof cert[i], "TLS_CERT_FILE=%s/%s.pem", tls_dir, services[i]);
        snprintf(key[i], sizeof key[i], "TLS_KEY_FILE=%s/%s.key", tls_dir, services[i]);
        snprintf(ca, sizeof ca, "TLS_CA_FILE=%s/ca.pem", tls_dir);
        const char *own[] = {cert[i], key[i], ca, NULL};
        if (harness_start_service(h, services[i], own) != 0) {
            harness_stop(h);
            exit(1);
        }
    }
    return h;
}

int main(int argc, char **argv)
{
    static const char *env[ENV_MAX + 1];
    const char *tls_dir = NULL;
    int n = 0, i = 1;
    for (; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--env") == 0 && n < ENV_MAX)
            env[n++] = argv[i + 1];
        else if (strcmp(argv[i], "--tls") == 0)
            tls_dir = argv[i + 1];
        else
            break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: with_stack [--env NAME=VALUE]... [--tls DIR] COMMAND [ARGS...]\n");
        return 2;
    }
    harness *h = start(n ? env : NULL, tls_dir);
    setenv("SEARCH_ADDR", harness_addr(h, "search-svc"), 1);
    setenv("BOOKING_ADDR", harness_addr(h, "booking-svc"), 1);
    setenv("PAYMENT_ADDR", harness_addr(h, "payment-svc"), 1);
    setenv("EXPIRY_ADDR", harness_addr(h, "expiry-svc"), 1);
    setenv("REDIS_URL", harness_redis_url(h), 1);
    setenv("DATABASE_URL", harness_database_url(h, "postgres"), 1);
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[i], argv + i);
        perror(argv[i]);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    if (harness_stop(h) != 0 && rc == 0)
        rc = 1;
    return rc;
}
