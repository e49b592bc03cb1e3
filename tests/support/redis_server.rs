//! A real redis-server for differential tests: started on a free loopback port (no persistence,
//! DEBUG enabled), stopped by a Drop guard even when an assertion fails; and a minimal RESP2
//! client. Shared by `tests/redis_differential.rs` and `tests/redis_scripting.rs` (one copy).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use playground::redis::Reply;

pub struct Server {
    child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral loopback port").local_addr().expect("local addr").port()
}

/// Starts a redis-server on a free port and waits until it answers PING. The port is free when
/// chosen but another process (a parallel test's server) may take it before this one binds, and a
/// connection made while the server starts can be reset: so a probe that fails is retried, and a
/// server that exited (it could not bind) is started again on another port.
pub fn start_server() -> Server {
    for _ in 0..5 {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                panic!("redis-server not found: install it (the README test command does)")
            }
            Err(e) => panic!("could not start redis-server: {e}"),
        };
        let mut server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if answers_ping(port) {
                return server;
            }
            if server.child.try_wait().ok().flatten().is_some() {
                break; // it exited: most likely the port was taken; try another
            }
            assert!(Instant::now() < deadline, "redis-server on port {port} did not answer PING within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("redis-server exited at start five times (no free port it could bind?)");
}

/// One PING on a fresh connection; any error (refused, reset, timeout, another reply) is `false`.
fn answers_ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    if s.set_read_timeout(Some(Duration::from_secs(2))).is_err() || s.write_all(b"*1\r\n$4\r\nPING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    s.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

/// A minimal RESP2 client.
pub struct Conn {
    reader: BufReader<TcpStream>,
    pub writer: TcpStream,
}

impl Conn {
    pub fn connect(port: u16) -> std::io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        s.set_nodelay(true)?;
        Ok(Conn { reader: BufReader::new(s.try_clone()?), writer: s })
    }

    pub fn call(&mut self, argv: &[Vec<u8>]) -> Reply {
        let mut out = format!("*{}\r\n", argv.len()).into_bytes();
        for a in argv {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&out).expect("write to redis-server");
        self.read_reply()
    }

    fn line(&mut self) -> Vec<u8> {
        let mut l = Vec::new();
        self.reader.read_until(b'\n', &mut l).expect("read from redis-server");
        assert!(l.ends_with(b"\r\n"), "malformed RESP line {:?}", String::from_utf8_lossy(&l));
        l.truncate(l.len() - 2);
        l
    }

    pub fn read_reply(&mut self) -> Reply {
        let l = self.line();
        let text = String::from_utf8_lossy(&l[1..]).into_owned();
        match l[0] {
            b'+' => Reply::Status(text),
            b'-' => Reply::Error(text),
            b':' => Reply::Integer(text.parse().expect("integer reply")),
            b'$' => {
                let n: i64 = text.parse().expect("bulk length");
                if n < 0 {
                    return Reply::Nil;
                }
                let mut buf = vec![0; n as usize + 2];
                self.reader.read_exact(&mut buf).expect("bulk body");
                buf.truncate(n as usize);
                Reply::Bulk(buf)
            }
            b'*' => {
                let n: i64 = text.parse().expect("array length");
                if n < 0 {
                    return Reply::NilArray;
                }
                Reply::Array((0..n).map(|_| self.read_reply()).collect())
            }
            other => panic!("unexpected RESP type byte {other:?}"),
        }
    }
}
