/* recorder.h — booking-svc's recorder: the hold log (Redis streams) into hold history
 * and audit events in PostgreSQL, exactly once, acknowledged after the commit. */
#ifndef BOOKING_SVC_RECORDER_H
#define BOOKING_SVC_RECORDER_H

#include "background.h"
#include "service.h"

/* How long an entry a consumer read stays pending before another claims it
 * (RECORDER_CLAIM_IDLE_MS). */
extern long recorder_claim_idle_ms;

typedef struct recorder recorder;

/* Registers the recorder's metrics (before serving). */
void recorder_metrics_init(void);
/* Starts the recorder thread with its own stores. NULL when it cannot start. */
recorder *recorder_start(const service_definition *def, const service_settings *settings);
/* Stops it (what it read and did not record stays pending for the next run). */
void recorder_stop(recorder *rec);

#endif
