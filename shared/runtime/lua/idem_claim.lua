-- idem_claim.lua: claims an idempotency key for one call, or answers what the key
-- already has. The record is a hash: fp (the request), n (the claiming call's nonce),
-- lease (ms: a claim whose call died is taken over after it), then code, body, msg,
-- reason once the call finished.
-- KEYS: 1 the record
-- ARGV: 1 fingerprint, 2 nonce of this call, 3 now ms, 4 lease ms, 5 retention ms
-- Returns {'OWNED'} | {'DONE', code, body, message, reason} | {'BUSY'} | {'MISMATCH'}
local h = redis.call('HMGET', KEYS[1], 'fp', 'n', 'lease', 'code', 'body', 'msg', 'reason')
local now = tonumber(ARGV[3])
if not h[1] then
  redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'n', ARGV[2], 'lease', now + tonumber(ARGV[4]))
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {'OWNED'}
end
if h[1] ~= ARGV[1] then return {'MISMATCH'} end
if h[4] then return {'DONE', h[4], h[5] or '', h[6] or '', h[7] or ''} end
if h[2] == ARGV[2] or tonumber(h[3]) <= now then
  redis.call('HSET', KEYS[1], 'n', ARGV[2], 'lease', now + tonumber(ARGV[4]))
  return {'OWNED'}
end
return {'BUSY'}
