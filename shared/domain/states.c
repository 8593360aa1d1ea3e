/* states.c — allowed transitions of holds, bookings and waiting-list entries
 * (docs/architecture.md, "States"), and the letters a hold status is spelled with in
 * Redis. */
#include "states.h"

#include "booking/v1/booking.pb-c.h"

#define H(s) BOOKING__V1__HOLD_STATUS__HOLD_STATUS_##s
#define B(s) BOOKING__V1__BOOKING_STATUS__BOOKING_STATUS_##s

typedef struct edge {
    int from, to;
} edge;

static const edge hold_edges[] = {
    {H(ACTIVE), H(CONFIRMING)}, /* the saga starts: cannot expire mid-payment */
    {H(CONFIRMING), H(CONFIRMED)},
    {H(CONFIRMING), H(ACTIVE)}, /* payment declined: the user may retry */
    {H(ACTIVE), H(RELEASED)},
    {H(ACTIVE), H(EXPIRED)},
    {H(CONFIRMING), H(EXPIRED)}, /* confirm timeout passed with no booking */
};

static const edge booking_edges[] = {
    {B(CONFIRMED), B(CANCELLED)},
    {B(CONFIRMED), B(COMPLETED)},
};

#define W(s) BOOKING__V1__WAITLIST_STATUS__WAITLIST_STATUS_##s

static const edge waitlist_edges[] = {
    {W(WAITING), W(OFFERED)},   /* a hold was made for it */
    {W(WAITING), W(LEFT)},
    {W(WAITING), W(EXPIRED)},   /* its range passed while it waited */
    {W(OFFERED), W(CONVERTED)}, /* the offered hold was confirmed */
    {W(OFFERED), W(EXPIRED)},   /* the offered hold expired or was released */
    {W(OFFERED), W(LEFT)},      /* left while offered: the hold is released */
};

static int allowed(const edge *edges, int n, int from, int to)
{
    for (int i = 0; i < n; i++)
        if (edges[i].from == from && edges[i].to == to)
            return 1;
    return 0;
}

static int sources(const edge *edges, int n, int to, int *out)
{
    int count = 0;
    for (int i = 0; i < n && count < 8; i++)
        if (edges[i].to == to)
            out[count++] = edges[i].from;
    return count;
}

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

int hold_transition_allowed(int from, int to) { return allowed(hold_edges, COUNT(hold_edges), from, to); }
int booking_transition_allowed(int from, int to) { return allowed(booking_edges, COUNT(booking_edges), from, to); }
int hold_sources(int to, int *out) { return sources(hold_edges, COUNT(hold_edges), to, out); }
int booking_sources(int to, int *out) { return sources(booking_edges, COUNT(booking_edges), to, out); }
int waitlist_transition_allowed(int from, int to) { return allowed(waitlist_edges, COUNT(waitlist_edges), from, to); }
int waitlist_sources(int to, int *out) { return sources(waitlist_edges, COUNT(waitlist_edges), to, out); }

static const struct {
    int status;
    char letter;
} hold_letters[] = {
    {H(ACTIVE), 'A'}, {H(CONFIRMING), 'C'}, {H(CONFIRMED), 'F'}, {H(RELEASED), 'R'}, {H(EXPIRED), 'X'},
};

char hold_letter(int status)
{
    for (int i = 0; i < COUNT(hold_letters); i++)
        if (hold_letters[i].status == status)
            return hold_letters[i].letter;
    return 0;
}

int hold_status_of_letter(char letter)
{
    for (int i = 0; i < COUNT(hold_letters); i++)
        if (hold_letters[i].letter == letter)
            return hold_letters[i].status;
    return H(UNSPECIFIED);
}
