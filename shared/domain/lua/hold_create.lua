-- hold_create.lua: takes `q` units of every slot of a new hold, all or nothing, and
-- creates the live hold: its hash, TTL marker, deadline entry and live-set entry. The
-- hold is announced (hold.created on the hold log) by hold_quote.lua once priced.
-- KEYS: 1 avail hash, 2 slot info hash, 3 hold hash, 4 ttl marker, 5 deadline zset,
--       6 live-hold set, 7 change stream (readers learn which resource changed)
-- ARGV: 1 hold id, 2 resource id, 3 user id, 4 quantity, 5 expires_at ms, 6 ttl ms,
--       7 resource version, 8 start s, 9 end s, 10 now ms, 11.. slot starts
-- Returns {'OK', available-before, info, ...} (info = "total price end" of each slot)
--       | {'STALE', version}: the slot info was loaded for another version of the
--         resource than the caller's copy ('' when none is loaded)
--       | {'MISSING', slot...}: counters or slot info to load from PostgreSQL
--       | {'SHORT', slot, available, info} | {'EXISTS', user, status}
local function hmget(key, first)
  return redis.call('HMGET', key, unpack(ARGV, first))
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  local h = redis.call('HMGET', KEYS[3], 'user', 'st')
  return {'EXISTS', h[1], h[2]}
end
local version = redis.call('HGET', KEYS[2], 'v')
if version ~= ARGV[7] then return {'STALE', version or ''} end
local q = tonumber(ARGV[4])
local n = #ARGV - 10
local available = hmget(KEYS[1], 11)
local info = hmget(KEYS[2], 11)
local missing = {}
for i = 1, n do
  if not available[i] or not info[i] then missing[#missing + 1] = ARGV[10 + i] end
end
if #missing > 0 then return {'MISSING', unpack(missing)} end
for i = 1, n do
  if tonumber(available[i]) < q then return {'SHORT', ARGV[10 + i], available[i], info[i]} end
end
local out = {'OK'}
for i = 1, n do
  redis.call('HINCRBY', KEYS[1], ARGV[10 + i], -q)
  out[#out + 1] = available[i]
  out[#out + 1] = info[i]
end
redis.call('HSET', KEYS[3], 'rid', ARGV[2], 'user', ARGV[3], 'q', q, 'slots', table.concat(ARGV, ' ', 11),
           'exp', ARGV[5], 'st', 'A', 'start', ARGV[8], 'end', ARGV[9], 'created', ARGV[10], 'ce', 0)
redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[6])
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[1])
redis.call('SADD', KEYS[6], ARGV[1])
redis.call('XADD', KEYS[7], 'MAXLEN', '~', 10000, '*', 'r', ARGV[2])
return out
