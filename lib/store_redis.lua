-- store_redis.lua - the Redis store's function library, run with FCALL:
-- the state of one host and of its networks read, changed and written
-- back atomically, in one round trip.  It is rule.c, rule_host.c and
-- store_apply_event(), line by line, on Redis hashes; the build turns it
-- into the C string store_redis_library (store_redis_lua.h), named, with
-- its one function (BULWARK_FUNCTION here), "bulwark_" and the first 12
-- hex digits of this file's SHA-1.  Redis runs this file once, when it
-- loads the library (FUNCTION LOAD): the constant tables and functions
-- are made then, and a call makes only what its operation needs.
--
-- A host is one hash; so is a network (a host of its own, under its own
-- key: store_apply_event()).  Per detector name n (dos, dha, attack,
-- manual) the fields are "c:n" count, "w:n" window start, "b:n" block end,
-- "l:n" block length (the end minus the block's start; 0: unknown), "v:n"
-- events counted only in the ratio, "e:n" the escalation level of the
-- last block, "t:n" and "p:n" the rule's max and period when that block
-- started and "o:n" the node that started it; "x" is the time after
-- which the state carries nothing.  Absent fields are 0.  A state whose
-- x has passed is read as empty, as the memory store does; nothing is
-- written for a state that carries nothing, and an expired key is
-- deleted.  The key's TTL is x - now + MARGIN.  Each hash's x is judged by
-- its own rules: a network's are its network rules.
--
-- Time: the array has one clock, Redis's (TIME; Redis 7 replicates a
-- script's effects, not the script, so that is allowed): a node whose
-- clock is wrong can neither end nor erase another node's block.  The
-- caller's time is used only when it passes one (tests inject a clock);
-- a node sends 0.
--
-- KEYS and ARGV are the call's keys and arguments, as a script's.
-- ARGV[1] is the operation, ARGV[2] the time to use, 0 for Redis's; then
--   "e" one event (store_apply_event()): KEYS[1] the host, KEYS[2 ..
--       N + 1] its N distinct networks (store_event_nets()), then the
--       host's sessions when they are counted (see Live sessions), all
--       of one hash tag, so of one Cluster slot.
--       ARGV[3] the counted detector, ARGV[4] "1" at CONNECT, ARGV[5]
--       "1" for an event counted only in the ratio (rule_count_valid),
--       ARGV[6] the node's name, then each detector's rule in enum
--       detector order (see rules), then N; when N > 0, for each
--       detector the number k of its network (KEYS[k + 1]; 0: none),
--       then the network rule of each detector that has a network, in
--       detector order, encoded as the host's.  Returns { outcome,
--       detector, count, block_until, level, k } numbered as enum
--       rule_outcome and enum detector, k the network whose block it
--       names (0: the host's).
--   "b" store_block(): KEYS[1] the host (or network), ARGV[3] the
--       detector, ARGV[4] the block's length in seconds from now (0 or
--       less: over already).  Returns 0.
-- Detectors are numbered from 0 as in enum detector.

local DETECTORS = 4		-- dos, dha, attack, manual: enum detector's order
local NAMES = { 'dos', 'dha', 'attack', 'manual' }
-- The hash fields of each detector's state, in the order of PARTS.
local FIELDS = {
	'c:dos', 'w:dos', 'b:dos', 'l:dos', 'v:dos', 'e:dos', 't:dos', 'p:dos',
	'c:dha', 'w:dha', 'b:dha', 'l:dha', 'v:dha', 'e:dha', 't:dha', 'p:dha',
	'c:attack', 'w:attack', 'b:attack', 'l:attack',
	'v:attack', 'e:attack', 't:attack', 'p:attack',
	'c:manual', 'w:manual', 'b:manual', 'l:manual',
	'v:manual', 'e:manual', 't:manual', 'p:manual' }
local PARTS = { 'count', 'window', 'block', 'length', 'valid', 'level',
	'threshold', 'period' }
