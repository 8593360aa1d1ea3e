-- 007: webhooks through an outbox (docs/webhooks.md). An audit event of a webhook type,
-- inserted into `events` by whatever path records it (the saga's transactions, the
-- repair, the recorder writing the hold log), adds its outbox rows in the same
-- transaction: one webhook event with its payload and per-resource sequence number, and
-- one delivery per enabled endpoint subscribed to its type. booking-svc's sender POSTs
-- the deliveries and records every attempt.

-- status: 1 ENABLED, 2 DISABLED (WebhookEndpointStatus).
CREATE TABLE webhook_endpoints (
    endpoint_id      text PRIMARY KEY,
    url              text NOT NULL,
    secret           text NOT NULL,
    event_types      text[] NOT NULL,
    status           smallint NOT NULL DEFAULT 1 CHECK (status IN (1, 2)),
    disabled_reason  text NOT NULL DEFAULT '',
    disabled_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The audit event types that are webhook events, and the name a receiver sees.
CREATE TABLE webhook_event_types (
    audit_type    text PRIMARY KEY,
    webhook_type  text NOT NULL UNIQUE
);
INSERT INTO webhook_event_types VALUES
    ('booking.confirmed', 'booking.confirmed'),
    ('booking.cancelled', 'booking.cancelled'),
    ('booking.completed', 'booking.completed'),
    ('hold.expired', 'hold.expired'),
    ('waitlist.offered', 'waitlist.offered'),
    ('booking.refunded', 'payment.refunded');

-- The last sequence number given to an event of each resource. Its row stays locked
-- from an event's insert to the commit, so numbers follow commit order, without gaps.
CREATE TABLE webhook_sequences (
    resource_id    text PRIMARY KEY,
    last_sequence  bigint NOT NULL
);

-- The outbox: one row per event, with the JSON body every delivery of it POSTs.
CREATE TABLE webhook_events (
    event_id        bigint PRIMARY KEY,   -- "evt_<event_id>" on the wire
    event_type      text NOT NULL,
    resource_id     text NOT NULL,
    subject_id      text NOT NULL,
    sequence        bigint NOT NULL,
    body            text NOT NULL,
    audit_event_id  bigint UNIQUE,        -- the events row it came from (NULL: emitted directly)
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (resource_id, sequence)
);
CREATE SEQUENCE webhook_events_id_seq OWNED BY webhook_events.event_id;

-- status: 1 PENDING, 2 DELIVERED, 3 FAILED (WebhookDeliveryStatus). A claim sets
-- next_attempt_at a lease ahead, so a delivery whose sender died is claimed again.
CREATE TABLE webhook_deliveries (
    delivery_id       bigserial PRIMARY KEY,  -- "whd_<delivery_id>" on the wire
    event_id          bigint NOT NULL REFERENCES webhook_events ON DELETE CASCADE,
    endpoint_id       text NOT NULL REFERENCES webhook_endpoints ON DELETE CASCADE,
    status            smallint NOT NULL DEFAULT 1 CHECK (status IN (1, 2, 3)),
    attempts          int NOT NULL DEFAULT 0,   -- attempts claimed, ever
    round_attempts    int NOT NULL DEFAULT 0,   -- since round_started_at (the retry schedule)
    round_started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),  -- creation or redelivery
    next_attempt_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at      timestamptz,
    last_status_code  int NOT NULL DEFAULT 0,
    last_error        text NOT NULL DEFAULT '',
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 1;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, delivery_id);

-- Every attempt: written when claimed (no outcome yet), completed when it ends.
CREATE TABLE webhook_attempts (
    delivery_id  bigint NOT NULL REFERENCES webhook_deliveries ON DELETE CASCADE,
    attempt      int NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    status_code  int,               -- NULL until it ends; 0 when no HTTP answer came
    latency_ms   double precision,
    error        text NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);

CREATE FUNCTION webhook_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- The functions below run with the schema's search_path whoever inserts the events.

