-- hold_create.lua: takes `q` units of every slot of a new hold, all or nothing, and
-- creates the live hold: its hash, TTL marker, deadline entry and live-set entry. With
-- a quote (the caller priced the hold from slot info of this same resource version) the
-- hold is announced at once: hold.created goes to the hold log in this step; without,
-- hold_quote.lua announces it once priced.
-- KEYS: 1 avail hash, 2 slot info hash, 3 hold hash, 4 ttl marker, 5 deadline zset,
--       6 live-hold set, 7 change stream (readers learn which resource changed),
--       8 hold log stream
-- ARGV: 1 hold id, 2 resource id, 3 user id, 4 quantity, 5 expires_at ms, 6 ttl ms,
--       7 resource version, 8 start s, 9 end s, 10 now ms, 11 quote ('' = not priced),
--       12 actor, 13.. slot starts
-- Returns {'OK', available-before, info, ...} (info = "total price end" of each slot)
--       | {'STALE', version}: the slot info was loaded for another version of the
--         resource than the caller's copy ('' when none is loaded)
--       | {'MISSING', slot...}: counters or slot info to load from PostgreSQL
--       | {'SHORT', slot, available, info} | {'EXISTS', user, status}
local function micros() -- the event's time (Redis's clock, microseconds)
  local t = redis.call('TIME')
  return t[1] .. string.format('%06d', t[2])
end
local FIRST = 13
if redis.call('EXISTS', KEYS[3]) == 1 then
  local h = redis.call('HMGET', KEYS[3], 'user', 'st')
  return {'EXISTS', h[1], h[2]}
end
local version = redis.call('HGET', KEYS[2], 'v')
if version ~= ARGV[7] then return {'STALE', version or ''} end
local q = tonumber(ARGV[4])
local n = #ARGV - FIRST + 1
local available = redis.call('HMGET', KEYS[1], unpack(ARGV, FIRST))
local info = redis.call('HMGET', KEYS[2], unpack(ARGV, FIRST))
local missing = {}
for i = 1, n do
  if not available[i] or not info[i] then missing[#missing + 1] = ARGV[FIRST - 1 + i] end
end
if #missing > 0 then return {'MISSING', unpack(missing)} end
for i = 1, n do
  if tonumber(available[i]) < q then return {'SHORT', ARGV[FIRST - 1 + i], available[i], info[i]} end
end
local out = {'OK'}
for i = 1, n do
  redis.call('HINCRBY', KEYS[1], ARGV[FIRST - 1 + i], -q)
  out[#out + 1] = available[i]
  out[#out + 1] = info[i]
end
redis.call('HSET', KEYS[3], 'rid', ARGV[2], 'user', ARGV[3], 'q', q, 'slots', table.concat(ARGV, ' ', FIRST),
           'exp', ARGV[5], 'st', 'A', 'start', ARGV[8], 'end', ARGV[9], 'created', ARGV[10], 'ce', 0)
redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[6])
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[1])
redis.call('SADD', KEYS[6], ARGV[1])
redis.call('XADD', KEYS[7], 'MAXLEN', '~', 10000, '*', 'r', ARGV[2])
if ARGV[11] ~= '' then
  redis.call('HSET', KEYS[3], 'quote', ARGV[11])
  redis.call('XADD', KEYS[8], '*', 'tu', micros(),
             'h', ARGV[1], 'e', 'hold.created', 'st', 'A', 'a', ARGV[12], 't', ARGV[10],
             'rid', ARGV[2], 'user', ARGV[3], 'q', ARGV[4], 'start', ARGV[8], 'end', ARGV[9], 'exp', ARGV[5],
             'created', ARGV[10], 'quote', ARGV[11], 'm', cjson.encode({resource_id = ARGV[2], quantity = ARGV[4]}))
end
return out