-- INDEX[name]: the place of a state field in FIELDS.  The hash is read
-- whole (HGETALL): a host has few of the fields, absent ones are 0; the
-- note's fields ("n:...") and "o:..." are not state.
local INDEX = {
	['c:dos'] = 1, ['w:dos'] = 2, ['b:dos'] = 3, ['l:dos'] = 4,
	['v:dos'] = 5, ['e:dos'] = 6, ['t:dos'] = 7, ['p:dos'] = 8,
	['c:dha'] = 9, ['w:dha'] = 10, ['b:dha'] = 11, ['l:dha'] = 12,
	['v:dha'] = 13, ['e:dha'] = 14, ['t:dha'] = 15, ['p:dha'] = 16,
	['c:attack'] = 17, ['w:attack'] = 18, ['b:attack'] = 19, ['l:attack'] = 20,
	['v:attack'] = 21, ['e:attack'] = 22, ['t:attack'] = 23, ['p:attack'] = 24,
	['c:manual'] = 25, ['w:manual'] = 26, ['b:manual'] = 27, ['l:manual'] = 28,
	['v:manual'] = 29, ['e:manual'] = 30, ['t:manual'] = 31, ['p:manual'] = 32 }
local ALLOWED, REFUSED, TRIPPED = 0, 1, 2
local U32_MAX = 4294967295
local RATIO_ONE, LEVEL_MAX = 1000000, 64
local MARGIN = 10

-- The call's keys, arguments and time, set by the entry point (the end
-- of this file) for the functions above it.
local KEYS, ARGV, now

-- One hash read, h: h.state[d] detector d's state (.count, .window,
-- .block, .length, ...), nil while the hash holds none of its fields: an
-- absent state is all 0, neither refuses nor keeps the hash, so only the
-- states present and the one an operation changes (state_of()) are
-- looked at; h.loaded[f]: FIELDS[f] as read (nil: 0), so that only
-- changes are written; h.origin: the detector whose block this node
-- started.

-- Detector d's state in h, made (all 0) when absent.
local function state_of(h, d)
	if h.state[d] == nil then
		h.state[d] = { count = 0, window = 0, block = 0, length = 0,
			valid = 0, level = 0, threshold = 0, period = 0 }
	end
	return h.state[d]
end

