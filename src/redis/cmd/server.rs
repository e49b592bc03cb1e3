//! Server and connection commands (server.c, debug.c): PING, ECHO, INFO, DEBUG SLEEP.

use crate::redis::args::{c_str, is, Args, CmdResult};
use crate::redis::reply::Reply;
use crate::redis::store::Store;
use crate::sim::SimDuration;

pub fn ping(s: &mut Store, a: &mut Args) -> CmdResult {
    if a.remaining() <= 1 && s.current_client().is_some_and(|c| c.is_subscribed()) {
        // A subscribed RESP2 connection gets a push-shaped pong.
        let msg = if a.is_empty() { Vec::new() } else { a.next()?.to_vec() };
        return Ok(Reply::Array(vec![Reply::bulk("pong"), Reply::bulk(msg)]));
    }
    match a.remaining() {
        0 => Ok(Reply::Status("PONG".into())),
        1 => Ok(Reply::bulk(a.next()?.to_vec())),
        _ => Err(Reply::Error("ERR wrong number of arguments for 'ping' command".into())),
    }
}

pub fn echo(_s: &mut Store, a: &mut Args) -> CmdResult {
    Ok(Reply::bulk(a.next()?.to_vec()))
}

/// The version INFO reports: the Redis release whose behaviour the model reproduces.
pub const MODELED_VERSION: &str = "7.0.15";

/// INFO's sections the model has, in Redis's order.
const SECTIONS: [&str; 5] = ["server", "clients", "memory", "stats", "keyspace"];

/// `INFO [section ...]`: `server`, `memory`, `stats` and `keyspace` (also `default`, `all`,
/// `everything`); an unknown section contributes nothing, as in Redis.
pub fn info(s: &mut Store, a: &mut Args) -> CmdResult {
    let asked = a.rest();
    let mut wanted = [false; SECTIONS.len()];
    if asked.is_empty() {
        wanted = [true; SECTIONS.len()];
    }
    for sec in asked {
        if is(sec, "default") || is(sec, "all") || is(sec, "everything") {
            wanted = [true; SECTIONS.len()];
        }
        for (i, name) in SECTIONS.iter().enumerate() {
            if is(sec, name) {
                wanted[i] = true;
            }
        }
    }
    let mut out = String::new();
    let mut first = true;
    for (i, name) in SECTIONS.iter().enumerate() {
        if !wanted[i] {
            continue;
        }
        if !first {
            out.push_str("\r\n");
        }
        first = false;
        out.push_str(&section(s, name));
    }
    Ok(Reply::bulk(out))
}

