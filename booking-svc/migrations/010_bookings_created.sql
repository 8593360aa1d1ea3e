-- 010: bookings by creation time, for the maintenance pass that looks, once per booking,
-- for bookings whose hold never reached the hold history (Redis lost the hold's whole log
-- before the recorder wrote it): docs/architecture.md, "What a crash loses".
CREATE INDEX bookings_created ON bookings (created_at);
