-- hold_release.lua: gives a hold's units back exactly once and ends it.
-- KEYS: 1 avail hash, 2 hold hash, 3 ttl marker, 4 deadline zset, 5 live-hold set,
--       6 change stream
-- ARGV: 1 hold id, 2 'R' (the user releases) | 'X' (expiry) | 'F' (forced expiry of a
--       CONFIRMING hold that PostgreSQL shows was never booked), 3 now ms
-- An active hold past expires_at ends EXPIRED even when the user releases it.
-- Returns {'RELEASED', quantity, final status, expires_at ms} | {'NOTDUE'}
--       | {'FINAL', status} | {'GONE'}
local st = redis.call('HGET', KEYS[2], 'st')
if not st then return {'GONE'} end
local now = tonumber(ARGV[3])
local expires = redis.call('HGET', KEYS[2], 'exp')
local overdue = tonumber(expires) <= now
local final = 'R'
if ARGV[2] == 'F' then
  if st ~= 'A' and st ~= 'C' then return {'FINAL', st} end
  final = 'X'
elseif st ~= 'A' then
  return {'FINAL', st}
elseif ARGV[2] == 'X' then
  if not overdue then return {'NOTDUE'} end
  final = 'X'
elseif overdue then
  final = 'X'
end
local q = tonumber(redis.call('HGET', KEYS[2], 'q'))
for slot in string.gmatch(redis.call('HGET', KEYS[2], 'slots'), '%S+') do
  if redis.call('HEXISTS', KEYS[1], slot) == 1 then redis.call('HINCRBY', KEYS[1], slot, q) end
end
redis.call('HSET', KEYS[2], 'st', final)
redis.call('PEXPIRE', KEYS[2], 3600000)
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('SREM', KEYS[5], ARGV[1])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', 10000, '*', 'r', redis.call('HGET', KEYS[2], 'rid'))
return {'RELEASED', q, final, expires}
