--[[
  Deletes an object (if its resourceVersion is still the expected one) with everything that
  hangs off it, and appends its DELETED event, atomically.
  Input:
    KEYS[1] object hash   KEYS[2] name index   KEYS[3] resourceVersion counter
    KEYS[4] change stream KEYS[5] uid -> member KEYS[6] active set
    KEYS[7] ttl zset      KEYS[8] log stream
    ARGV[1] member "<namespace>/<name>"
    ARGV[2] expected resourceVersion
    ARGV[3] final object JSON with the resourceVersion placeholder "@@RV@@"
    ARGV[4] the previous object's selectable attributes (JSON)
    ARGV[5] stream MAXLEN (approximate)
  Output:
    {rv} on success, {-1} if the object does not exist, {-2, currentRv} on a conflict
]]
local cur = redis.call('HGET', KEYS[1], 'r')
if not cur then
  return {-1}
end
if cur ~= ARGV[2] then
  return {-2, cur}
end
local rv = redis.call('INCR', KEYS[3])
local s, e = string.find(ARGV[3], '"@@RV@@"', 1, true)
local json = string.sub(ARGV[3], 1, s - 1) .. '"' .. rv .. '"' .. string.sub(ARGV[3], e + 1)
redis.call('DEL', KEYS[1], KEYS[5], KEYS[8])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[1])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], rv .. '-0', 't', 'DELETED', 'k', ARGV[1], 'o', json, 'p', ARGV[4])
return {rv}
