-- hold_release.lua: ends a live hold and gives its units back, exactly once.
-- KEYS: 1 avail hash, 2 hold hash, 3 ttl marker, 4 deadline zset, 5 live-hold set,
--       6 change stream, 7 hold log stream
-- ARGV: 1 hold id, 2 mode, 3 now ms, 4 caller (user id; '' = anyone), 5 actor,
--       6 detail (expiry: the path that found it; forced: the reason), 7 epoch (forced)
-- Modes:
--   R  the owner releases an ACTIVE hold (EXPIRED instead when past expires_at)
--   X  expiry: an ACTIVE hold past expires_at
--   F  forced expiry of the confirmation with epoch ARGV[7] (CONFIRMING, or back to
--      ACTIVE since): the saga found no booking for it and its time is up, or no room
--   Z  abort of a creation never announced (no quote yet): no trace at all
--       8.. (optional) fields of the hold to answer with, as they are after the call
-- Returns {'RELEASED', quantity, final status, expires_at ms, user, rid}
--       | {'NOTDUE'} | {'NOTOWNER'} | {'FINAL', status, user} | {'GONE'}
-- and, when ARGV[8..] name fields, RELEASED and FINAL end with their values.
local function micros() -- the event's time (Redis's clock, microseconds)
  local t = redis.call('TIME')
  return t[1] .. string.format('%06d', t[2])
end
local function answer(reply)
  if ARGV[8] then reply[#reply + 1] = redis.call('HMGET', KEYS[2], unpack(ARGV, 8)) end
  return reply
end
local h = redis.call('HMGET', KEYS[2], 'st', 'exp', 'user', 'q', 'slots', 'rid', 'ce', 'quote', 'start', 'end',
                     'created')
local st = h[1]
if not st then return {'GONE'} end
local mode, now = ARGV[2], tonumber(ARGV[3])
if ARGV[4] ~= '' and ARGV[4] ~= h[3] then return {'NOTOWNER'} end
local overdue = tonumber(h[2]) <= now
local final, event = 'R', 'hold.released'
if mode == 'F' then
  if (st ~= 'A' and st ~= 'C') or h[7] ~= ARGV[7] then return answer({'FINAL', st, h[3]}) end
  final = 'X'
elseif mode == 'Z' then
  if st ~= 'A' or h[8] then return answer({'FINAL', st, h[3]}) end
elseif st ~= 'A' then
  return answer({'FINAL', st, h[3]})
elseif mode == 'X' then
  if not overdue then return {'NOTDUE'} end
  final = 'X'
elseif overdue then
  final = 'X'
end
local q = tonumber(h[4])
for slot in string.gmatch(h[5], '%S+') do
  if redis.call('HEXISTS', KEYS[1], slot) == 1 then redis.call('HINCRBY', KEYS[1], slot, q) end
end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('SREM', KEYS[5], ARGV[1])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', 10000, '*', 'r', h[6])
if mode == 'Z' then
  redis.call('DEL', KEYS[2])
  return answer({'RELEASED', q, 'Z', h[2], h[3], h[6]})
end
if final == 'X' then event = 'hold.expired' end
redis.call('HSET', KEYS[2], 'st', final)
redis.call('PEXPIRE', KEYS[2], 3600000)
local meta = {}
if final == 'X' then meta = {path = ARGV[6], lag_ms = string.format('%d', math.max(0, now - tonumber(h[2])))} end
if mode == 'F' then meta = {reason = ARGV[6]} end
redis.call('XADD', KEYS[7], '*', 'tu', micros(),
           'h', ARGV[1], 'e', event, 'st', final, 'a', ARGV[5], 't', ARGV[3],
           'rid', h[6], 'user', h[3], 'q', h[4], 'start', h[9], 'end', h[10], 'exp', h[2], 'created', h[11],
           'm', cjson.encode(meta))
return answer({'RELEASED', q, final, h[2], h[3], h[6]})
