-- user_take.lua: anti-hoarding. A user's live holds are a hash in the user's own hash
-- slot (hold id -> "units deadline_ms"); a hold is added before its units are taken and
-- removed (HDEL: a repeated give-back changes nothing) when it is released, expires,
-- is confirmed or fails. Entries past their deadline are dropped here, so a give-back
-- lost with a crash costs the user nothing after that.
-- KEYS: 1 the user's hash
-- ARGV: 1 hold id, 2 units, 3 limit, 4 now ms, 5 deadline ms (expires_at + confirm timeout)
-- Returns {'OK', units held before} | {'LIMIT', units held}
local held, latest = 0, tonumber(ARGV[5])
local now = tonumber(ARGV[4])
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local units, deadline = string.match(entries[i + 1], '(%d+) (%d+)')
  deadline = tonumber(deadline)
  if entries[i] == ARGV[1] then
    return {'OK', held}
  elseif deadline <= now then
    redis.call('HDEL', KEYS[1], entries[i])
  else
    held = held + tonumber(units)
    if deadline > latest then latest = deadline end
  end
end
if held + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return {'LIMIT', held} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. ARGV[5])
redis.call('PEXPIREAT', KEYS[1], latest)
return {'OK', held}
