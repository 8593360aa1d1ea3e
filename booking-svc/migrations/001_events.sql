-- 001: the audit trail and idempotency records of the booking schema.
CREATE TABLE events (
    event_id    bigserial PRIMARY KEY,
    subject_id  text NOT NULL,          -- hold, booking or resource id
    event_type  text NOT NULL,          -- "hold.created", "booking.confirmed", ...
    actor_id    text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    metadata    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_subject ON events (subject_id, event_id);

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
