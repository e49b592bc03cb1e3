#![cfg(not(target_arch = "wasm32"))]
//! EVAL / EVALSHA / EVAL_RO / EVALSHA_RO / SCRIPT against a real redis-server, reply for reply:
//! Lua ↔ RESP conversions, redis.* helpers, error texts (`… script: <sha>, on @user_script:N.`),
//! the read-only global table, shebang flags, the script cache, math.random's rand48 stream.
//!
//! The cases run in order on a fresh server and on a fresh model `Store`; every reply must be
//! identical. Cases where the model knowingly differs are not here but in the bridge's unit
//! tests (the step budget, pairs() order over tables, cjson/bit/struct/cmsgpack, the name omnilua
//! gives `pairs` in `for k in pairs(nil)`: 'for iterator').

#[path = "support/redis_server.rs"]
mod redis_server;
#[path = "support/script_gen.rs"]
mod script_gen;

use playground::redis::cli::format_inline;
use playground::redis::script::sha1_hex;
use playground::redis::Store;
use playground::sim::{SimRng, SimTime};
use redis_server::start_server;

fn now() -> SimTime {
    use std::time::{SystemTime, UNIX_EPOCH};
    SimTime(SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_millis() as u64)
}

/// One command per entry: arguments, the script body usually second.
const CASES: &[&[&str]] = &[
    // Lua -> RESP
    &["EVAL", "return 3.99", "0"],
    &["EVAL", "return -3.99", "0"],
    &["EVAL", "return 1/0", "0"],
    &["EVAL", "return -1/0", "0"],
    &["EVAL", "return 0/0", "0"],
    &["EVAL", "return 1e30", "0"],
    &["EVAL", "return 9007199254740993", "0"],
    &["EVAL", "return true", "0"],
    &["EVAL", "return false", "0"],
    &["EVAL", "return nil", "0"],
    &["EVAL", "return", "0"],
    &["EVAL", "return 'hi', 'dropped'", "0"],
    &["EVAL", "return {1, 2, nil, 4}", "0"],
    &["EVAL", "return {1, 'two', {3, {true, false}}, 2.5}", "0"],
    &["EVAL", "return {}", "0"],
    &["EVAL", "return {ok = 'fine'}", "0"],
    &["EVAL", "return {ok = 'a\r\nb'}", "0"],
    &["EVAL", "return {err = 'My Error here'}", "0"],
    &["EVAL", "return {err = 'no-space'}", "0"],
    &["EVAL", "return {err = 'trailing\r\n'}", "0"],
    &["EVAL", "return {err = 5}", "0"],
    &["EVAL", "return {ok = 5}", "0"],
    &["EVAL", "return {double = 3.5}", "0"],
    &["EVAL", "return {double = 0.1}", "0"],
    &["EVAL", "return {double = 1/0}", "0"],
    &["EVAL", "return {double = -1/0}", "0"],
    &["EVAL", "return {big_number = '123456789012345678901234567890'}", "0"],
    &["EVAL", "return {map = {a = 1}}", "0"],
    &["EVAL", "return {set = {x = true}}", "0"],
    &["EVAL", "return {verbatim_string = {format = 'txt', string = 'hello'}}", "0"],
    &["EVAL", "return {err = 'E1', ok = 'O1'}", "0"],
    &["EVAL", "return {1, {err = 'inner failure'}, 3}", "0"],
    &["EVAL", "return {1, {ok = 'inner ok'}, 3}", "0"],
    &["EVAL", "return function() end", "0"],
    &["EVAL", "return coroutine.create(function() end)", "0"],
    &["EVAL", "return 1 + 1", "0"],
    &["EVAL", "return {ok = 'a\\r\\nb'}", "0"],
    &["EVAL", "return print", "0"],
    &["EVAL", "return -9223372036854775808", "0"],
    &["EVAL", "return {-9223372036854775807, 9223372036854775807, 2^63, -2^63}", "0"],
    // KEYS, ARGV, redis.call / pcall
    &["EVAL", "return redis.call('GET', 'missing')", "0"],
    &["EVAL", "return redis.call('SET', 'f', 0.1)", "0"],
    &["EVAL", "local r = redis.pcall('LPUSH', 'k', 1) return r", "0"],
    &["EVAL", "return redis.call('DEBUG', 'SLEEP', 0)", "0"],
    &["EVAL", "return redis.call('SCRIPT', 'HELP')[1]", "0"],
    &["EVAL", "return pcall(redis.call, 'nosuch')", "0"],
    &["EVAL", "return math.random(0)", "0"],
    &["EVAL", "return type(pairs)", "0"],
    &["EVAL", "return table.concat({1, {}, 3})", "0"],
    &["EVAL", "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM, redis.LOG_WARNING, redis.REPL_ALL}", "0"],
    &["EVAL", "math.randomseed(42) return math.random(1000000)", "0"],
    &["EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}", "2", "a", "b", "c", "d"],
    &["EVAL", "return {#KEYS, #ARGV}", "0"],
    &["EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", "k", "v"],
    &["EVAL", "return redis.call('GET', KEYS[1])", "1", "k"],
    &["EVAL", "return redis.call('get', 'missing')", "0"],
    &["EVAL", "return type(redis.call('GET', 'missing'))", "0"],
    &["EVAL", "return redis.call('INCRBY', 'n', 5)", "0"],
    &["EVAL", "return redis.call('SET', 'f', 3.14159)", "0"],
    &["EVAL", "return redis.call('GET', 'f')", "0"],
    &["EVAL", "redis.call('SET', 'f', 0.1) return redis.call('GET', 'f')", "0"],
    &["EVAL", "redis.call('SET', 'f', 1e20) return redis.call('GET', 'f')", "0"],
    &["EVAL", "redis.call('SET', 'f', -0.0) return redis.call('GET', 'f')", "0"],
    &["EVAL", "return redis.call('RPUSH', 'l', 1, 2, 3)", "0"],
    &["EVAL", "return redis.call('LRANGE', 'l', 0, -1)", "0"],
    &["EVAL", "local r = redis.call('SET', 'x', 1) return type(r) .. ':' .. r.ok", "0"],
    &["EVAL", "local r = redis.call('PING') return r.ok", "0"],
    &["EVAL", "return redis.call('PING')", "0"],
    &["EVAL", "return redis.pcall('LPUSH', 'k', 1)", "0"],
    &["EVAL", "local r = redis.pcall('LPUSH', 'k', 1) return type(r) .. ':' .. r.err", "0"],
    &["EVAL", "return redis.call('LPUSH', 'k', 1)", "0"],
    &["EVAL", "\n\nreturn redis.call('LPUSH', 'k', 1)", "0"],
    &["EVAL", "local x = redis.call('LPUSH', 'k', 1)\nreturn x", "0"],
    &["EVAL", "return redis.call('nosuch')", "0"],
    &["EVAL", "return redis.pcall('nosuch')", "0"],
    &["EVAL", "return redis.call('GET', 'a', 'b')", "0"],
    &["EVAL", "return redis.call()", "0"],
    &["EVAL", "return redis.pcall()", "0"],
    &["EVAL", "return redis.call('GET', {})", "0"],
    &["EVAL", "return redis.call('GET', nil)", "0"],
    &["EVAL", "return redis.call('GET', true)", "0"],
    &["EVAL", "return redis.call('EVAL', 'return 1', 0)", "0"],
    &["EVAL", "return redis.call('SCRIPT', 'FLUSH')", "0"],
    &["EVAL", "return redis.call('SCRIPT', 'NOPE')", "0"],
    &["EVAL", "return redis.call('INCR', 'k')", "0"],
    &["EVAL", "return redis.call('SET', 'k', 'v', 'EX', 0)", "0"],
    &["EVAL", "return {pcall(redis.call, 'nosuch')}", "0"],
    &["EVAL", "local ok, e = pcall(redis.call, 'nosuch') return e", "0"],
    &["EVAL", "local ok, e = pcall(error, {err = 'X y'}) return e", "0"],
    &["EVAL", "local ok, e = pcall(error, {1}) return type(e)", "0"],
    &["EVAL", "local ok, e = pcall(error, 'plain') return e", "0"],
    &["EVAL", "local ok, e = pcall(function() error('lvl') end) return e", "0"],
    // errors, sandbox
    &["EVAL", "error('boom')", "0"],
    &["EVAL", "error('boom', 0)", "0"],
    &["EVAL", "error({err = 'CUSTOM failure'})", "0"],
    &["EVAL", "error(42)", "0"],
    &["EVAL", "\nlocal x = nil\nreturn x.y", "0"],
    &["EVAL", "local function f()\n  error('deep')\nend\nf()", "0"],
    &["EVAL", "return 1 +", "0"],
    &["EVAL", "return 1 // 2", "0"],
    &["EVAL", "x = 1", "0"],
    &["EVAL", "return undefined_thing", "0"],
    &["EVAL", "print('x')", "0"],
    &["EVAL", "loadfile('x')", "0"],
    &["EVAL", "dofile('x')", "0"],
    &["EVAL", "return type(debug)", "0"],
    &["EVAL", "redis = 1", "0"],
    &["EVAL", "redis.call = function() return 1 end", "0"],
    &["EVAL", "string.foo = 1", "0"],
    &["EVAL", "_G = {}", "0"],
    &["EVAL", "setmetatable(_G, {})", "0"],
    &["EVAL", "local g = getmetatable(_G) g.__index = {}", "0"],
    &["EVAL", "rawset(_G, 'x', 1)", "0"],
    &["EVAL", "KEYS = {}", "0"],
    &["EVAL", "local t = {} t.x = 1 return t.x", "0"],
    &["EVAL", "return loadstring(string.dump(function() return 1 end))()", "0"],
    &["EVAL", "return loadstring('return 7')()", "0"],
    &["EVAL", "\u{1b}Lua\u{51}\u{0}", "0"],
    &["EVAL", "\u{1b}", "0"],
    &["EVAL", "return loadstring('\\27Lua')", "0"],
    &["EVAL", "return type(getfenv)", "0"],
    &["EVAL", "return setfenv(1, {})", "0"],
    &["EVAL", "return newproxy(true)", "0"],
    &["EVAL", "return getmetatable('').__index == string", "0"],
    &["EVAL", "getmetatable('').__index.upper = 1", "0"],
    // The server keeps one interpreter: nothing a script tries to leave behind is there for the
    // next one (the string metatable is read-only too on Debian's 7.0.15).
    &["EVAL", "getmetatable('').x = 1", "0"],
    &["EVAL", "return getmetatable('').x", "0"],
    &["EVAL", "rawset(getmetatable(''), 'x', 1)", "0"],
    &["EVAL", "table.insert(string, 'x')", "0"],
    &["EVAL", "return string[1]", "0"],
    &["EVAL", "table.insert(getmetatable(''), 'x')", "0"],
    &["EVAL", "table.insert(redis, 'x') return 1", "0"],
    &["EVAL", "x = 1", "0"],
    &["EVAL", "KEYS[2] = 'left over' return #KEYS", "1", "k"],
    &["EVAL", "return {#KEYS, KEYS[2]}", "1", "k"],
    &["EVAL", "return {rawequal(getmetatable(''), getmetatable('x')), getmetatable('').__index == string}", "0"],
    &["EVAL", "return table.remove(string)", "0"],
    &["EVAL", "table.sort(string) return 1", "0"],
    &["EVAL", "return {('abc'):upper(), ('x'):rep(3), ('a,b'):find(',', 1, true)}", "0"],
    &["EVAL", "return ('x'):rep()", "0"],
    &["EVAL", "return string.find('x', '(')", "0"],
    &["EVAL", "return string.match('x', '%')", "0"],
    &["EVAL", "return string.find('x')", "0"],
    &["EVAL", "return string.match('x')", "0"],
    &["EVAL", "return string.gmatch()", "0"],
    &["EVAL", "return string.gsub('x', 'x')", "0"],
    &["EVAL", "return string.gsub('x')", "0"],
    &["EVAL", "return string.gsub('x', 'x', true)", "0"],
    &["EVAL", "return string.gsub('abc', '%w', '%1%1', 2)", "0"],
    &["EVAL", "return string.gsub('abc', '%w', {a = 'A'})", "0"],
    &["EVAL", "return string.gsub('abc', '(%w)', function(c) return c:upper() .. '.' end)", "0"],
    &["EVAL", "return string.format('%s|%5d', 'a')", "0"],
    &["EVAL", "return string.gsub(nil)", "0"],
    &["EVAL", "return string.format('%d', 'x')", "0"],
    &["EVAL", "return setmetatable({}, 5)", "0"],
    &["EVAL", "return setmetatable(_G, {})", "0"],
    &["EVAL", "return rawset(_G, 'x', 1)", "0"],
    &["EVAL", "return pcall(string.find, 'x', '(')", "0"],
    &["EVAL", "local ok, e = pcall(string.find, 'x', '(') return e", "0"],
    &["EVAL", "return {string.find('a.c', '.', 1, true)}", "0"],
    &["EVAL", "local t = {} for w in string.gfind('a b', '%a') do t[#t + 1] = w end return t", "0"],
    &["EVAL", "return string.find(string.rep('a', 900), string.rep('a?', 900) .. '$')", "0"],
    &["EVAL", "return #string.gsub(string.rep('ab', 600), string.rep('(a)(b)', 1), '%2%1')", "0"],
    &["EVAL", "table.insert(_G, 1)", "0"],
    &["EVAL", "return string.rep()", "0"],
    &["EVAL", "local s = string.rep() return s", "0"],
    &["EVAL", "local s = string.gsub(nil) return s", "0"],
    &["EVAL", "local s = string.format('%d', 'x') return s", "0"],
    &["EVAL", "local r = math.random(0) return r", "0"],
    &["EVAL", "local r = math.random('a') return r", "0"],
    &["EVAL", "local t = setmetatable({}, 5) return t", "0"],
    &["EVAL", "local t = table.concat({1, {}, 3}) return t", "0"],
    &["EVAL", "return _VERSION", "0"],
    &["EVAL", "return {type(string), type(table), type(math), type(coroutine), type(redis), type(_G)}", "0"],
    &["EVAL", "return {tostring(1e15), tostring(2^53), tostring(0.1), tostring(-0), 7 % -3, math.floor(-3.5)}", "0"],
    &["EVAL", "return {tonumber('0x10'), tonumber('  12  '), tonumber('1e2'), tostring(tonumber('abc'))}", "0"],
    &["EVAL", "return {string.format('%5.2f|%d|%s|%q', 3.14159, 42, 'x', 'a\\nb')}", "0"],
    &["EVAL", "return {table.getn({1, 2, 3}), select('#', unpack({1, 2, 3})), #'abc'}", "0"],
    &["EVAL", "return {string.find('hello world', 'o w'), string.match('key:42', '(%d+)')}", "0"],
    &["EVAL", "return (string.gsub('hello', 'l', 'L'))", "0"],
    &["EVAL", "local t = {} for w in string.gmatch('a b c', '%a') do t[#t + 1] = w end return t", "0"],
    &["EVAL", "local t = {3, 1, 2} table.sort(t) return t", "0"],
    &["EVAL", "local co = coroutine.wrap(function() coroutine.yield(1) return 2 end) return {co(), co()}", "0"],
    // redis.* helpers
    &["EVAL", "return redis.sha1hex('')", "0"],
    &["EVAL", "return redis.sha1hex('Pizza & Mandolino')", "0"],
    &["EVAL", "return redis.sha1hex()", "0"],
    &["EVAL", "return redis.sha1hex(42)", "0"],
    &["EVAL", "return redis.sha1hex(nil)", "0"],
    &["EVAL", "return redis.status_reply('PONG')", "0"],
    &["EVAL", "return redis.error_reply('My Error')", "0"],
    &["EVAL", "return redis.error_reply('-WRONG stuff')", "0"],
    &["EVAL", "return redis.error_reply('oops')", "0"],
    &["EVAL", "return redis.error_reply(5)", "0"],
    &["EVAL", "return redis.status_reply()", "0"],
    &["EVAL", "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM, redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}", "0"],
    &["EVAL", "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}", "0"],
    &["EVAL", "redis.log(redis.LOG_WARNING, 'hello', 'world') return 1", "0"],
    &["EVAL", "redis.log('x')", "0"],
    &["EVAL", "redis.log('x', 'y')", "0"],
    &["EVAL", "redis.log(7, 'y')", "0"],
    &["EVAL", "return redis.setresp(2)", "0"],
    &["EVAL", "return redis.setresp(4)", "0"],
    &["EVAL", "return redis.setresp()", "0"],
    &["EVAL", "return redis.set_repl(redis.REPL_ALL)", "0"],
    &["EVAL", "return redis.set_repl(9)", "0"],
    &["EVAL", "return redis.set_repl()", "0"],
    &["EVAL", "return {redis.replicate_commands(), redis.breakpoint()}", "0"],
    &["EVAL", "return redis.acl_check_cmd('get', 'x')", "0"],
    &["EVAL", "return redis.acl_check_cmd('nosuch')", "0"],
    &["EVAL", "return {math.random(), math.random(10), math.random(5, 7)}", "0"],
    &["EVAL", "return {math.random(100), math.random(100), math.random(100)}", "0"],
    &["EVAL", "math.randomseed(42) return {math.random(1000000), math.random(1000000)}", "0"],
    // the script cache, read-only scripts, shebangs, argument errors
    &["SCRIPT", "LOAD", "return redis.call('GET', KEYS[1])"],
    &["SCRIPT", "EXISTS", "d3c21d0c2b9ca22f82737626a27bcaf5d288f99f", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"],
    &["SCRIPT", "EXISTS", "D3C21D0C2B9CA22F82737626A27BCAF5D288F99F"],
    &["SET", "k", "v"],
    &["EVALSHA", "d3c21d0c2b9ca22f82737626a27bcaf5d288f99f", "1", "k"],
    &["EVALSHA", "D3C21D0C2B9CA22F82737626A27BCAF5D288F99F", "1", "k"],
    &["EVALSHA_RO", "d3c21d0c2b9ca22f82737626a27bcaf5d288f99f", "1", "k"],
    &["EVALSHA", "nope", "0"],
    &["EVALSHA", "nope", "x"],
    &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
    &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "x"],
    &["EVAL", "return 1", "x"],
    &["EVAL", "return 1", "2", "a"],
    &["EVAL", "return 1", "-1"],
    &["EVAL", "return 1"],
    &["EVAL_RO", "return redis.call('GET', 'k')", "0"],
    &["EVAL_RO", "return redis.call('SET', 'k', 'w')", "0"],
    &["EVAL_RO", "return redis.pcall('DEL', 'k')", "0"],
    &["EVAL", "#!lua flags=no-writes\nreturn redis.call('SET', 'k', 'w')", "0"],
    &["EVAL", "#!lua\nreturn redis.call('SET', 'k', 'w')", "0"],
    &["EVAL_RO", "#!lua\nreturn 1", "0"],
    &["EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"],
    &["EVAL", "#!lua flags=no-writes,allow-oom\nreturn 2", "0"],
    &["EVAL", "#!lua flags=bogus\nreturn 1", "0"],
    &["EVAL", "#!python\nreturn 1", "0"],
    &["EVAL", "#!lua x=y\nreturn 1", "0"],
    &["EVAL", "#!lua", "0"],
    &["EVAL", "#!lua\nerror('line two')", "0"],
    &["SCRIPT", "LOAD", "return +"],
    &["SCRIPT", "FLUSH"],
    &["EVALSHA", "d3c21d0c2b9ca22f82737626a27bcaf5d288f99f", "1", "k"],
    &["SCRIPT", "FLUSH", "ASYNC"],
    &["SCRIPT", "FLUSH", "SYNC"],
    &["SCRIPT", "FLUSH", "LATER"],
    &["SCRIPT", "KILL"],
    &["SCRIPT", "KILL", "now"],
    &["SCRIPT", "DEBUG", "no"],
    &["SCRIPT", "DEBUG", "maybe"],
    &["SCRIPT", "DEBUG"],
    &["SCRIPT", "HELP", "me"],
    &["SCRIPT", "FLUSH", "SYNC", "now"],
    &["SCRIPT", "LOAD", "return 1", "extra"],
    &["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db\u{0}x"],
    &["EVAL"],
    &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"],
    &["EVAL", "return 1", "1"],
    &["EVAL", "return 1", "9223372036854775808"],
    &["EVAL", "return 1", "-9223372036854775808"],
    &["EVAL", "return 1", " 1", "a"],
    &["EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "-1"],
    &["SCRIPT", "LOAD"],
    &["SCRIPT", "EXISTS"],
    &["SCRIPT", "NOPE"],
    &["SCRIPT"],
    &["SCRIPT", "HELP"],
];

/// The model beside a fresh real server: each command goes to both, and differing replies are kept.
struct Differential {
    _server: redis_server::Server,
    conn: redis_server::Conn,
    store: Store,
    commands: usize,
    mismatches: Vec<String>,
}

impl Differential {
    fn start() -> Differential {
        let server = start_server();
        let conn = redis_server::Conn::connect(server.port).expect("connect to redis-server");
        Differential { _server: server, conn, store: Store::new(SimRng::new(1)), commands: 0, mismatches: Vec::new() }
    }

    fn check(&mut self, argv: &[Vec<u8>]) {
        self.commands += 1;
        let real = self.conn.call(argv);
        let model = self.store.execute(now(), argv);
        if real != model {
            let shown: Vec<String> = argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            self.mismatches.push(format!(
                "{}\n    redis: {}\n    model: {}",
                shown.join(" ").replace('\n', "\\n").replace('\r', "\\r"),
                format_inline(&real),
                format_inline(&model)
            ));
        }
    }

    fn finish(self, name: &str) {
        println!("{name}: {} commands, {} mismatches", self.commands, self.mismatches.len());
        assert!(self.mismatches.is_empty(), "model and redis-server differ:\n{}", self.mismatches.join("\n"));
    }
}

#[test]
fn scripting_matches_redis_server() {
    let mut diff = Differential::start();
    for case in CASES {
        diff.check(&case.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>());
    }
    diff.finish("scripting differential");
}

/// A seeded sample of the fuzz test's generated inputs (shebang lines through SCRIPT LOAD and
/// EVAL_RO, EVAL-family and SCRIPT argument lists, some mutated byte by byte), reply for reply.
#[test]
fn generated_shebangs_and_arguments_match_redis_server() {
    let mut diff = Differential::start();
    let shas: Vec<String> = script_gen::BODIES.iter().map(|b| sha1_hex(b.as_bytes())).collect();
    let mut rng = SimRng::new(0x5c1_d1ff);
    for i in 0..1_500 {
        if i % 50 == 0 {
            for body in script_gen::BODIES {
                diff.check(&[b"SCRIPT".to_vec(), b"LOAD".to_vec(), body.as_bytes().to_vec()]);
            }
        }
        let mut argv = match i % 3 {
            0 => {
                let (body, _) = script_gen::shebang_body(&mut rng);
                if rng.index(3) == 0 {
                    vec![b"EVAL_RO".to_vec(), body, b"0".to_vec()]
                } else {
                    vec![b"SCRIPT".to_vec(), b"LOAD".to_vec(), body]
                }
            }
            1 => script_gen::eval_argv(&mut rng, &shas),
            _ => script_gen::script_argv(&mut rng, &shas),
        };
        // Mutated bytes stay ASCII here: the model's error texts are UTF-8.
        if rng.index(4) == 0 {
            script_gen::mutate(&mut rng, &mut argv);
            argv.iter_mut().flatten().for_each(|b| *b &= 0x7f);
            let is_debug = argv.get(1).is_some_and(|s| s.eq_ignore_ascii_case(b"debug"));
            if argv[0].eq_ignore_ascii_case(b"script") && is_debug {
                argv.truncate(2);
            }
        }
        diff.check(&argv);
    }
    diff.finish("generated scripting differential");
}
