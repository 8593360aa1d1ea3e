-- slots_adjust.lua: adds a delta to existing availability counters (a missing counter
-- is loaded from PostgreSQL later, so it must not be created here). With ARGV[2] = '1'
-- the slots' info (capacity, price) is dropped too, to be loaded again by the next hold.
-- KEYS: 1 avail hash, 2 slot info hash, 3 change stream
-- ARGV: 1 resource id, 2 forget info (0|1), then pairs: slot, delta
-- Returns the number of counters changed.
local changed = 0
for i = 3, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
    changed = changed + 1
  end
  if ARGV[2] == '1' then redis.call('HDEL', KEYS[2], ARGV[i]) end
end
if changed > 0 then redis.call('XADD', KEYS[3], 'MAXLEN', '~', 10000, '*', 'r', ARGV[1]) end
return changed
