//! Redis's number parsing and formatting rules (util.c): `string2ll`, `strtod`-style float parsing
//! and `%.17g` score formatting for sorted sets. (INCRBYFLOAT's `long double` arithmetic and
//! "human" formatting live in `longdouble.rs`.)
//!
//! These are what make `INCR " 1"` an error and `INCRBYFLOAT x 1e2` reply `"100"` exactly as Redis
//! does. Pure functions only.

/// `string2ll`: a strict signed 64-bit decimal. No sign other than a leading `-`, no leading zeros
/// (except `"0"` itself), no spaces, at most 20 characters.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// The parse `strtod`/`strtold` does on a whole argument: optional leading whitespace, sign,
/// decimal or hex mantissa, exponent, `inf`/`infinity`/`nan` in any case. Returns `None` when any
/// byte is left over or the input is empty. Leading whitespace is accepted, as strtod accepts it
/// (`zslParseRange` relies on that); [`parse_f64`] adds Redis's `isspace(buf[0])` rejection.
pub fn strtod_full(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    let t = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if t.is_empty() {
        return None;
    }
    let (neg, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    let v = if lower == "inf" || lower == "infinity" {
        f64::INFINITY
    } else if lower == "nan" || (lower.starts_with("nan(") && lower.ends_with(')')) {
        f64::NAN
    } else if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex_float(hex)?
    } else {
        // Rust's f64 parser accepts exactly the C decimal grammar minus a few spellings it adds
        // ("inf"/"nan" handled above; it rejects "1e", "." like strtod's full-consumption check).
        let ok = !lower.is_empty()
            && lower.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'+' | b'-'))
            && lower.bytes().next().is_some_and(|c| c.is_ascii_digit() || c == b'.');
        if !ok {
            return None;
        }
        lower.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.find('p') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int_part, frac_part) = match mant.find('.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int_part.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    if let Some(e) = exp {
        let e: i32 = if e.is_empty() { return None } else { e.parse().ok()? };
        v *= libm::pow(2.0, f64::from(e.clamp(-2000, 2000)));
    }
    Some(v)
}

/// `getDoubleFromObject` (used by ZADD scores, HINCRBYFLOAT increments, ZINCRBY…): strtod over
/// the whole argument, no leading space, NaN rejected.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s[0].is_ascii_whitespace() || s[0] == 0x0b {
        return None;
    }
    let v = strtod_full(s)?;
    if v.is_nan() || out_of_range(s, v) {
        None
    } else {
        Some(v)
    }
}

/// strtod's ERANGE cases Redis rejects: overflow to ±HUGE_VAL from a finite spelling, and
/// underflow to zero from a non-zero mantissa.
fn out_of_range(s: &[u8], v: f64) -> bool {
    let lower = s.to_ascii_lowercase();
    if v.is_infinite() {
        return !lower.windows(3).any(|w| w == b"inf");
    }
    if v == 0.0 {
        let hex = lower.windows(2).any(|w| w == b"0x");
        let body = if hex { &lower[lower.iter().position(|&c| c == b'x').map_or(0, |i| i + 1)..] } else { &lower[..] };
        let mant_end = body.iter().position(|&c| c == if hex { b'p' } else { b'e' }).unwrap_or(body.len());
        return body[..mant_end].iter().any(|c| c.is_ascii_hexdigit() && *c != b'0' && (hex || c.is_ascii_digit()));
    }
    false
}

/// C's `%.Ng` for a finite `v`.
pub fn format_g(v: f64, precision: usize) -> String {
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let p = precision.max(1);
    // Decide between fixed and exponential by the decimal exponent after rounding to p digits.
    let sci = format!("{:.*e}", p - 1, v);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        let mant = trim_fraction_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        trim_fraction_zeros(&format!("{v:.decimals$}")).to_string()
    }
}

fn trim_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// `addReplyDouble` / `d2string` for sorted-set scores: `inf`, `-inf`, integers without a point
/// when exactly representable below 2^53, else `%.17g`.
pub fn format_score(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        format_g(v, 17)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        let cases: Vec<(&str, Option<i64>)> = vec![
            ("0", Some(0)),
            ("-0", None),
            ("01", None),
            ("+1", None),
            (" 1", None),
            ("1 ", None),
            ("", None),
            ("-", None),
            ("9223372036854775807", Some(i64::MAX)),
            ("9223372036854775808", None),
            ("-9223372036854775808", Some(i64::MIN)),
            ("-9223372036854775809", None),
            ("123abc", None),
            ("00000000000000000000001", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_i64(s.as_bytes()), want, "{s:?}");
        }
    }

    #[test]
    fn strtod_rules() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"+1.5"), Some(1.5));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"5."), Some(5.0));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"1 "), None);
        assert_eq!(parse_f64(b"1e"), None);
        assert_eq!(parse_f64(b"."), None);
        assert_eq!(parse_f64(b"abc"), None);
        assert_eq!(parse_f64(b""), None);
        assert_eq!(parse_f64(b"1e400"), None);
        assert_eq!(parse_f64(b"1e-400"), None);
        assert_eq!(parse_f64(b"0e-400"), Some(0.0));
        assert_eq!(parse_f64(b"-0.0"), Some(-0.0));
    }

    #[test]
    fn formats() {
        assert_eq!(format_score(1.0), "1");
        assert_eq!(format_score(1.5), "1.5");
        assert_eq!(format_score(0.1), "0.10000000000000001");
        assert_eq!(format_score(1e20), "1e+20");
        assert_eq!(format_score(-1e-5), "-1.0000000000000001e-05");
        assert_eq!(format_score(f64::INFINITY), "inf");
        assert_eq!(format_score(123456789.0), "123456789");
    }
}