fn section(s: &Store, name: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    match name {
        "server" => {
            let uptime_ms = s.now_ms.saturating_sub(s.started_ms.unwrap_or(s.now_ms)).max(0);
            lines.push("# Server".into());
            lines.push(format!("redis_version:{MODELED_VERSION}"));
            lines.push("redis_mode:standalone".into());
            lines.push("executable:ds-playground (modeled)".into());
            lines.push("process_id:1".into());
            lines.push("tcp_port:6379".into());
            lines.push(format!("server_time_usec:{}", s.now_ms.saturating_mul(1000)));
            lines.push(format!("uptime_in_seconds:{}", uptime_ms / 1000));
            lines.push(format!("uptime_in_days:{}", uptime_ms / 86_400_000));
            lines.push(format!("hz:{}", s.config_int("hz")));
            lines.push(format!("clock_offset_ms:{}", s.clock_offset.as_millis()));
        }
        "clients" => {
            lines.push("# Clients".into());
            lines.push(format!("connected_clients:{}", s.clients().count()));
            lines.push("cluster_connections:0".into());
            lines.push("maxclients:10000".into());
            lines.push(format!("blocked_clients:{}", s.srv.blocking.blocked_count()));
            lines.push("tracking_clients:0".into());
            lines.push(format!("clients_in_timeout_table:{}", s.srv.blocking.timeout_table_len()));
        }
        "memory" => {
            // The memory model's figures (redis::memory): keys and values as jemalloc would
            // hold them, on top of an empty server's baseline.
            let used = s.used_memory();
            let peak = s.evict.peak.max(used);
            let startup = crate::redis::memory::BASELINE_USED_MEMORY;
            let max = s.maxmemory();
            lines.push("# Memory".into());
            lines.push(format!("used_memory:{used}"));
            lines.push(format!("used_memory_human:{}", human_bytes(used)));
            lines.push(format!("used_memory_peak:{peak}"));
            lines.push(format!("used_memory_peak_human:{}", human_bytes(peak)));
            lines.push(format!("used_memory_peak_perc:{:.2}%", used as f64 * 100.0 / peak as f64));
            lines.push(format!("used_memory_startup:{startup}"));
            lines.push(format!("used_memory_dataset:{}", used.saturating_sub(startup)));
            lines.push(format!("maxmemory:{max}"));
            lines.push(format!("maxmemory_human:{}", human_bytes(max)));
            lines.push(format!("maxmemory_policy:{}", s.policy().name()));
            lines.push(format!("playground_max_keys:{}", s.limits.max_keys));
        }
        "stats" => {
            let st = &s.stats;
            lines.push("# Stats".into());
            lines.push(format!("total_connections_received:{}", s.srv.counters.total_connections_received));
            lines.push(format!("total_commands_processed:{}", st.total_commands_processed));
            lines.push(format!("expired_keys:{}", st.expired_keys));
            // The active-expire cycle's own figures (redis::expire; its CPU time is modeled).
            let ae = &s.active_expire;
            lines.push(format!("expired_stale_perc:{:.2}", ae.stale_fraction * 100.0));
            lines.push(format!("expired_time_cap_reached_count:{}", ae.time_cap_reached));
            lines.push(format!("expire_cycle_cpu_milliseconds:{}", ae.cycle_time_used_us / 1000));
            lines.push(format!("evicted_keys:{}", st.evicted_keys));
            lines.push(format!("keyspace_hits:{}", st.keyspace_hits));
            lines.push(format!("keyspace_misses:{}", st.keyspace_misses));
            lines.push(format!("pubsub_channels:{}", s.srv.pubsub.channels.len()));
            lines.push(format!("pubsub_patterns:{}", s.srv.pubsub.patterns.len()));
            lines.push(format!("pubsubshard_channels:{}", s.srv.pubsub.shard_channels.len()));
            lines.push(format!("active_expire_cycles:{}", st.active_expire_cycles));
        }
        _ => {
            lines.push("# Keyspace".into());
            for i in 0..s.database_count() {
                let (keys, expires) = s.db_view(i);
                if !keys.is_empty() {
                    let avg = crate::redis::store::avg_ttl_ms(expires, s.now_ms);
                    lines.push(format!("db{i}:keys={},expires={},avg_ttl={avg}", keys.len(), expires.len()));
                }
            }
        }
    }
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    text
}

/// `bytesToHuman`: INFO's `*_human` fields (`1B`, `1.50K`, `2.00M`).
pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n < 1024.0 {
        format!("{}B", n as u64)
    } else if n < 1024.0 * 1024.0 {
        format!("{:.2}K", n / 1024.0)
    } else if n < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", n / (1024.0 * 1024.0))
    } else {
        format!("{:.2}G", n / (1024.0 * 1024.0 * 1024.0))
    }
}

/// `DEBUG SLEEP <seconds>`: the seconds are read with C `strtod` and no error checking (so `abc`
/// is 0), as debug.c does; instead of blocking, the store's clock jumps forward by that much.
/// Other DEBUG subcommands are not modeled and reply Redis's unknown-subcommand error.
pub fn debug(s: &mut Store, a: &mut Args) -> CmdResult {
    let sub = a.next()?;
    if is(sub, "sleep") && a.remaining() == 1 {
        let secs = strtod_prefix(c_str(a.next()?));
        let micros = secs * 1_000_000.0;
        let ms = if micros.is_nan() || micros <= 0.0 { 0 } else { (micros.min(9.2e18) as u64) / 1000 };
        s.clock_offset = s.clock_offset.saturating_add(SimDuration::from_millis(ms));
        return Ok(Reply::ok());
    }
    let name = String::from_utf8_lossy(&c_str(sub)[..c_str(sub).len().min(128)]).into_owned();
    Err(Reply::Error(format!("ERR unknown subcommand or wrong number of arguments for '{name}'. Try DEBUG HELP.")))
}

/// C `strtod` on the longest valid prefix (0 when there is none).
fn strtod_prefix(s: &[u8]) -> f64 {
    for end in (1..=s.len()).rev() {
        if let Some(v) = crate::redis::num::strtod_full(&s[..end]) {
            return v;
        }
    }
    0.0
}
