-- hold_confirm.lua: the confirmation saga's moves of a live hold. Each confirmation
-- gets the next epoch; done and undo act only on the epoch they name, so a late or
-- repeated step of an older confirmation changes nothing.
-- KEYS: 1 hold hash, 2 ttl marker, 3 deadline zset, 4 live-hold set, 5 change stream,
--       6 hold log stream
-- ARGV: 1 hold id, 2 mode, 3 now ms, 4 caller (begin: user id, '' = anyone), 5 actor,
--       6 begin: confirm deadline ms | done: booking id | undo: event type,
--       7 begin: nonce of this attempt | done, undo: epoch
--   begin: ACTIVE and not past expires_at -> CONFIRMING with epoch ce + 1; the deadline
--          index points at the confirm deadline, so the hold cannot expire mid-payment.
--          A retry with the same nonce answers the same epoch.
--   done:  CONFIRMING with this epoch -> CONFIRMED; the units stay taken (PostgreSQL
--          counts them now); repeated: OK
--   undo:  CONFIRMING with this epoch -> ACTIVE (payment declined, or the repair found
--          no booking); expiry resumes at expires_at
-- Returns {'OK', epoch, status, user, booking id}
--       | {'LATE'} (begin past expires_at) | {'NOTOWNER'} | {'GONE'}
--       | {'STATE', status, epoch, confirm deadline, booking id, user}
local function micros() -- the event's time (Redis's clock, microseconds)
  local t = redis.call('TIME')
  return t[1] .. string.format('%06d', t[2])
end
local h = redis.call('HMGET', KEYS[1], 'st', 'exp', 'user', 'ce', 'cu', 'bk', 'cn', 'rid', 'q', 'start', 'end',
                     'created')
local st = h[1]
if not st then return {'GONE'} end
local mode = ARGV[2]
local function state() return {'STATE', st, h[4], h[5] or '', h[6] or '', h[3]} end
local function log(event, status, meta)
  redis.call('XADD', KEYS[6], '*', 'tu', micros(),
             'h', ARGV[1], 'e', event, 'st', status, 'a', ARGV[5], 't', ARGV[3],
             'rid', h[8], 'user', h[3], 'q', h[9], 'start', h[10], 'end', h[11], 'exp', h[2], 'created', h[12],
             'bk', h[6] or '', 'm', cjson.encode(meta))
end
if mode == 'begin' then
  if ARGV[4] ~= '' and ARGV[4] ~= h[3] then return {'NOTOWNER'} end
  if st == 'C' and h[7] == ARGV[7] then return {'OK', h[4], st, h[3], ''} end
  if st ~= 'A' then return state() end
  if tonumber(h[2]) <= tonumber(ARGV[3]) then return {'LATE'} end
  local epoch = tonumber(h[4]) + 1
  h[4] = tostring(epoch)
  redis.call('HSET', KEYS[1], 'st', 'C', 'ce', epoch, 'cu', ARGV[6], 'cn', ARGV[7])
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
  log('hold.confirming', 'C', {epoch = h[4]})
  return {'OK', h[4], 'C', h[3], ''}
end
if h[4] ~= ARGV[7] then return state() end
if mode == 'done' then
  if st == 'F' then return {'OK', h[4], st, h[3], h[6] or ''} end
  if st ~= 'C' then return state() end
  h[6] = ARGV[6]
  redis.call('HSET', KEYS[1], 'st', 'F', 'bk', ARGV[6])
  redis.call('PEXPIRE', KEYS[1], 3600000)
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('SREM', KEYS[4], ARGV[1])
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', 10000, '*', 'r', h[8])
  log('hold.confirmed', 'F', {booking_id = ARGV[6]})
  return {'OK', h[4], 'F', h[3], ARGV[6]}
end
if st ~= 'C' then return state() end
redis.call('HSET', KEYS[1], 'st', 'A')
redis.call('ZADD', KEYS[3], h[2], ARGV[1])
log(ARGV[6], 'A', {epoch = h[4]})
return {'OK', h[4], 'A', h[3], ''}
