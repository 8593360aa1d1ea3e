-- hold_create.lua: takes `q` units of every slot of a hold, all or nothing.
-- KEYS: 1 avail hash, 2 hold hash, 3 ttl marker, 4 deadline zset, 5 live-hold set,
--       6 change stream (readers learn which resource changed)
-- ARGV: 1 hold id, 2 resource id, 3 user id, 4 quantity, 5 expires_at ms, 6 ttl ms, 7.. slot starts
-- Returns {'OK', available-before...} | {'MISSING', slot...} | {'SHORT', slot, available}
--       | {'EXISTS', status}
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'EXISTS', redis.call('HGET', KEYS[2], 'st')}
end
local q = tonumber(ARGV[4])
local n = #ARGV - 6
local available = redis.call('HMGET', KEYS[1], unpack(ARGV, 7))
local missing = {}
for i = 1, n do
  if not available[i] then missing[#missing + 1] = ARGV[6 + i] end
end
if #missing > 0 then return {'MISSING', unpack(missing)} end
for i = 1, n do
  if tonumber(available[i]) < q then return {'SHORT', ARGV[6 + i], available[i]} end
end
for i = 1, n do redis.call('HINCRBY', KEYS[1], ARGV[6 + i], -q) end
redis.call('HSET', KEYS[2], 'rid', ARGV[2], 'user', ARGV[3], 'q', q,
           'slots', table.concat(ARGV, ' ', 7), 'exp', ARGV[5], 'st', 'A')
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[6])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
redis.call('SADD', KEYS[5], ARGV[1])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', 10000, '*', 'r', ARGV[2])
return {'OK', unpack(available)}
