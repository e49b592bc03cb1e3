//! Redis's `get…FromObjectOrReply` family (object.c, timeout.c): how a command turns one argument
//! into a number, and the exact error each failure replies. Pure functions over bytes.
//!
//! `msg` is the command's own error text (without the `ERR ` prefix) where Redis passes one, and
//! `None` where it passes `NULL` and falls back to the generic text.

use super::longdouble::LongDouble;
use super::num;
use super::reply::Reply;

fn err(text: &str) -> Reply {
    Reply::Error(format!("ERR {text}"))
}

/// `getLongLongFromObjectOrReply` (and `getLongFromObjectOrReply`: `long` is 64-bit here).
pub fn get_long_long(arg: &[u8], msg: Option<&str>) -> Result<i64, Reply> {
    num::parse_i64(arg).ok_or_else(|| err(msg.unwrap_or("value is not an integer or out of range")))
}

/// `getRangeLongFromObjectOrReply`.
pub fn get_range_long(arg: &[u8], min: i64, max: i64, msg: Option<&str>) -> Result<i64, Reply> {
    let v = get_long_long(arg, msg)?;
    if v < min || v > max {
        return Err(match msg {
            Some(m) => err(m),
            None => err(&format!("value is out of range, value must between {min} and {max}")),
        });
    }
    Ok(v)
}

/// `getPositiveLongFromObjectOrReply` (zero included, as in Redis).
pub fn get_positive_long(arg: &[u8], msg: Option<&str>) -> Result<i64, Reply> {
    get_range_long(arg, 0, i64::MAX, Some(msg.unwrap_or("value is out of range, must be positive")))
}

/// `getIntFromObjectOrReply`: a C `int`.
pub fn get_int(arg: &[u8], msg: Option<&str>) -> Result<i32, Reply> {
    get_range_long(arg, i64::from(i32::MIN), i64::from(i32::MAX), msg).map(|v| v as i32)
}

/// The unit of a blocking command's timeout argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutUnit {
    /// BLPOP & co.: a float number of seconds, rounded up to the millisecond.
    Seconds,
    /// WAIT, CLIENT PAUSE: an integer number of milliseconds.
    Milliseconds,
}

/// `getTimeoutFromObjectOrReply`: the absolute deadline in store-clock ms (0 = block forever), as
/// Redis computes it at `now_ms`. Seconds are parsed as a `long double`, multiplied by 1000 and
/// rounded up (`ceill`), then converted the way x86-64 converts an out-of-range `long double`
/// (to `LLONG_MIN`, hence "timeout is negative" for `1e30` or `inf`); the addition of `now`
/// wraps like the C arithmetic it mirrors.
pub fn get_timeout(arg: &[u8], unit: TimeoutUnit, now_ms: i64) -> Result<i64, Reply> {
    let tval = match unit {
        TimeoutUnit::Seconds => {
            let v = LongDouble::parse(arg).ok_or_else(|| err("timeout is not a float or out of range"))?;
            ceil_millis(v)
        }
        TimeoutUnit::Milliseconds => {
            num::parse_i64(arg).ok_or_else(|| err("timeout is not an integer or out of range"))?
        }
    };
    if tval < 0 {
        return Err(err("timeout is negative"));
    }
    Ok(if tval > 0 { tval.wrapping_add(now_ms) } else { 0 })
}

/// `(long long) ceill(v * 1000.0)` on x86-64: the product is rounded to the 64-bit mantissa
/// (round half to even), then rounded up to an integer; NaN, infinities and values outside
/// `i64` become `i64::MIN` (the x87 "integer indefinite").
fn ceil_millis(v: LongDouble) -> i64 {
    let LongDouble::Finite { neg, mant, exp } = v else {
        return i64::MIN;
    };
    if mant == 0 {
        return 0;
    }
    // mant × 1000 needs at most 74 bits; keep the top 64 (the x87 product's precision).
    let prod = u128::from(mant) * 1000;
    let bits = 128 - prod.leading_zeros();
    let drop = bits.saturating_sub(64);
    let mut m = prod >> drop;
    let rem = prod & ((1u128 << drop) - 1);
    let half = if drop == 0 { 0 } else { 1u128 << (drop - 1) };
    if drop > 0 && (rem > half || (rem == half && m & 1 == 1)) {
        m += 1;
    }
    // value = ±m × 2^(exp + drop)
    let e = i64::from(exp) + i64::from(drop);
    // Integer part and whether a fraction remains.
    let (int, frac) = if e >= 0 {
        if e > 70 {
            return i64::MIN;
        }
        match m.checked_shl(e as u32) {
            Some(x) if x >> e == m => (x, false),
            _ => return i64::MIN,
        }
    } else if e <= -128 {
        (0, true)
    } else {
        let sh = (-e) as u32;
        (m >> sh, m & ((1u128 << sh) - 1) != 0)
    };
    // ceil: toward +inf.
    let signed: i128 = if neg { -(int as i128) } else { int as i128 + i128::from(frac) };
    i64::try_from(signed).unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(arg: &str) -> String {
        match get_timeout(arg.as_bytes(), TimeoutUnit::Seconds, 1_000) {
            Ok(v) => v.to_string(),
            Err(Reply::Error(e)) => e,
            Err(other) => format!("{other:?}"),
        }
    }

    #[test]
    fn timeouts_parse_and_round_like_redis() {
        assert_eq!(t("0"), "0");
        assert_eq!(t("1"), "2000");
        assert_eq!(t("0.1"), "1100");
        assert_eq!(t("0.0001"), "1001", "ceil to the next millisecond");
        assert_eq!(t("1.5"), "2500");
        assert_eq!(t("-0"), "0");
        assert_eq!(t("-0.0001"), "0", "ceil of a tiny negative is -0: blocks forever");
        assert_eq!(t("-1"), "ERR timeout is negative");
        assert_eq!(t("inf"), "ERR timeout is negative");
        assert_eq!(t("1e30"), "ERR timeout is negative");
        assert_eq!(t("abc"), "ERR timeout is not a float or out of range");
        assert_eq!(t(""), "ERR timeout is not a float or out of range");
        assert_eq!(t(" 1"), "ERR timeout is not a float or out of range");
        assert_eq!(
            get_timeout(b"1.5", TimeoutUnit::Milliseconds, 0),
            Err(err("timeout is not an integer or out of range"))
        );
        assert_eq!(get_timeout(b"-1", TimeoutUnit::Milliseconds, 0), Err(err("timeout is negative")));
        assert_eq!(get_timeout(b"250", TimeoutUnit::Milliseconds, 10), Ok(260));
    }

    #[test]
    fn integer_arguments_reply_redis_errors() {
        assert_eq!(
            get_int(b"2147483648", None),
            Err(err("value is out of range, value must between -2147483648 and 2147483647"))
        );
        assert_eq!(get_int(b"x", Some("invalid first DB index")), Err(err("invalid first DB index")));
        assert_eq!(get_positive_long(b"-1", None), Err(err("value is out of range, must be positive")));
        assert_eq!(
            get_range_long(b"0", 1, i64::MAX, Some("numkeys should be greater than 0")),
            Err(err("numkeys should be greater than 0"))
        );
    }
}
