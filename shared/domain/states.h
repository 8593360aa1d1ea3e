/* states.h — the statuses of holds, bookings and waiting-list entries in one place: the
 * state machines as data, and the one table that spells a hold status in every store's
 * vocabulary. */
#ifndef SHARED_DOMAIN_STATES_H
#define SHARED_DOMAIN_STATES_H

/* 1 when a hold may go from `from` to `to` (Booking__V1__HoldStatus values). */
int hold_transition_allowed(int from, int to);
/* 1 when a booking may go from `from` to `to` (Booking__V1__BookingStatus values). */
int booking_transition_allowed(int from, int to);
/* Writes the statuses from which `to` is reachable into out (room for 8); returns how
 * many. The store's conditional UPDATEs use them as their WHERE status = ANY (...). */
int hold_sources(int to, int *out);
int booking_sources(int to, int *out);
/* The same for waiting-list entries (Booking__V1__WaitlistStatus; waitlist_entries.status). */
int waitlist_transition_allowed(int from, int to);
int waitlist_sources(int to, int *out);

/* A hold status (Booking__V1__HoldStatus; the same numbers are holds.status in
 * PostgreSQL) as the letter the Redis hold hash and the hold log carry (field `st`):
 * A ACTIVE, C CONFIRMING, F CONFIRMED, R RELEASED, X EXPIRED. 0 when unknown. */
char hold_letter(int status);
/* The status a letter stands for; 0 (UNSPECIFIED) when unknown. */
int hold_status_of_letter(char letter);

#endif
