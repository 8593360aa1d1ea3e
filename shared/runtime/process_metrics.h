/* process_metrics.h — the process_* metrics every Prometheus client exports (CPU,
 * memory, file descriptors, start time, read from /proc at scrape time) and the
 * <service>_build_info gauge, registered once per process. */
#ifndef SHARED_PROCESS_METRICS_H
#define SHARED_PROCESS_METRICS_H

#include <stddef.h>

/* The release version ("0.1.0") and source revision (a git commit, or "unknown") this
 * binary was built from. */
const char *build_version(void);
const char *build_revision(void);

/* "booking-svc" -> "booking_build_info": the service name without "-svc", characters
 * outside [a-zA-Z0-9_] as '_', then "_build_info". Returns 0, or -1 when it does not
 * fit in cap or the name is empty. */
int build_info_metric_name(const char *service, char *out, size_t cap);

/* Registers process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_open_fds, process_max_fds,
 * process_start_time_seconds and <service>_build_info{version,revision,grpc_version} 1.
 * Once per process; later calls do nothing. */
void process_metrics_register(const char *service);

#endif
