/* states.h — the state machines of holds and bookings, as data, in one place: every
 * status change in the store is checked against them. */
#ifndef BOOKING_SVC_STATES_H
#define BOOKING_SVC_STATES_H

/* 1 when a hold may go from `from` to `to` (Booking__V1__HoldStatus values). */
int hold_transition_allowed(int from, int to);
/* 1 when a booking may go from `from` to `to` (Booking__V1__BookingStatus values). */
int booking_transition_allowed(int from, int to);
/* Writes the statuses from which `to` is reachable into out (room for 8); returns how
 * many. The store's conditional UPDATEs use them as their WHERE status = ANY (...). */
int hold_sources(int to, int *out);
int booking_sources(int to, int *out);

#endif
