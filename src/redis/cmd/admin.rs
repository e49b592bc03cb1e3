//! Server administration (config.c, server.c, replication.c): CONFIG GET / SET / RESETSTAT /
//! REWRITE / HELP, TIME from the virtual clock, and WAIT on a server without replicas.

use crate::redis::args::{err, error, Args, CmdResult};
use crate::redis::blocking::BlockedOp;
use crate::redis::object::{self, TimeoutUnit};
use crate::redis::reply::Reply;
use crate::redis::store::{Stats, Store};

/// `TIME`: the store clock as Unix seconds and microseconds (the model's clock has millisecond
/// resolution, so the microseconds are whole milliseconds).
pub fn time(s: &mut Store, _a: &mut Args) -> CmdResult {
    let ms = s.now_ms.max(0);
    Ok(Reply::Array(vec![Reply::bulk((ms / 1000).to_string()), Reply::bulk(((ms % 1000) * 1000).to_string())]))
}

/// `waitCommand` with no replicas: the acknowledgement count is always 0. `WAIT 0 …` answers at
/// once, as does any WAIT inside MULTI; otherwise the client blocks until its timeout (forever
/// with timeout 0) and then replies 0.
pub fn wait(s: &mut Store, a: &mut Args) -> CmdResult {
    let numreplicas = object::get_long_long(a.next()?, None)?;
    let deadline = object::get_timeout(a.next()?, TimeoutUnit::Milliseconds, s.now_ms)?;
    let acked = 0;
    if acked >= numreplicas || s.current_client().is_some_and(|c| c.flags.multi) {
        return Ok(Reply::Integer(acked));
    }
    s.block_client(BlockedOp::Wait, &[], deadline as u64);
    Ok(Reply::Integer(acked))
}

pub fn config_get(s: &mut Store, a: &mut Args) -> CmdResult {
    let patterns = &a.argv()[2..];
    let mut out = Vec::new();
    for (name, value) in s.config_get(patterns) {
        out.push(Reply::bulk(name));
        out.push(Reply::bulk(value));
    }
    Ok(Reply::Array(out))
}

pub fn config_set(s: &mut Store, a: &mut Args) -> CmdResult {
    let argv = a.argv();
    if argv.len() % 2 == 1 {
        return Err(error(err::SYNTAX));
    }
    let pairs: Vec<(&[u8], &[u8])> = argv[2..].chunks(2).map(|p| (p[0].as_slice(), p[1].as_slice())).collect();
    s.config_set(&pairs).map_err(Reply::Error)?;
    Ok(Reply::ok())
}

/// `resetServerStats`: the INFO counters start again from zero.
pub fn config_resetstat(s: &mut Store, _a: &mut Args) -> CmdResult {
    s.stats = Stats::default();
    s.srv.counters = Default::default();
    Ok(Reply::ok())
}

pub fn config_rewrite(_s: &mut Store, _a: &mut Args) -> CmdResult {
    Err(error("ERR The server is running without a config file"))
}

pub fn config_help(_s: &mut Store, a: &mut Args) -> CmdResult {
    Ok(super::connection::help_reply(
        &a.argv()[0],
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use crate::redis::server::run_clients;
    use expect_test::expect;

    #[test]
    fn config_get_matches_globs_and_set_replies_redis_errors() {
        expect![[r#"
            A: CONFIG GET h? -> ["hz", "10"]
            A: CONFIG GET HZ -> ["HZ", "10"]
            A: CONFIG GET maxmemory -> ["maxmemory", "0"]
            A: CONFIG SET hz 1000 -> OK
            A: CONFIG GET hz -> ["hz", "500"]
            A: CONFIG SET hz x -> (error) ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer
            A: CONFIG SET databases 4 -> (error) ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config
            A: CONFIG SET nosuch 1 -> (error) ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'
            A: CONFIG SET hz 1 hz 2 -> (error) ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter
            A: CONFIG FOO -> (error) ERR unknown subcommand 'FOO'. Try CONFIG HELP.
            A: CONFIG GET -> (error) ERR wrong number of arguments for 'config|get' command
            A: TIME -> ["1700000000", "0"]
        "#]]
        .assert_eq(&run_clients(
            "A: CONFIG GET h?\nA: CONFIG GET HZ\nA: CONFIG GET maxmemory\nA: CONFIG SET hz 1000\nA: CONFIG GET hz
             A: CONFIG SET hz x\nA: CONFIG SET databases 4\nA: CONFIG SET nosuch 1\nA: CONFIG SET hz 1 hz 2
             A: CONFIG FOO\nA: CONFIG GET\nA: TIME",
        ));
    }
}
