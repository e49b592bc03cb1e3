//! Redis's glob matcher (`stringmatchlen` in util.c, 7.0 with its nesting guard), quirks included:
//! `[a-]` ranges, `\` escapes inside and outside classes, an unterminated `[` matching literally
//! up to the end, signed-char range comparisons, and the early exit for longer `*` matches.

/// Whether `string` matches `pattern` (KEYS, SCAN MATCH). `nocase` folds ASCII case.
pub fn matches(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, 0, string, 0, nocase, &mut skip_longer, 0)
}

/// The byte at `i`, or NUL past the end: C reads the sds terminator there.
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

fn lower(c: u8) -> u8 {
    c.to_ascii_lowercase()
}

fn match_impl(
    pat: &[u8],
    mut p: usize,
    s: &[u8],
    mut si: usize,
    nocase: bool,
    skip_longer: &mut bool,
    nesting: u32,
) -> bool {
    if nesting > 1000 {
        return false;
    }
    let mut plen = pat.len() as isize - p as isize;
    let mut slen = s.len() as isize - si as isize;
    while plen > 0 && slen > 0 {
        match at(pat, p) {
            b'*' => {
                while plen > 0 && at(pat, p + 1) == b'*' {
                    p += 1;
                    plen -= 1;
                }
                if plen == 1 {
                    return true;
                }
                while slen > 0 {
                    if match_impl(&pat[..(p as isize + plen) as usize], p + 1, s, si, nocase, skip_longer, nesting + 1)
                    {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                    slen -= 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => {
                si += 1;
                slen -= 1;
            }
            b'[' => {
                p += 1;
                plen -= 1;
                let not = at(pat, p) == b'^';
                if not {
                    p += 1;
                    plen -= 1;
                }
                let mut matched = false;
                let c = at(s, si);
                loop {
                    if at(pat, p) == b'\\' && plen >= 2 {
                        p += 1;
                        plen -= 1;
                        if at(pat, p) == c {
                            matched = true;
                        }
                    } else if at(pat, p) == b']' {
                        break;
                    } else if plen == 0 {
                        p -= 1;
                        plen += 1;
                        break;
                    } else if plen >= 3 && at(pat, p + 1) == b'-' {
                        // `char` is signed on the platforms Redis ships on.
                        let (mut start, mut end, mut ch) =
                            (at(pat, p) as i8 as i32, at(pat, p + 2) as i8 as i32, c as i8 as i32);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = lower(start as u8) as i8 as i32;
                            end = lower(end as u8) as i8 as i32;
                            ch = lower(ch as u8) as i8 as i32;
                        }
                        p += 2;
                        plen -= 2;
                        if ch >= start && ch <= end {
                            matched = true;
                        }
                    } else if (!nocase && at(pat, p) == c) || (nocase && lower(at(pat, p)) == lower(c)) {
                        matched = true;
                    }
                    p += 1;
                    plen -= 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                si += 1;
                slen -= 1;
            }
            first => {
                let mut pc = first;
                if first == b'\\' && plen >= 2 {
                    p += 1;
                    plen -= 1;
                    pc = at(pat, p);
                }
                let c = at(s, si);
                if (!nocase && pc != c) || (nocase && lower(pc) != lower(c)) {
                    return false;
                }
                si += 1;
                slen -= 1;
            }
        }
        p += 1;
        plen -= 1;
        if slen == 0 {
            while at(pat, p) == b'*' && plen > 0 {
                p += 1;
                plen -= 1;
            }
            break;
        }
    }
    plen == 0 && slen == 0
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn redis_glob_rules() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "anything", true),
            // C's loop never runs for an empty string, so a lone `*` does not match it (KEYS `*`
            // and SCAN without MATCH bypass the matcher; a real server lists the key "" for those).
            ("*", "", false),
            ("", "", true),
            ("h?llo", "hello", true),
            ("h?llo", "hllo", false),
            ("h*llo", "heeeello", true),
            ("h[ae]llo", "hallo", true),
            ("h[ae]llo", "hillo", false),
            ("h[^e]llo", "hallo", true),
            ("h[^e]llo", "hello", false),
            ("h[a-b]llo", "hbllo", true),
            ("h[b-a]llo", "hallo", true),
            ("h\\*llo", "h*llo", true),
            ("h\\*llo", "hello", false),
            ("user:*", "user:1", true),
            ("user:*", "use", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("[abc", "a", true),
            ("[abc", "abc", false),
            ("a[", "a[", false),
            ("a\\", "a\\", true),
            ("**", "x", true),
            ("a**", "a", true),
            ("[\\]]", "]", true),
            ("[a-]", "-", false),
            ("[a-]", "]", true),
            ("[a-]", "a", true),
            ("?*", "", false),
        ];
        for (p, s, want) in cases {
            assert_eq!(matches(p.as_bytes(), s.as_bytes(), false), *want, "pattern {p:?} string {s:?}");
        }
        assert!(matches(b"HeLLo", b"hello", true));
    }
}
