//! Server commands (server.c, debug.c): PING, ECHO, DBSIZE, FLUSHDB, INFO, DEBUG SLEEP.

use crate::redis::args::{Args, CmdResult};
use crate::redis::reply::Reply;
use crate::redis::store::Store;

pub fn ping(_s: &mut Store, a: &mut Args) -> CmdResult {
    match a.remaining() {
        0 => Ok(Reply::Status("PONG".into())),
        1 => Ok(Reply::bulk(a.next()?.to_vec())),
        _ => Err(Reply::Error("ERR wrong number of arguments for 'ping' command".into())),
    }
}
