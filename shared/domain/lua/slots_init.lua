-- slots_init.lua: sets missing availability counters (never overwrites one).
-- KEYS: 1 avail hash, 2 change stream; ARGV: 1 resource id, slot, value, slot, value, ...
-- Returns the number of counters set.
local set = 0
for i = 2, #ARGV, 2 do
  set = set + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
if set > 0 then redis.call('XADD', KEYS[2], 'MAXLEN', '~', 10000, '*', 'r', ARGV[1]) end
return set
