//! `redis-cli -c` against the modeled cluster: the prompt names the node the session is
//! connected to; a MOVED or ASK reply prints `-> Redirected to slot [12182] located at
//! 127.0.0.1:7002`, the session moves there (sending ASKING first after an ASK) and reissues the
//! command, as `cliReadReply` / `issueCommandRepeat` do in `src/redis-cli.c`; a killed node answers
//! `Could not connect to Redis at 127.0.0.1:7000: Connection refused` and the prompt becomes
//! `not connected>` until the next command reconnects. `CONNECT <host> <port>` switches nodes.

use super::config::{addr_of, node_at, NodeIdx};
use super::runtime::{ClusterRun, ClusterSim, Ev};
use super::server::ConnState;
use crate::redis::cli::{format_human, tokenize};
use crate::redis::{table, Reply};
use crate::sim::Ctx;

/// Redirects followed for one command before the session gives up (redis-cli follows forever).
pub const MAX_REDIRECTS: usize = 16;
/// The longest line the page's prompt takes (its input's `maxlength`).
pub const MAX_LINE: usize = 4096;

/// What a session talks to: the cluster's nodes as seen from the operator's machine.
pub trait CliTarget {
    fn nodes(&self) -> usize;
    fn alive(&self, node: NodeIdx) -> bool;
    /// One command on `node` (see [`ClusterSim::cli_command`]).
    fn command(&mut self, node: NodeIdx, conn: &mut ConnState, argv: Vec<Vec<u8>>) -> Result<Reply, String>;
}

impl CliTarget for ClusterRun {
    fn nodes(&self) -> usize {
        self.model().nodes()
    }
    fn alive(&self, node: NodeIdx) -> bool {
        self.model().alive[node]
    }
    fn command(&mut self, node: NodeIdx, conn: &mut ConnState, argv: Vec<Vec<u8>>) -> Result<Reply, String> {
        self.cli(node, conn, argv)
    }
}

/// The cluster in the middle of handling an event or an action (a logged redis-cli line).
pub struct InSim<'a, 'b, 'q> {
    pub sim: &'a mut ClusterSim,
    pub ctx: &'b mut Ctx<'q, Ev>,
}

impl CliTarget for InSim<'_, '_, '_> {
    fn nodes(&self) -> usize {
        self.sim.nodes()
    }
    fn alive(&self, node: NodeIdx) -> bool {
        self.sim.alive[node]
    }
    fn command(&mut self, node: NodeIdx, conn: &mut ConnState, argv: Vec<Vec<u8>>) -> Result<Reply, String> {
        self.sim.cli_command(self.ctx, node, conn, argv)
    }
}

/// One line typed at the page's prompt and what it printed (the transcript the model keeps, so
/// rewinding takes it back too).
#[derive(Clone, Debug, PartialEq)]
pub struct CliEntry {
    pub id: u64,
    pub prompt: String,
    pub command: String,
    pub output: String,
}

/// One redis-cli session.
#[derive(Clone, Debug, PartialEq)]
pub struct CliSession {
    /// The node the session talks to.
    pub node: NodeIdx,
    /// False after a refused connection (`not connected>`).
    pub connected: bool,
    conn: ConnState,
}

/// What one line printed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CliOutput {
    pub text: String,
    /// A WAIT (or a write held by a manual failover's pause) is waiting for its answer: read it
    /// later from `ClusterSim::cli_replies`.
    pub pending: bool,
}

impl Default for CliSession {
    fn default() -> Self {
        CliSession::new(0)
    }
}

impl CliSession {
    pub fn new(node: NodeIdx) -> CliSession {
        CliSession { node, connected: true, conn: ConnState::default() }
    }

    /// `127.0.0.1:7000>` or `not connected>`.
    pub fn prompt(&self) -> String {
        if self.connected {
            format!("{}>", addr_of(self.node))
        } else {
            "not connected>".into()
        }
    }

