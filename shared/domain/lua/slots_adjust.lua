-- slots_adjust.lua: adds a delta to existing availability counters (a missing counter
-- is loaded from PostgreSQL later, so it must not be created here).
-- KEYS: 1 avail hash, 2 change stream; ARGV: 1 resource id, slot, delta, slot, delta, ...
-- Returns the number of counters changed.
local changed = 0
for i = 2, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
    changed = changed + 1
  end
end
if changed > 0 then redis.call('XADD', KEYS[2], 'MAXLEN', '~', 10000, '*', 'r', ARGV[1]) end
return changed
