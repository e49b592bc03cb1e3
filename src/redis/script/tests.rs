//! Data-driven tests of the bridge, driving the single-client `Store` through `EVAL`.

use expect_test::{expect, Expect};

use crate::redis::cli::format_inline;
use crate::redis::Store;
use crate::sim::{SimRng, TEST_EPOCH};

fn argv(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// Runs each command (a list of arguments) and renders `command -> reply` lines.
fn run(store: &mut Store, commands: &[&[&str]]) -> String {
    let mut out = String::new();
    for c in commands {
        let reply = store.execute(TEST_EPOCH, &argv(c));
        out.push_str(&format!("{} -> {}\n", c.join(" ").replace('\n', "\\n"), format_inline(&reply)));
    }
    out
}

fn check(commands: &[&[&str]], expect: Expect) {
    let mut store = Store::new(SimRng::new(1));
    expect.assert_eq(&run(&mut store, commands));
}

#[test]
fn smoke() {
    check(
        &[&["EVAL", "return 1 + 1", "0"]],
        expect![[r#"
        EVAL return 1 + 1 0 -> (integer) 2
    "#]],
    );
}

#[test]
fn lua_to_resp_conversion() {
    check(
        &[
            &["EVAL", "return 3.99", "0"],
            &["EVAL", "return -3.99", "0"],
            &["EVAL", "return 1/0", "0"],
            &["EVAL", "return 0/0", "0"],
            &["EVAL", "return true", "0"],
            &["EVAL", "return false", "0"],
            &["EVAL", "return nil", "0"],
            &["EVAL", "return", "0"],
            &["EVAL", "return 'hi', 'dropped'", "0"],
            &["EVAL", "return {1, 2, nil, 4}", "0"],
            &["EVAL", "return {1, 'two', {3, {true, false}}, 2.5}", "0"],
            &["EVAL", "return {ok = 'fine'}", "0"],
            &["EVAL", "return {ok = 'a\\r\\nb'}", "0"],
            &["EVAL", "return {err = 'My Error here'}", "0"],
            &["EVAL", "return {err = 'no-space'}", "0"],
            &["EVAL", "return {err = 5}", "0"],
            &["EVAL", "return {double = 3.5}", "0"],
            &["EVAL", "return {double = 1/0}", "0"],
            &["EVAL", "return {big_number = '123456789012345678901234567890'}", "0"],
            &["EVAL", "return {map = {a = 1}}", "0"],
            &["EVAL", "return {set = {x = true}}", "0"],
            &["EVAL", "return {verbatim_string = {format = 'txt', string = 'hello'}}", "0"],
            &["EVAL", "return print", "0"],
            &["EVAL", "return function() end", "0"],
            &["EVAL", "return 9007199254740993", "0"],
            &["EVAL", "return -9223372036854775808", "0"],
            &["EVAL", "return 1e30", "0"],
        ],
        expect![[r#"
            EVAL return 3.99 0 -> (integer) 3
            EVAL return -3.99 0 -> (integer) -3
            EVAL return 1/0 0 -> (integer) -9223372036854775808
            EVAL return 0/0 0 -> (integer) -9223372036854775808
            EVAL return true 0 -> (integer) 1
            EVAL return false 0 -> (nil)
            EVAL return nil 0 -> (nil)
            EVAL return 0 -> (nil)
            EVAL return 'hi', 'dropped' 0 -> "hi"
            EVAL return {1, 2, nil, 4} 0 -> [(integer) 1, (integer) 2]
            EVAL return {1, 'two', {3, {true, false}}, 2.5} 0 -> [(integer) 1, "two", [(integer) 3, [(integer) 1, (nil)]], (integer) 2]
            EVAL return {ok = 'fine'} 0 -> fine
            EVAL return {ok = 'a\r\nb'} 0 -> a  b
            EVAL return {err = 'My Error here'} 0 -> (error) My Error here
            EVAL return {err = 'no-space'} 0 -> (error) no-space
            EVAL return {err = 5} 0 -> (empty array)
            EVAL return {double = 3.5} 0 -> "3.5"
            EVAL return {double = 1/0} 0 -> "inf"
            EVAL return {big_number = '123456789012345678901234567890'} 0 -> "123456789012345678901234567890"
            EVAL return {map = {a = 1}} 0 -> ["a", (integer) 1]
            EVAL return {set = {x = true}} 0 -> ["x"]
            EVAL return {verbatim_string = {format = 'txt', string = 'hello'}} 0 -> "hello"
            EVAL return print 0 -> (error) ERR user_script:1: Script attempted to access nonexistent global variable 'print' script: df4c752a7558004676bbee87e38b92e0b9056d68, on @user_script:1.
            EVAL return function() end 0 -> (nil)
            EVAL return 9007199254740993 0 -> (integer) 9007199254740992
            EVAL return -9223372036854775808 0 -> (integer) -9223372036854775808
            EVAL return 1e30 0 -> (integer) -9223372036854775808
        "#]],
    );
}

#[test]
fn keys_argv_and_redis_call() {
    check(
        &[
            &["EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}", "2", "a", "b", "c", "d"],
            &["EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", "k", "v"],
            &["EVAL", "return redis.call('GET', KEYS[1])", "1", "k"],
            &["EVAL", "return redis.call('GET', 'missing')", "0"],
            &["EVAL", "return redis.call('INCRBY', 'n', 5)", "0"],
            &["EVAL", "return redis.call('SET', 'f', 3.14159)", "0"],
            &["EVAL", "return redis.call('GET', 'f')", "0"],
            &["EVAL", "return redis.call('SET', 'f', 0.1)", "0"],
            &["EVAL", "return redis.call('GET', 'f')", "0"],
            &["EVAL", "return redis.call('RPUSH', 'l', 1, 2, 3)", "0"],
            &["EVAL", "return redis.call('LRANGE', 'l', 0, -1)", "0"],
            &["EVAL", "return type(redis.call('GET', 'missing'))", "0"],
            &["EVAL", "local r = redis.call('SET', 'x', 1) return type(r) .. ':' .. r.ok", "0"],
            &["EVAL", "local r = redis.pcall('LPUSH', 'k', 1) return r", "0"],
            &["EVAL", "local r = redis.pcall('LPUSH', 'k', 1) return type(r) .. ':' .. r.err", "0"],
            &["EVAL", "return redis.call('LPUSH', 'k', 1)", "0"],
            &["EVAL", "\n\nreturn redis.call('LPUSH', 'k', 1)", "0"],
            &["EVAL", "return redis.call('nosuch')", "0"],
            &["EVAL", "return redis.pcall('nosuch')", "0"],
            &["EVAL", "return redis.call('GET', 'a', 'b')", "0"],
            &["EVAL", "return redis.call()", "0"],
            &["EVAL", "return redis.call('GET', {})", "0"],
            &["EVAL", "return redis.call('GET', nil)", "0"],
            &["EVAL", "return redis.call('EVAL', 'return 1', 0)", "0"],
            &["EVAL", "return redis.call('DEBUG', 'SLEEP', 0)", "0"],
            &["EVAL", "return redis.call('SCRIPT', 'HELP')[1]", "0"],
            &["EVAL", "return redis.call('SCRIPT', 'FLUSH')", "0"],
            &["EVAL", "return pcall(redis.call, 'nosuch')", "0"],
            &["EVAL", "local ok, e = pcall(redis.call, 'nosuch') return e", "0"],
            &["EVAL", "local ok, e = pcall(error, {err = 'X y'}) return e", "0"],
            &["EVAL", "local ok, e = pcall(error, {1}) return type(e)", "0"],
        ],
        expect![[r#"
            EVAL return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV} 2 a b c d -> ["a", "b", "c", "d", (integer) 2, (integer) 2]
            EVAL return redis.call('SET', KEYS[1], ARGV[1]) 1 k v -> OK
            EVAL return redis.call('GET', KEYS[1]) 1 k -> "v"
            EVAL return redis.call('GET', 'missing') 0 -> (nil)
            EVAL return redis.call('INCRBY', 'n', 5) 0 -> (integer) 5
            EVAL return redis.call('SET', 'f', 3.14159) 0 -> OK
            EVAL return redis.call('GET', 'f') 0 -> "3.1415899999999999"
            EVAL return redis.call('SET', 'f', 0.1) 0 -> OK
            EVAL return redis.call('GET', 'f') 0 -> "0.10000000000000001"
            EVAL return redis.call('RPUSH', 'l', 1, 2, 3) 0 -> (integer) 3
            EVAL return redis.call('LRANGE', 'l', 0, -1) 0 -> ["1", "2", "3"]
            EVAL return type(redis.call('GET', 'missing')) 0 -> "boolean"
            EVAL local r = redis.call('SET', 'x', 1) return type(r) .. ':' .. r.ok 0 -> "table:OK"
            EVAL local r = redis.pcall('LPUSH', 'k', 1) return r 0 -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            EVAL local r = redis.pcall('LPUSH', 'k', 1) return type(r) .. ':' .. r.err 0 -> "table:WRONGTYPE Operation against a key holding the wrong kind of value"
            EVAL return redis.call('LPUSH', 'k', 1) 0 -> (error) WRONGTYPE Operation against a key holding the wrong kind of value script: cf908bdc83717c8045f6bd065a14f65fbb0686bb, on @user_script:1.
            EVAL \n\nreturn redis.call('LPUSH', 'k', 1) 0 -> (error) WRONGTYPE Operation against a key holding the wrong kind of value script: 188a3bcabbdef8820494b38d13ed0624e991d511, on @user_script:3.
            EVAL return redis.call('nosuch') 0 -> (error) ERR Unknown Redis command called from script script: 206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.
            EVAL return redis.pcall('nosuch') 0 -> (error) ERR Unknown Redis command called from script
            EVAL return redis.call('GET', 'a', 'b') 0 -> (error) ERR Wrong number of args calling Redis command from script script: dc454b9014eab2b53fcf343557db70d0b97db50e, on @user_script:1.
            EVAL return redis.call() 0 -> (error) ERR Please specify at least one argument for this redis lib call script: 0a907e1429221a4d85516cab7fd219a82a9439d8, on @user_script:1.
            EVAL return redis.call('GET', {}) 0 -> (error) ERR Lua redis lib command arguments must be strings or integers script: 1343dc154e60f8f7264d986cb42bf48ba973e527, on @user_script:1.
            EVAL return redis.call('GET', nil) 0 -> (error) ERR Lua redis lib command arguments must be strings or integers script: 9887209b70df6e756d4cc687c4cd21c1ba051e35, on @user_script:1.
            EVAL return redis.call('EVAL', 'return 1', 0) 0 -> (error) ERR This Redis command is not allowed from script script: 51af7d9e69c8a140be715186c1d9c1fa012744cf, on @user_script:1.
            EVAL return redis.call('DEBUG', 'SLEEP', 0) 0 -> (error) ERR This Redis command is not allowed from script script: ab615d320364c1528fabf4644cd72ce69dc77095, on @user_script:1.
            EVAL return redis.call('SCRIPT', 'HELP')[1] 0 -> SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
            EVAL return redis.call('SCRIPT', 'FLUSH') 0 -> (error) ERR This Redis command is not allowed from script script: 77a1060c18ed64867cda332a2ff5c933f294552a, on @user_script:1.
            EVAL return pcall(redis.call, 'nosuch') 0 -> (nil)
            EVAL local ok, e = pcall(redis.call, 'nosuch') return e 0 -> "ERR Unknown Redis command called from script"
            EVAL local ok, e = pcall(error, {err = 'X y'}) return e 0 -> "X y"
            EVAL local ok, e = pcall(error, {1}) return type(e) 0 -> "table"
        "#]],
    );
}

#[test]
fn errors_and_sandbox() {
    check(
        &[
            &["EVAL", "error('boom')", "0"],
            &["EVAL", "error({err = 'CUSTOM failure'})", "0"],
            &["EVAL", "\nlocal x = nil\nreturn x.y", "0"],
            &["EVAL", "return 1 +", "0"],
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
            &["EVAL", "return string.rep()", "0"],
            &["EVAL", "return string.gsub(nil)", "0"],
            &["EVAL", "return string.format('%d', 'x')", "0"],
            &["EVAL", "return math.random(0)", "0"],
            &["EVAL", "return type(pairs)", "0"],
            &["EVAL", "return table.concat({1, {}, 3})", "0"],
            &["EVAL", "return setmetatable({}, 5)", "0"],
            &["EVAL", "return _VERSION", "0"],
            &["EVAL", "return {type(cjson), type(bit)}", "0"],
        ],
        expect![[r#"
            EVAL error('boom') 0 -> (error) ERR user_script:1: boom script: 82903a0434f1503e152f89c03c9acd881a0e8150, on @user_script:1.
            EVAL error({err = 'CUSTOM failure'}) 0 -> (error) CUSTOM failure script: 2d7a23e74f8472e8c1e2f4bbb2e4a4b553f7df42, on @user_script:1.
            EVAL \nlocal x = nil\nreturn x.y 0 -> (error) ERR user_script:3: attempt to index local 'x' (a nil value) script: 2cfdb2dafcd0e3ae9ec059c2bb77180916704af1, on @user_script:3.
            EVAL return 1 + 0 -> (error) ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'
            EVAL x = 1 0 -> (error) ERR user_script:1: Attempt to modify a readonly table script: 34bce5f775de97f557a34088509c8bfe1ea17e52, on @user_script:1.
            EVAL return undefined_thing 0 -> (error) ERR user_script:1: Script attempted to access nonexistent global variable 'undefined_thing' script: bdacca23ca46f581bc1e33a7ff563559da3d53a5, on @user_script:1.
            EVAL print('x') 0 -> (error) ERR user_script:1: Script attempted to access nonexistent global variable 'print' script: af544869f07ee0ff98e955508566826cfc6fcf49, on @user_script:1.
            EVAL loadfile('x') 0 -> (error) ERR user_script:1: Script attempted to access nonexistent global variable 'loadfile' script: cd22fc3dd8a78f493604a1c08f9ed8c40af19447, on @user_script:1.
            EVAL dofile('x') 0 -> (error) ERR user_script:1: Script attempted to access nonexistent global variable 'dofile' script: 3e57a163d177c446cd708c7af49e417235f80f43, on @user_script:1.
            EVAL return type(debug) 0 -> (error) ERR user_script:1: Script attempted to access nonexistent global variable 'debug' script: 21bcbd6f0f3639ee18732cb6907e65a4859b9625, on @user_script:1.
            EVAL redis = 1 0 -> (error) ERR user_script:1: Attempt to modify a readonly table script: 00cca49a9d18094f532f6d5cd3ecec29fc0fafd9, on @user_script:1.
            EVAL redis.call = function() return 1 end 0 -> (error) ERR user_script:1: Attempt to modify a readonly table script: c43ce023c52dd77c04f1bc4f63c83d9433932121, on @user_script:1.
            EVAL string.foo = 1 0 -> (error) ERR user_script:1: Attempt to modify a readonly table script: 46f9bf166bc7e1ab2ed3b9de7b99c4e1e7dc1f7d, on @user_script:1.
            EVAL _G = {} 0 -> (error) ERR user_script:1: Attempt to modify a readonly table script: 89dde19b7531a8ce7251955df304bbd72a1c003e, on @user_script:1.
            EVAL setmetatable(_G, {}) 0 -> (error) ERR Attempt to modify a readonly table script: 0bf0a51fbb051c942113de0105d3f8e18cdcddb5, on @user_script:1.
            EVAL local g = getmetatable(_G) g.__index = {} 0 -> (error) ERR user_script:1: Attempt to modify a readonly table script: b1a7e4ca615906790500da2b26a313f2ce643b80, on @user_script:1.
            EVAL rawset(_G, 'x', 1) 0 -> (error) ERR Attempt to modify a readonly table script: e2c706419da183d6229a1230c3be09cc32cdeee0, on @user_script:1.
            EVAL KEYS = {} 0 -> (error) ERR user_script:1: Attempt to modify a readonly table script: 6f9c2135c385ef4406555ad3ccccb97d6af382cb, on @user_script:1.
            EVAL local t = {} t.x = 1 return t.x 0 -> (integer) 1
            EVAL return loadstring(string.dump(function() return 1 end))() 0 -> (error) ERR user_script:1: attempt to call a nil value script: 5dcb142d767eb350dbcc8f0ae66433b0e227f5a2, on @user_script:1.
            EVAL return loadstring('return 7')() 0 -> (integer) 7
            EVAL return string.rep() 0 -> (error) ERR user_script:1: bad argument #1 to 'rep' (string expected, got no value) script: 312a592c4be4cbcb6748209b815c8eb090f3ca71, on @user_script:1.
            EVAL return string.gsub(nil) 0 -> (error) ERR user_script:1: bad argument #1 to 'gsub' (string expected, got nil) script: 67f2e1c5f24343975729af892c41e0e65019eb3a, on @user_script:1.
            EVAL return string.format('%d', 'x') 0 -> (error) ERR user_script:1: bad argument #2 to 'format' (number expected, got string) script: cd4fadd5027450767b6391819f084394d5c4916f, on @user_script:1.
            EVAL return math.random(0) 0 -> (error) ERR user_script:1: bad argument #1 to 'random' (interval is empty) script: 008bcb60f86ee36d26c67b641b46674578d9cba0, on @user_script:1.
            EVAL return type(pairs) 0 -> "function"
            EVAL return table.concat({1, {}, 3}) 0 -> (error) ERR user_script:1: invalid value (table) at index 2 in table for 'concat' script: 1256855af13e156c2831028e4a486ab1d403bde8, on @user_script:1.
            EVAL return setmetatable({}, 5) 0 -> (error) ERR user_script:1: bad argument #2 to 'setmetatable' (nil or table expected) script: 0e7b7790a411878e4093dad81e4fd25f457ab014, on @user_script:1.
            EVAL return _VERSION 0 -> "Lua 5.1"
            EVAL return {type(cjson), type(bit)} 0 -> (error) ERR user_script:1: Script attempted to access nonexistent global variable 'cjson' script: 87f796a962f02f38649a0952bbc2f7c1ddf191ce, on @user_script:1.
        "#]],
    );
}

#[test]
fn redis_api_helpers() {
    check(
        &[
            &["EVAL", "return redis.sha1hex('')", "0"],
            &["EVAL", "return redis.sha1hex('Pizza & Mandolino')", "0"],
            &["EVAL", "return redis.sha1hex()", "0"],
            &["EVAL", "return redis.sha1hex(42)", "0"],
            &["EVAL", "return redis.status_reply('PONG')", "0"],
            &["EVAL", "return redis.error_reply('My Error')", "0"],
            &["EVAL", "return redis.error_reply('-WRONG stuff')", "0"],
            &["EVAL", "return redis.error_reply('oops')", "0"],
            &["EVAL", "return redis.error_reply(5)", "0"],
            &["EVAL", "return redis.status_reply()", "0"],
            &["EVAL", "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM, redis.LOG_WARNING, redis.REPL_ALL}", "0"],
            &["EVAL", "redis.log(redis.LOG_WARNING, 'hello', 'world') return 1", "0"],
            &["EVAL", "redis.log('x')", "0"],
            &["EVAL", "redis.log('x', 'y')", "0"],
            &["EVAL", "redis.log(7, 'y')", "0"],
            &["EVAL", "return redis.setresp(2)", "0"],
            &["EVAL", "return redis.setresp(4)", "0"],
            &["EVAL", "return redis.setresp(3)", "0"],
            &["EVAL", "return redis.set_repl(redis.REPL_ALL)", "0"],
            &["EVAL", "return redis.set_repl(9)", "0"],
            &["EVAL", "return {redis.replicate_commands(), redis.breakpoint()}", "0"],
            &["EVAL", "return redis.acl_check_cmd('get', 'x')", "0"],
            &["EVAL", "return redis.acl_check_cmd('nosuch')", "0"],
            &["EVAL", "return {math.random(), math.random(10), math.random(5, 7)}", "0"],
            &["EVAL", "math.randomseed(42) return math.random(1000000)", "0"],
        ],
        expect![[r#"
            EVAL return redis.sha1hex('') 0 -> "da39a3ee5e6b4b0d3255bfef95601890afd80709"
            EVAL return redis.sha1hex('Pizza & Mandolino') 0 -> "74822d82031af7493c20eefa13bd07ec4fada82f"
            EVAL return redis.sha1hex() 0 -> (error) ERR wrong number of arguments script: 3c7ce947ae74a835cc575b6ee87fb27503cb7ba4, on @user_script:1.
            EVAL return redis.sha1hex(42) 0 -> "92cfceb39d57d914ed8b14d0e37643de0797ae56"
            EVAL return redis.status_reply('PONG') 0 -> PONG
            EVAL return redis.error_reply('My Error') 0 -> (error) My Error
            EVAL return redis.error_reply('-WRONG stuff') 0 -> (error) WRONG stuff
            EVAL return redis.error_reply('oops') 0 -> (error) ERR oops
            EVAL return redis.error_reply(5) 0 -> (error) ERR wrong number or type of arguments
            EVAL return redis.status_reply() 0 -> (error) ERR wrong number or type of arguments
            EVAL return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM, redis.LOG_WARNING, redis.REPL_ALL} 0 -> ["7.0.15", (integer) 458767, (integer) 3, (integer) 3]
            EVAL redis.log(redis.LOG_WARNING, 'hello', 'world') return 1 0 -> (integer) 1
            EVAL redis.log('x') 0 -> (error) ERR redis.log() requires two arguments or more. script: 4365d697bcf18447f1a1b2cbfc70a188fabcdcff, on @user_script:1.
            EVAL redis.log('x', 'y') 0 -> (error) ERR First argument must be a number (log level). script: f9e85f1a2c33bc0169e818179bf0154a5facc03a, on @user_script:1.
            EVAL redis.log(7, 'y') 0 -> (error) ERR Invalid debug level. script: 452be91710ac5cf43792130daf6ed8db707e61c2, on @user_script:1.
            EVAL return redis.setresp(2) 0 -> (nil)
            EVAL return redis.setresp(4) 0 -> (error) ERR RESP version must be 2 or 3. script: 921c0a48021d97dfd5884aeea41875972c7804d9, on @user_script:1.
            EVAL return redis.setresp(3) 0 -> (error) ERR playground limit: redis.setresp(3) is not modeled; the model speaks RESP2 only script: 0eb74e6168d6fcf78a71b3e59c5918fb45f3d442, on @user_script:1.
            EVAL return redis.set_repl(redis.REPL_ALL) 0 -> (nil)
            EVAL return redis.set_repl(9) 0 -> (error) ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE. script: f43d522179aeb2c4dadb59b026d11ed249ca02e0, on @user_script:1.
            EVAL return {redis.replicate_commands(), redis.breakpoint()} 0 -> [(integer) 1, (nil)]
            EVAL return redis.acl_check_cmd('get', 'x') 0 -> (integer) 1
            EVAL return redis.acl_check_cmd('nosuch') 0 -> (error) ERR Invalid command passed to redis.acl_check_cmd() script: d2491587bab5149c93be0dce4426f7a06ba9e1a1, on @user_script:1.
            EVAL return {math.random(), math.random(10), math.random(5, 7)} 0 -> [(integer) 0, (integer) 9, (integer) 6]
            EVAL math.randomseed(42) return math.random(1000000) 0 -> (integer) 744526
        "#]],
    );
}

#[test]
fn script_cache_and_read_only() {
    check(
        &[
            &["SCRIPT", "LOAD", "return redis.call('GET', KEYS[1])"],
            &[
                "SCRIPT",
                "EXISTS",
                "4e6d8fc8bb01276962cce5371fa795a7763657ae",
                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
            ],
            &["SCRIPT", "EXISTS", "4E6D8FC8BB01276962CCE5371FA795A7763657AE"],
            &["SET", "k", "v"],
            &["EVALSHA", "4e6d8fc8bb01276962cce5371fa795a7763657ae", "1", "k"],
            &["EVALSHA", "4E6D8FC8BB01276962CCE5371FA795A7763657AE", "1", "k"],
            &["EVALSHA_RO", "4e6d8fc8bb01276962cce5371fa795a7763657ae", "1", "k"],
            &["EVALSHA", "nope", "0"],
            &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
            &["EVAL", "return 1", "x"],
            &["EVAL", "return 1", "2", "a"],
            &["EVAL", "return 1", "-1"],
            &["EVAL_RO", "return redis.call('GET', 'k')", "0"],
            &["EVAL_RO", "return redis.call('SET', 'k', 'w')", "0"],
            &["EVAL_RO", "return redis.pcall('DEL', 'k')", "0"],
            &["EVAL", "#!lua flags=no-writes\nreturn redis.call('SET', 'k', 'w')", "0"],
            &["EVAL", "#!lua\nreturn redis.call('SET', 'k', 'w')", "0"],
            &["EVAL_RO", "#!lua\nreturn 1", "0"],
            &["EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"],
            &["EVAL", "#!lua flags=bogus\nreturn 1", "0"],
            &["EVAL", "#!python\nreturn 1", "0"],
            &["EVAL", "#!lua x=y\nreturn 1", "0"],
            &["EVAL", "#!lua", "0"],
            &["EVAL", "#!lua\nerror('line two')", "0"],
            &["SCRIPT", "LOAD", "return +"],
            &["SCRIPT", "FLUSH"],
            &["EVALSHA", "4e6d8fc8bb01276962cce5371fa795a7763657ae", "1", "k"],
            &["SCRIPT", "FLUSH", "ASYNC"],
            &["SCRIPT", "FLUSH", "LATER"],
            &["SCRIPT", "KILL"],
            &["SCRIPT", "LOAD"],
            &["SCRIPT", "EXISTS"],
            &["SCRIPT", "NOPE"],
            &["SCRIPT"],
            &["SCRIPT", "HELP"],
        ],
        expect![[r#"
            SCRIPT LOAD return redis.call('GET', KEYS[1]) -> "d3c21d0c2b9ca22f82737626a27bcaf5d288f99f"
            SCRIPT EXISTS 4e6d8fc8bb01276962cce5371fa795a7763657ae FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF -> [(integer) 0, (integer) 0]
            SCRIPT EXISTS 4E6D8FC8BB01276962CCE5371FA795A7763657AE -> [(integer) 0]
            SET k v -> OK
            EVALSHA 4e6d8fc8bb01276962cce5371fa795a7763657ae 1 k -> (error) NOSCRIPT No matching script. Please use EVAL.
            EVALSHA 4E6D8FC8BB01276962CCE5371FA795A7763657AE 1 k -> (error) NOSCRIPT No matching script. Please use EVAL.
            EVALSHA_RO 4e6d8fc8bb01276962cce5371fa795a7763657ae 1 k -> (error) NOSCRIPT No matching script. Please use EVAL.
            EVALSHA nope 0 -> (error) NOSCRIPT No matching script. Please use EVAL.
            EVALSHA ffffffffffffffffffffffffffffffffffffffff 0 -> (error) NOSCRIPT No matching script. Please use EVAL.
            EVAL return 1 x -> (error) ERR value is not an integer or out of range
            EVAL return 1 2 a -> (error) ERR Number of keys can't be greater than number of args
            EVAL return 1 -1 -> (error) ERR Number of keys can't be negative
            EVAL_RO return redis.call('GET', 'k') 0 -> "v"
            EVAL_RO return redis.call('SET', 'k', 'w') 0 -> (error) ERR Write commands are not allowed from read-only scripts. script: 773c8866525145931717276b9b84b6a7a2376cd7, on @user_script:1.
            EVAL_RO return redis.pcall('DEL', 'k') 0 -> (error) ERR Write commands are not allowed from read-only scripts.
            EVAL #!lua flags=no-writes\nreturn redis.call('SET', 'k', 'w') 0 -> (error) ERR Write commands are not allowed from read-only scripts. script: db774dc74e849e5a22c79ef67b5becf0f64e1577, on @user_script:2.
            EVAL #!lua\nreturn redis.call('SET', 'k', 'w') 0 -> OK
            EVAL_RO #!lua\nreturn 1 0 -> (error) ERR Can not execute a script with write flag using *_ro command.
            EVAL_RO #!lua flags=no-writes\nreturn 1 0 -> (integer) 1
            EVAL #!lua flags=bogus\nreturn 1 0 -> (error) ERR Unexpected flag in script shebang: bogus
            EVAL #!python\nreturn 1 0 -> (error) ERR Unexpected engine in script shebang: #!python
            EVAL #!lua x=y\nreturn 1 0 -> (error) ERR Unknown lua shebang option: x=y
            EVAL #!lua 0 -> (error) ERR Invalid script shebang
            EVAL #!lua\nerror('line two') 0 -> (error) ERR user_script:2: line two script: 326d6fc9c3337f2180cd1ef5443419cfa63325d1, on @user_script:2.
            SCRIPT LOAD return + -> (error) ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'
            SCRIPT FLUSH -> OK
            EVALSHA 4e6d8fc8bb01276962cce5371fa795a7763657ae 1 k -> (error) NOSCRIPT No matching script. Please use EVAL.
            SCRIPT FLUSH ASYNC -> OK
            SCRIPT FLUSH LATER -> (error) ERR SCRIPT FLUSH only support SYNC|ASYNC option
            SCRIPT KILL -> (error) NOTBUSY No scripts in execution right now.
            SCRIPT LOAD -> (error) ERR wrong number of arguments for 'script|load' command
            SCRIPT EXISTS -> (error) ERR wrong number of arguments for 'script|exists' command
            SCRIPT NOPE -> (error) ERR unknown subcommand 'NOPE'. Try SCRIPT HELP.
            SCRIPT -> (error) ERR wrong number of arguments for 'script' command
            SCRIPT HELP -> [SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, DEBUG (YES|SYNC|NO),     Set the debug mode for subsequent scripts executed., EXISTS <sha1> [<sha1> ...],     Return information about the existence of the scripts in the script cache., FLUSH [ASYNC|SYNC],     Flush the Lua scripts cache. Very dangerous on replicas.,     When called without the optional mode argument, the behavior is determined by the,     lazyfree-lazy-user-flush configuration directive. Valid modes are:,     * ASYNC: Asynchronously flush the scripts cache.,     * SYNC: Synchronously flush the scripts cache., KILL,     Kill the currently executing Lua script., LOAD <script>,     Load a script into the scripts cache without executing it., HELP,     Prints this help.]
        "#]],
    );
}

#[test]
fn runaway_scripts_stop_within_the_budget() {
    let big = format!("return {}", vec!["1"; 200_000].join("+"));
    let huge_script = format!("local s = [[{}]] return #s", "x".repeat(1 << 20));
    let mut store = Store::new(SimRng::new(1));
    let out = run(
        &mut store,
        &[
            &["EVAL", "while true do end", "0"],
            &["EVAL", "local i = 0 repeat i = i + 1 until false", "0"],
            &["EVAL", "local function f() return f() + 1 end return f()", "0"],
            // Nesting through C functions stops with Lua's error, within the page's stack.
            &["EVAL", "local n = 0 local function f() n = n + 1 pcall(f) return n end return f()", "0"],
            &["EVAL", "local n = 0 local function f() n = n + 1 return coroutine.wrap(f)() end pcall(f) return n", "0"],
            &["EVAL", "local n = 0 local function f(s) n = n + 1 return (s:gsub('.', f)) end local _, e = pcall(f, 'x') return {n, e}", "0"],
            &["EVAL", "local n = 0 local function f() n = n + 1 return load(function() f() end) end local _, e = pcall(f) return {n, e}", "0"],
            &["EVAL", "local s = 'x' while true do s = s .. s end", "0"],
            &["EVAL", "return string.rep('x', 1e9)", "0"],
            &["EVAL", "return string.gsub(string.rep('x', 1e6), '', string.rep('y', 1e3))", "0"],
            &["EVAL", "local t = {} for i = 1, 1e9 do t[i] = i end", "0"],
            &["EVAL", "local t = {} t[1] = t return t", "0"],
            &["EVAL", "local ok = pcall(function() while true do end end) return 'caught?'", "0"],
            &["EVAL", "return string.find(string.rep('a', 1e5), string.rep('a?', 1e5))", "0"],
            &["EVAL", "return ('a'):rep(1e5):match(('(a)-'):rep(600))", "0"],
            &["EVAL", "return string.find(string.rep('a', 1000), string.rep('a?', 1000) .. '$')", "0"],
            &["EVAL", &big[..2000], "0"],
            &["EVAL", &huge_script, "0"],
            &["EVAL", "return 'still alive'", "0"],
        ],
    );
    let short: String = out.lines().map(|l| format!("{}\n", l.chars().take(160).collect::<String>())).collect();
    expect![[r#"
        EVAL while true do end 0 -> (error) ERR playground limit: the script ran 5000000 Lua steps without finishing (a real Redis would keep running it and answer BUSY
        EVAL local i = 0 repeat i = i + 1 until false 0 -> (error) ERR playground limit: the script ran 5000000 Lua steps without finishing (a real Redis would keep run
        EVAL local function f() return f() + 1 end return f() 0 -> (error) ERR user_script:1: stack overflow script: 6ab18391d60e7e7bcbf4a881fd9b0c865dade0c6, on @user_
        EVAL local n = 0 local function f() n = n + 1 pcall(f) return n end return f() 0 -> (integer) 198
        EVAL local n = 0 local function f() n = n + 1 return coroutine.wrap(f)() end pcall(f) return n 0 -> (integer) 197
        EVAL local n = 0 local function f(s) n = n + 1 return (s:gsub('.', f)) end local _, e = pcall(f, 'x') return {n, e} 0 -> [(integer) 21, "user_script:1: C stack 
        EVAL local n = 0 local function f() n = n + 1 return load(function() f() end) end local _, e = pcall(f) return {n, e} 0 -> [(integer) 21, "C stack overflow"]
        EVAL local s = 'x' while true do s = s .. s end 0 -> (error) ERR playground limit: the script needed more than 33554432 bytes of Lua memory script: 764b49120c77
        EVAL return string.rep('x', 1e9) 0 -> (error) ERR playground limit: the script needed more than 33554432 bytes of Lua memory script: c2c9f2f1564e820f22a170442fa
        EVAL return string.gsub(string.rep('x', 1e6), '', string.rep('y', 1e3)) 0 -> (error) ERR playground limit: the script needed more than 33554432 bytes of Lua mem
        EVAL local t = {} for i = 1, 1e9 do t[i] = i end 0 -> (error) ERR playground limit: the script needed more than 33554432 bytes of Lua memory script: 2560371c289
        EVAL local t = {} t[1] = t return t 0 -> [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
        EVAL local ok = pcall(function() while true do end end) return 'caught?' 0 -> (error) ERR playground limit: the script ran 5000000 Lua steps without finishing (
        EVAL return string.find(string.rep('a', 1e5), string.rep('a?', 1e5)) 0 -> (error) ERR user_script:1: playground limit: pattern too complex (more than 1000 repet
        EVAL return ('a'):rep(1e5):match(('(a)-'):rep(600)) 0 -> (error) ERR user_script:1: playground limit: pattern too complex (more than 1000 repetition items or ca
        EVAL return string.find(string.rep('a', 1000), string.rep('a?', 1000) .. '$') 0 -> (integer) 1
        EVAL return 1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+
        EVAL local s = [[xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
        EVAL return 'still alive' 0 -> "still alive"
    "#]].assert_eq(&short);
}
