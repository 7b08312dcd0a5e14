-- Creates a job (with its request-id claim, index entries and message) unless it exists.
-- KEYS: job, req, tenant index, queued set, msg.
-- ARGV: job key prefix, ttl s, has_req, req value, id, create ms, update ms, state,
-- prune-before ms, msg bytes ("" = none), terminal, webhooks set key ("" = no webhook),
-- batch key ("" = no batch), then field/value pairs. A job of an existing batch is counted
-- there (total and its state) and listed in the batch's job set. A job born terminal with a webhook is due for delivery at once.
if ARGV[3] == '1' then
  local v = redis.call('GET', KEYS[2])
  if v then
    local sep = string.find(v, '|', 1, true)
    local eid = v
    if sep then eid = string.sub(v, 1, sep - 1) end
    local ekey = ARGV[1] .. eid
    if redis.call('EXISTS', ekey) == 1 then
      return {'existing', redis.call('HGETALL', ekey)}
    end
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'existing', redis.call('HGETALL', KEYS[1])}
end
local ttl = tonumber(ARGV[2])
local fields = {}
for i = 14, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], ttl)
if ARGV[3] == '1' then redis.call('SET', KEYS[2], ARGV[4], 'EX', ttl) end
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[9])
redis.call('EXPIRE', KEYS[3], ttl * 2)
if ARGV[8] == 'QUEUED' then redis.call('ZADD', KEYS[4], ARGV[7], ARGV[5]) end
if ARGV[10] ~= '' and ARGV[11] ~= '1' then redis.call('SET', KEYS[5], ARGV[10], 'EX', ttl) end
if ARGV[12] ~= '' and ARGV[11] == '1' then
  redis.call('HSET', KEYS[1], 'wn', ARGV[7])
  redis.call('ZADD', ARGV[12], ARGV[7], ARGV[5])
end
if ARGV[13] ~= '' and redis.call('EXISTS', ARGV[13]) == 1 then
  redis.call('HINCRBY', ARGV[13], 'total', 1)
  redis.call('HINCRBY', ARGV[13], ARGV[8], 1)
  redis.call('SADD', ARGV[13] .. ':jobs', ARGV[5])
  local bttl = redis.call('TTL', ARGV[13])
  if bttl > 0 then redis.call('EXPIRE', ARGV[13] .. ':jobs', bttl) end
end
return {'created'}
