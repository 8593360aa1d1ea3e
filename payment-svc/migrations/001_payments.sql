-- 001: payments, refunds, capture attempts and the payment audit trail, owned by
-- payment-svc alone. Status values are booking.v1.PaymentStatus numbers:
-- 1 AUTHORIZED, 2 CAPTURED, 3 PARTIALLY_REFUNDED, 4 REFUNDED, 5 VOIDED, 6 DECLINED, 7 UNKNOWN.
CREATE TABLE payments (
    payment_id         text PRIMARY KEY,
    status             smallint NOT NULL CHECK (status BETWEEN 1 AND 7),
    currency           char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
    captured_minor     bigint NOT NULL DEFAULT 0 CHECK (captured_minor >= 0),
    refunded_minor     bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
    payment_method_id  text NOT NULL,
    reference          text NOT NULL DEFAULT '',
    decline_code       text NOT NULL DEFAULT '',
    provider           text NOT NULL DEFAULT 'sandbox',
    -- the AuthorizePayment idempotency key: a re-run after a crash finds its payment
    idempotency_key    text UNIQUE,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT captured_within_authorized CHECK (captured_minor <= amount_minor),
    CONSTRAINT refunds_within_captured CHECK (refunded_minor <= captured_minor),
    -- the counters agree with the status
    CONSTRAINT captured_only_when_captured CHECK ((captured_minor > 0) = (status IN (2, 3, 4))),
    CONSTRAINT refunded_matches_status CHECK (
        (status = 2 AND refunded_minor = 0) OR
        (status = 3 AND refunded_minor > 0 AND refunded_minor < captured_minor) OR
        (status = 4 AND refunded_minor = captured_minor) OR
        (status NOT IN (2, 3, 4) AND refunded_minor = 0)),
    CONSTRAINT decline_code_only_when_declined CHECK ((decline_code <> '') = (status = 6))
);
CREATE INDEX payments_unknown ON payments (created_at) WHERE status = 7;

-- One row per refund, inserted in the transaction that raises payments.refunded_minor
-- with the payment row locked: the sum of a payment's refunds is its refunded_minor.
CREATE TABLE refunds (
    refund_id     text PRIMARY KEY,
    payment_id    text NOT NULL REFERENCES payments,
    amount_minor  bigint NOT NULL CHECK (amount_minor > 0),
    currency      char(3) NOT NULL,
    reason        text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment ON refunds (payment_id);

-- Every capture sent to the provider, failed or not (the sandbox fails some on purpose).
CREATE TABLE capture_attempts (
    payment_id    text NOT NULL REFERENCES payments,
    attempt       int NOT NULL CHECK (attempt > 0),
    succeeded     boolean NOT NULL,
    error         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (payment_id, attempt)
);

-- The audit trail: exactly one event per state change, written by the statement that
-- makes the change. from_status is NULL for the creation (-> UNKNOWN).
CREATE TABLE payment_events (
    event_id     bigserial PRIMARY KEY,
    payment_id   text NOT NULL REFERENCES payments,
    event_type   text NOT NULL,          -- "payment.authorized", "payment.refunded", ...
    from_status  smallint,
    to_status    smallint NOT NULL,
    actor_id     text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    metadata     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX payment_events_payment ON payment_events (payment_id, event_id);

-- One row per idempotency key and caller: the request's fingerprint and, once the
-- call finished, its status and serialized response.
CREATE TABLE idempotency_keys (
    key          text NOT NULL,
    user_id      text NOT NULL,
    method       text NOT NULL,
    fingerprint  bytea NOT NULL,
    status_code  int,                   -- NULL while the first call runs
    response     bytea,
    message      text,
    reason       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, user_id, method)
);
