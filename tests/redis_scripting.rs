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
#[path = "support/script_cases.rs"]
mod script_cases;
#[path = "support/script_gen.rs"]
mod script_gen;

use playground::redis::cli::format_inline;
use playground::redis::script::sha1_hex;
use playground::redis::Store;
use playground::sim::{SimRng, SimTime};
use redis_server::start_server;
use script_cases::CASES;

fn now() -> SimTime {
    use std::time::{SystemTime, UNIX_EPOCH};
    SimTime(SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_millis() as u64)
}

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
