-- Adds a report to a tenant's copied-text index, once per job (a redelivered job finds its
-- entry number on the job hash and changes nothing). The entry number is the tenant's running
-- count of indexed reports; buckets hold entry numbers as packed 4-byte integers, newest last,
-- the oldest dropped past the cap. A function, like transition.lua, for finish.lua.
-- The report's sentence counts are not added here: the caller sends them as one BITFIELD when
-- this returns made = 1 (see sketch.rs: through Lua they cost Redis five times the CPU).
-- KEYS: job, count, then one band shard hash per band.
-- ARGV: ttl, document key prefix, document, cap (entries), number of bands, one field per band.
-- Returns {entry number, made}: made is 1 when this call added the entry.
local function index_similarity(KEYS, ARGV)
  local ttl = tonumber(ARGV[1])
  local known = redis.call('HGET', KEYS[1], 'sx')
  if known then return {tonumber(known), 0} end
  local n = redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], ttl)
  if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'sx', n) end
  redis.call('SET', ARGV[2] .. n, ARGV[3], 'EX', ttl)
  local entry = struct.pack('<I4', n % 4294967296)
  local cap = tonumber(ARGV[4]) * 4
  local bands = tonumber(ARGV[5])
  for i = 1, bands do
    local key, field = KEYS[2 + i], ARGV[5 + i]
    local v = (redis.call('HGET', key, field) or '') .. entry
    if #v > cap then v = string.sub(v, #v - cap + 1) end
    redis.call('HSET', key, field, v)
    redis.call('EXPIRE', key, ttl)
  end
  return {n, 1}
end
