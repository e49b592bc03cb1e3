//! redis-cli in the page and in `redis-model`: its tokenizer (`sdssplitargs`) and its human reply
//! format (`cliFormatReplyTTY`), byte for byte.

use super::reply::Reply;

/// Why a line could not be split into arguments (redis-cli prints "Invalid argument(s)").
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenizeError {
    #[error("Invalid argument(s): unterminated quotes in {0:?}")]
    UnterminatedQuotes(String),
    #[error("Invalid argument(s): a closing quote must be followed by a space or the end of the line in {0:?}")]
    TextAfterClosingQuote(String),
}

/// C's `isspace` in the C locale.
pub(crate) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// `sdssplitargs`: splits a command line as redis-cli does. `"..."` understands `\n \r \t \b \a`,
/// `\xHH` and `\<any>`; `'...'` understands only `\'`. A quote may open mid-token (`a"b c"` is
/// `ab c`); a closing quote must be followed by a space or the end.
pub fn tokenize(line: &str) -> Result<Vec<Vec<u8>>, TokenizeError> {
    tokenize_bytes(line.as_bytes())
}

/// [`tokenize`] over raw bytes (a stdin line need not be UTF-8). A NUL byte ends the line, as it
/// ends the C string redis-cli splits.
pub fn tokenize_bytes(b: &[u8]) -> Result<Vec<Vec<u8>>, TokenizeError> {
    let b = match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    };
    let line = String::from_utf8_lossy(b);
    let line = line.as_ref();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut out = Vec::new();
    let mut p = 0;
    loop {
        while p < b.len() && is_space(b[p]) {
            p += 1;
        }
        if p >= b.len() {
            return Ok(out);
        }
        let (mut inq, mut insq, mut done) = (false, false, false);
        let mut cur = Vec::new();
        while !done {
            let c = at(p);
            if inq {
                if c == b'\\' && at(p + 1) == b'x' && hex_val(at(p + 2)).is_some() && hex_val(at(p + 3)).is_some() {
                    cur.push(hex_val(at(p + 2)).unwrap_or(0) * 16 + hex_val(at(p + 3)).unwrap_or(0));
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    cur.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        o => o,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return Err(TokenizeError::TextAfterClosingQuote(line.to_string()));
                    }
                    done = true;
                } else if c == 0 {
                    return Err(TokenizeError::UnterminatedQuotes(line.to_string()));
                } else {
                    cur.push(c);
                }
            } else if insq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return Err(TokenizeError::TextAfterClosingQuote(line.to_string()));
                    }
                    done = true;
                } else if c == 0 {
                    return Err(TokenizeError::UnterminatedQuotes(line.to_string()));
                } else {
                    cur.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    o => cur.push(o),
                }
            }
            if at(p) != 0 {
                p += 1;
            }
        }
        out.push(cur);
    }
}

/// redis-cli's human format of one reply, each line ending in `\n`, as it prints on a TTY.
pub fn format_human(r: &Reply) -> String {
    let mut out = String::new();
    format_tty(r, "", &mut out);
    out
}

