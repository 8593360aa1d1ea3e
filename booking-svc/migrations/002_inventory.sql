-- 002: resources, their slots, and hold history.

-- A resource; `body` is the whole booking.v1.Resource message (rules, amenities,
-- metadata), the columns are what queries filter on.
CREATE TABLE resources (
    resource_id       text PRIMARY KEY,
    resource_type     smallint NOT NULL CHECK (resource_type BETWEEN 1 AND 6),
    name              text NOT NULL,
    location          text NOT NULL DEFAULT '',
    latitude          double precision NOT NULL DEFAULT 0,
    longitude         double precision NOT NULL DEFAULT 0,
    capacity          int NOT NULL CHECK (capacity >= 0),
    slot_minutes      int NOT NULL CHECK (slot_minutes >= 0),
    status            smallint NOT NULL DEFAULT 1,
    rating            double precision NOT NULL DEFAULT 0,
    currency          text NOT NULL,
    base_price_minor  bigint NOT NULL CHECK (base_price_minor >= 0),
    body              bytea NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX resources_search ON resources (resource_type, location);

-- A slot row exists once inventory was set for it or a booking touched it; a slot of a
-- nightly or timed resource without a row has the resource's capacity and base price.
CREATE TABLE slots (
    resource_id     text NOT NULL REFERENCES resources ON DELETE CASCADE,
    slot_start      timestamptz NOT NULL,
    slot_end        timestamptz NOT NULL,
    total_capacity  int NOT NULL CHECK (total_capacity >= 0),
    confirmed       int NOT NULL DEFAULT 0 CHECK (confirmed >= 0),
    price_minor     bigint CHECK (price_minor >= 0),   -- NULL: the base price
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (resource_id, slot_start),
    CONSTRAINT confirmed_within_capacity CHECK (confirmed <= total_capacity),
    CONSTRAINT slot_not_empty CHECK (slot_end > slot_start)
);

-- Hold history: the live hold is in Redis; every state it reaches is recorded here.
-- status: 1 ACTIVE, 2 CONFIRMING, 3 CONFIRMED, 4 RELEASED, 5 EXPIRED (HoldStatus).
CREATE TABLE holds (
    hold_id      text PRIMARY KEY,
    user_id      text NOT NULL,
    resource_id  text NOT NULL REFERENCES resources,
    start_time   timestamptz NOT NULL,
    end_time     timestamptz NOT NULL,
    quantity     int NOT NULL CHECK (quantity > 0),
    status       smallint NOT NULL CHECK (status BETWEEN 1 AND 5),
    expires_at   timestamptz NOT NULL,
    quote        bytea NOT NULL,                -- booking.v1.Price
    booking_id   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX holds_user_live ON holds (user_id) WHERE status IN (1, 2);
CREATE INDEX holds_live_deadline ON holds (expires_at) WHERE status IN (1, 2);
