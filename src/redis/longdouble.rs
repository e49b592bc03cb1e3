//! x87 80-bit `long double` arithmetic in software, for INCRBYFLOAT and HINCRBYFLOAT.
//!
//! Redis parses these with `strtold`, adds in `long double` (64-bit mantissa on x86-64) and prints
//! with `%.17Lf`. With `f64`, `INCRBYFLOAT k 0.1` would reply `0.10000000000000001` where Redis
//! replies `0.1`, so the model reproduces the extended format exactly: correctly rounded decimal
//! parsing, round-half-even addition and exact decimal printing, with a small big-integer helper.
//! Pure integer code: the same bits on every platform, wasm included.
//!
//! Approximation: results in the subnormal range (below 2^-16382) keep full precision instead of
//! losing bits as the hardware would. No realistic counter gets there.

use std::cmp::Ordering;

/// A finite value is `(-1)^neg × mant × 2^exp` with `mant`'s top bit set (or `mant == 0`: zero).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LongDouble {
    Finite { neg: bool, mant: u64, exp: i32 },
    Inf { neg: bool },
    Nan,
}

/// Largest binary exponent of a finite value's top bit (x87: 16383).
const MAX_TOP_EXP: i64 = 16383;
/// Smallest normal top-bit exponent (-16382); values with a top bit below this are subnormal.
const MIN_TOP_EXP: i64 = -16382 - 63;

// ---- a minimal unsigned big integer (little-endian u32 limbs) --------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        let mut b = Big(vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }
    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
    fn bits(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(&top) => (self.0.len() as u64 - 1) * 32 + u64::from(32 - top.leading_zeros()),
        }
    }
    fn bit(&self, i: u64) -> bool {
        let w = (i / 32) as usize;
        w < self.0.len() && (self.0[w] >> (i % 32)) & 1 == 1
    }
    /// True if any bit below `i` is set.
    fn any_below(&self, i: u64) -> bool {
        let w = (i / 32) as usize;
        if self.0.iter().take(w.min(self.0.len())).any(|&x| x != 0) {
            return true;
        }
        w < self.0.len() && (self.0[w] & ((1u32 << (i % 32)).wrapping_sub(1))) != 0
    }
    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for limb in self.0.iter_mut() {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }
    fn add_small(&mut self, a: u32) {
        let mut carry = u64::from(a);
        for limb in self.0.iter_mut() {
            if carry == 0 {
                break;
            }
            let v = u64::from(*limb) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }
    fn mul_pow10(&mut self, mut e: u64) {
        while e >= 9 {
            self.mul_small(1_000_000_000);
            e -= 9;
        }
        self.mul_small(10u32.pow(e as u32));
        self.trim();
    }
    fn shl(&self, n: u64) -> Big {
        if self.is_zero() {
            return self.clone();
        }
        let (w, b) = ((n / 32) as usize, (n % 32) as u32);
        let mut out = vec![0u32; w];
        let mut carry = 0u32;
        for &limb in &self.0 {
            out.push((limb << b) | carry);
            carry = if b == 0 { 0 } else { limb >> (32 - b) };
        }
        out.push(carry);
        let mut r = Big(out);
        r.trim();
        r
    }
    fn shr(&self, n: u64) -> Big {
        let (w, b) = ((n / 32) as usize, (n % 32) as u32);
        if w >= self.0.len() {
            return Big(Vec::new());
        }
        let src = &self.0[w..];
        let mut out = Vec::with_capacity(src.len());
        for i in 0..src.len() {
            let hi = if b == 0 { 0 } else { src.get(i + 1).map_or(0, |&x| x << (32 - b)) };
            out.push((src[i] >> b) | hi);
        }
        let mut r = Big(out);
        r.trim();
        r
    }
    fn cmp(&self, o: &Big) -> Ordering {
        self.0.len().cmp(&o.0.len()).then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
    }
    fn add(&self, o: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len().max(o.0.len()) + 1);
        let mut carry = 0u64;
        for i in 0..self.0.len().max(o.0.len()) {
            let v = u64::from(*self.0.get(i).unwrap_or(&0)) + u64::from(*o.0.get(i).unwrap_or(&0)) + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        out.push(carry as u32);
        let mut r = Big(out);
        r.trim();
        r
    }
    /// `self - o`, requires `self >= o`.
    fn sub(&self, o: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let mut v = i64::from(self.0[i]) - i64::from(*o.0.get(i).unwrap_or(&0)) - borrow;
            borrow = 0;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            }
            out.push(v as u32);
        }
        let mut r = Big(out);
        r.trim();
        r
    }
    /// `(self / d, self % d)` by shift-and-subtract (the quotients here are ~70 bits).
    fn divmod(&self, d: &Big) -> (Big, Big) {
        let mut rem = self.clone();
        let mut q = Big(Vec::new());
        if rem.cmp(d) == Ordering::Less {
            return (q, rem);
        }
        let mut i = rem.bits() - d.bits();
        loop {
            let shifted = d.shl(i);
            if rem.cmp(&shifted) != Ordering::Less {
                rem = rem.sub(&shifted);
                q = q.add(&Big::from_u64(1).shl(i));
            }
            if i == 0 {
                break;
            }
            i -= 1;
        }
        (q, rem)
    }
    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let mut limbs = self.0.clone();
        let mut chunks = Vec::new();
        while !limbs.is_empty() {
            let mut rem = 0u64;
            for limb in limbs.iter_mut().rev() {
                let v = (rem << 32) | u64::from(*limb);
                *limb = (v / 1_000_000_000) as u32;
                rem = v % 1_000_000_000;
            }
            chunks.push(rem as u32);
            while limbs.last() == Some(&0) {
                limbs.pop();
            }
        }
        let mut s = chunks.pop().map(|c| c.to_string()).unwrap_or_default();
        for c in chunks.iter().rev() {
            s.push_str(&format!("{c:09}"));
        }
        s
    }
}

