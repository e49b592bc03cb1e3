#![cfg(not(target_arch = "wasm32"))]
//! The `redis-model` REPL end to end (through `run_repl` with a fixed clock).

use playground::cli::redis::{run_repl, ReplArgs};
use playground::sim::{SimTime, TEST_EPOCH};

fn repl(input: &str, resp: bool) -> String {
    let args = ReplArgs { resp, seed: 1, playground_limits: false };
    let mut out = Vec::new();
    run_repl(input.as_bytes(), &mut out, &args, || TEST_EPOCH).expect("in-memory I/O cannot fail");
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn repl_prints_like_redis_cli_and_debug_sleep_moves_the_clock() {
    let out = repl(
        "SET greeting \"hello\\nworld\" PX 1500\n\
         GET greeting\n\
         \n\
         RPUSH l a 'b c' \"\\x00\"\n\
         LRANGE l 0 -1\n\
         HSET h f 1\n\
         HGETALL h\n\
         DEBUG SLEEP 1\n\
         PTTL greeting\n\
         DEBUG SLEEP 0.6\n\
         GET greeting\n\
         set k \"unterminated\n\
         ZADD z 1 a\n\
         ZRANGE z 0 -1 WITHSCORES\n\
         LPOP nothing 1\n\
         nosuch a b\n",
        false,
    );
    expect_test::expect![[r#"
        OK
        "hello\nworld"
        (integer) 3
        1) "a"
        2) "b c"
        3) "\x00"
        (integer) 1
        1) "f"
        2) "1"
        OK
        (integer) 500
        OK
        (nil)
        Invalid argument(s)
        (integer) 1
        1) "a"
        2) "1"
        (nil)
        (error) ERR unknown command 'nosuch', with args beginning with: 'a' 'b' 
    "#]]
    .assert_eq(&out);
}

#[test]
fn repl_resp_mode_writes_raw_resp2() {
    assert_eq!(
        repl("PING\nGET x\nRPUSH l a\nLRANGE l 0 -1\nFOO\n", true),
        "+PONG\r\n$-1\r\n:1\r\n*1\r\n$1\r\na\r\n-ERR unknown command 'FOO', with args beginning with: \r\n"
    );
}

#[test]
fn repl_clock_is_the_callers_and_expiry_runs_actively() {
    // The active cycle reclaims keys between commands as the clock moves.
    let mut t = TEST_EPOCH;
    let args = ReplArgs { resp: false, seed: 1, playground_limits: false };
    let mut out = Vec::new();
    let input = "SET a 1 PX 100\nSET b 1 PX 100\nDBSIZE\nDBSIZE\n";
    let mut calls = 0;
    run_repl(input.as_bytes(), &mut out, &args, || {
        calls += 1;
        if calls == 5 {
            t = SimTime(t.0 + 1000);
        }
        t
    })
    .unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "OK\nOK\n(integer) 2\n(integer) 0\n");
}

#[test]
fn repl_serves_one_client_transactions_pubsub_and_blocking() {
    let out = repl(
        "MULTI\n\
         SET k 1\n\
         INCR k\n\
         EXEC\n\
         BLPOP q 1.5\n\
         TIME\n\
         BLPOP q 0\n\
         SUBSCRIBE a b\n\
         GET k\n\
         UNSUBSCRIBE\n\
         QUIT\n\
         GET k\n",
        false,
    );
    expect_test::expect![[r#"
        OK
        QUEUED
        QUEUED
        1) OK
        2) (integer) 2
        (nil)
        1) "1700000001"
        2) "501000"
        (error) ERR playground: BLPOP with timeout 0 would block this connection forever and no other client can serve it here; give a timeout
        Reading messages... (press Ctrl-C to quit)
        1) "subscribe"
        2) "a"
        3) (integer) 1
        1) "subscribe"
        2) "b"
        3) (integer) 2
        (error) ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context
        1) "unsubscribe"
        2) "a"
        3) (integer) 1
        1) "unsubscribe"
        2) "b"
        3) (integer) 0
        OK
    "#]].assert_eq(&out);
}

#[test]
fn repl_resp_mode_writes_every_frame_and_stops_after_quit() {
    let out = repl("SUBSCRIBE a b\nPING\nQUIT\nPING\n", true);
    assert_eq!(
        out,
        "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n+OK\r\n"
    );
}
