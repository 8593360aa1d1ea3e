-- idem_finish.lua: the call that claimed a key (nonce ARGV[1]) records its outcome, or
-- drops its claim so that a retry runs the call again. A call whose claim was taken
-- over meanwhile changes nothing.
-- KEYS: 1 the record
-- ARGV: 1 nonce, 2 'store' | 'drop', 3 code, 4 body, 5 message, 6 reason, 7 retention ms
-- Returns 1 when it changed the record, else 0.
local h = redis.call('HMGET', KEYS[1], 'n', 'code')
if h[1] ~= ARGV[1] or h[2] then return 0 end
if ARGV[2] == 'drop' then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'code', ARGV[3], 'body', ARGV[4], 'msg', ARGV[5], 'reason', ARGV[6])
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
end
return 1