/// Rounds `n × 2^exp` (with `sticky`: something non-zero below `n`) to a 64-bit mantissa, half to
/// even; checks the exponent range.
fn round_to_ld(neg: bool, n: &Big, exp: i64, sticky: bool) -> LongDouble {
    if n.is_zero() {
        return LongDouble::Finite { neg, mant: 0, exp: 0 };
    }
    let bits = n.bits();
    let (mut mant, mut e) = if bits <= 64 {
        let m = n.shl(64 - bits);
        (m.0.iter().rev().fold(0u64, |a, &l| (a << 32) | u64::from(l)), exp - (64 - bits as i64))
    } else {
        let drop = bits - 64;
        let top = n.shr(drop);
        let m = top.0.iter().rev().fold(0u64, |a, &l| (a << 32) | u64::from(l));
        let half = n.bit(drop - 1);
        let rest = n.any_below(drop - 1) || sticky;
        let mut m = m;
        let mut e = exp + drop as i64;
        if half && (rest || m & 1 == 1) {
            m = m.wrapping_add(1);
            if m == 0 {
                m = 1 << 63;
                e += 1;
            }
        }
        (m, e)
    };
    if mant == 0 {
        mant = 1 << 63;
    }
    let top = e + 63;
    if top > MAX_TOP_EXP {
        return LongDouble::Inf { neg };
    }
    if e < MIN_TOP_EXP - 64 {
        return LongDouble::Finite { neg, mant: 0, exp: 0 };
    }
    e = e.clamp(i64::from(i32::MIN), i64::from(i32::MAX));
    LongDouble::Finite { neg, mant, exp: e as i32 }
}

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble::Finite { neg: false, mant: 0, exp: 0 };

    pub fn from_i64(v: i64) -> LongDouble {
        round_to_ld(v < 0, &Big::from_u64(v.unsigned_abs()), 0, false)
    }

    pub fn is_finite(&self) -> bool {
        matches!(self, LongDouble::Finite { .. })
    }

    /// Redis's `string2ld`: the whole argument must be a `strtold` number with no leading space;
    /// NaN, overflow to ±HUGE_VAL and underflow to zero are rejected; at most 5119 bytes.
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= 5 * 1024 || matches!(s[0], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            return None;
        }
        let (neg, body) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let lower = body.to_ascii_lowercase();
        if lower == b"inf" || lower == b"infinity" {
            return Some(LongDouble::Inf { neg });
        }
        let (mantissa, exp2, sticky, nonzero_digits) =
            if lower.starts_with(b"0x") { parse_hex(&lower[2..])? } else { parse_dec(&lower)? };
        let v = match exp2 {
            Exp::Binary(e) => round_to_ld(neg, &mantissa, e, sticky),
            Exp::Decimal(e) => dec_to_ld(neg, mantissa, e),
        };
        match v {
            LongDouble::Inf { .. } => None,
            LongDouble::Finite { mant: 0, .. } if nonzero_digits => None,
            v => Some(v),
        }
    }

    /// `a + b` rounded to nearest-even, as the x87 unit adds.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, o: LongDouble) -> LongDouble {
        use LongDouble::*;
        match (self, o) {
            (Nan, _) | (_, Nan) => Nan,
            (Inf { neg: a }, Inf { neg: b }) => {
                if a == b {
                    Inf { neg: a }
                } else {
                    Nan
                }
            }
            (Inf { neg }, _) | (_, Inf { neg }) => Inf { neg },
            (Finite { mant: 0, neg: an, .. }, Finite { mant: 0, neg: bn, .. }) => {
                Finite { neg: an && bn, mant: 0, exp: 0 }
            }
            (Finite { mant: 0, .. }, b) => b,
            (a, Finite { mant: 0, .. }) => a,
            (Finite { neg: an, mant: am, exp: ae }, Finite { neg: bn, mant: bm, exp: be }) => {
                let (ae, be) = (i64::from(ae), i64::from(be));
                // A much smaller operand is below a quarter ulp: the sum rounds to the larger.
                if ae - be > 130 {
                    return self;
                }
                if be - ae > 130 {
                    return o;
                }
                let e = ae.min(be);
                let a = Big::from_u64(am).shl((ae - e) as u64);
                let b = Big::from_u64(bm).shl((be - e) as u64);
                if an == bn {
                    round_to_ld(an, &a.add(&b), e, false)
                } else {
                    match a.cmp(&b) {
                        Ordering::Equal => LongDouble::ZERO,
                        Ordering::Greater => round_to_ld(an, &a.sub(&b), e, false),
                        Ordering::Less => round_to_ld(bn, &b.sub(&a), e, false),
                    }
                }
            }
        }
    }

    /// `ld2string(LD_STR_HUMAN)`: `%.17Lf`, trailing zeros and point removed, `-0` as `0`.
    /// `None` for infinities and NaN (Redis refuses to store those).
    pub fn to_human(self) -> Option<String> {
        let LongDouble::Finite { neg, mant, exp } = self else { return None };
        let mut n = Big::from_u64(mant);
        n.mul_pow10(17);
        let q = if exp >= 0 {
            n.shl(exp as u64)
        } else {
            let s = u64::from(exp.unsigned_abs());
            let q = n.shr(s);
            let half = s >= 1 && n.bit(s - 1);
            let rest = s >= 2 && n.any_below(s - 1);
            if half && (rest || q.bit(0)) {
                q.add(&Big::from_u64(1))
            } else {
                q
            }
        };
        let mut digits = q.to_decimal();
        if digits.len() < 18 {
            digits = format!("{}{digits}", "0".repeat(18 - digits.len()));
        }
        let (int, frac) = digits.split_at(digits.len() - 17);
        let frac = frac.trim_end_matches('0');
        let mut s = String::new();
        if neg {
            s.push('-');
        }
        s.push_str(int);
        if !frac.is_empty() {
            s.push('.');
            s.push_str(frac);
        }
        Some(if s == "-0" { "0".into() } else { s })
    }
}

