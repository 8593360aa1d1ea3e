-- user_extend.lua: a hold of the user lives longer (ExtendHold), so its entry in the
-- user's held units (user_take.lua) counts until the new deadline. A hold that no
-- longer counts (given back) stays out.
-- KEYS: 1 the user's hash
-- ARGV: 1 hold id, 2 deadline ms (the new expires_at + confirm timeout)
-- Returns 1 moved | 0 not counted
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return 0 end
local units = string.match(entry, '(%d+) ')
redis.call('HSET', KEYS[1], ARGV[1], units .. ' ' .. ARGV[2])
if redis.call('PEXPIRETIME', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return 1