-- Adds events to the outbox (arrays of one length: webhook type, resource, subject,
-- data, time, audit event id or NULL): sequence numbers taken per resource in resource
-- order (so two transactions never wait on each other's rows in opposite orders), the
-- body, a delivery per enabled endpoint subscribed to the type, and a notification for
-- the senders at commit. Events no endpoint wants are not kept. Returns how many
-- deliveries it made.
CREATE FUNCTION webhook_outbox_add(types text[], resources text[], subjects text[], datas jsonb[],
                                   ats timestamptz[], audit_ids bigint[]) RETURNS bigint
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    made bigint;
BEGIN
    WITH ev AS (
        SELECT v.* FROM unnest(types, resources, subjects, datas, ats, audit_ids)
            WITH ORDINALITY AS v(event_type, resource_id, subject_id, data, at, audit_id, n)
        WHERE EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.status = 1 AND v.event_type = ANY (e.event_types))
    ), taken AS (
        INSERT INTO webhook_sequences AS s (resource_id, last_sequence)
        SELECT resource_id, count(*) FROM ev GROUP BY resource_id ORDER BY resource_id
        ON CONFLICT (resource_id) DO UPDATE SET last_sequence = s.last_sequence + EXCLUDED.last_sequence
        RETURNING resource_id, last_sequence
    ), numbered AS (
        SELECT ev.*, nextval('webhook_events_id_seq') AS event_id,
               taken.last_sequence - count(*) OVER w + row_number() OVER (w ORDER BY ev.n) AS sequence
        FROM ev JOIN taken USING (resource_id) WINDOW w AS (PARTITION BY ev.resource_id)
    ), added AS (
        INSERT INTO webhook_events (event_id, event_type, resource_id, subject_id, sequence, body, audit_event_id,
                                    created_at)
        SELECT event_id, event_type, resource_id, subject_id, sequence,
               jsonb_build_object('id', 'evt_' || event_id, 'type', event_type, 'created_at', webhook_time(at),
                                  'resource_id', resource_id, 'sequence', sequence, 'data', data)::text,
               audit_id, at
        FROM numbered
        RETURNING event_id, event_type
    ), fanned AS (
        INSERT INTO webhook_deliveries (event_id, endpoint_id)
        SELECT a.event_id, e.endpoint_id FROM added a JOIN webhook_endpoints e
            ON e.status = 1 AND a.event_type = ANY (e.event_types)
        RETURNING 1
    )
    SELECT count(*) INTO made FROM fanned;
    IF made > 0 THEN
        PERFORM pg_notify('webhook_outbox', '');
    END IF;
    RETURN made;
END $$;

-- What a receiver sees of a booking (a snapshot as of the event).
CREATE FUNCTION webhook_booking_json(b bookings) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'booking_id', b.booking_id, 'hold_id', b.hold_id, 'user_id', b.user_id, 'resource_id', b.resource_id,
        'start_time', webhook_time(b.start_time), 'end_time', webhook_time(b.end_time), 'quantity', b.quantity,
        'status', (ARRAY['CONFIRMED', 'CANCELLED', 'COMPLETED'])[b.status],
        'payment_id', b.payment_id,
        'payment_status', (ARRAY['AUTHORIZED', 'CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'VOIDED', 'DECLINED',
                                 'UNKNOWN'])[b.payment_status],
        'total', jsonb_build_object('currency', b.currency, 'amount_minor', b.total_minor),
        'refunded', jsonb_build_object('currency', b.currency, 'amount_minor', b.refunded_minor),
        'cancel_reason', b.cancel_reason)
$$;

CREATE FUNCTION webhook_hold_json(h holds) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'hold_id', h.hold_id, 'user_id', h.user_id, 'resource_id', h.resource_id,
        'start_time', webhook_time(h.start_time), 'end_time', webhook_time(h.end_time), 'quantity', h.quantity,
        'status', (ARRAY['ACTIVE', 'CONFIRMING', 'CONFIRMED', 'RELEASED', 'EXPIRED'])[h.status],
        'expires_at', webhook_time(h.expires_at))
$$;

-- After every INSERT into events: the new rows of webhook types into the outbox. The
-- subject is a booking or a hold (its row written earlier in the same transaction);
-- anything else (a waiting-list entry) brings resource_id and data in its metadata.
CREATE FUNCTION webhook_events_to_outbox() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE status = 1) THEN
        RETURN NULL;
    END IF;
    PERFORM webhook_outbox_add(array_agg(t.webhook_type ORDER BY n.event_id),
        array_agg(coalesce(b.resource_id, h.resource_id, n.metadata ->> 'resource_id', '') ORDER BY n.event_id),
        array_agg(n.subject_id ORDER BY n.event_id),
        array_agg(CASE WHEN b.booking_id IS NOT NULL THEN webhook_booking_json(b)
                       WHEN h.hold_id IS NOT NULL THEN webhook_hold_json(h)
                       ELSE n.metadata END ORDER BY n.event_id),
        array_agg(n.created_at ORDER BY n.event_id), array_agg(n.event_id ORDER BY n.event_id))
    FROM new_events n JOIN webhook_event_types t ON t.audit_type = n.event_type
    LEFT JOIN bookings b ON b.booking_id = n.subject_id
    LEFT JOIN holds h ON b.booking_id IS NULL AND h.hold_id = n.subject_id
    HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE TRIGGER events_to_webhook_outbox AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION webhook_events_to_outbox();
