-- Netstring encoding of a flat field list, for the events channel.
local function enc(t)
  local out = {}
  for i = 1, #t do
    local s = t[i]
    out[#out + 1] = #s .. ':' .. s
  end
  return table.concat(out)
end
