-- hold_quote.lua: stores the price quote of a hold hold_create.lua just took and
-- announces the hold: hold.created goes to the partition's hold log in the same step.
-- KEYS: 1 hold hash, 2 hold log stream
-- ARGV: 1 hold id, 2 quote (packed booking.v1.Price), 3 actor, 4 now ms
-- Returns {'OK'} | {'DONE'} (already quoted: a retry) | {'GONE'}
local function micros() -- the event's time (Redis's clock, microseconds)
  local t = redis.call('TIME')
  return t[1] .. string.format('%06d', t[2])
end
local h = redis.call('HMGET', KEYS[1], 'st', 'quote', 'rid', 'user', 'q', 'start', 'end', 'exp', 'created')
if not h[1] then return {'GONE'} end
if h[2] then return {'DONE'} end
redis.call('HSET', KEYS[1], 'quote', ARGV[2])
redis.call('XADD', KEYS[2], '*', 'tu', micros(),
           'h', ARGV[1], 'e', 'hold.created', 'st', h[1], 'a', ARGV[3], 't', ARGV[4],
           'rid', h[3], 'user', h[4], 'q', h[5], 'start', h[6], 'end', h[7], 'exp', h[8], 'created', h[9],
           'quote', ARGV[2], 'm', cjson.encode({resource_id = h[3], quantity = h[5]}))
return {'OK'}
