//! Hand-written edge cases per command family, as redis-cli scripts (one command per line, `#`
//! comments). The differential test runs them on a real redis-server and the model; the unit
//! tests snapshot the model's replies. Plain data: nothing here executes anything.

/// (family, script)
pub static TABLES: &[(&str, &str)] = &[
    ("strings", r#"
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
"#),
    ("keys", r#"
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
"#),
    ("lists", r#"
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
"#),
    ("sets", r#"
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
"#),
    ("hashes", r#"
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
"#),
    ("zsets", r#"
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
SET str x
ZADD str 1 a
ZRANGE str 0 -1
ZSCORE str a
"#),
    ("server", r#"
PING
PING hello
PING a b
ECHO hi
ECHO
DEBUG SLEEP 0
DEBUG SLEEP
DEBUG nope
NOSUCHCOMMAND a "b c"
nosuch
GeT x
set
set k
SET k v extra
DBSIZE extra
"#),
];

/// The commands of a table script: non-empty lines that are not `#` comments.
pub fn lines(script: &str) -> impl Iterator<Item = &str> {
    script.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}