local function load(key)
	local r = redis.call('HGETALL', key)
	local loaded, x, exists = {}, 0, false
	for i = 1, #r, 2 do
		local f = INDEX[r[i]]
		if f ~= nil then
			loaded[f], exists = tonumber(r[i + 1]), true
		elseif r[i] == 'x' then
			x, exists = tonumber(r[i + 1]) or 0, true
		end
	end
	local expiry = x > now and x or 0
	local stale = exists and expiry == 0
	if stale then loaded = {} end
	local h = { key = key, state = {}, loaded = loaded, exists = exists,
		expiry = expiry, stale = stale }
	for f, v in pairs(loaded) do
		local d = math.floor((f - 1) / #PARTS) + 1
		state_of(h, d)[PARTS[f - (d - 1) * #PARTS]] = v
	end
	return h
end

local function save(h, x)
	local key = h.key
	if x <= now then
		if h.exists then redis.call('DEL', key) end
		return
	end
	if h.stale then redis.call('DEL', key) end
	local args, state, loaded = {}, h.state, h.loaded
	for d = 1, DETECTORS do
		local s = state[d]
		for p = 1, s ~= nil and #PARTS or 0 do
			local f, v = (d - 1) * #PARTS + p, s[PARTS[p]]
			if v ~= (loaded[f] or 0) then
				args[#args + 1] = FIELDS[f]
				args[#args + 1] = string.format('%d', v)
			end
		end
	end
	if h.origin ~= nil then
		args[#args + 1] = 'o:' .. NAMES[h.origin]
		args[#args + 1] = ARGV[6]
	end
	if x ~= h.expiry then
		args[#args + 1] = 'x'
		args[#args + 1] = string.format('%d', x)
	end
	if #args > 0 then redis.call('HSET', key, unpack(args)) end
	if x ~= h.expiry then redis.call('EXPIRE', key, x - now + MARGIN) end
end

-- One rule from ARGV[i] on: enabled, sliding, max, period, block,
-- min_ratio, sliding_max, escalate_factor, escalate_max, escalate_forget.
local RULE_ARGS = 10
local function parse_rule(i)
	return { enabled = ARGV[i] == '1', sliding = ARGV[i + 1] == '1',
		max = tonumber(ARGV[i + 2]), period = tonumber(ARGV[i + 3]),
		block = tonumber(ARGV[i + 4]),
		min_ratio = tonumber(ARGV[i + 5]),
		sliding_max = tonumber(ARGV[i + 6]),
		factor = tonumber(ARGV[i + 7]),
		escalate_max = tonumber(ARGV[i + 8]),
		forget = tonumber(ARGV[i + 9]) }
end

-- The metatable of an event's rules: rules[d], detector d's rule, read
-- when first needed; ARGV holds each rule from ARGV[7] on, the networks'
-- after them (from NETS).
local RULES = { __index = function(t, d)
	local r = parse_rule(7 + (d - 1) * RULE_ARGS)
	rawset(t, d, r)
	return r
end }
local NETS = 7 + DETECTORS * RULE_ARGS

-- The networks after the host's rules, from ARGV[i]: their count n,
-- of[d] the network of detector d (nil: none) and nrules[k] the rules of
-- network k.
-- A network's rules: every detector disabled but those counting over
-- it.  Neither table is ever changed.
local NONE = {}
local NO_RULE = { enabled = false, sliding = false, max = 0, period = 0,
	block = 0, min_ratio = 0, sliding_max = 0, factor = 0,
	escalate_max = 0, forget = 0 }
local function parse_nets(i)
	local n = tonumber(ARGV[i])
	if n == 0 then return n, NONE, NONE end
	local of, nrules = {}, {}
	i = i + 1
	for k = 1, n do
		nrules[k] = {}
		for d = 1, DETECTORS do nrules[k][d] = NO_RULE end
	end
	for d = 1, DETECTORS do
		local k = tonumber(ARGV[i + d - 1])
		if k > 0 then of[d] = k end
	end
	i = i + DETECTORS
	for d = 1, DETECTORS do
		if of[d] ~= nil then
			nrules[of[d]][d] = parse_rule(i)
			i = i + RULE_ARGS
		end
	end
	return n, of, nrules
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
	if s.window == 0 or now < s.window then return false end
	if now >= s.window + r.period then return false end
	return not (s.block > s.window and s.block <= now)
end

local function slide(r, s)
	local start = block_start(s)
	local untill = now + r.block
	if start ~= 0 and r.sliding_max > 0 and
	    untill > start + r.sliding_max then
		untill = start + r.sliding_max
	end
	if untill <= s.block then return end
	s.block = untill
	if start ~= 0 then set_block(s, start, untill) end
end

local function check_block(r, s)
	if not r.enabled or not blocked(s) then return ALLOWED end
	if r.sliding then slide(r, s) end
	return REFUSED
end

local function open_window(r, s)
	if not window_open(r, s) then s.window, s.count, s.valid = now, 0, 0 end
end

local function ratio_met(r, s)
	return s.count * RATIO_ONE >= r.min_ratio * (s.count + s.valid)
end

local function next_level(r, s)
	if r.factor == 0 or s.block == 0 or now >= s.block + r.forget then
		return 0
	end
	if s.level < LEVEL_MAX then return s.level + 1 end
	return s.level
end

local function escalated(r, level)
	local length = r.block
	local i = 0
	while i < level and length < r.escalate_max do
		length = length * r.factor
		i = i + 1
	end
	if level > 0 and length > r.escalate_max then length = r.escalate_max end
	if length < r.block then length = r.block end
	return length
end

local function count(r, s)
	if not r.enabled then return ALLOWED end
	if check_block(r, s) == REFUSED then return REFUSED end
	open_window(r, s)
	if s.count < U32_MAX then s.count = s.count + 1 end
	if s.count <= r.max or not ratio_met(r, s) then return ALLOWED end
	s.level = next_level(r, s)
	s.threshold, s.period = r.max, r.period
	set_block(s, now, now + escalated(r, s.level))
	return TRIPPED
end

local function count_valid(r, s)
	if not r.enabled or blocked(s) then return ALLOWED end
	open_window(r, s)
	if s.valid < U32_MAX then s.valid = s.valid + 1 end
	return ALLOWED
end

local function state_expiry(r, s)
	local e = s.window == 0 and 0 or s.window + r.period
	local b = s.block
	if r.factor > 0 and b > 0 then b = b + r.forget end
	if b > e then e = b end
	return e
end

-- rule_host.c, over the states present: an absent one neither refuses
-- nor lasts.

local function check_blocks(rules, state)
	local latest
	for d = 1, DETECTORS do
		if state[d] ~= nil and
		    check_block(rules[d], state[d]) == REFUSED and
		    (latest == nil or state[d].block > state[latest].block) then
			latest = d
		end
	end
	return latest
end

local function host_expiry(rules, state)
	local x = 0
	for d = 1, DETECTORS do
		local e = state[d] ~= nil and state_expiry(rules[d], state[d]) or 0
		if e > x then x = e end
	end
	return x
end

-- The operations.

-- store.c: store_apply_event().

-- The refusal named: block of detector d in state s, of network k (0:
-- the host); one ending later than res's (nil: none) replaces it.
local function refused(res, s, d, k)
	if res ~= nil and s.block <= res[4] then return res end
	return { REFUSED, d - 1, s.count, s.block, s.level, k }
end

-- Step 1: the blocks that refuse the event; the reply, or nil.
local function event_blocks(d, rules, host, of, nrules, nets)
	local res, latest
	if ARGV[4] == '1' then
		latest = check_blocks(rules, host.state)
		if latest ~= nil then
			res = refused(res, host.state[latest], latest, 0)
		end
		for k = 1, #nets do
			latest = check_blocks(nrules[k], nets[k].state)
			if latest ~= nil then
				res = refused(res, nets[k].state[latest], latest, k)
			end
		end
	elseif of[d] ~= nil then
		local k = of[d]
		local s = nets[k].state[d]
		if s ~= nil and check_block(nrules[k][d], s) == REFUSED then
			res = refused(res, s, d, k)
		end
	end
	return res
end

-- The counted detector's rule on one hash's state.
local function count_in(r, h, d)
	local o
	if ARGV[5] == '1' then o = count_valid(r, state_of(h, d))
	else o = count(r, state_of(h, d)) end
	if o == TRIPPED then h.origin = d end
	return o
end

-- Detectors are 0-based in ARGV and in the reply, 1-based here.
local function event()
	local rules = setmetatable({}, RULES)
	local n, of, nrules = parse_nets(NETS)
	local d = tonumber(ARGV[3]) + 1
	local host, nets = load(KEYS[1]), {}
	for k = 1, n do nets[k] = load(KEYS[k + 1]) end
	local res = event_blocks(d, rules, host, of, nrules, nets)
	if res == nil then
		local o = count_in(rules[d], host, d)
		local s = host.state[d]
		res = { o, d - 1, s.count, o ~= ALLOWED and s.block or 0,
			o ~= ALLOWED and s.level or 0, 0 }
		local k = of[d]
		if o ~= REFUSED and k ~= nil and
		    count_in(nrules[k][d], nets[k], d) == TRIPPED then
			s = nets[k].state[d]
			res = { TRIPPED, d - 1, s.count, s.block, s.level, k }
		end
	end
	save(host, host_expiry(rules, host.state))
	for k = 1, n do save(nets[k], host_expiry(nrules[k], nets[k].state)) end
	return res, n
end

local function block()
	local d, untill = tonumber(ARGV[3]) + 1, now + tonumber(ARGV[4])
	local h = load(KEYS[1])
	local s = state_of(h, d)
	set_block(s, now, untill)
	s.threshold, s.period = 0, 0
	save(h, math.max(untill, h.expiry))
	return 0
end

-- Live sessions across the array (the concurrency limit).  This section
-- and the node summaries after it are store_redis_conc.c's and
-- store_redis_nodes.c's.
--
-- A host's live sessions are one hash, "<key_prefix>conc:{<tag>}<host
-- key>", in the host's hash slot (the tag is the host's hash's): one
-- field per node (its name and pid), valued "count:lease_until:seq",
-- seq the highest count sequence of the node (sessions.h) it has seen.
-- A field counts while lease_until is later than now (the script's time:
-- Redis's clock, see Time above); an expired one is deleted when next
-- read.  The key's TTL is at least the longest lease written, so a host
-- nobody renews vanishes.
--   "e" with a last key KEYS[N + 2] (the host's sessions) and, after the
--       event's own arguments, the last five: seq, node, max, enforce,
--       lease.
--       When the event was let through the session is counted, unless
--       enforce is "1" and the host has max live sessions already.
--       Appends { sessions with this one, 1 when counted else 0 }.
--   "cr" KEYS[1] the host's sessions: ARGV[3] node, ARGV[4] lease; one
--       session of the node ended.  Returns the node's count left.
--   "cs" KEYS[1] the host's sessions: ARGV[3] node, ARGV[4] count,
--       ARGV[5] lease, ARGV[6] seq; the node's absolute count (its
--       refresh), unless the field has seen a later seq: then only the
--       lease is renewed.  Returns 0.

-- The live sessions of every node and this node's; drops expired fields.
local function conc_read(ckey, node)
	local all = redis.call('HGETALL', ckey)
	local total, own, own_seq, stale = 0, 0, 0, {}
	for i = 1, #all, 2 do
		local c, l, q = string.match(all[i + 1], '^(%d+):(%d+):(%d+)$')
		c, l = tonumber(c), tonumber(l)
		if c == nil or l <= now then
			stale[#stale + 1] = all[i]
		else
			total = total + c
			if all[i] == node then own, own_seq = c, tonumber(q) end
		end
	end
	if #stale > 0 then redis.call('HDEL', ckey, unpack(stale)) end
	return total, own, own_seq
end

local function conc_write(ckey, node, count, lease, seq)
	if count <= 0 and seq == 0 then
		redis.call('HDEL', ckey, node)
		return
	end
	if count < 0 then count = 0 end
	redis.call('HSET', ckey, node,
	    string.format('%d:%d:%d', count, now + lease, seq))
	if redis.call('TTL', ckey) < lease + 1 then
		redis.call('EXPIRE', ckey, lease + 1)
	end
end

local function conc_event(res, ckey)
	local n = #ARGV
	local seq, node = tonumber(ARGV[n - 4]), ARGV[n - 3]
	local max, enforce = tonumber(ARGV[n - 2]), ARGV[n - 1] == '1'
	local lease = tonumber(ARGV[n])
	local total, own, own_seq = conc_read(ckey, node)
	if res[1] ~= ALLOWED or (enforce and total >= max) then
		res[7], res[8] = total + 1, 0
		return res
	end
	conc_write(ckey, node, own + 1, lease, math.max(seq, own_seq))
	res[7], res[8] = total + 1, 1
	return res
end

-- An event, and its sessions when it has their key last.
local function event_conc()
	local res, n = event()
	if #KEYS == n + 2 then return conc_event(res, KEYS[n + 2]) end
	return res
end

local function conc_release()
	local _, own, own_seq = conc_read(KEYS[1], ARGV[3])
	conc_write(KEYS[1], ARGV[3], own - 1, tonumber(ARGV[4]), own_seq)
	return own > 0 and own - 1 or 0
end

local function conc_set()
	local count, lease, seq = tonumber(ARGV[4]), tonumber(ARGV[5]),
	    tonumber(ARGV[6])
	local _, own, own_seq = conc_read(KEYS[1], ARGV[3])
	if seq < own_seq then count, seq = own, own_seq end
	conc_write(KEYS[1], ARGV[3], count, lease, seq)
	return 0
end

-- Node summaries (bulwarkctl top, one row per node): one hash, KEYS[1]
-- ("<key_prefix>nodes:{array}"), one field per node valued "expires
-- sessions connected greeted transaction data refusals_per_second",
-- expires by the script's clock; expired fields are deleted when the
-- hash is next written or read, and the key outlives the last TTL a bit.
--   "np" ARGV[3] node, ARGV[4] TTL, ARGV[5] the value after expires.
--       Returns 0.
--   "nl" Returns the live fields and values, as HGETALL.

local function nodes_live()
	local all = redis.call('HGETALL', KEYS[1])
	local live, stale = {}, {}
	for i = 1, #all, 2 do
		local x = tonumber(string.match(all[i + 1], '^(%d+) '))
		if x == nil or x <= now then
			stale[#stale + 1] = all[i]
		else
			live[#live + 1] = all[i]
			live[#live + 1] = all[i + 1]
		end
	end
	if #stale > 0 then redis.call('HDEL', KEYS[1], unpack(stale)) end
	return live
end

local function node_publish()
	local ttl = tonumber(ARGV[4])
	nodes_live()
	redis.call('HSET', KEYS[1], ARGV[3],
	    string.format('%d %s', now + ttl, ARGV[5]))
	if redis.call('TTL', KEYS[1]) < ttl + 1 then
		redis.call('EXPIRE', KEYS[1], ttl + 1)
	end
	return 0
end

-- The dispatch, the library's one function: what the call needs is
-- made here, the rest once, when Redis loads the library.

local OPERATIONS = { e = event_conc, b = block, cr = conc_release,
	cs = conc_set, np = node_publish, nl = nodes_live }

redis.register_function('BULWARK_FUNCTION', function(keys, args)
	local op = OPERATIONS[args[1]]
	if op == nil then
		return redis.error_reply('bulwark: unknown operation')
	end
	KEYS, ARGV, now = keys, args, tonumber(args[2])
	if now == 0 then now = tonumber(redis.call('TIME')[1]) end
	return op()
end)
