-- hold_extend.lua: an ACTIVE hold lives longer (ExtendHold): expires_at, the TTL marker
-- and the deadline index move together, within the bounds the caller passes, and
-- hold.extended goes to the hold log in the same step. An expiry that races with it
-- either ran first (the hold is EXPIRED: refused here) or finds the new expires_at
-- (NOTDUE in hold_release.lua): never both.
-- KEYS: 1 hold hash, 2 ttl marker, 3 deadline zset, 4 hold log stream
-- ARGV: 1 hold id, 2 now ms, 3 caller (user id; '' = anyone), 4 actor, 5 extend ms,
--       6 most extensions, 7 longest life ms (from creation), 8 nonce ('' = none: the
--       idempotency token of the call, so that a retry of an applied call changes nothing)
-- Returns {'OK', expires_at ms, extensions, user, quantity}
--       | {'REFUSED', why, status, expires_at ms, extensions}
--         why: 'state' (not ACTIVE), 'expired', 'count', 'lifetime'
--       | {'NOTOWNER'} | {'GONE'}
local function micros() -- the event's time (Redis's clock, microseconds)
  local t = redis.call('TIME')
  return t[1] .. string.format('%06d', t[2])
end
local h = redis.call('HMGET', KEYS[1], 'st', 'exp', 'user', 'ext', 'created', 'xn', 'rid', 'q', 'start', 'end')
local st = h[1]
if not st then return {'GONE'} end
if ARGV[3] ~= '' and ARGV[3] ~= h[3] then return {'NOTOWNER'} end
local ext = tonumber(h[4] or '0')
if ARGV[8] ~= '' and h[6] == ARGV[8] then return {'OK', h[2], tostring(ext), h[3], h[8]} end
local now, exp = tonumber(ARGV[2]), tonumber(h[2])
local function refused(why) return {'REFUSED', why, st, h[2], tostring(ext)} end
if st ~= 'A' then return refused('state') end
if exp <= now then return refused('expired') end
if ext >= tonumber(ARGV[6]) then return refused('count') end
local new = exp + tonumber(ARGV[5])
if new - tonumber(h[5]) > tonumber(ARGV[7]) then return refused('lifetime') end
ext = ext + 1
redis.call('HSET', KEYS[1], 'exp', new, 'ext', ext, 'xn', ARGV[8])
redis.call('SET', KEYS[2], ARGV[1], 'PX', new - now)
redis.call('ZADD', KEYS[3], new, ARGV[1])
redis.call('XADD', KEYS[4], '*', 'tu', micros(),
           'h', ARGV[1], 'e', 'hold.extended', 'st', 'A', 'a', ARGV[4], 't', ARGV[2],
           'rid', h[7], 'user', h[3], 'q', h[8], 'start', h[9], 'end', h[10], 'exp', tostring(new), 'created', h[5],
           'm', cjson.encode({expires_before_ms = h[2], extend_ms = ARGV[5], extensions = tostring(ext)}))
return {'OK', tostring(new), tostring(ext), h[3], h[8]}
