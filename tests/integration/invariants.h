/* invariants.h — the one invariant checker of the integration and fault tests: the
 * invariants of docs/architecture.md, checked in PostgreSQL (both schemas) and Redis
 * against each other, after the stack had time to settle (recorder, repair,
 * reconciliation), and payment-svc's ledger. */
#ifndef TESTS_INVARIANTS_H
#define TESTS_INVARIANTS_H

#include "harness.h"

/* Checks every invariant; those the stack restores in the background (Redis counters,
 * authorizations voided, history recorded) are waited for up to settle_ms. Fails the
 * test naming the first invariant that does not hold, with an example. */
void invariants_check(harness *h, long settle_ms);

/* payment-svc's ledger alone, at once (payment-svc tested without booking-svc). */
void invariants_check_payment_ledger(harness *h);

/* One invariant: 0 when it holds, else how many violations, with a description of one
 * written into why. */
typedef long (*invariant_fn)(harness *h, char *why, size_t cap);

/* Invariant 2 alone: every loaded Redis counter equals total - confirmed - units of
 * live holds covering its slot. */
long invariant_counters(harness *h, char *why, size_t cap);

#endif
