//! Redis's `redisLrand48` / `redisSrand48` (`rand.c`): the 48-bit linear congruential generator
//! behind a script's `math.random`, so a script draws the same numbers on every platform, and the
//! same ones a real server draws after the same calls.

const MASK: u64 = (1 << 48) - 1;
const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
/// `X0 X1 X2` of `rand.c`: the state before any `randomseed`.
const INITIAL: u64 = 0x1234_ABCD_330E;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rand48 {
    x: u64,
}

impl Default for Rand48 {
    fn default() -> Self {
        Rand48 { x: INITIAL }
    }
}

impl Rand48 {
    /// `redisSrand48(seed)`: the seed's 32 bits above the fixed low word `0x330E`.
    pub fn seed(&mut self, seed: i32) {
        self.x = (u64::from(seed as u32) << 16) | 0x330E;
    }

    /// `redisLrand48()`: the next 31-bit value.
    pub fn next_i32(&mut self) -> i32 {
        self.x = (A.wrapping_mul(self.x).wrapping_add(C)) & MASK;
        (self.x >> 17) as i32
    }

    /// `(redisLrand48() % REDIS_LRAND48_MAX) / REDIS_LRAND48_MAX`: a double in [0, 1).
    pub fn next_unit(&mut self) -> f64 {
        f64::from(self.next_i32() % i32::MAX) / f64::from(i32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::Rand48;

    #[test]
    fn matches_the_lrand48_sequence() {
        // rand.c's initial state, then srand48(42) (glibc's lrand48 gives the same seeded triple).
        let mut r = Rand48::default();
        let first: Vec<i32> = (0..3).map(|_| r.next_i32()).collect();
        assert_eq!(first, vec![851401618, 1804928587, 758783491]);
        r.seed(42);
        let seeded: Vec<i32> = (0..3).map(|_| r.next_i32()).collect();
        assert_eq!(seeded, vec![1598855263, 735945821, 238553827]);
    }
}