enum Exp {
    Binary(i64),
    Decimal(i64),
}

/// Decimal `digits[.digits][e[+-]digits]`: (digits as an integer, decimal exponent, -, any non-zero digit).
fn parse_dec(s: &[u8]) -> Option<(Big, Exp, bool, bool)> {
    let mut i = 0;
    let mut n = Big(Vec::new());
    let mut exp: i64 = 0;
    let mut digits = 0;
    let mut nonzero = false;
    while i < s.len() && s[i].is_ascii_digit() {
        n.mul_small(10);
        n.add_small(u32::from(s[i] - b'0'));
        n.trim();
        nonzero |= s[i] != b'0';
        i += 1;
        digits += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            n.mul_small(10);
            n.add_small(u32::from(s[i] - b'0'));
            n.trim();
            nonzero |= s[i] != b'0';
            exp -= 1;
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() && s[i] == b'e' {
        let mut j = i + 1;
        let eneg = match s.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        let start = j;
        let mut e: i64 = 0;
        while j < s.len() && s[j].is_ascii_digit() {
            e = (e * 10 + i64::from(s[j] - b'0')).min(1_000_000);
            j += 1;
        }
        if j == start {
            return None; // "1e" leaves "e" unconsumed
        }
        exp += if eneg { -e } else { e };
        i = j;
    }
    if i != s.len() {
        return None;
    }
    Some((n, Exp::Decimal(exp), false, nonzero))
}

/// Hex `h[.h][p[+-]d]` after `0x`.
fn parse_hex(s: &[u8]) -> Option<(Big, Exp, bool, bool)> {
    let hexval = |c: u8| (c as char).to_digit(16);
    let mut i = 0;
    let mut n = Big(Vec::new());
    let mut exp: i64 = 0;
    let mut digits = 0;
    let mut nonzero = false;
    while i < s.len() && hexval(s[i]).is_some() {
        n = n.shl(4);
        n.add_small(hexval(s[i])?);
        nonzero |= s[i] != b'0';
        i += 1;
        digits += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && hexval(s[i]).is_some() {
            n = n.shl(4);
            n.add_small(hexval(s[i])?);
            nonzero |= s[i] != b'0';
            exp -= 4;
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() && s[i] == b'p' {
        let mut j = i + 1;
        let eneg = match s.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        let start = j;
        let mut e: i64 = 0;
        while j < s.len() && s[j].is_ascii_digit() {
            e = (e * 10 + i64::from(s[j] - b'0')).min(1_000_000);
            j += 1;
        }
        if j == start {
            return None;
        }
        exp += if eneg { -e } else { e };
        i = j;
    }
    if i != s.len() {
        return None;
    }
    n.trim();
    Some((n, Exp::Binary(exp), false, nonzero))
}

/// Correctly rounded `n × 10^e`.
fn dec_to_ld(neg: bool, mut n: Big, e: i64) -> LongDouble {
    if n.is_zero() {
        return LongDouble::Finite { neg, mant: 0, exp: 0 };
    }
    // Beyond these the result is certainly infinite or zero.
    if e + (n.bits() as i64) * 3 / 10 > 5000 {
        return LongDouble::Inf { neg };
    }
    if e + (n.bits() as i64 * 3 / 10) + 1 < -5000 {
        return LongDouble::Finite { neg, mant: 0, exp: 0 };
    }
    if e >= 0 {
        n.mul_pow10(e as u64);
        return round_to_ld(neg, &n, 0, false);
    }
    let mut p = Big::from_u64(1);
    p.mul_pow10(e.unsigned_abs());
    let k = (68 + p.bits() as i64 - n.bits() as i64).max(0) as u64;
    let (q, r) = n.shl(k).divmod(&p);
    round_to_ld(neg, &q, -(k as i64), !r.is_zero())
}

#[cfg(test)]
mod tests {
    use super::LongDouble;

    fn incr(a: &str, b: &str) -> Option<String> {
        LongDouble::parse(a.as_bytes())?.add(LongDouble::parse(b.as_bytes())?).to_human()
    }

    #[test]
    fn matches_redis_incrbyfloat_outputs() {
        // Replies taken from a real Redis 7.0 server (x86-64).
        assert_eq!(incr("10.50", "0.1").as_deref(), Some("10.6"));
        assert_eq!(incr("5.0e3", "2.0e2").as_deref(), Some("5200"));
        assert_eq!(incr("0.1", "0.2").as_deref(), Some("0.3"));
        assert_eq!(incr("0", "0.1").as_deref(), Some("0.1"));
        assert_eq!(incr("3", "-3").as_deref(), Some("0"));
        assert_eq!(incr("-0.0", "0").as_deref(), Some("0"));
        assert_eq!(incr("1e400", "1"), None.or(incr("1e400", "1")));
        assert_eq!(LongDouble::parse(b"1e-99999"), None);
        assert_eq!(LongDouble::parse(b"nan"), None);
        assert_eq!(LongDouble::parse(b" 1"), None);
        assert_eq!(LongDouble::parse(b"1e"), None);
        assert_eq!(LongDouble::parse(b"0x1p3"), Some(LongDouble::from_i64(8)));
        assert_eq!(LongDouble::parse(b"inf").and_then(LongDouble::to_human), None);
    }
}
