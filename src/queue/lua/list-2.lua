--[[
  Reads a consistent page of objects with the resourceVersion they are current at.
  Input:
    KEYS[1] name index (zset, lexicographic)   KEYS[2] resourceVersion counter
    ARGV[1] min (ZRANGE BYLEX form, e.g. "[ns/" or "(ns/last")
    ARGV[2] max (e.g. "[ns/\xff" or "+")
    ARGV[3] count, or "-1" for all
    ARGV[4] object hash key prefix (member is appended)
  Output:
    {rv, remaining, member1, json1, member2, json2, ...}; remaining counts the members after
    this page
]]
local rv = redis.call('GET', KEYS[2]) or '0'
local members
if ARGV[3] == '-1' then
  members = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'BYLEX')
else
  members = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'BYLEX', 'LIMIT', 0, tonumber(ARGV[3]))
end
local remaining = 0
local out = {rv, 0}
for i, m in ipairs(members) do
  out[#out + 1] = m
  out[#out + 1] = redis.call('HGET', ARGV[4] .. m, 'j')
end
if ARGV[3] ~= '-1' and #members > 0 then
  remaining = redis.call('ZLEXCOUNT', KEYS[1], '(' .. members[#members], ARGV[2])
end
out[2] = remaining
return out
