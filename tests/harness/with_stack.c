/* with_stack.c — runs a command against a full test stack: starts the stores and the
 * four services through the harness, exports their addresses (SEARCH_ADDR,
 * BOOKING_ADDR, PAYMENT_ADDR, EXPIRY_ADDR, REDIS_URL, DATABASE_URL), runs the command,
 * tears everything down, and exits non-zero if the command or a service failed. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: with_stack COMMAND [ARGS...]\n");
        return 2;
    }
    static const char *const services[] = {"payment-svc", "booking-svc", "search-svc", "expiry-svc", NULL};
    harness *h = harness_start(services, NULL);
    setenv("SEARCH_ADDR", harness_addr(h, "search-svc"), 1);
    setenv("BOOKING_ADDR", harness_addr(h, "booking-svc"), 1);
    setenv("PAYMENT_ADDR", harness_addr(h, "payment-svc"), 1);
    setenv("EXPIRY_ADDR", harness_addr(h, "expiry-svc"), 1);
    setenv("REDIS_URL", harness_redis_url(h), 1);
    setenv("DATABASE_URL", harness_database_url(h, "postgres"), 1);
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    if (harness_stop(h) != 0 && rc == 0)
        rc = 1;
    return rc;
}
