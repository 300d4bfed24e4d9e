-- store_redis.lua - the script the Redis store runs with EVALSHA: one
-- host's state read, changed and written back atomically, in one round
-- trip.  It is rule.c and rule_host.c, line by line, on a Redis hash; the
-- build turns it into the C string store_redis_script (store_redis_lua.h).
--
-- A host is one hash, KEYS[1].  Per detector name n (dos, dha, attack,
-- manual) the fields are "c:n" count, "w:n" window start, "b:n" block end
-- and "l:n" block length (the end minus the block's start; 0: unknown);
-- "x" is the time after which the state carries nothing.  Absent fields
-- are 0.  Times are the node's Unix seconds; a state whose x has passed
-- is read as empty, as the memory store does.  The key's TTL is set
-- relative to the node's time (x - now + MARGIN), so Redis's clock and
-- the node's may differ; nothing is written for a state that carries
-- nothing, and an expired key is deleted.
--
-- ARGV[1] is the operation, ARGV[2] now; then
--   "e" one event (store_apply_event()): ARGV[3] the counted detector,
--       ARGV[4] "1" at CONNECT, then each detector's rule in DETECTORS
--       order, RULE_ARGS each.  Returns { outcome, detector, count,
--       block_until } numbered as enum rule_outcome and enum detector.
--   "b" store_block(): ARGV[3] the detector, ARGV[4] the block's end.
--       Returns 0.
-- Detectors are numbered from 0 as in enum detector.

local DETECTORS = { 'dos', 'dha', 'attack', 'manual' }
local RULE_ARGS = { 'enabled', 'sliding', 'max', 'period', 'block' }
-- A detector's state: its part and the prefix of its field.
local PARTS = { { 'count', 'c:' }, { 'window', 'w:' }, { 'block', 'b:' },
	{ 'length', 'l:' } }
local ALLOWED, REFUSED, TRIPPED = 0, 1, 2
local U32_MAX = 4294967295
local MARGIN = 10

local key = KEYS[1]
local now = tonumber(ARGV[2])

-- state[n][part]; loaded keeps what was read, so only changes are written.
local state, loaded = {}, {}
local expiry, exists, stale = 0, false, false

local function fields()
	local list = {}
	for _, n in ipairs(DETECTORS) do
		for _, p in ipairs(PARTS) do list[#list + 1] = p[2] .. n end
	end
	return list
end

local function load()
	local names = fields()
	local r = redis.call('HMGET', key, 'x', unpack(names))
	local x = tonumber(r[1]) or 0
	local live = x > now
	for i = 1, #names + 1 do exists = exists or r[i] ~= false end
	local i = 2
	for _, n in ipairs(DETECTORS) do
		state[n], loaded[n] = {}, {}
		for _, p in ipairs(PARTS) do
			local v = live and tonumber(r[i]) or 0
			state[n][p[1]], loaded[n][p[1]] = v, v
			i = i + 1
		end
	end
	expiry = live and x or 0
	stale = exists and not live
end

local function save(x)
	if x <= now then
		if exists then redis.call('DEL', key) end
		return
	end
	if stale then redis.call('DEL', key) end
	local args = {}
	for _, n in ipairs(DETECTORS) do
		for _, p in ipairs(PARTS) do
			local v = state[n][p[1]]
			if v ~= loaded[n][p[1]] then
				args[#args + 1] = p[2] .. n
				args[#args + 1] = string.format('%d', v)
			end
		end
	end
	if x ~= expiry then
		args[#args + 1] = 'x'
		args[#args + 1] = string.format('%d', x)
	end
	if #args > 0 then redis.call('HSET', key, unpack(args)) end
	if x ~= expiry then redis.call('EXPIRE', key, x - now + MARGIN) end
end

local function parse_rules()
	local rules, i = {}, 5
	for _, n in ipairs(DETECTORS) do
		local r = {}
		for _, a in ipairs(RULE_ARGS) do
			r[a] = tonumber(ARGV[i])
			i = i + 1
		end
		r.enabled, r.sliding = r.enabled == 1, r.sliding == 1
		rules[n] = r
	end
	return rules
end

-- rule.c

local function blocked(s) return s.block > now end

local function block_start(s)
	if s.length == 0 then return 0 end
	return s.block - s.length
end

local function set_block(s, start, untill)
	local length = untill - start
	if length <= 0 then length = 0 end
	if length > U32_MAX then length = U32_MAX end
	s.block, s.length = untill, length
end

local function window_open(r, s)
	if s.window == 0 or now >= s.window + r.period then return false end
	return not (s.block > s.window and s.block <= now)
end

local function check_block(r, s)
	if not r.enabled or not blocked(s) then return ALLOWED end
	if r.sliding then
		local start = block_start(s)
		s.block = now + r.block
		if start ~= 0 then set_block(s, start, s.block) end
	end
	return REFUSED
end

local function count(r, s)
	if not r.enabled then return ALLOWED end
	if check_block(r, s) == REFUSED then return REFUSED end
	if not window_open(r, s) then s.window, s.count = now, 0 end
	if s.count < U32_MAX then s.count = s.count + 1 end
	if s.count <= r.max then return ALLOWED end
	set_block(s, now, now + r.block)
	return TRIPPED
end

local function state_expiry(r, s)
	local e = s.window == 0 and 0 or s.window + r.period
	if s.block > e then e = s.block end
	return e
end

-- rule_host.c

local function check_blocks(rules)
	local latest
	for d, n in ipairs(DETECTORS) do
		if check_block(rules[n], state[n]) == REFUSED and
		    (latest == nil or state[n].block > state[DETECTORS[latest]].block) then
			latest = d
		end
	end
	return latest
end

local function host_expiry(rules)
	local x = 0
	for _, n in ipairs(DETECTORS) do
		local e = state_expiry(rules[n], state[n])
		if e > x then x = e end
	end
	return x
end

-- The operations.

local function event()
	local rules = parse_rules()
	local d = tonumber(ARGV[3]) + 1
	local n = DETECTORS[d]
	local res
	load()
	local latest = ARGV[4] == '1' and check_blocks(rules) or nil
	if latest ~= nil then
		local s = state[DETECTORS[latest]]
		res = { REFUSED, latest - 1, s.count, s.block }
	else
		local o = count(rules[n], state[n])
		res = { o, d - 1, state[n].count, o ~= ALLOWED and state[n].block or 0 }
	end
	save(host_expiry(rules))
	return res
end

local function block()
	local n, untill = DETECTORS[tonumber(ARGV[3]) + 1], tonumber(ARGV[4])
	load()
	set_block(state[n], now, untill)
	save(math.max(untill, expiry))
	return 0
end

if ARGV[1] == 'e' then return event() end
if ARGV[1] == 'b' then return block() end
return redis.error_reply('bulwark: unknown operation')