    /// Runs one line typed at the prompt.
    pub fn execute(&mut self, run: &mut impl CliTarget, line: &str) -> CliOutput {
        let argv = match tokenize(line) {
            Ok(a) => a,
            Err(e) => return CliOutput { text: format!("Invalid argument(s): {e}\n"), pending: false },
        };
        let Some(first) = argv.first() else {
            return CliOutput::default();
        };
        let name = String::from_utf8_lossy(first).to_ascii_lowercase();
        if name == "help" || name == "?" {
            let topic = argv.get(1).map(|a| String::from_utf8_lossy(a).to_string()).unwrap_or_default();
            let text = table::help_text(&topic).unwrap_or_else(|| {
                "redis-cli (cluster mode)\nType: \"help <command>\" for help on <command>\n      \"connect <host> <port>\" to talk to another node\n".into()
            });
            return CliOutput { text, pending: false };
        }
        if name == "connect" {
            let (Some(host), Some(port)) = (argv.get(1), argv.get(2)) else {
                return CliOutput { text: "(error) usage: connect <host> <port>\n".into(), pending: false };
            };
            let addr = format!("{}:{}", String::from_utf8_lossy(host), String::from_utf8_lossy(port));
            return match node_at(&addr, run.nodes()) {
                Some(n) => {
                    self.node = n;
                    self.conn = ConnState::default();
                    self.connected = run.alive(n);
                    let text = if self.connected {
                        String::new()
                    } else {
                        format!("Could not connect to Redis at {addr}: Connection refused\n")
                    };
                    CliOutput { text, pending: false }
                }
                None => CliOutput {
                    text: format!("Could not connect to Redis at {addr}: Connection refused\n"),
                    pending: false,
                },
            };
        }
        let mut text = String::new();
        for _ in 0..=MAX_REDIRECTS {
            match run.command(self.node, &mut self.conn, argv.clone()) {
                Err(e) if e.is_empty() => return CliOutput { text, pending: true },
                Err(e) => {
                    self.connected = false;
                    text.push_str(&e);
                    text.push('\n');
                    return CliOutput { text, pending: false };
                }
                Ok(reply) => {
                    self.connected = true;
                    if let Reply::Error(e) = &reply {
                        if let Some((slot, addr, ask)) = redirect(e) {
                            text.push_str(&format!("-> Redirected to slot [{slot}] located at {addr}\n"));
                            match node_at(&addr, run.nodes()) {
                                Some(n) => {
                                    self.node = n;
                                    self.conn = ConnState { asking: ask, ..ConnState::default() };
                                    continue;
                                }
                                None => {
                                    text.push_str(&format!(
                                        "Could not connect to Redis at {addr}: Connection refused\n"
                                    ));
                                    self.connected = false;
                                    return CliOutput { text, pending: false };
                                }
                            }
                        }
                    }
                    text.push_str(&format_human(&reply));
                    return CliOutput { text, pending: false };
                }
            }
        }
        text.push_str(&format!(
            "(error) more than {MAX_REDIRECTS} redirections: the cluster's slot map keeps changing\n"
        ));
        CliOutput { text, pending: false }
    }
}

/// `MOVED <slot> <ip:port>` / `ASK …` → (slot, address, is ASK).
fn redirect(e: &str) -> Option<(u16, String, bool)> {
    let mut parts = e.split(' ');
    let kind = parts.next()?;
    let ask = match kind {
        "MOVED" => false,
        "ASK" => true,
        _ => return None,
    };
    let slot = parts.next()?.parse().ok()?;
    let addr = parts.next()?.to_string();
    Some((slot, addr, ask))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::scenario::{preset, Action};

    fn steady() -> ClusterRun {
        let mut s = preset("steady").unwrap();
        s.workload.read_rate = 0.0;
        s.workload.write_rate = 0.0;
        ClusterRun::new(s, 1).unwrap()
    }

    /// redis-cli -c: "-> Redirected to slot [12182] located at 127.0.0.1:7002" and the prompt
    /// follows the node (`cliReadReply`).
    #[test]
    fn redirects_print_like_redis_cli_and_the_prompt_follows() {
        let mut run = steady();
        run.run_to_ms(500);
        let mut cli = CliSession::new(0);
        assert_eq!(cli.prompt(), "127.0.0.1:7000>");
        let out = cli.execute(&mut run, "SET foo bar");
        assert_eq!(out.text, "-> Redirected to slot [12182] located at 127.0.0.1:7002\nOK\n");
        assert_eq!(cli.prompt(), "127.0.0.1:7002>");
        assert_eq!(cli.execute(&mut run, "GET foo").text, "\"bar\"\n");
        assert_eq!(
            cli.execute(&mut run, "MSET a 1 b 2").text,
            "(error) CROSSSLOT Keys in request don't hash to the same slot\n"
        );
        assert_eq!(cli.execute(&mut run, "CLUSTER KEYSLOT {user1000}.following").text, "(integer) 3443\n");
        run.act(Action::Kill { node: 2 });
        assert_eq!(
            cli.execute(&mut run, "GET foo").text,
            "Could not connect to Redis at 127.0.0.1:7002: Connection refused\n"
        );
        assert_eq!(cli.prompt(), "not connected>");
        assert_eq!(cli.execute(&mut run, "connect 127.0.0.1 7001").text, "");
        assert_eq!(cli.prompt(), "127.0.0.1:7001>");
    }
}
