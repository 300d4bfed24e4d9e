/*
 * store_redis_script.h - the Lua script the Redis store runs with EVALSHA:
 * one host's state read, changed and written back atomically, in one
 * round trip.  Included by store_redis.c only.
 *
 * A host is one hash (KEYS[1]).  Fields, per detector name n (dos, dha,
 * attack, manual): "c:n" count, "w:n" window start, "b:n" block end; and
 * "x", the time after which the state carries nothing.  Absent fields are
 * 0.  Times are the node's Unix seconds, never Redis's clock; a state
 * whose x has passed is read as empty, as the memory store does.  The
 * key's TTL is set relative to the node's time (x - now + a margin), so
 * Redis's clock and the node's may differ; nothing is written for a
 * state that carries nothing, and an expired key is deleted.
 *
 * ARGV[1] "e": one event (store_apply_event() and rule.c, line by line).
 *   ARGV[2] now, ARGV[3] counted detector (0-based), ARGV[4] "1" at
 *   CONNECT, then per detector d (0-based) at 5 + 5d: enabled, sliding,
 *   max, period, block.  Returns { outcome, detector, count, block_until }
 *   with the numbering of enum rule_outcome and enum detector.
 * ARGV[1] "b": store_block().  ARGV[2] now, ARGV[3] detector, ARGV[4]
 *   the block's end.  Returns 0.
 */
#ifndef BULWARK_STORE_REDIS_SCRIPT_H
#define BULWARK_STORE_REDIS_SCRIPT_H

static const char store_redis_script[] =
"local F = { 'c:dos', 'w:dos', 'b:dos', 'c:dha', 'w:dha', 'b:dha',\n"
"    'c:attack', 'w:attack', 'b:attack', 'c:manual', 'w:manual', 'b:manual' }\n"
"local key = KEYS[1]\n"
"local now = tonumber(ARGV[2])\n"
"local margin = 10\n"
"-- Detector d (0-based): count v[3d+1], window v[3d+2], block v[3d+3];\n"
"-- its rule at ARGV[5+5d]: enabled, sliding, max, period, block.\n"
"local v, old = {}, {}\n"
"local oldx, exists, stale = 0, false, false\n"
"\n"
"local function load()\n"
"	local r = redis.call('HMGET', key, 'x', unpack(F))\n"
"	local x = tonumber(r[1]) or 0\n"
"	local live = x > now\n"
"	for i = 1, #r do exists = exists or r[i] ~= false end\n"
"	for i = 1, #F do\n"
"		local n = live and tonumber(r[i + 1]) or 0\n"
"		v[i], old[i] = n, n\n"
"	end\n"
"	oldx = live and x or 0\n"
"	stale = exists and not live\n"
"end\n"
"\n"
"local function save(x)\n"
"	if x <= now then\n"
"		if exists then redis.call('DEL', key) end\n"
"		return\n"
"	end\n"
"	if stale then redis.call('DEL', key) end\n"
"	local args = {}\n"
"	for i = 1, #F do\n"
"		if v[i] ~= old[i] then\n"
"			args[#args + 1] = F[i]\n"
"			args[#args + 1] = string.format('%d', v[i])\n"
"		end\n"
"	end\n"
"	if x ~= oldx then\n"
"		args[#args + 1] = 'x'\n"
"		args[#args + 1] = string.format('%d', x)\n"
"	end\n"
"	if #args > 0 then redis.call('HSET', key, unpack(args)) end\n"
"	if x ~= oldx then redis.call('EXPIRE', key, x - now + margin) end\n"
"end\n"
"\n"
"local function expiry()\n"
"	local x = 0\n"
"	for d = 0, 3 do\n"
"		local w, b = v[3 * d + 2], v[3 * d + 3]\n"
"		local e = w == 0 and 0 or w + tonumber(ARGV[8 + 5 * d])\n"
"		if b > e then e = b end\n"
"		if e > x then x = e end\n"
"	end\n"
"	return x\n"
"end\n"
"\n"
"local function check_block(d)\n"
"	local b, a = 3 * d + 3, 5 + 5 * d\n"
"	if ARGV[a] ~= '1' or v[b] <= now then return 0 end\n"
"	if ARGV[a + 1] == '1' then v[b] = now + tonumber(ARGV[a + 4]) end\n"
"	return 1\n"
"end\n"
"\n"
"local function count(d)\n"
"	local c, w, b, a = 3 * d + 1, 3 * d + 2, 3 * d + 3, 5 + 5 * d\n"
"	if ARGV[a] ~= '1' then return 0 end\n"
"	if check_block(d) == 1 then return 1 end\n"
"	if v[w] == 0 or now >= v[w] + tonumber(ARGV[a + 3]) or\n"
"	    (v[b] > v[w] and v[b] <= now) then\n"
"		v[w], v[c] = now, 0\n"
"	end\n"
"	if v[c] < 4294967295 then v[c] = v[c] + 1 end\n"
"	if v[c] <= tonumber(ARGV[a + 2]) then return 0 end\n"
"	v[b] = now + tonumber(ARGV[a + 4])\n"
"	return 2\n"
"end\n"
"\n"
"local function event()\n"
"	local counted = tonumber(ARGV[3])\n"
"	local res = { 0, counted, 0, 0 }\n"
"	load()\n"
"	if ARGV[4] == '1' then\n"
"		for d = 0, 3 do\n"
"			if check_block(d) == 1 then\n"
"				local b = v[3 * d + 3]\n"
"				if res[1] ~= 1 or b > res[4] then\n"
"					res = { 1, d, v[3 * d + 1], b }\n"
"				end\n"
"			end\n"
"		end\n"
"	end\n"
"	if res[1] ~= 1 then\n"
"		local o = count(counted)\n"
"		res = { o, counted, v[3 * counted + 1],\n"
"		    o ~= 0 and v[3 * counted + 3] or 0 }\n"
"	end\n"
"	save(expiry())\n"
"	return res\n"
"end\n"
"\n"
"local function block()\n"
"	local d, u = tonumber(ARGV[3]), tonumber(ARGV[4])\n"
"	load()\n"
"	v[3 * d + 3] = u\n"
"	save(math.max(u, oldx))\n"
"	return 0\n"
"end\n"
"\n"
"if ARGV[1] == 'e' then return event() end\n"
"if ARGV[1] == 'b' then return block() end\n"
"return redis.error_reply('bulwark: unknown operation')\n";

#endif
