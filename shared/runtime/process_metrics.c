/* process_metrics.c — process_* metrics from /proc/self (the names and meanings of the
 * Prometheus client libraries' process collector) and the build_info gauge. */
#include "process_metrics.h"

#include <dirent.h>
#include <grpc/grpc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics.h"

#ifndef BOOKING_VERSION
#define BOOKING_VERSION "0.0.0"
#endif
#ifndef BOOKING_REVISION
#define BOOKING_REVISION "unknown"
#endif

const char *build_version(void) { return BOOKING_VERSION; }
const char *build_revision(void) { return BOOKING_REVISION; }

int build_info_metric_name(const char *service, char *out, size_t cap)
{
    size_t len = strlen(service);
    if (len >= 4 && strcmp(service + len - 4, "-svc") == 0)
        len -= 4;
    static const char suffix[] = "_build_info";
    if (len == 0 || len + sizeof suffix > cap)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = service[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
        out[i] = ok ? c : '_';
    }
    memcpy(out + len, suffix, sizeof suffix);
    return 0;
}

/* The fields of /proc/self/stat after the command name (field 3 onwards), or -1. */
static int read_stat(char *buf, size_t cap, char **fields)
{
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *close = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (!close || close[1] != ' ')
        return -1;
    *fields = close + 2;
    return 0;
}

/* Field number `field` (1-based as in proc(5)) of /proc/self/stat, or 0. */
static double stat_field(int field)
{
    char buf[1024], *p;
    if (read_stat(buf, sizeof buf, &p) != 0)
        return 0;
    for (int i = 3; i < field && p; i++) {
        p = strchr(p, ' ');
        p = p ? p + 1 : NULL;
    }
    return p ? strtod(p, NULL) : 0;
}

static double cpu_seconds(void *ctx)
{
    (void)ctx;
    double ticks = (double)sysconf(_SC_CLK_TCK);
    return ticks > 0 ? (stat_field(14) + stat_field(15)) / ticks : 0; /* utime + stime */
}

static double resident_bytes(void *ctx)
{
    (void)ctx;
    return stat_field(24) * (double)sysconf(_SC_PAGESIZE); /* rss, in pages */
}

static double virtual_bytes(void *ctx)
{
    (void)ctx;
    return stat_field(23); /* vsize, in bytes */
}

static double open_fds(void *ctx)
{
    (void)ctx;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    double n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

static double max_fds(void *ctx)
{
    (void)ctx;
    struct rlimit rl;
    return getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (double)rl.rlim_cur : 0;
}

/* Boot time (btime of /proc/stat) plus the process's start in clock ticks after boot. */
static double start_time(void *ctx)
{
    (void)ctx;
    FILE *f = fopen("/proc/stat", "r");
    char line[256];
    double btime = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "btime ", 6) == 0)
            btime = strtod(line + 6, NULL);
    if (f)
        fclose(f);
    double ticks = (double)sysconf(_SC_CLK_TCK);
    return ticks > 0 ? btime + stat_field(22) / ticks : btime;
}

static const char *registered_service;

static void register_all(void)
{
    metrics_counter_fn("process_cpu_seconds_total", "", "Total user and system CPU time spent in seconds.",
                       cpu_seconds, NULL);
    metrics_gauge_fn("process_resident_memory_bytes", "", "Resident memory size in bytes.", resident_bytes, NULL);
    metrics_gauge_fn("process_virtual_memory_bytes", "", "Virtual memory size in bytes.", virtual_bytes, NULL);
    metrics_gauge_fn("process_open_fds", "", "Number of open file descriptors.", open_fds, NULL);
    metrics_gauge_fn("process_max_fds", "", "Maximum number of open file descriptors.", max_fds, NULL);
    metrics_gauge_fn("process_start_time_seconds", "", "Start time of the process since unix epoch in seconds.",
                     start_time, NULL);
    static char name[96], labels[256];
    if (build_info_metric_name(registered_service, name, sizeof name) != 0)
        snprintf(name, sizeof name, "service_build_info");
    snprintf(labels, sizeof labels, "version=\"%s\",revision=\"%s\",grpc_version=\"%s\"", build_version(),
             build_revision(), grpc_version_string());
    metric *info = metrics_gauge(name, labels, "A metric with a constant 1 value labeled by the build it runs.");
    metric_set(info, 1);
}

void process_metrics_register(const char *service)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    registered_service = service ? service : "service";
    pthread_once(&once, register_all);
}
