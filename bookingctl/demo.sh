#!/usr/bin/env bash
# demo.sh BOOKINGCTL — seeds a small catalogue (idempotent: fixed ids, so a second run
# on the same data works) and walks one booking through its life with bookingctl, then
# books a night in Los Angeles: dates are each hotel's own local dates. Hotels in
# Lisbon, Porto, Paris, Los Angeles (west of UTC), Mumbai (+05:30) and Auckland.
# Services at SEARCH_ADDR/BOOKING_ADDR/... or their default ports 50051-50054.
set -euo pipefail

CTL=${1:?usage: demo.sh BOOKINGCTL}
HOTEL=demo-lisbon-tejo LA=demo-la-venice
day() { date -u -d "+$1 days" +%F; } # today + N days, as 2026-06-01 (a local date at every hotel)
D0=$(day 21) D7=$(day 28) N1=$(day 23) N3=$(day 25) CONCERT=$(day 14)

step() { printf '\n== %s\n\n' "$*"; }

# Defines a resource (admin). ALREADY_EXISTS means an earlier run defined it: fine.
resource() {
  local id=$1 name=$2 err
  shift 2
  if ! err=$("$CTL" --admin resources create --id "$id" --name "$name" "$@" 2>&1 >/dev/null) &&
    ! grep -q ALREADY_EXISTS <<<"$err"; then
    printf '%s\n' "$err" >&2
    return 1
  fi
  printf '  %-22s %s\n' "$id" "$name"
}

# Runs bookingctl until its output passes check (search-svc's read model follows
# the writes within moments), for at most 5 s, then prints that output.
settled() {
  local check=$1 out=""
  shift
  for _ in $(seq 50); do
    out=$("$CTL" "$@" 2>&1) || true
    "$check" "$out" && break
    sleep 0.1
  done
  printf '%s\n' "$out"
}

step "Catalogue: hotels in six cities and five time zones, a restaurant, a clinic, a concert, a car"
hotel=(--type hotel_room --slot-minutes 1440 --cancel 48:100 --cancel 0:50)
resource $HOTEL "Hotel Tejo" "${hotel[@]}" --city Lisbon --tz Europe/Lisbon --lat 38.7107 --lon -9.1365 \
  --capacity 12 --price 120.00 --currency EUR --rating 4.5 --amenity wifi --amenity breakfast --tax-bp 600
resource demo-lisbon-alfama "Alfama Guesthouse" "${hotel[@]}" --city Lisbon --tz Europe/Lisbon --lat 38.7118 \
  --lon -9.1300 --capacity 5 --price 85.00 --currency EUR --rating 4.1 --amenity wifi
resource demo-porto-ribeira "Ribeira Hotel" "${hotel[@]}" --city Porto --tz Europe/Lisbon --lat 41.1407 \
  --lon -8.6110 --capacity 10 --price 95.00 --currency EUR --rating 4.3 --amenity wifi --amenity breakfast
resource demo-paris-marais "Hôtel du Marais" "${hotel[@]}" --city Paris --tz Europe/Paris --lat 48.8590 \
  --lon 2.3580 --capacity 20 --price 180.00 --currency EUR --rating 4.7 --amenity wifi --amenity gym \
  --weekend-bp 12000
resource $LA "Venice Beach Inn" "${hotel[@]}" --city "Los Angeles" --tz America/Los_Angeles --lat 33.9850 \
  --lon -118.4695 --capacity 8 --price 210.00 --currency USD --rating 4.4 --amenity wifi --weekend-bp 12500 \
  --check-in 16:00 --check-out 11:00
resource demo-mumbai-marine "Marine Drive Residency" "${hotel[@]}" --city Mumbai --tz Asia/Kolkata \
  --lat 18.9440 --lon 72.8236 --capacity 15 --price 9500.00 --currency INR --rating 4.2 --amenity breakfast \
  --check-in 14:00 --check-out 12:00
resource demo-auckland-harbour "Harbour View Lodge" "${hotel[@]}" --city Auckland --tz Pacific/Auckland \
  --lat -36.8406 --lon 174.7400 --capacity 6 --price 240.00 --currency NZD --rating 4.6 --amenity wifi
