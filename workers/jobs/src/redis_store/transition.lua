-- Compare-and-set state change with index upkeep and an event (needs enc.lua first). A
-- function, so finish.lua can run it inside a larger step; the script itself ends with
-- `return transition(KEYS, ARGV)` (scripts.rs).
-- KEYS: job, queued set, msg[, result[, its normalized text]].
-- ARGV: ",FROM1,FROM2,", to, now ms, ttl s, set_ec, ec, set_em, em, bump, set_cl, cl,
-- channel, id, terminal, result ttl s, result bytes, webhooks set key, batch key prefix,
-- text bytes. The text is shared by every result of it: each write renews its TTL.
-- A job of a batch moves from its old state's count to the new one in the same step.
-- A job with a webhook that reaches a terminal state becomes due for delivery in the same step.
local function transition(KEYS, ARGV)
  if #KEYS >= 4 then redis.call('SET', KEYS[4], ARGV[16], 'EX', tonumber(ARGV[15])) end
  if #KEYS >= 5 then redis.call('SET', KEYS[5], ARGV[19], 'EX', tonumber(ARGV[15])) end
  local st = redis.call('HGET', KEYS[1], 'state')
  if not st then return false end
  if not string.find(ARGV[1], ',' .. st .. ',', 1, true) then return false end
  local ut = redis.call('HGET', KEYS[1], 'ut') or '0'
  local now = ARGV[3]
  if tonumber(now) < tonumber(ut) then now = ut end
  redis.call('HSET', KEYS[1], 'state', ARGV[2], 'ut', now)
  local bid = redis.call('HGET', KEYS[1], 'bid')
  if bid and bid ~= '' then
    local bkey = ARGV[18] .. bid
    if redis.call('EXISTS', bkey) == 1 then
      redis.call('HINCRBY', bkey, st, -1)
      redis.call('HINCRBY', bkey, ARGV[2], 1)
    end
  end
  if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'ec', ARGV[6]) end
  if ARGV[7] == '1' then redis.call('HSET', KEYS[1], 'em', ARGV[8]) end
  if ARGV[9] == '1' then redis.call('HINCRBY', KEYS[1], 'att', 1) end
  if ARGV[10] == '1' then redis.call('HSET', KEYS[1], 'cl', ARGV[11]) end
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
  if ARGV[2] == 'QUEUED' then
    redis.call('ZADD', KEYS[2], now, ARGV[13])
  else
    redis.call('ZREM', KEYS[2], ARGV[13])
  end
  if ARGV[14] == '1' then
    redis.call('DEL', KEYS[3])
    local nu = redis.call('HGET', KEYS[1], 'nu')
    if nu and nu ~= '' and redis.call('HGET', KEYS[1], 'ws') == 'PENDING' then
      redis.call('HSET', KEYS[1], 'wn', now)
      redis.call('ZADD', ARGV[17], now, ARGV[13])
    end
  end
  local flat = redis.call('HGETALL', KEYS[1])
  redis.call('PUBLISH', ARGV[12], enc(flat))
  return flat
end
