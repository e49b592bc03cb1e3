-- The environment Redis 7.0 gives a script (script_lua.c, eval.c), built once per server
-- interpreter (`LuaVm` in lua.rs, from bytecode compiled once per process) as Redis builds it once
-- in scriptingInit; every script of that server then runs in it. Chunk name "=redis": frames of
-- this chunk are the bridge's own and the error handler looks through them, as Redis's redis.call
-- is one C function.
--
-- Arguments from Rust: the host functions behind redis.* and math.random that need nothing of a
-- particular run (they raise through the raiser in lua.rs, so errors are Lua tables exactly like
-- luaPushError's, or library messages with the script's position) and the memory limit.
-- redis.call and redis.pcall reach the run's server, so Rust lends them to each run (the runner
-- takes them). Returns the runner, the wrappers Rust puts keepers in front of, and `install` for
-- those keepers (see the end of this file).
local host_sha1hex, host_random, host_randomseed, host_log, host_setresp, host_acl_check, host_set_repl,
    memory_limit = ...

local G = _G
local dbg = debug
local rawpcall, type, tostring, error, select, unpack = pcall, type, tostring, error, select, unpack
local rawset, rawget, next = rawset, rawget, next
local raw_setmetatable, raw_getmetatable, setfenv = setmetatable, getmetatable, setfenv
local smatch, sgsub, sfind, srep, sformat, ssub = string.match, string.gsub, string.find, string.rep,
    string.format, string.sub

