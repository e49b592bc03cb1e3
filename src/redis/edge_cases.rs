//! Hand-written edge cases per command family, as redis-cli scripts (one command per line, `#`
//! comments). The differential test runs them on a real redis-server and the model; the unit
//! tests snapshot the model's replies. Plain data: nothing here executes anything.

/// (family, script)
pub static TABLES: &[(&str, &str)] = &[
    (
        "strings",
        r#"
SET k v
SET k v NX
SET k v2 XX GET
SET k v3 NX GET
SET k v4 GET NX
SET k v EX 10 PX 100
SET k v EX 10 EX 20
SET k v KEEPTTL EX 10
SET k v EX 0
SET k v EX -1
SET k v PX 9223372036854775807
SET k v EX 9223372036854775807
SET k v EX abc
SET k v EX
SET k v NX XX
SET k v GET GET
SET k v bogus
SET k v PERSIST
GET k
GET missing
SET n 10
INCR n
INCRBY n -20
DECRBY n -9223372036854775808
INCRBY n 9223372036854775807
DECR n
SET n 9223372036854775807
INCR n
SET n " 1"
INCR n
SET n 007
INCR n
SET n -0
INCR n
INCRBY n 1.5
SET f 10.50
INCRBYFLOAT f 0.1
INCRBYFLOAT f -5
INCRBYFLOAT f 2.0e2
INCRBYFLOAT f 1e400
INCRBYFLOAT f inf
INCRBYFLOAT f abc
INCRBYFLOAT f " 1"
SET f 5.0e3
INCRBYFLOAT f 200
INCRBYFLOAT newf 3
INCRBYFLOAT newf -3
GETSET k new
GETSET missing2 x
SETNX k again
SETNX fresh 1
SETEX s 100 v
SETEX s 0 v
SETEX s -1 v
PSETEX s 0 v
PSETEX s 100000 v
MSET a 1 b 2
MSET a 1 b
MSETNX a 1 c 3
MSETNX c 3 d 4
MGET a b c d nothing
APPEND a 23
APPEND newa xyz
STRLEN a
STRLEN nothing
GETRANGE a 0 -1
GETRANGE a -2 -1
GETRANGE a 5 10
GETRANGE a -1 -2
GETRANGE a 1 0
GETRANGE nothing 0 -1
GETRANGE a x 1
SUBSTR a 0 1
SETRANGE a 1 X
SETRANGE a 10 Y
GET a
SETRANGE a -1 Z
SETRANGE nothing2 0 ""
SETRANGE a 0 ""
GETDEL a
GETDEL a
SET g v EX 100
GETEX g PERSIST
TTL g
GETEX g EX 50
TTL g
GETEX g PXAT 1
EXISTS g
GETEX nothing EX 10
GETEX g KEEPTTL
GETEX g EX 10 PERSIST
RPUSH list a
GET list
GETSET list x
APPEND list x
INCR list
SET list x GET
STRLEN list
SETRANGE list 0 x
GETEX list
GETDEL list
SET k v PXAT 0
SET k v EXAT 1
GET k
SETEX k 9223372036854775807 v
PSETEX k 9223372036854775807 v
SET k v
GETEX k PX 9223372036854775807
SET i 123
APPEND i 4
STRLEN i
INCR i
SET t v EX 100
SET t v2 KEEPTTL
TTL t
GETSET t v3
TTL t
SET t v EX 100
SETNX t other
TTL t
APPEND t x
TTL t
INCRBYFLOAT i 0.5
SET big "9223372036854775807 "
INCR big
GETRANGE i 0 9223372036854775807
GETRANGE i -9223372036854775808 -1
SETRANGE i 1 ""
MGET
"#,
    ),
    (
        "keys",
        r#"
SET a 1
SET b 2
RPUSH l x
DEL a a nothing
EXISTS a b b l
UNLINK b
EXPIRE l 100
TTL l
PTTL nothing
EXPIRE l 100 NX
EXPIRE l 200 XX
EXPIRE l 50 GT
EXPIRE l 500 GT
EXPIRE l 1000 LT
EXPIRE l 100 LT
EXPIRE l 100 NX XX
EXPIRE l 100 GT LT
EXPIRE l 100 bogus
EXPIRE l abc
EXPIRE l 9223372036854775807
PEXPIRE l 9223372036854775807
EXPIREAT l 9223372036854775807
PERSIST l
PERSIST l
TTL l
EXPIRE l 100 GT
EXPIRE l 100 LT
EXPIRETIME l
EXPIRETIME nothing
PERSIST l
EXPIRETIME l
PEXPIREAT l 1
EXISTS l
SET far x PXAT 9223372036854775807
EXPIRETIME far
PEXPIRETIME far
DEL far
SET s v
TYPE s
TYPE nothing
RENAME s t
RENAME s t
RENAME t t
RENAMENX t t
SET u 1
RENAMENX t u
RENAMENX t v
COPY v w
COPY v w
COPY v w REPLACE
COPY v v
COPY nothing x
COPY v w DB
COPY v w bogus
COPY v w DB 0 REPLACE
COPY v w DB 99
KEYS *
KEYS [uvw]
KEYS ?
KEYS nothing*
DBSIZE
FLUSHDB bogus
FLUSHDB async extra
FLUSHDB SYNC
DBSIZE
RANDOMKEY
SCAN 0 COUNT 0
SCAN 0 COUNT -1
SCAN abc
SCAN " 1"
SCAN 0 bogus
SCAN 0 MATCH
SCAN 18446744073709551616
SET a 1 EX 100
RENAME a b
TTL b
COPY b c
TTL c
SET d 1
RENAME d b
TTL b
SET e 1 EX 100
SET e 2
TTL e
PERSIST e
SET k* star
KEYS k\*
KEYS *\*
SCAN 0 TYPE STRING COUNT 100
SET gone x PXAT 1
TYPE gone
EXISTS gone gone
RENAME gone x
COPY gone x
"#,
    ),
    (
        "lists",
        r#"
RPUSH l a b c d e
LPUSH l z
LRANGE l 0 -1
LRANGE l -100 100
LRANGE l 3 1
LRANGE l 10 20
LRANGE l -2 -1
LRANGE l x 1
LRANGE nothing 0 -1
LINDEX l 0
LINDEX l -1
LINDEX l 99
LINDEX nothing 0
LSET l 0 Z
LSET l 99 x
LSET nothing 0 x
LLEN l
LPOP l
RPOP l
LPOP l 2
RPOP l 2
LPOP l 0
LPOP l -1
LPOP l x
LPOP nothing
LPOP nothing 1
LPOP nothing 0
RPUSH m a b a c a
LREM m 2 a
LREM m -1 a
LREM m 0 x
LREM nothing 0 a
RPUSH t 1 2 3 4 5
LTRIM t 1 -2
LRANGE t 0 -1
LTRIM t 5 1
EXISTS t
LTRIM nothing 0 1
RPUSH i a b c
LINSERT i BEFORE b X
LINSERT i AFTER c Y
LINSERT i AFTER nope Y
LINSERT i MIDDLE b Y
LINSERT nothing BEFORE a b
LRANGE i 0 -1
RPUSH p a b c a b c a
LPOS p a
LPOS p a RANK 2
LPOS p a RANK -1
LPOS p a COUNT 0
LPOS p a COUNT 2 RANK 2
LPOS p a MAXLEN 3 COUNT 0
LPOS p a RANK 0
LPOS p a COUNT -1
LPOS p a MAXLEN -1
LPOS p a bogus 1
LPOS p x
LPOS p x COUNT 1
LPOS nothing a
LPOS nothing a COUNT 1
RPUSH src 1 2 3
LMOVE src dst LEFT RIGHT
LMOVE src dst RIGHT LEFT
LMOVE src src LEFT RIGHT
LMOVE src dst UP LEFT
LMOVE nothing dst LEFT LEFT
RPOPLPUSH src dst
RPOPLPUSH src dst
LRANGE dst 0 -1
EXISTS src
LPUSHX nothing a
RPUSHX dst a b
SET str x
LPUSH str a
LRANGE str 0 1
LMOVE dst str LEFT LEFT
RPUSH q a b a b a
LPOS q a RANK -2 COUNT 0 MAXLEN 4
LPOS q b RANK 3
LREM q -9223372036854775808 a
LRANGE q 0 -1
RPUSH one x
RPOPLPUSH one one
LRANGE one 0 -1
SET s str
LMOVE one s LEFT LEFT
LRANGE one 0 -1
LPUSHX s a
LINSERT s BEFORE a b
LREM s 0 a
LLEN s
LINDEX s 0
LRANGE q 9223372036854775807 -9223372036854775808
RPOP q 100
EXISTS q
"#,
    ),
    (
        "sets",
        r#"
SADD s a b c
SADD s a d
SADD n 3 1 2 10
SMEMBERS n
SREM s a x
SREM nothing a
SCARD s
SCARD nothing
SISMEMBER s b
SISMEMBER s a
SMISMEMBER s a b c nothing
SMISMEMBER nothing a
SADD t c d e
SINTER s t
SINTER s nothing
SUNION s t nothing
SDIFF s t
SDIFF nothing s
SMOVE s t b
SMOVE s t nope
SMOVE nothing t a
SMOVE s s c
SMEMBERS nothing
SPOP nothing
SPOP nothing 2
SPOP s 0
SPOP s -1
SRANDMEMBER nothing
SRANDMEMBER nothing 5
SRANDMEMBER s 0
SRANDMEMBER s -9223372036854775808
SET str x
SADD str a
SINTER s str
SINTER nothing str
SUNION s str
SMOVE s str c
SMOVE str s c
SADD u 1 2 3
SET w str
SMOVE u w 9
SMISMEMBER w a
SINTER u u
SUNION u
SADD u x
SMEMBERS u
SPOP u 10
EXISTS u
SADD single only
SRANDMEMBER single -3
SRANDMEMBER single 3
SPOP single
SPOP single
SCARD w
"#,
    ),
    (
        "hashes",
        r#"
HSET h a 1 b 2
HSET h a 10 c 3
HSET h a
HMSET h d 4
HMSET h d
HGET h a
HGET h nope
HGET nothing a
HMGET h a nope b
HMGET nothing a
HGETALL h
HKEYS h
HVALS h
HDEL h a nope
HGETALL h
HLEN h
HEXISTS h b
HEXISTS h a
HSTRLEN h b
HSTRLEN h nope
HSETNX h b x
HSETNX h z x
HINCRBY h b 5
HINCRBY h b x
HINCRBY h new -3
HINCRBY h z 1
HINCRBY h b 9223372036854775807
HINCRBYFLOAT h f 1.5
HINCRBYFLOAT h f 0.1
HINCRBYFLOAT h z 1
HINCRBYFLOAT h f inf
HINCRBYFLOAT h f x
HGETALL nothing
HDEL h b c d f new z
EXISTS h
SET str x
HSET str a 1
HGET str a
HGETALL str
HSET d a 1 a 2
HGET d a
HSET d b 1e3
HINCRBYFLOAT d b 1
HINCRBY d b 1
HSET d c 9223372036854775807
HINCRBY d c 1
HINCRBY d c -9223372036854775808
HSET d e x f y
HDEL d b
HGETALL d
SET w x
HMGET w a
HSETNX w a b
HLEN w
"#,
    ),
    (
        "zsets",
        r#"
ZADD z 1 a 2 b 3 c
ZADD z NX 10 a 4 d
ZADD z XX 10 a 5 e
ZADD z XX CH 11 a 5 e
ZADD z GT 1 a
ZADD z LT CH 1 a
ZADD z NX XX 1 a
ZADD z NX GT 1 a
ZADD z INCR 1 a 2 b
ZADD z INCR 5 b
ZADD z INCR NX 5 b
ZADD z
ZADD z 1
ZADD z x a
ZADD z nan a
ZADD z inf i -inf j
ZADD z 1.5 f 0.1 g 1e20 h
ZRANGE z 0 -1 WITHSCORES
ZRANGE z 0 1 REV
ZRANGE z -2 -1
ZRANGE z 1 0
ZRANGE z 0 -1 LIMIT 0 1
ZRANGE z (1 3 BYSCORE
ZRANGE z 3 (1 BYSCORE REV
ZRANGE z -inf +inf BYSCORE LIMIT 1 2
ZRANGE z -inf +inf BYSCORE LIMIT -1 2
ZRANGE z -inf +inf BYSCORE LIMIT 0 -1
ZRANGE z x 1 BYSCORE
ZRANGE z - + BYLEX
ZRANGE z [a (c BYLEX
ZRANGE z + - BYLEX REV
ZRANGE z a c BYLEX
ZRANGE z - + BYLEX WITHSCORES
ZRANGE z 0 -1 BYSCORE BYLEX
ZRANGEBYSCORE z 1 3
ZRANGEBYSCORE z (1 (3 WITHSCORES
ZRANGEBYSCORE z -inf inf LIMIT 2 3
ZRANGEBYSCORE z 3 1
ZRANGEBYSCORE z "" ""
ZRANGEBYSCORE z a b
ZREVRANGEBYSCORE z 3 1 WITHSCORES
ZREVRANGEBYSCORE z +inf -inf LIMIT 0 2
ZREVRANGE z 0 2 WITHSCORES
ZREVRANGE z 0 -1 LIMIT 0 1
ZSCORE z a
ZSCORE z nope
ZSCORE z g
ZSCORE nothing a
ZRANK z b
ZREVRANK z b
ZRANK z nope
ZRANK nothing a
ZCARD z
ZCARD nothing
ZCOUNT z 1 3
ZCOUNT z (1 (3
ZCOUNT z -inf +inf
ZCOUNT z x 1
ZCOUNT nothing 0 1
ZINCRBY z 2 a
ZINCRBY z x a
ZINCRBY z 1 new
ZINCRBY z nx a
ZADD z inf a
ZINCRBY z -inf a
ZREM z a b nope
ZREM nothing a
ZRANGE nothing 0 -1
ZADD negzero -0 m
ZSCORE negzero m
ZADD negzero INCR -0 n
ZRANGE negzero 0 -1 WITHSCORES
ZADD big 1e309 a
ZRANGEBYSCORE negzero -1e400 1e400
SET str x
ZADD str 1 a
ZRANGE str 0 -1
ZSCORE str a
ZADD s 1 a 2 b
ZADD s CH 1 a
ZADD s GT CH 0 a
ZADD s XX INCR 1 nope
ZADD s INCR GT -5 a
ZRANGE s 0 -1 LIMIT 0 1
ZRANGE s (1 +inf BYSCORE REV LIMIT 0 1
ZRANGE s +inf (1 BYSCORE REV LIMIT 0 1
ZRANGEBYSCORE s (inf +inf
ZRANGEBYSCORE s -inf (-inf
ZCOUNT s (1 (1
ZCOUNT s 1 1
ZADD lex 0 a 0 b 0 c
ZRANGE lex [a [a BYLEX
ZRANGE lex (a (a BYLEX
ZRANGE lex + - BYLEX
ZRANGE lex - + BYLEX LIMIT 1 1
ZRANGE lex [b + BYLEX REV
ZRANGE lex + [b BYLEX REV
ZRANGE lex - + BYLEX LIMIT 5 1
ZRANGE lex - + BYLEX LIMIT -1 1
ZREVRANGE lex 0 -1
ZRANK lex c
ZREVRANK lex c
SET w x
ZINCRBY w 1 a
ZCOUNT w 0 1
ZRANK w a
"#,
    ),
    (
        "server",
        r#"
PING
PING hello
PING a b
ECHO hi
ECHO
DEBUG SLEEP 0
DEBUG SLEEP
DEBUG nope
NOSUCHCOMMAND a "b c"
NOSUCHCOMMAND 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789 tail
NOSUCHCOMMAND 01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456 abcdefgh xyz
NOSUCHCOMMAND "line\nbreak" "cr\rhere"
nosuch
GeT x
set
set k
SET k v extra
DBSIZE extra
PING ""
ECHO "\x00\xff"
ECHO ""
"#,
    ),
];

/// The commands of a table script: non-empty lines that are not `#` comments.
pub fn lines(script: &str) -> impl Iterator<Item = &str> {
    script.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

#[cfg(test)]
mod tests {
    //! The model's replies to each table, pinned. `tests/redis_differential.rs` checks the same
    //! tables against a real redis-server, so these snapshots are real Redis 7.0 replies.
    use super::{lines, TABLES};
    use crate::redis::cli::{format_inline, tokenize};
    use crate::redis::Store;
    use crate::sim::{SimRng, TEST_EPOCH};
    use expect_test::{expect, Expect};

    fn check(family: &str, want: Expect) {
        let (_, script) = TABLES.iter().find(|(f, _)| *f == family).expect("table exists");
        let mut store = Store::new(SimRng::new(1));
        let out: Vec<String> = lines(script)
            .map(|l| format!("{l} -> {}", format_inline(&store.execute(TEST_EPOCH, &tokenize(l).expect("table line")))))
            .collect();
        want.assert_eq(&out.join("\n"));
    }

    #[test]
    fn strings() {
        check(
            "strings",
            expect![[r#"
            SET k v -> OK
            SET k v NX -> (nil)
            SET k v2 XX GET -> "v"
            SET k v3 NX GET -> "v2"
            SET k v4 GET NX -> "v2"
            SET k v EX 10 PX 100 -> (error) ERR syntax error
            SET k v EX 10 EX 20 -> OK
            SET k v KEEPTTL EX 10 -> (error) ERR syntax error
            SET k v EX 0 -> (error) ERR invalid expire time in 'set' command
            SET k v EX -1 -> (error) ERR invalid expire time in 'set' command
            SET k v PX 9223372036854775807 -> (error) ERR invalid expire time in 'set' command
            SET k v EX 9223372036854775807 -> (error) ERR invalid expire time in 'set' command
            SET k v EX abc -> (error) ERR value is not an integer or out of range
            SET k v EX -> (error) ERR syntax error
            SET k v NX XX -> (error) ERR syntax error
            SET k v GET GET -> "v"
            SET k v bogus -> (error) ERR syntax error
            SET k v PERSIST -> (error) ERR syntax error
            GET k -> "v"
            GET missing -> (nil)
            SET n 10 -> OK
            INCR n -> (integer) 11
            INCRBY n -20 -> (integer) -9
            DECRBY n -9223372036854775808 -> (error) ERR decrement would overflow
            INCRBY n 9223372036854775807 -> (integer) 9223372036854775798
            DECR n -> (integer) 9223372036854775797
            SET n 9223372036854775807 -> OK
            INCR n -> (error) ERR increment or decrement would overflow
            SET n " 1" -> OK
            INCR n -> (error) ERR value is not an integer or out of range
            SET n 007 -> OK
            INCR n -> (error) ERR value is not an integer or out of range
            SET n -0 -> OK
            INCR n -> (error) ERR value is not an integer or out of range
            INCRBY n 1.5 -> (error) ERR value is not an integer or out of range
            SET f 10.50 -> OK
            INCRBYFLOAT f 0.1 -> "10.6"
            INCRBYFLOAT f -5 -> "5.6"
            INCRBYFLOAT f 2.0e2 -> "205.60000000000000001"
            INCRBYFLOAT f 1e400 -> "10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880"
            INCRBYFLOAT f inf -> (error) ERR increment would produce NaN or Infinity
            INCRBYFLOAT f abc -> (error) ERR value is not a valid float
            INCRBYFLOAT f " 1" -> (error) ERR value is not a valid float
            SET f 5.0e3 -> OK
            INCRBYFLOAT f 200 -> "5200"
            INCRBYFLOAT newf 3 -> "3"
            INCRBYFLOAT newf -3 -> "0"
            GETSET k new -> "v"
            GETSET missing2 x -> (nil)
            SETNX k again -> (integer) 0
            SETNX fresh 1 -> (integer) 1
            SETEX s 100 v -> OK
            SETEX s 0 v -> (error) ERR invalid expire time in 'setex' command
            SETEX s -1 v -> (error) ERR invalid expire time in 'setex' command
            PSETEX s 0 v -> (error) ERR invalid expire time in 'psetex' command
            PSETEX s 100000 v -> OK
            MSET a 1 b 2 -> OK
            MSET a 1 b -> (error) ERR wrong number of arguments for 'mset' command
            MSETNX a 1 c 3 -> (integer) 0
            MSETNX c 3 d 4 -> (integer) 1
            MGET a b c d nothing -> ["1", "2", "3", "4", (nil)]
            APPEND a 23 -> (integer) 3
            APPEND newa xyz -> (integer) 3
            STRLEN a -> (integer) 3
            STRLEN nothing -> (integer) 0
            GETRANGE a 0 -1 -> "123"
            GETRANGE a -2 -1 -> "23"
            GETRANGE a 5 10 -> ""
            GETRANGE a -1 -2 -> ""
            GETRANGE a 1 0 -> ""
            GETRANGE nothing 0 -1 -> ""
            GETRANGE a x 1 -> (error) ERR value is not an integer or out of range
            SUBSTR a 0 1 -> "12"
            SETRANGE a 1 X -> (integer) 3
            SETRANGE a 10 Y -> (integer) 11
            GET a -> "1X3\x00\x00\x00\x00\x00\x00\x00Y"
            SETRANGE a -1 Z -> (error) ERR offset is out of range
            SETRANGE nothing2 0 "" -> (integer) 0
            SETRANGE a 0 "" -> (integer) 11
            GETDEL a -> "1X3\x00\x00\x00\x00\x00\x00\x00Y"
            GETDEL a -> (nil)
            SET g v EX 100 -> OK
            GETEX g PERSIST -> "v"
            TTL g -> (integer) -1
            GETEX g EX 50 -> "v"
            TTL g -> (integer) 50
            GETEX g PXAT 1 -> "v"
            EXISTS g -> (integer) 0
            GETEX nothing EX 10 -> (nil)
            GETEX g KEEPTTL -> (error) ERR syntax error
            GETEX g EX 10 PERSIST -> (error) ERR syntax error
            RPUSH list a -> (integer) 1
            GET list -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            GETSET list x -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            APPEND list x -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            INCR list -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            SET list x GET -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            STRLEN list -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            SETRANGE list 0 x -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            GETEX list -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            GETDEL list -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            SET k v PXAT 0 -> (error) ERR invalid expire time in 'set' command
            SET k v EXAT 1 -> OK
            GET k -> (nil)
            SETEX k 9223372036854775807 v -> (error) ERR invalid expire time in 'setex' command
            PSETEX k 9223372036854775807 v -> (error) ERR invalid expire time in 'psetex' command
            SET k v -> OK
            GETEX k PX 9223372036854775807 -> (error) ERR invalid expire time in 'getex' command
            SET i 123 -> OK
            APPEND i 4 -> (integer) 4
            STRLEN i -> (integer) 4
            INCR i -> (integer) 1235
            SET t v EX 100 -> OK
            SET t v2 KEEPTTL -> OK
            TTL t -> (integer) 100
            GETSET t v3 -> "v2"
            TTL t -> (integer) -1
            SET t v EX 100 -> OK
            SETNX t other -> (integer) 0
            TTL t -> (integer) 100
            APPEND t x -> (integer) 2
            TTL t -> (integer) 100
            INCRBYFLOAT i 0.5 -> "1235.5"
            SET big "9223372036854775807 " -> OK
            INCR big -> (error) ERR value is not an integer or out of range
            GETRANGE i 0 9223372036854775807 -> "1235.5"
            GETRANGE i -9223372036854775808 -1 -> "1235.5"
            SETRANGE i 1 "" -> (integer) 6
            MGET -> (error) ERR wrong number of arguments for 'mget' command"#]],
        );
    }
    #[test]
    fn keys() {
        check(
            "keys",
            expect![[r#"
            SET a 1 -> OK
            SET b 2 -> OK
            RPUSH l x -> (integer) 1
            DEL a a nothing -> (integer) 1
            EXISTS a b b l -> (integer) 3
            UNLINK b -> (integer) 1
            EXPIRE l 100 -> (integer) 1
            TTL l -> (integer) 100
            PTTL nothing -> (integer) -2
            EXPIRE l 100 NX -> (integer) 0
            EXPIRE l 200 XX -> (integer) 1
            EXPIRE l 50 GT -> (integer) 0
            EXPIRE l 500 GT -> (integer) 1
            EXPIRE l 1000 LT -> (integer) 0
            EXPIRE l 100 LT -> (integer) 1
            EXPIRE l 100 NX XX -> (error) ERR NX and XX, GT or LT options at the same time are not compatible
            EXPIRE l 100 GT LT -> (error) ERR GT and LT options at the same time are not compatible
            EXPIRE l 100 bogus -> (error) ERR Unsupported option bogus
            EXPIRE l abc -> (error) ERR value is not an integer or out of range
            EXPIRE l 9223372036854775807 -> (error) ERR invalid expire time in 'expire' command
            PEXPIRE l 9223372036854775807 -> (error) ERR invalid expire time in 'pexpire' command
            EXPIREAT l 9223372036854775807 -> (error) ERR invalid expire time in 'expireat' command
            PERSIST l -> (integer) 1
            PERSIST l -> (integer) 0
            TTL l -> (integer) -1
            EXPIRE l 100 GT -> (integer) 0
            EXPIRE l 100 LT -> (integer) 1
            EXPIRETIME l -> (integer) 1700000100
            EXPIRETIME nothing -> (integer) -2
            PERSIST l -> (integer) 1
            EXPIRETIME l -> (integer) -1
            PEXPIREAT l 1 -> (integer) 1
            EXISTS l -> (integer) 0
            SET far x PXAT 9223372036854775807 -> OK
            EXPIRETIME far -> (integer) 9223372036854776
            PEXPIRETIME far -> (integer) 9223372036854775807
            DEL far -> (integer) 1
            SET s v -> OK
            TYPE s -> string
            TYPE nothing -> none
            RENAME s t -> OK
            RENAME s t -> (error) ERR no such key
            RENAME t t -> OK
            RENAMENX t t -> (integer) 0
            SET u 1 -> OK
            RENAMENX t u -> (integer) 0
            RENAMENX t v -> (integer) 1
            COPY v w -> (integer) 1
            COPY v w -> (integer) 0
            COPY v w REPLACE -> (integer) 1
            COPY v v -> (error) ERR source and destination objects are the same
            COPY nothing x -> (integer) 0
            COPY v w DB -> (error) ERR syntax error
            COPY v w bogus -> (error) ERR syntax error
            COPY v w DB 0 REPLACE -> (integer) 1
            COPY v w DB 99 -> (error) ERR DB index is out of range
            KEYS * -> ["u", "v", "w"]
            KEYS [uvw] -> ["u", "v", "w"]
            KEYS ? -> ["u", "v", "w"]
            KEYS nothing* -> (empty array)
            DBSIZE -> (integer) 3
            FLUSHDB bogus -> (error) ERR syntax error
            FLUSHDB async extra -> (error) ERR syntax error
            FLUSHDB SYNC -> OK
            DBSIZE -> (integer) 0
            RANDOMKEY -> (nil)
            SCAN 0 COUNT 0 -> (error) ERR syntax error
            SCAN 0 COUNT -1 -> (error) ERR syntax error
            SCAN abc -> (error) ERR invalid cursor
            SCAN " 1" -> (error) ERR invalid cursor
            SCAN 0 bogus -> (error) ERR syntax error
            SCAN 0 MATCH -> (error) ERR syntax error
            SCAN 18446744073709551616 -> (error) ERR invalid cursor
            SET a 1 EX 100 -> OK
            RENAME a b -> OK
            TTL b -> (integer) 100
            COPY b c -> (integer) 1
            TTL c -> (integer) 100
            SET d 1 -> OK
            RENAME d b -> OK
            TTL b -> (integer) -1
            SET e 1 EX 100 -> OK
            SET e 2 -> OK
            TTL e -> (integer) -1
            PERSIST e -> (integer) 0
            SET k* star -> OK
            KEYS k\* -> ["k*"]
            KEYS *\* -> ["k*"]
            SCAN 0 TYPE STRING COUNT 100 -> ["0", ["b", "c", "k*", "e"]]
            SET gone x PXAT 1 -> OK
            TYPE gone -> none
            EXISTS gone gone -> (integer) 0
            RENAME gone x -> (error) ERR no such key
            COPY gone x -> (integer) 0"#]],
        );
    }
    #[test]
    fn lists() {
        check(
            "lists",
            expect![[r#"
            RPUSH l a b c d e -> (integer) 5
            LPUSH l z -> (integer) 6
            LRANGE l 0 -1 -> ["z", "a", "b", "c", "d", "e"]
            LRANGE l -100 100 -> ["z", "a", "b", "c", "d", "e"]
            LRANGE l 3 1 -> (empty array)
            LRANGE l 10 20 -> (empty array)
            LRANGE l -2 -1 -> ["d", "e"]
            LRANGE l x 1 -> (error) ERR value is not an integer or out of range
            LRANGE nothing 0 -1 -> (empty array)
            LINDEX l 0 -> "z"
            LINDEX l -1 -> "e"
            LINDEX l 99 -> (nil)
            LINDEX nothing 0 -> (nil)
            LSET l 0 Z -> OK
            LSET l 99 x -> (error) ERR index out of range
            LSET nothing 0 x -> (error) ERR no such key
            LLEN l -> (integer) 6
            LPOP l -> "Z"
            RPOP l -> "e"
            LPOP l 2 -> ["a", "b"]
            RPOP l 2 -> ["d", "c"]
            LPOP l 0 -> (nil)
            LPOP l -1 -> (error) ERR value is out of range, must be positive
            LPOP l x -> (error) ERR value is out of range, must be positive
            LPOP nothing -> (nil)
            LPOP nothing 1 -> (nil)
            LPOP nothing 0 -> (nil)
            RPUSH m a b a c a -> (integer) 5
            LREM m 2 a -> (integer) 2
            LREM m -1 a -> (integer) 1
            LREM m 0 x -> (integer) 0
            LREM nothing 0 a -> (integer) 0
            RPUSH t 1 2 3 4 5 -> (integer) 5
            LTRIM t 1 -2 -> OK
            LRANGE t 0 -1 -> ["2", "3", "4"]
            LTRIM t 5 1 -> OK
            EXISTS t -> (integer) 0
            LTRIM nothing 0 1 -> OK
            RPUSH i a b c -> (integer) 3
            LINSERT i BEFORE b X -> (integer) 4
            LINSERT i AFTER c Y -> (integer) 5
            LINSERT i AFTER nope Y -> (integer) -1
            LINSERT i MIDDLE b Y -> (error) ERR syntax error
            LINSERT nothing BEFORE a b -> (integer) 0
            LRANGE i 0 -1 -> ["a", "X", "b", "c", "Y"]
            RPUSH p a b c a b c a -> (integer) 7
            LPOS p a -> (integer) 0
            LPOS p a RANK 2 -> (integer) 3
            LPOS p a RANK -1 -> (integer) 6
            LPOS p a COUNT 0 -> [(integer) 0, (integer) 3, (integer) 6]
            LPOS p a COUNT 2 RANK 2 -> [(integer) 3, (integer) 6]
            LPOS p a MAXLEN 3 COUNT 0 -> [(integer) 0]
            LPOS p a RANK 0 -> (error) ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list
            LPOS p a COUNT -1 -> (error) ERR COUNT can't be negative
            LPOS p a MAXLEN -1 -> (error) ERR MAXLEN can't be negative
            LPOS p a bogus 1 -> (error) ERR syntax error
            LPOS p x -> (nil)
            LPOS p x COUNT 1 -> (empty array)
            LPOS nothing a -> (nil)
            LPOS nothing a COUNT 1 -> (empty array)
            RPUSH src 1 2 3 -> (integer) 3
            LMOVE src dst LEFT RIGHT -> "1"
            LMOVE src dst RIGHT LEFT -> "3"
            LMOVE src src LEFT RIGHT -> "2"
            LMOVE src dst UP LEFT -> (error) ERR syntax error
            LMOVE nothing dst LEFT LEFT -> (nil)
            RPOPLPUSH src dst -> "2"
            RPOPLPUSH src dst -> (nil)
            LRANGE dst 0 -1 -> ["2", "3", "1"]
            EXISTS src -> (integer) 0
            LPUSHX nothing a -> (integer) 0
            RPUSHX dst a b -> (integer) 5
            SET str x -> OK
            LPUSH str a -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            LRANGE str 0 1 -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            LMOVE dst str LEFT LEFT -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            RPUSH q a b a b a -> (integer) 5
            LPOS q a RANK -2 COUNT 0 MAXLEN 4 -> [(integer) 2]
            LPOS q b RANK 3 -> (nil)
            LREM q -9223372036854775808 a -> (integer) 3
            LRANGE q 0 -1 -> ["b", "b"]
            RPUSH one x -> (integer) 1
            RPOPLPUSH one one -> "x"
            LRANGE one 0 -1 -> ["x"]
            SET s str -> OK
            LMOVE one s LEFT LEFT -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            LRANGE one 0 -1 -> ["x"]
            LPUSHX s a -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            LINSERT s BEFORE a b -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            LREM s 0 a -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            LLEN s -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            LINDEX s 0 -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            LRANGE q 9223372036854775807 -9223372036854775808 -> (empty array)
            RPOP q 100 -> ["b", "b"]
            EXISTS q -> (integer) 0"#]],
        );
    }
    #[test]
    fn sets() {
        check(
            "sets",
            expect![[r#"
            SADD s a b c -> (integer) 3
            SADD s a d -> (integer) 1
            SADD n 3 1 2 10 -> (integer) 4
            SMEMBERS n -> ["1", "2", "3", "10"]
            SREM s a x -> (integer) 1
            SREM nothing a -> (integer) 0
            SCARD s -> (integer) 3
            SCARD nothing -> (integer) 0
            SISMEMBER s b -> (integer) 1
            SISMEMBER s a -> (integer) 0
            SMISMEMBER s a b c nothing -> [(integer) 0, (integer) 1, (integer) 1, (integer) 0]
            SMISMEMBER nothing a -> [(integer) 0]
            SADD t c d e -> (integer) 3
            SINTER s t -> ["d", "c"]
            SINTER s nothing -> (empty array)
            SUNION s t nothing -> ["d", "b", "c", "e"]
            SDIFF s t -> ["b"]
            SDIFF nothing s -> (empty array)
            SMOVE s t b -> (integer) 1
            SMOVE s t nope -> (integer) 0
            SMOVE nothing t a -> (integer) 0
            SMOVE s s c -> (integer) 1
            SMEMBERS nothing -> (empty array)
            SPOP nothing -> (nil)
            SPOP nothing 2 -> (empty array)
            SPOP s 0 -> (empty array)
            SPOP s -1 -> (error) ERR value is out of range, must be positive
            SRANDMEMBER nothing -> (nil)
            SRANDMEMBER nothing 5 -> (empty array)
            SRANDMEMBER s 0 -> (empty array)
            SRANDMEMBER s -9223372036854775808 -> (error) ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807
            SET str x -> OK
            SADD str a -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            SINTER s str -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            SINTER nothing str -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            SUNION s str -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            SMOVE s str c -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            SMOVE str s c -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            SADD u 1 2 3 -> (integer) 3
            SET w str -> OK
            SMOVE u w 9 -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            SMISMEMBER w a -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            SINTER u u -> ["1", "2", "3"]
            SUNION u -> ["1", "2", "3"]
            SADD u x -> (integer) 1
            SMEMBERS u -> ["1", "2", "3", "x"]
            SPOP u 10 -> ["2", "x", "3", "1"]
            EXISTS u -> (integer) 0
            SADD single only -> (integer) 1
            SRANDMEMBER single -3 -> ["only", "only", "only"]
            SRANDMEMBER single 3 -> ["only"]
            SPOP single -> "only"
            SPOP single -> (nil)
            SCARD w -> (error) WRONGTYPE Operation against a key holding the wrong kind of value"#]],
        );
    }
    #[test]
    fn hashes() {
        check(
            "hashes",
            expect![[r#"
            HSET h a 1 b 2 -> (integer) 2
            HSET h a 10 c 3 -> (integer) 1
            HSET h a -> (error) ERR wrong number of arguments for 'hset' command
            HMSET h d 4 -> OK
            HMSET h d -> (error) ERR wrong number of arguments for 'hmset' command
            HGET h a -> "10"
            HGET h nope -> (nil)
            HGET nothing a -> (nil)
            HMGET h a nope b -> ["10", (nil), "2"]
            HMGET nothing a -> [(nil)]
            HGETALL h -> ["a", "10", "b", "2", "c", "3", "d", "4"]
            HKEYS h -> ["a", "b", "c", "d"]
            HVALS h -> ["10", "2", "3", "4"]
            HDEL h a nope -> (integer) 1
            HGETALL h -> ["b", "2", "c", "3", "d", "4"]
            HLEN h -> (integer) 3
            HEXISTS h b -> (integer) 1
            HEXISTS h a -> (integer) 0
            HSTRLEN h b -> (integer) 1
            HSTRLEN h nope -> (integer) 0
            HSETNX h b x -> (integer) 0
            HSETNX h z x -> (integer) 1
            HINCRBY h b 5 -> (integer) 7
            HINCRBY h b x -> (error) ERR value is not an integer or out of range
            HINCRBY h new -3 -> (integer) -3
            HINCRBY h z 1 -> (error) ERR hash value is not an integer
            HINCRBY h b 9223372036854775807 -> (error) ERR increment or decrement would overflow
            HINCRBYFLOAT h f 1.5 -> "1.5"
            HINCRBYFLOAT h f 0.1 -> "1.6"
            HINCRBYFLOAT h z 1 -> (error) ERR hash value is not a float
            HINCRBYFLOAT h f inf -> (error) ERR value is NaN or Infinity
            HINCRBYFLOAT h f x -> (error) ERR value is not a valid float
            HGETALL nothing -> (empty array)
            HDEL h b c d f new z -> (integer) 6
            EXISTS h -> (integer) 0
            SET str x -> OK
            HSET str a 1 -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            HGET str a -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            HGETALL str -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            HSET d a 1 a 2 -> (integer) 1
            HGET d a -> "2"
            HSET d b 1e3 -> (integer) 1
            HINCRBYFLOAT d b 1 -> "1001"
            HINCRBY d b 1 -> (integer) 1002
            HSET d c 9223372036854775807 -> (integer) 1
            HINCRBY d c 1 -> (error) ERR increment or decrement would overflow
            HINCRBY d c -9223372036854775808 -> (integer) -1
            HSET d e x f y -> (integer) 2
            HDEL d b -> (integer) 1
            HGETALL d -> ["a", "2", "c", "-1", "e", "x", "f", "y"]
            SET w x -> OK
            HMGET w a -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            HSETNX w a b -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            HLEN w -> (error) WRONGTYPE Operation against a key holding the wrong kind of value"#]],
        );
    }
    #[test]
    fn zsets() {
        check(
            "zsets",
            expect![[r#"
            ZADD z 1 a 2 b 3 c -> (integer) 3
            ZADD z NX 10 a 4 d -> (integer) 1
            ZADD z XX 10 a 5 e -> (integer) 0
            ZADD z XX CH 11 a 5 e -> (integer) 1
            ZADD z GT 1 a -> (integer) 0
            ZADD z LT CH 1 a -> (integer) 1
            ZADD z NX XX 1 a -> (error) ERR XX and NX options at the same time are not compatible
            ZADD z NX GT 1 a -> (error) ERR GT, LT, and/or NX options at the same time are not compatible
            ZADD z INCR 1 a 2 b -> (error) ERR INCR option supports a single increment-element pair
            ZADD z INCR 5 b -> "7"
            ZADD z INCR NX 5 b -> (nil)
            ZADD z -> (error) ERR wrong number of arguments for 'zadd' command
            ZADD z 1 -> (error) ERR wrong number of arguments for 'zadd' command
            ZADD z x a -> (error) ERR value is not a valid float
            ZADD z nan a -> (error) ERR value is not a valid float
            ZADD z inf i -inf j -> (integer) 2
            ZADD z 1.5 f 0.1 g 1e20 h -> (integer) 3
            ZRANGE z 0 -1 WITHSCORES -> ["j", "-inf", "g", "0.10000000000000001", "a", "1", "f", "1.5", "c", "3", "d", "4", "b", "7", "h", "1e+20", "i", "inf"]
            ZRANGE z 0 1 REV -> ["i", "h"]
            ZRANGE z -2 -1 -> ["h", "i"]
            ZRANGE z 1 0 -> (empty array)
            ZRANGE z 0 -1 LIMIT 0 1 -> (error) ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX
            ZRANGE z (1 3 BYSCORE -> ["f", "c"]
            ZRANGE z 3 (1 BYSCORE REV -> ["c", "f"]
            ZRANGE z -inf +inf BYSCORE LIMIT 1 2 -> ["g", "a"]
            ZRANGE z -inf +inf BYSCORE LIMIT -1 2 -> (empty array)
            ZRANGE z -inf +inf BYSCORE LIMIT 0 -1 -> ["j", "g", "a", "f", "c", "d", "b", "h", "i"]
            ZRANGE z x 1 BYSCORE -> (error) ERR min or max is not a float
            ZRANGE z - + BYLEX -> ["j", "g", "a", "f", "c", "d", "b", "h", "i"]
            ZRANGE z [a (c BYLEX -> (empty array)
            ZRANGE z + - BYLEX REV -> ["i", "h", "b", "d", "c", "f", "a", "g", "j"]
            ZRANGE z a c BYLEX -> (error) ERR min or max not valid string range item
            ZRANGE z - + BYLEX WITHSCORES -> (error) ERR syntax error, WITHSCORES not supported in combination with BYLEX
            ZRANGE z 0 -1 BYSCORE BYLEX -> (error) ERR syntax error
            ZRANGEBYSCORE z 1 3 -> ["a", "f", "c"]
            ZRANGEBYSCORE z (1 (3 WITHSCORES -> ["f", "1.5"]
            ZRANGEBYSCORE z -inf inf LIMIT 2 3 -> ["a", "f", "c"]
            ZRANGEBYSCORE z 3 1 -> (empty array)
            ZRANGEBYSCORE z "" "" -> (empty array)
            ZRANGEBYSCORE z a b -> (error) ERR min or max is not a float
            ZREVRANGEBYSCORE z 3 1 WITHSCORES -> ["c", "3", "f", "1.5", "a", "1"]
            ZREVRANGEBYSCORE z +inf -inf LIMIT 0 2 -> ["i", "h"]
            ZREVRANGE z 0 2 WITHSCORES -> ["i", "inf", "h", "1e+20", "b", "7"]
            ZREVRANGE z 0 -1 LIMIT 0 1 -> (error) ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX
            ZSCORE z a -> "1"
            ZSCORE z nope -> (nil)
            ZSCORE z g -> "0.10000000000000001"
            ZSCORE nothing a -> (nil)
            ZRANK z b -> (integer) 6
            ZREVRANK z b -> (integer) 2
            ZRANK z nope -> (nil)
            ZRANK nothing a -> (nil)
            ZCARD z -> (integer) 9
            ZCARD nothing -> (integer) 0
            ZCOUNT z 1 3 -> (integer) 3
            ZCOUNT z (1 (3 -> (integer) 1
            ZCOUNT z -inf +inf -> (integer) 9
            ZCOUNT z x 1 -> (error) ERR min or max is not a float
            ZCOUNT nothing 0 1 -> (integer) 0
            ZINCRBY z 2 a -> "3"
            ZINCRBY z x a -> (error) ERR value is not a valid float
            ZINCRBY z 1 new -> "1"
            ZINCRBY z nx a -> (error) ERR syntax error
            ZADD z inf a -> (integer) 0
            ZINCRBY z -inf a -> (error) ERR resulting score is not a number (NaN)
            ZREM z a b nope -> (integer) 2
            ZREM nothing a -> (integer) 0
            ZRANGE nothing 0 -1 -> (empty array)
            ZADD negzero -0 m -> (integer) 1
            ZSCORE negzero m -> "0"
            ZADD negzero INCR -0 n -> "-0"
            ZRANGE negzero 0 -1 WITHSCORES -> ["m", "0", "n", "0"]
            ZADD big 1e309 a -> (error) ERR value is not a valid float
            ZRANGEBYSCORE negzero -1e400 1e400 -> ["m", "n"]
            SET str x -> OK
            ZADD str 1 a -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            ZRANGE str 0 -1 -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            ZSCORE str a -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            ZADD s 1 a 2 b -> (integer) 2
            ZADD s CH 1 a -> (integer) 0
            ZADD s GT CH 0 a -> (integer) 0
            ZADD s XX INCR 1 nope -> (nil)
            ZADD s INCR GT -5 a -> (nil)
            ZRANGE s 0 -1 LIMIT 0 1 -> (error) ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX
            ZRANGE s (1 +inf BYSCORE REV LIMIT 0 1 -> (empty array)
            ZRANGE s +inf (1 BYSCORE REV LIMIT 0 1 -> ["b"]
            ZRANGEBYSCORE s (inf +inf -> (empty array)
            ZRANGEBYSCORE s -inf (-inf -> (empty array)
            ZCOUNT s (1 (1 -> (integer) 0
            ZCOUNT s 1 1 -> (integer) 1
            ZADD lex 0 a 0 b 0 c -> (integer) 3
            ZRANGE lex [a [a BYLEX -> ["a"]
            ZRANGE lex (a (a BYLEX -> (empty array)
            ZRANGE lex + - BYLEX -> (empty array)
            ZRANGE lex - + BYLEX LIMIT 1 1 -> ["b"]
            ZRANGE lex [b + BYLEX REV -> (empty array)
            ZRANGE lex + [b BYLEX REV -> ["c", "b"]
            ZRANGE lex - + BYLEX LIMIT 5 1 -> (empty array)
            ZRANGE lex - + BYLEX LIMIT -1 1 -> (empty array)
            ZREVRANGE lex 0 -1 -> ["c", "b", "a"]
            ZRANK lex c -> (integer) 2
            ZREVRANK lex c -> (integer) 0
            SET w x -> OK
            ZINCRBY w 1 a -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            ZCOUNT w 0 1 -> (error) WRONGTYPE Operation against a key holding the wrong kind of value
            ZRANK w a -> (error) WRONGTYPE Operation against a key holding the wrong kind of value"#]],
        );
    }
    #[test]
    fn server() {
        check(
            "server",
            expect![[r#"
            PING -> PONG
            PING hello -> "hello"
            PING a b -> (error) ERR wrong number of arguments for 'ping' command
            ECHO hi -> "hi"
            ECHO -> (error) ERR wrong number of arguments for 'echo' command
            DEBUG SLEEP 0 -> OK
            DEBUG SLEEP -> (error) ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.
            DEBUG nope -> (error) ERR unknown subcommand or wrong number of arguments for 'nope'. Try DEBUG HELP.
            NOSUCHCOMMAND a "b c" -> (error) ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'a' 'b c' 
            NOSUCHCOMMAND 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789 tail -> (error) ERR unknown command 'NOSUCHCOMMAND', with args beginning with: '01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567' 
            NOSUCHCOMMAND 01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456 abcdefgh xyz -> (error) ERR unknown command 'NOSUCHCOMMAND', with args beginning with: '01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456' 'abcdefgh' 'xyz' 
            NOSUCHCOMMAND "line\nbreak" "cr\rhere" -> (error) ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'line break' 'cr here' 
            nosuch -> (error) ERR unknown command 'nosuch', with args beginning with: 
            GeT x -> (nil)
            set -> (error) ERR wrong number of arguments for 'set' command
            set k -> (error) ERR wrong number of arguments for 'set' command
            SET k v extra -> (error) ERR syntax error
            DBSIZE extra -> (error) ERR wrong number of arguments for 'dbsize' command
            PING "" -> ""
            ECHO "\x00\xff" -> "\x00\xff"
            ECHO "" -> """#]],
        );
    }
}
