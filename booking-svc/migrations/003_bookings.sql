-- 003: bookings (confirmed holds with their price snapshot) and the payment attempts of
-- the confirmation saga, written before payment-svc is called so that a crash between
-- steps leaves a record the repair routine can resolve.

-- status: 1 CONFIRMED, 2 CANCELLED, 3 COMPLETED (BookingStatus);
-- payment_status: PaymentStatus (1 AUTHORIZED, 2 CAPTURED, 3 PARTIALLY_REFUNDED, 4 REFUNDED, 5 VOIDED).
CREATE TABLE bookings (
    booking_id         text PRIMARY KEY,
    hold_id            text NOT NULL UNIQUE REFERENCES holds,   -- one hold, at most one booking
    user_id            text NOT NULL,
    resource_id        text NOT NULL REFERENCES resources,
    start_time         timestamptz NOT NULL,
    end_time           timestamptz NOT NULL,
    quantity           int NOT NULL CHECK (quantity > 0),
    status             smallint NOT NULL CHECK (status BETWEEN 1 AND 3),
    payment_status     smallint NOT NULL,
    payment_id         text NOT NULL,
    price              bytea NOT NULL,                         -- booking.v1.Price snapshot
    currency           text NOT NULL,
    total_minor        bigint NOT NULL CHECK (total_minor >= 0),
    refund_due_minor   bigint NOT NULL DEFAULT 0 CHECK (refund_due_minor >= 0),
    refunded_minor     bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
    cancel_reason      text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT refund_within_total CHECK (refunded_minor <= refund_due_minor AND refund_due_minor <= total_minor)
);
CREATE INDEX bookings_history ON bookings (user_id, created_at DESC, booking_id DESC);
CREATE INDEX bookings_open_payments ON bookings (updated_at)
    WHERE payment_status = 1 OR refunded_minor < refund_due_minor;
CREATE INDEX bookings_to_complete ON bookings (end_time) WHERE status = 1;

-- The price snapshot never changes (SPEC §6.7).
CREATE FUNCTION bookings_price_is_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.price IS DISTINCT FROM OLD.price OR NEW.total_minor IS DISTINCT FROM OLD.total_minor THEN
        RAISE EXCEPTION 'the price snapshot of booking % cannot change', OLD.booking_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER bookings_price_frozen BEFORE UPDATE ON bookings
    FOR EACH ROW EXECUTE FUNCTION bookings_price_is_frozen();

-- state: pending (payment-svc called, outcome unknown), authorized, declined, voided, booked.
CREATE TABLE payment_attempts (
    idempotency_key    text PRIMARY KEY,
    hold_id            text NOT NULL REFERENCES holds,
    payment_method_id  text NOT NULL,
    currency           text NOT NULL,
    amount_minor       bigint NOT NULL,
    payment_id         text,
    state              text NOT NULL,
    decline_code       text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_attempts_open ON payment_attempts (updated_at) WHERE state IN ('pending', 'authorized');
CREATE INDEX payment_attempts_hold ON payment_attempts (hold_id);