resource demo-lisbon-tasca "Tasca do Chiado" --type restaurant_table --city Lisbon --tz Europe/Lisbon \
  --capacity 8 --slot-minutes 30 --price 10.00 --currency EUR --rating 4.6 --cancel 2:100
resource demo-porto-clinic "Clínica Boavista" --type appointment --city Porto --tz Europe/Lisbon --capacity 2 \
  --slot-minutes 30 --price 60.00 --currency EUR --cancel 24:100
resource demo-paris-concert "Concert at Olympia" --type event_ticket --city Paris --tz Europe/Paris \
  --capacity 500 --slot-minutes 0 --price 45.00 --currency EUR --cancel 168:100 --cancel 48:50
resource demo-lisbon-car "Compact rental car" --type rental_car --city Lisbon --tz Europe/Lisbon --capacity 6 \
  --slot-minutes 1440 --price 39.00 --currency EUR --amenity automatic --cancel 24:100
printf '  concert on %s 20:00-23:00 UTC: ' "$CONCERT"
"$CTL" --admin inventory set demo-paris-concert --from "${CONCERT}T20:00:00Z" --to "${CONCERT}T23:00:00Z" \
  --capacity 500

step "Hotel Tejo, $D0 to $D7: rooms and prices per night"
before=$("$CTL" calendar $HOTEL --from "$D0" --to "$D7")
printf '%s\n' "$before"

step "Hotels in Lisbon with 2 rooms free from $N1 to $N3, best rated first"
both_hotels() { grep -q "Hotel Tejo" <<<"$1" && grep -q "Alfama Guesthouse" <<<"$1"; }
settled both_hotels search --type hotel_room --city Lisbon --from "$N1" --to "$N3" --quantity 2 \
  --amenity wifi --sort rating

step "Hold 2 rooms for 2 nights ($N1 to $N3): the quote, kept until it expires"
hold=$("$CTL" hold create $HOTEL --from "$N1" --to "$N3" --quantity 2)
printf '%s\n' "$hold"
HOLD=$(awk '$1 == "hold" {print $2; exit}' <<<"$hold")

step "Confirm the hold: pay with the sandbox card pm_card_ok"
booking=$("$CTL" hold confirm "$HOLD" --card pm_card_ok)
printf '%s\n' "$booking"
BOOKING=$(awk '$1 == "booking" {print $2; exit}' <<<"$booking")

step "Hotel Tejo for those nights: 2 rooms fewer"
booked() { ! grep -qF -- "$(grep "^${N1} " <<<"$before")" <<<"$1"; }
settled booked calendar $HOTEL --from "$N1" --to "$N3"

step "Your confirmed bookings"
"$CTL" bookings list --status confirmed

step "What happened to booking $BOOKING"
"$CTL" events --booking "$BOOKING"

step "Cancel it more than 48 h ahead: a full refund"
"$CTL" bookings cancel "$BOOKING" --reason "plans changed"

step "Hotel Tejo again: the 2 rooms are back"
restored() { [ "$(sed '/^as of/d' <<<"$1")" = "$(sed '/^as of/d' <<<"$before")" ]; }
settled restored calendar $HOTEL --from "$D0" --to "$D7"

step "The same dates in Los Angeles, Mumbai and Auckland: check-in on $N1 at each hotel, local time"
found() { grep -q "$WANT" <<<"$1"; }
for pair in "Los Angeles:Venice Beach" "Mumbai:Marine Drive" "Auckland:Harbour View"; do
  WANT=${pair#*:}
  settled found search --type hotel_room --city "${pair%%:*}" --from "$N1" --to "$N3"
done

step "Book Venice Beach Inn from $N1 to $N3: check-in 16:00 and check-out 11:00, Los Angeles time"
la_booking=$("$CTL" book $LA --from "$N1" --to "$N3")
printf '%s\n' "$la_booking"
LA_BOOKING=$(awk '$1 == "booking" {print $2; exit}' <<<"$la_booking")

step "Venice Beach Inn's calendar, in Los Angeles time: one room fewer on both nights"
"$CTL" calendar $LA --from "$N1" --to "$N3"

step "Cancel it more than 48 h before the local check-in: a full refund"
"$CTL" bookings cancel "$LA_BOOKING" --reason "demo"
