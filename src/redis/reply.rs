//! Replies as RESP2 has them. An error is a reply (`Reply::Error`), not a Rust error.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// `+OK\r\n`
    Status(String),
    /// `-ERR …\r\n`: the full text including its prefix (`ERR`, `WRONGTYPE`, …).
    Error(String),
    /// `:42\r\n`
    Integer(i64),
    /// `$3\r\nfoo\r\n`
    Bulk(Vec<u8>),
    /// `$-1\r\n`
    Nil,
    /// `*2\r\n…`
    Array(Vec<Reply>),
    /// `*-1\r\n`
    NilArray,
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Status("OK".into())
    }
    pub fn error(text: impl Into<String>) -> Reply {
        Reply::Error(text.into())
    }
    pub fn bulk(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply::Bulk(bytes.into())
    }
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// The RESP2 wire encoding.
    pub fn to_resp(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_resp(&mut out);
        out
    }

    pub fn write_resp(&self, out: &mut Vec<u8>) {
        match self {
            Reply::Status(s) => {
                out.push(b'+');
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Reply::Error(s) => {
                out.push(b'-');
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Reply::Integer(i) => out.extend_from_slice(format!(":{i}\r\n").as_bytes()),
            Reply::Bulk(b) => {
                out.extend_from_slice(format!("${}\r\n", b.len()).as_bytes());
                out.extend_from_slice(b);
                out.extend_from_slice(b"\r\n");
            }
            Reply::Nil => out.extend_from_slice(b"$-1\r\n"),
            Reply::Array(items) => {
                out.extend_from_slice(format!("*{}\r\n", items.len()).as_bytes());
                for i in items {
                    i.write_resp(out);
                }
            }
            Reply::NilArray => out.extend_from_slice(b"*-1\r\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Reply;

    #[test]
    fn encodes_resp2() {
        let r =
            Reply::Array(vec![Reply::ok(), Reply::Integer(-3), Reply::bulk("hi"), Reply::Nil, Reply::error("ERR x")]);
        assert_eq!(r.to_resp(), b"*5\r\n+OK\r\n:-3\r\n$2\r\nhi\r\n$-1\r\n-ERR x\r\n".to_vec());
        assert_eq!(Reply::NilArray.to_resp(), b"*-1\r\n".to_vec());
    }
}