-- Redis removes these globals (deny list) and `debug` once its error handler holds it. The
-- referee (Debian's redis-server 7.0.15) has no getfenv, setfenv or newproxy either.
G.dofile, G.loadfile, G.print, G.debug = nil, nil, nil, nil
G.getfenv, G.setfenv, G.newproxy = nil, nil, nil

-- Stops the script the way the interpreter's own memory ceiling does: a string.rep that would
-- cross the limit trips the (uncatchable) sandbox before allocating anything.
local function out_of_memory()
  srep('x', memory_limit + 1)
end

-- The Rust functions standing in front of this file's wrappers (see `keep` below). Being C
-- functions, they keep the script's frame on the stack when the script tail-calls them.
local keepers = raw_setmetatable({}, { __mode = 'k' })
local function bridge_frame(i)
  return i.source == '=redis' or keepers[i.func] ~= nil
end

-- The stack as a script sees it: frames of this file with their keepers, the C functions they
-- call, and the C function that called into them stand for one C function (in Redis they are C
-- code: redis.call, string.find, table.insert checking a read-only table); tail-call markers are
-- dropped.
local function visible_frames(from, want)
  local raw, level = {}, from + 1
  while #raw < want + 8 do
    local i = dbg.getinfo(level, 'nSlf')
    if not i then
      break
    end
    if i.what ~= 'tail' then
      raw[#raw + 1] = i
    end
    level = level + 1
  end
  local out, k = {}, 1
  while k <= #raw and #out < want do
    local i = raw[k]
    local caller = raw[k + 1]
    if bridge_frame(i) or (i.what == 'C' and caller ~= nil and bridge_frame(caller)) then
      while raw[k + 1] and (bridge_frame(raw[k + 1])
          or (raw[k + 1].what == 'C' and raw[k + 2] and bridge_frame(raw[k + 2]))) do
        k = k + 1
      end
      if raw[k + 1] and raw[k + 1].what == 'C' then
        k = k + 1
      end
      out[#out + 1] = { what = 'C', source = '=[C]', currentline = -1 }
    else
      out[#out + 1] = i
    end
    k = k + 1
  end
  return out
end

-- luaL_where(L, 1) for an error raised on behalf of the script: the position of the code that
-- called the bridge, or nothing when that was a C function.
local function where()
  local level = 2
  while true do
    local i = dbg.getinfo(level, 'Slf')
    if not i then
      return ''
    end
    if not bridge_frame(i) and i.what ~= 'tail' then
      if i.what == 'C' or i.currentline < 0 then
        return ''
      end
      return i.short_src .. ':' .. i.currentline .. ': '
    end
    level = level + 1
  end
end

-- A wrapper a script calls as a library function goes in `tbl[key]`; Rust puts a keeper (a C
-- function calling it) there instead once the sandbox is built (`install` at the end).
local kept = {}
local function keep(tbl, key, impl)
  kept[#kept + 1] = { tbl, key, impl }
  tbl[key] = impl
end

-- Errors raised by a wrapped C function carry no position (its caller is pcall) and name it '?'.
-- luaL_error would have named it and put the caller's position in front: do the same.
local function relay(name, res)
  if res[1] then
    return unpack(res, 2, res.n)
  end
  local e = res[2]
  if type(e) == 'string' and not sfind(e, '^user_script:') and not sfind(e, '^attempt to ') then
    e = sgsub(e, "^bad argument (#%d+) to '%?'", "bad argument %1 to '" .. name .. "'")
    e = sgsub(e, "^bad argument (#%d+) %(", "bad argument %1 to '" .. name .. "' (")
    -- Lua 5.1's luaL_argerror for setmetatable and gsub says only what it expects.
    e = sgsub(e, "^(bad argument #2 to 'setmetatable' %(nil or table expected), got %a+%)", "%1)")
    e = sgsub(e, "^(bad argument #3 to 'gsub' %(string/function/table expected), got %a+%)", "%1)")
    error(where() .. e, 0)
  end
  error(e, 0)
end
local function packn(...)
  return { n = select('#', ...), ... }
end
local function call_raw(name, f, ...)
  return relay(name, packn(rawpcall(f, ...)))
end

---------------------------------------------------------------------------------------------
-- redis.*
---------------------------------------------------------------------------------------------
local redis = {}

-- redis.call / redis.pcall: lent by Rust to each run (see `run` below).
redis.sha1hex = host_sha1hex
local function single_field(field, ...)
  if select('#', ...) ~= 1 or type((...)) ~= 'string' then
    return { err = 'ERR wrong number or type of arguments' }
  end
  return { [field] = (...) }
end
redis.status_reply = function(...)
  return single_field('ok', ...)
end
redis.error_reply = function(...)
  if select('#', ...) ~= 1 or type((...)) ~= 'string' then
    return { err = 'ERR wrong number or type of arguments' }
  end
  local e = ...
  if ssub(e, 1, 1) ~= '-' then
    e = '-' .. e
  end
  -- luaPushErrorBuff: "-CODE msg" keeps CODE, a message without a space gets "ERR".
  local space = sfind(e, ' ', 1, true)
  local code, msg
  if space then
    code, msg = ssub(e, 2, space - 1), ssub(e, space + 1)
  else
    code, msg = 'ERR', ssub(e, 2)
  end
  msg = sgsub(sgsub(msg, '^[\r\n]+', ''), '[\r\n]+$', '')
  return { err = code .. ' ' .. msg }
end
redis.log = host_log
redis.setresp = host_setresp
redis.set_repl = host_set_repl
redis.replicate_commands = function()
  return true
end
redis.breakpoint = function()
  return false
end
redis.debug = function() end
redis.acl_check_cmd = host_acl_check
redis.REDIS_VERSION_NUM = 0x0007000f
redis.REDIS_VERSION = '7.0.15'
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
G.redis = redis

-- math.random / math.randomseed: Redis's rand48, one stream for the server's life.
G.math.random = host_random
G.math.randomseed = host_randomseed

-- Redis 7's pcall: an error that is a table with an `err` string comes back as that string.
G.pcall = function(...)
  local res = packn(rawpcall(...))
  if not res[1] and type(res[2]) == 'table' then
    local e = res[2].err
    if type(e) == 'string' or type(e) == 'number' then
      return false, e
    end
  end
  return unpack(res, 1, res.n)
end

-- Redis's Lua parses text only: a precompiled chunk is a syntax error there.
local raw_loadstring, raw_load = loadstring, load
local function loadstring_text(s, chunkname)
  if type(s) == 'string' and ssub(s, 1, 1) == '\27' then
    return nil, '[string "?"]:1: unexpected symbol near \'char(27)\''
  end
  return call_raw('loadstring', raw_loadstring, s, chunkname)
end
keep(G, 'loadstring', loadstring_text)
keep(G, 'load', function(reader, chunkname)
  if type(reader) ~= 'function' then
    return call_raw('load', raw_load, reader, chunkname)
  end
  local parts, size = {}, 0
  while true do
    -- Called through pcall, as lua_load's reader is called from C: one counted C level.
    local ok, piece = rawpcall(reader)
    if not ok then
      error(piece, 0)
    end
    if piece == nil or piece == '' then
      break
    end
    if type(piece) ~= 'string' then
      return nil, 'reader function must return a string'
    end
    size = size + #piece
    if size > memory_limit then
      out_of_memory()
    end
    parts[#parts + 1] = piece
  end
  return loadstring_text(table.concat(parts), chunkname or '=(load)')
end)

local raw_gsub, raw_format = string.gsub, string.format

-- Lua 5.1's pattern matcher recurses once per repeated item (`a?`, `a*`, `a-`, `a+`) and per
-- capture, with no bound of its own; Redis's 8 MB C stack takes about 100,000 levels, a page's
-- wasm stack far fewer. A pattern with more repetition items than this is refused instead.
local max_pattern_items = 1000
local function check_pattern(p)
  if type(p) == 'string' and #p > max_pattern_items then
    local _, items = raw_gsub(p, '[%?%*%-%+%(]', '')
    if items > max_pattern_items then
      error(where() .. 'playground limit: pattern too complex (more than ' .. max_pattern_items
        .. ' repetition items or captures)', 0)
    end
  end
end
local raw_find, raw_match, raw_gmatch = string.find, string.match, string.gmatch
-- Arguments pass on as `...` so that a missing one is still "no value" in the error.
keep(G.string, 'find', function(...)
  if not select(4, ...) then
    check_pattern((select(2, ...)))
  end
  return call_raw('find', raw_find, ...)
end)
keep(G.string, 'match', function(...)
  check_pattern((select(2, ...)))
  return call_raw('match', raw_match, ...)
end)
local function gmatch(...)
  check_pattern((select(2, ...)))
  return call_raw('gmatch', raw_gmatch, ...)
end
keep(G.string, 'gmatch', gmatch)
keep(G.string, 'gfind', gmatch)

-- string.gsub and string.format build their result outside the interpreter's memory accounting:
-- bound what they could produce before they run.
keep(G.string, 'gsub', function(...)
  local s, pattern, repl, n = ...
  check_pattern(pattern)
  if (type(s) == 'string' or type(s) == 'number') and (type(pattern) == 'string' or type(pattern) == 'number') then
    local len = #tostring(s)
    local matches = len + 1
    if type(n) == 'number' and n < matches then
      matches = n > 0 and n or 0
    end
    local tr = type(repl)
    if tr == 'string' or tr == 'number' then
      local r = tostring(repl)
      local _, refs = raw_gsub(r, '%%[0-9]', '')
      if len + matches * (#r + refs * len) > memory_limit then
        out_of_memory()
      end
    elseif tr == 'function' or tr == 'table' then
      local total, lookup = len, repl
      local f = tr == 'table' and function(k)
        return lookup[k]
      end or repl
      repl = function(...)
        local v = f(...)
        if type(v) == 'string' or type(v) == 'number' then
          total = total + #tostring(v)
          if total > memory_limit then
            out_of_memory()
          end
        end
        return v
      end
    end
  end
  if select('#', ...) < 3 then
    return call_raw('gsub', raw_gsub, ...)
  end
  return call_raw('gsub', raw_gsub, s, pattern, repl, select(4, ...))
end)
keep(G.string, 'format', function(fmt, ...)
  if type(fmt) == 'string' then
    local bound = #fmt
    for i = 1, select('#', ...) do
      local v = select(i, ...)
      if type(v) == 'string' then
        bound = bound + 4 * #v + 2
      else
        bound = bound + 512
      end
    end
    if bound > memory_limit then
      out_of_memory()
    end
  end
  return call_raw('format', raw_format, fmt, ...)
end)

---------------------------------------------------------------------------------------------
-- Read-only tables. Redis patches its Lua so the global table and every table reachable from it
-- refuse writes ("Attempt to modify a readonly table"), and reading a missing global raises.
-- Here each such table is an empty proxy in front of the real one.
---------------------------------------------------------------------------------------------
local proxied = raw_setmetatable({}, { __mode = 'k' }) -- proxy -> the metatable getmetatable shows
local function readonly()
  error(where() .. 'Attempt to modify a readonly table', 0)
end
local function protect(real, shown_mt)
  local proxy = {}
  raw_setmetatable(proxy, { __index = real, __newindex = readonly, __metatable = shown_mt })
  proxied[proxy] = shown_mt or false
  return proxy
end

keep(G, 'setmetatable', function(t, mt)
  if proxied[t] ~= nil then
    error('Attempt to modify a readonly table', 0)
  end
  return call_raw('setmetatable', raw_setmetatable, t, mt)
end)
-- The string metatable is read-only too, as on the referee (Debian's 7.0.15): a script sees a
-- proxy of it, the same one every time.
local string_mt_proxy
keep(G, 'getmetatable', function(t)
  local shown = proxied[t]
  if shown ~= nil then
    return shown or nil
  end
  if type(t) == 'string' then
    return string_mt_proxy
  end
  return call_raw('getmetatable', raw_getmetatable, t)
end)
keep(G, 'rawset', function(t, k, v)
  if proxied[t] ~= nil then
    error('Attempt to modify a readonly table', 0)
  end
  return call_raw('rawset', rawset, t, k, v)
end)

-- The error handler Redis installs (eval.c's __redis__err__handler), on the stack as the script
-- sees it.
G.__redis__err__handler = function(err)
  local frames = visible_frames(2, 2)
  local i = frames[1]
  if i and i.what == 'C' then
    i = frames[2]
  end
  if type(err) ~= 'table' then
    err = { err = 'ERR ' .. tostring(err) }
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end

-- The library tables and the globals become proxies. The global table's metatable, as a script
-- sees it through getmetatable, is itself read-only, as Redis's is.
local libraries = { 'string', 'table', 'math', 'coroutine', 'redis' }
for _, name in ipairs(libraries) do
  G[name] = protect(G[name])
end
-- Methods on strings look in `string` (as in Redis, where `getmetatable('').__index == string`).
raw_getmetatable('').__index = G.string
string_mt_proxy = protect(raw_getmetatable(''))
local shown_global_mt = protect({ __index = function() end })
local globals_proxy = {}
raw_setmetatable(globals_proxy, {
  __index = function(_, k)
    local v = G[k]
    if v == nil then
      error(where() .. "Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 0)
    end
    return v
  end,
  __newindex = readonly,
  __metatable = shown_global_mt,
})
proxied[globals_proxy] = shown_global_mt
G._G = globals_proxy

-- Returned to Rust: the runner, which runs the compiled script with KEYS and ARGV Redis's way (one
-- result, errors through the handler); the wrappers to put keepers in front of; and `install`,
-- which takes those keepers (in the same order).
local handler = G.__redis__err__handler
local xpcall = xpcall
local function run(script, keys, argv, call, pcall)
  -- The run's redis.call and redis.pcall (C functions that reach its server), set in the real
  -- `redis` table behind the read-only proxy.
  redis.call, redis.pcall = call, pcall
  G.KEYS, G.ARGV = keys, argv
  setfenv(script, globals_proxy)
  setfenv(0, globals_proxy)
  return xpcall(script, handler)
end
local impls = {}
for i, k in ipairs(kept) do
  impls[i] = k[3]
end
local function install(list)
  for i, k in ipairs(kept) do
    local keeper = list[i]
    keepers[keeper] = true
    k[1][k[2]] = keeper
  end
end
return run, impls, install
