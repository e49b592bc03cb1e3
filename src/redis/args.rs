//! A token cursor over one command's arguments (after the command name), in the manner of
//! mini-redis's `Parse`: handlers take what they expect and `finish` rejects leftovers.

use super::num;
use super::reply::Reply;

/// Error replies shared by many commands, byte-exact with Redis 7.0 (`server.c` shared objects).
pub mod err {
    pub const SYNTAX: &str = "ERR syntax error";
    pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
    pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
    pub const NOT_FLOAT: &str = "ERR value is not a valid float";
    pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
    pub const NO_SUCH_KEY: &str = "ERR no such key";
    pub const OUT_OF_RANGE: &str = "ERR index out of range";
    pub const POSITIVE: &str = "ERR value is out of range, must be positive";
}

/// A command's result: `Err` carries an error reply so handlers can use `?`.
pub type CmdResult = Result<Reply, Reply>;

pub fn error(text: &str) -> Reply {
    Reply::Error(text.to_string())
}

/// The part of an argument C code sees through `char *` (up to the first NUL byte): Redis compares
/// option names with `strcasecmp`, so `"nx\0junk"` is `NX` to it.
pub fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(i) => &arg[..i],
        None => arg,
    }
}

/// `strcasecmp(arg, word) == 0` with `word` in any case.
pub fn is(arg: &[u8], word: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(word.as_bytes())
}

pub struct Args<'a> {
    argv: &'a [Vec<u8>],
    pos: usize,
}

impl<'a> Args<'a> {
    /// A cursor over `argv[1..]` (the command name is not an argument).
    pub fn new(argv: &'a [Vec<u8>]) -> Self {
        Args { argv, pos: 1.min(argv.len()) }
    }

    pub fn remaining(&self) -> usize {
        self.argv.len() - self.pos
    }
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }
    /// All arguments including the command name.
    pub fn argv(&self) -> &'a [Vec<u8>] {
        self.argv
    }

    /// The next argument; a syntax error when there is none (arity is checked before handlers
    /// run, so this only fires for options missing their value).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<&'a [u8], Reply> {
        match self.argv.get(self.pos) {
            Some(a) => {
                self.pos += 1;
                Ok(a)
            }
            None => Err(error(err::SYNTAX)),
        }
    }

    pub fn peek(&self) -> Option<&'a [u8]> {
        self.argv.get(self.pos).map(Vec::as_slice)
    }

    /// Consumes the next argument if it equals `word` case-insensitively.
    pub fn eat(&mut self, word: &str) -> bool {
        match self.peek() {
            Some(a) if is(a, word) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// Everything not consumed yet.
    pub fn rest(&mut self) -> &'a [Vec<u8>] {
        let r = &self.argv[self.pos..];
        self.pos = self.argv.len();
        r
    }

    pub fn next_i64(&mut self) -> Result<i64, Reply> {
        let a = self.next()?;
        num::parse_i64(a).ok_or_else(|| error(err::NOT_INTEGER))
    }

    /// `getPositiveLongFromObjectOrReply`: a non-integer and a negative number both reply `msg`.
    pub fn next_non_negative(&mut self, msg: &str) -> Result<i64, Reply> {
        let a = self.next()?;
        match num::parse_i64(a) {
            Some(v) if v >= 0 => Ok(v),
            _ => Err(error(msg)),
        }
    }

    /// A syntax error if anything is left over.
    pub fn finish(&self) -> Result<(), Reply> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(error(err::SYNTAX))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn cursor_consumes_and_rejects_leftovers() {
        let v = argv(&["SET", "k", "v", "nx", "extra"]);
        let mut a = Args::new(&v);
        assert_eq!(a.next().unwrap(), b"k");
        assert_eq!(a.next().unwrap(), b"v");
        assert!(!a.eat("xx"));
        assert!(a.eat("NX"));
        assert_eq!(a.finish(), Err(error(err::SYNTAX)));
        assert_eq!(a.next().unwrap(), b"extra");
        assert!(a.finish().is_ok());
        assert_eq!(a.next(), Err(error(err::SYNTAX)));
        assert!(is(b"nx\0junk", "NX"));
    }
}
