-- 001: payments and refunds, owned by payment-svc alone.
CREATE TABLE payments (
    payment_id         text PRIMARY KEY,
    status             smallint NOT NULL,
    currency           char(3) NOT NULL,
    amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
    captured_minor     bigint NOT NULL DEFAULT 0 CHECK (captured_minor >= 0),
    refunded_minor     bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
    payment_method_id  text NOT NULL,
    reference          text NOT NULL DEFAULT '',
    decline_code       text NOT NULL DEFAULT '',
    provider           text NOT NULL DEFAULT 'sandbox',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT captured_within_authorized CHECK (captured_minor <= amount_minor),
    CONSTRAINT refunds_within_captured CHECK (refunded_minor <= captured_minor)
);

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
