-- slots_init.lua: loads what PostgreSQL says of some slots, under the resource row lock
-- the loader holds: missing availability counters are set (an existing one is never
-- overwritten: holds and confirmations move it), slot info ("total price", price -1 =
-- the base price) is written, and the slot info hash is stamped with the resource
-- version the loader read.
-- KEYS: 1 avail hash, 2 slot info hash, 3 change stream
-- ARGV: 1 resource id, 2 resource version, then triples: slot, available, info
-- Returns the number of counters set.
local set = 0
redis.call('HSET', KEYS[2], 'v', ARGV[2])
for i = 3, #ARGV, 3 do
  set = set + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
end
if set > 0 then redis.call('XADD', KEYS[3], 'MAXLEN', '~', 10000, '*', 'r', ARGV[1]) end
return set
