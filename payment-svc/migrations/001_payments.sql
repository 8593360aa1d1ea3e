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
