//! redis-cli in the page: its tokenizer (`sdssplitargs`) and its human reply format.

use super::reply::Reply;

/// One reply on one line (test snapshots): redis-cli's human form with nested arrays inlined.
pub fn format_inline(r: &Reply) -> String {
    match r {
        Reply::Status(s) => s.clone(),
        Reply::Error(e) => format!("(error) {e}"),
        Reply::Integer(i) => format!("(integer) {i}"),
        Reply::Bulk(b) => quote(b),
        Reply::Nil | Reply::NilArray => "(nil)".into(),
        Reply::Array(items) if items.is_empty() => "(empty array)".into(),
        Reply::Array(items) => format!("[{}]", items.iter().map(format_inline).collect::<Vec<_>>().join(", ")),
    }
}

/// `sdscatrepr`: a double-quoted string with `\n \r \t \a \b`, `\\`, `\"` and `\xHH` escapes.
pub fn quote(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 2);
    s.push('"');
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x07 => s.push_str("\\a"),
            0x08 => s.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => s.push(c as char),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}
