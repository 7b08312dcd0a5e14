-- A job's success in one step (needs enc.lua, transition.lua and index_similarity.lua first):
-- its copied-text index entry, its overlay, the terminal transition with its result, then,
-- only if the transition applied, its summary rows. The entry, overlay and rows are extras:
-- a failure of one is returned as a warning and never stops the transition.
-- KEYS: the transition's keys, then the index's keys.
-- ARGV: number of transition keys, number of transition args, number of index keys (0: no
--       entry), number of index args, overlay key ('' : none), overlay ttl s, overlay bytes,
--       rows ttl s, number of rows, then the transition's args, the index's args, and per row
--       its hash key, field and value.
-- Returns {the job's fields (0 when the transition was refused), {warnings...}, made}: made is
-- 1 when the index entry was added by this step (its sentence counts are then the caller's).
local function slice(t, from, n)
  local r = {}
  for i = 1, n do r[i] = t[from + i - 1] end
  return r
end
local function failed(r)
  if type(r) == 'table' and r.err then return r.err end
  return nil
end
local tk, ta = tonumber(ARGV[1]), tonumber(ARGV[2])
local ik, ia = tonumber(ARGV[3]), tonumber(ARGV[4])
local rows = tonumber(ARGV[9])
local at = 10
local targs = slice(ARGV, at, ta)
at = at + ta
local iargs = slice(ARGV, at, ia)
at = at + ia
local warnings = {}
local made = 0
if ik > 0 then
  local ok, r = pcall(index_similarity, slice(KEYS, tk + 1, ik), iargs)
  if ok then
    made = r[2]
  else
    warnings[#warnings + 1] = 'index: ' .. tostring(failed(r) or r)
  end
end
if ARGV[5] ~= '' then
  local err = failed(redis.pcall('SET', ARGV[5], ARGV[7], 'EX', tonumber(ARGV[6])))
  if err then warnings[#warnings + 1] = 'overlay: ' .. err end
end
local flat = transition(slice(KEYS, 1, tk), targs)
if not flat then return {0, warnings, made} end
for r = 0, rows - 1 do
  local key, field, value = ARGV[at + 3 * r], ARGV[at + 3 * r + 1], ARGV[at + 3 * r + 2]
  local err = failed(redis.pcall('HSET', key, field, value))
    or failed(redis.pcall('EXPIRE', key, tonumber(ARGV[8])))
  if err then warnings[#warnings + 1] = 'row ' .. key .. ': ' .. err end
end
return {flat, warnings, made}
