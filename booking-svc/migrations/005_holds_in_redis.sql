-- 005: a live hold lives in Redis alone (docs/architecture.md). PostgreSQL keeps hold
-- history and audit events, written by booking-svc's recorder from the hold log, so
-- nothing here may require a hold row to exist first.
ALTER TABLE bookings DROP CONSTRAINT bookings_hold_id_fkey;
ALTER TABLE payment_attempts DROP CONSTRAINT payment_attempts_hold_id_fkey;

-- A hold row is the latest state the recorder saw: log_position orders the hold log's
-- entries of one partition (stream id as ms * 2^20 + seq). The quote arrives with
-- hold.created; a hold whose creation was never announced has none.
ALTER TABLE holds ALTER COLUMN quote DROP NOT NULL;
ALTER TABLE holds ADD COLUMN log_position bigint NOT NULL DEFAULT 0;
DROP INDEX holds_user_live;  -- the anti-hoarding limit is counted in Redis

-- Events recorded from the hold log carry a unique key, so that an entry delivered twice
-- is recorded once; a hold's end (released, expired, confirmed) has the key
-- "<hold>:end", whichever path records it.
ALTER TABLE events ADD COLUMN event_key text UNIQUE;

-- Bumped by every change of a resource; the hold cache's slot info carries the version
-- it was loaded for, so a hold never uses a resource copy older than the last change.
ALTER TABLE resources ADD COLUMN version bigint NOT NULL DEFAULT 1;

-- A payment attempt belongs to one confirmation (epoch) of its hold. Its row fences the
-- confirmation: the booking transaction needs it pending or authorized, and the repair
-- marks it abandoned (creating it if the confirmation died before writing it), so the
-- two can never both win.
ALTER TABLE payment_attempts ADD COLUMN epoch int NOT NULL DEFAULT 0;
