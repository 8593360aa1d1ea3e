-- 008: the checkout lifecycle (docs/checkout-lifecycle.md: "Overbooking", "Partial
-- cancellation", "The waiting list"; ExtendHold needs nothing here: a live hold is Redis's).

-- Overbooking. A resource may confirm up to overbooking_percent above each slot's
-- capacity: confirmed <= floor(total_capacity x (1 + p/100)). Every slot row carries its
-- resource's percent (UpdateResource moves them together, under the resource row lock),
-- so that the check below, PostgreSQL's own, still arbitrates every confirmation.
ALTER TABLE resources ADD COLUMN overbooking_percent smallint NOT NULL DEFAULT 0
    CHECK (overbooking_percent BETWEEN 0 AND 50);
ALTER TABLE slots ADD COLUMN overbooking_percent smallint NOT NULL DEFAULT 0
    CHECK (overbooking_percent BETWEEN 0 AND 50);
ALTER TABLE slots DROP CONSTRAINT confirmed_within_capacity;
ALTER TABLE slots ADD CONSTRAINT confirmed_within_sell_limit
    CHECK (confirmed <= total_capacity + total_capacity * overbooking_percent / 100);

-- Partial cancellation. `quantity` stays the units booked; `cancelled_quantity` grows
-- with each cancellation, and the booking is CANCELLED once it reaches `quantity`. The
-- price snapshot (`price`, `total_minor`) stays frozen; each cancellation is a row of
-- booking_cancellations (the wire Price shows it as an extra line), with its own refund
-- under its own payment key, so repeated partial refunds are each issued exactly once.
ALTER TABLE bookings ADD COLUMN cancelled_quantity int NOT NULL DEFAULT 0;
UPDATE bookings SET cancelled_quantity = quantity WHERE status = 2;
ALTER TABLE bookings ADD CONSTRAINT cancelled_within_quantity
    CHECK (cancelled_quantity BETWEEN 0 AND quantity AND (status = 2) = (cancelled_quantity = quantity));

CREATE TABLE booking_cancellations (
    booking_id      text NOT NULL REFERENCES bookings,
    seq             int NOT NULL CHECK (seq > 0),       -- 1, 2, ... per booking
    quantity        int NOT NULL CHECK (quantity > 0),
    refund_percent  int NOT NULL CHECK (refund_percent BETWEEN 0 AND 100),
    refund_minor    bigint NOT NULL CHECK (refund_minor >= 0),
    refunded        boolean NOT NULL DEFAULT false,     -- its refund was issued and recorded
    reason          text NOT NULL DEFAULT '',
    actor_id        text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (booking_id, seq)
);
-- Bookings cancelled before: one cancellation of every unit (its refund is the
-- booking's, under the key it was always issued with: refund:<booking>).
INSERT INTO booking_cancellations (booking_id, seq, quantity, refund_percent, refund_minor, refunded, reason,
                                   created_at)
SELECT booking_id, 1, quantity, CASE WHEN total_minor > 0 THEN least(100, refund_due_minor * 100 / total_minor)
                                     ELSE 0 END,
       refund_due_minor, refunded_minor >= refund_due_minor, cancel_reason, updated_at
FROM bookings WHERE status = 2;

-- Waiting list. An entry waits in join_seq order for the units of its range; the offer
-- worker (booking-svc, every replica, one resource at a time under an advisory lock)
-- creates a hold for the oldest entries that fit, whose id is derived from the entry's
-- (so a retry finds the same hold, never a second one), and marks them OFFERED in the
-- same transaction as waitlist.offered. status: 1 WAITING, 2 OFFERED, 3 EXPIRED,
-- 4 CONVERTED, 5 LEFT (WaitlistStatus).
CREATE SEQUENCE waitlist_offer_seq;
CREATE TABLE waitlist_entries (
    entry_id         text PRIMARY KEY,
    join_seq         bigserial NOT NULL UNIQUE,
    user_id          text NOT NULL,
    resource_id      text NOT NULL REFERENCES resources,
    start_time       timestamptz NOT NULL,
    end_time         timestamptz NOT NULL,
    quantity         int NOT NULL CHECK (quantity > 0),
    slot_starts      bigint[] NOT NULL,                  -- the range's slots, Unix seconds
    status           smallint NOT NULL CHECK (status BETWEEN 1 AND 5),
    offered_hold_id  text UNIQUE,                         -- one hold, at most one entry
    offer_seq        bigint UNIQUE,                       -- the order offers were made in
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    offered_at       timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT offer_matches_status CHECK (
        (status = 1 AND offered_hold_id IS NULL) OR (status IN (2, 4) AND offered_hold_id IS NOT NULL)
        OR status IN (3, 5))  -- EXPIRED: its offer ran out, or its range passed while it waited
);
CREATE INDEX waitlist_waiting ON waitlist_entries (resource_id, join_seq) WHERE status = 1;
CREATE INDEX waitlist_offered ON waitlist_entries (offered_hold_id) WHERE status = 2;
CREATE INDEX waitlist_by_user ON waitlist_entries (user_id, join_seq);
CREATE INDEX waitlist_by_resource ON waitlist_entries (resource_id, join_seq);
