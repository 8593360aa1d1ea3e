-- hold_confirm.lua: the confirmation saga's moves of a hold in Redis.
-- KEYS: 1 hold hash, 2 ttl marker, 3 deadline zset, 4 live-hold set, 5 change stream
-- ARGV: 1 hold id, 2 mode, 3 now ms, 4 confirm deadline ms (begin)
--   begin: ACTIVE and not past expires_at -> CONFIRMING; the deadline index then points
--          at the confirm deadline, so the hold cannot expire under the payment
--   done:  CONFIRMING -> CONFIRMED; the units stay taken (PostgreSQL now counts them)
--   undo:  CONFIRMING -> ACTIVE (payment declined); expiry resumes at expires_at
-- Returns {'OK'} | {'LATE'} (begin on an expired hold) | {'STATE', status} | {'GONE'}
local st = redis.call('HGET', KEYS[1], 'st')
if not st then return {'GONE'} end
local mode = ARGV[2]
if mode == 'begin' then
  if st ~= 'A' then return {'STATE', st} end
  if tonumber(redis.call('HGET', KEYS[1], 'exp')) <= tonumber(ARGV[3]) then return {'LATE'} end
  redis.call('HSET', KEYS[1], 'st', 'C', 'cu', ARGV[4])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
  return {'OK'}
end
if st ~= 'C' then return {'STATE', st} end
if mode == 'done' then
  redis.call('HSET', KEYS[1], 'st', 'F')
  redis.call('PEXPIRE', KEYS[1], 3600000)
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('SREM', KEYS[4], ARGV[1])
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', 10000, '*', 'r', redis.call('HGET', KEYS[1], 'rid'))
else
  redis.call('HSET', KEYS[1], 'st', 'A')
  redis.call('ZADD', KEYS[3], redis.call('HGET', KEYS[1], 'exp'), ARGV[1])
end
return {'OK'}