fn format_tty(r: &Reply, prefix: &str, out: &mut String) {
    match r {
        Reply::Error(e) => {
            out.push_str("(error) ");
            out.push_str(e);
            out.push('\n');
        }
        Reply::Status(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Reply::Integer(i) => out.push_str(&format!("(integer) {i}\n")),
        Reply::Bulk(b) => {
            out.push_str(&quote(b));
            out.push('\n');
        }
        Reply::Nil | Reply::NilArray => out.push_str("(nil)\n"),
        Reply::Array(items) if items.is_empty() => out.push_str("(empty array)\n"),
        Reply::Array(items) => {
            let idxlen = items.len().to_string().len();
            let child_prefix = format!("{prefix}{}", " ".repeat(idxlen + 2));
            for (i, item) in items.iter().enumerate() {
                let p = if i == 0 { "" } else { prefix };
                out.push_str(&format!("{p}{:>idxlen$}) ", i + 1));
                format_tty(item, &child_prefix, out);
            }
        }
    }
}

/// A command line as the user would type it: arguments that need quoting get redis-cli quotes.
pub fn display_argv(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|a| {
            let plain =
                !a.is_empty() && a.iter().all(|&c| c.is_ascii_graphic() && c != b'"' && c != b'\'' && c != b'\\');
            if plain {
                String::from_utf8_lossy(a).into_owned()
            } else {
                quote(a)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether redis-cli prints `argv`'s reply raw (`cliSendCommand`'s `output_raw`: INFO, CLIENT
/// LIST, …), not in its quoted TTY form.
pub fn prints_raw(argv: &[Vec<u8>]) -> bool {
    let is = |i: usize, w: &str| argv.get(i).is_some_and(|a| a.eq_ignore_ascii_case(w.as_bytes()));
    let argc = argv.len();
    is(0, "info")
        || is(0, "lolwut")
        || (argc >= 2 && is(0, "debug") && (is(1, "htstats") || is(1, "htstats-key") || is(1, "client-eviction")))
        || (argc >= 2 && is(0, "memory") && (is(1, "malloc-stats") || is(1, "doctor")))
        || (argc == 2 && is(0, "cluster") && (is(1, "nodes") || is(1, "info")))
        || (argc >= 2 && is(0, "client") && (is(1, "list") || is(1, "info")))
        || (argc == 3 && is(0, "latency") && is(1, "graph"))
        || (argc == 2 && is(0, "latency") && is(1, "doctor"))
        || (argc >= 2 && is(0, "proxy") && is(1, "info"))
}

/// `cliFormatReplyRaw`: strings as they are, integers bare, nil as nothing, array elements one
/// per line; no trailing newline but what the text holds.
pub fn format_raw(r: &Reply) -> String {
    match r {
        Reply::Nil | Reply::NilArray => String::new(),
        Reply::Error(e) => format!("{e}\n"),
        Reply::Status(s) => s.clone(),
        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Reply::Integer(i) => i.to_string(),
        Reply::Array(items) => items.iter().map(format_raw).collect::<Vec<_>>().join("\n"),
    }
}

/// What redis-cli prints for the reply to `argv`: raw for the commands it prints raw, else its
/// TTY form.
pub fn format_for(argv: &[Vec<u8>], r: &Reply) -> String {
    if prints_raw(argv) {
        format_raw(r)
    } else {
        format_human(r)
    }
}

/// One reply on one line (test snapshots): redis-cli's human form with arrays inlined.
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
            0x20..=0x7e => s.push(c as char),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    fn show(line: &str) -> String {
        match tokenize(line) {
            Ok(t) => t.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" "),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn tokenizer_follows_sdssplitargs() {
        let lines = [
            r#"set k v"#,
            r#"  set   "a b"  'c d'  "#,
            r#"set k "line\nbreak\ttab \"q\" \x41\x4a \xZZ \\""#,
            r#"set k 'it\'s' 'back\slash'"#,
            r#"set a"b c"d"#,
            r#"set k "unterminated"#,
            r#"set k "closed"x"#,
            r#"set k """#,
            "",
        ];
        let out: Vec<String> = lines.iter().map(|l| format!("{l:?} => {}", show(l))).collect();
        expect![[r#"
            "set k v" => "set" "k" "v"
            "  set   \"a b\"  'c d'  " => "set" "a b" "c d"
            "set k \"line\\nbreak\\ttab \\\"q\\\" \\x41\\x4a \\xZZ \\\\\"" => "set" "k" "line\nbreak\ttab \"q\" AJ xZZ \\"
            "set k 'it\\'s' 'back\\slash'" => "set" "k" "it's" "back\\slash"
            "set a\"b c\"d" => Invalid argument(s): a closing quote must be followed by a space or the end of the line in "set a\"b c\"d"
            "set k \"unterminated" => Invalid argument(s): unterminated quotes in "set k \"unterminated"
            "set k \"closed\"x" => Invalid argument(s): a closing quote must be followed by a space or the end of the line in "set k \"closed\"x"
            "set k \"\"" => "set" "k" ""
            "" => "#]]
        .assert_eq(&out.join("\n"));
    }

    #[test]
    fn human_format_matches_redis_cli() {
        let r = Reply::Array(vec![
            Reply::bulk("a\x01\"b"),
            Reply::Integer(-3),
            Reply::Nil,
            Reply::Array(vec![Reply::bulk("x"), Reply::Array(vec![])]),
            Reply::Error("ERR bad".into()),
            Reply::Status("OK".into()),
            Reply::bulk("6"),
            Reply::bulk("7"),
            Reply::bulk("8"),
            Reply::bulk("9"),
            Reply::bulk("10"),
        ]);
        expect![[r#"
             1) "a\x01\"b"
             2) (integer) -3
             3) (nil)
             4) 1) "x"
                2) (empty array)
             5) (error) ERR bad
             6) OK
             7) "6"
             8) "7"
             9) "8"
            10) "9"
            11) "10"
        "#]]
        .assert_eq(&format_human(&r));
        assert_eq!(format_human(&Reply::NilArray), "(nil)\n");
        assert_eq!(format_human(&Reply::Array(vec![])), "(empty array)\n");
    }
}
