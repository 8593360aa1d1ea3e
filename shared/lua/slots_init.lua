-- slots_init.lua: sets missing availability counters (never overwrites one).
-- KEYS: 1 avail hash; ARGV: slot, value, slot, value, ...
-- Returns the number of counters set.
local set = 0
for i = 1, #ARGV, 2 do
  set = set + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
return set
