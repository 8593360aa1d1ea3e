/* sandbox.h — the built-in test-mode provider's decisions, exposed for unit tests. */
#ifndef PAYMENT_SVC_SANDBOX_H
#define PAYMENT_SVC_SANDBOX_H

#include "provider.h"

#define SANDBOX_LATE_MS 300           /* pm_card_timeout answers this long after the deadline */
#define SANDBOX_MAX_DELAY_MS 10000    /* ... but never waits longer than this */
#define SANDBOX_CAPTURE_FAILURES 2    /* pm_card_capture_fails: failed attempts before success */

/* How long every answer takes (a real provider's round trip), from the setting
 * SANDBOX_LATENCY_MS; 0 by default. pm_card_timeout's authorization waits its own time. */
extern long sandbox_latency_ms;

/* What the sandbox answers to `op` for r (pure): fills *out, sets *delay_ms to how long
 * it waits before answering, and returns out->result. */
provider_result sandbox_decide(provider_op op, const provider_request *r, provider_outcome *out, int64_t *delay_ms);

#endif
