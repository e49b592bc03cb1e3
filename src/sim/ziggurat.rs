//! A fast, exact standard-normal sampler for hot simulation loops: Marsaglia and Tsang's ziggurat
//! with 256 layers, drawing from an injected [`SimRng`]. Its tables are computed with `libm`, so
//! a seed gives the same samples on every platform. Pure: no clock, no entropy.
//!
//! Used by the backoff contention experiment, whose network hops are |Normal(10 ms, 2 ms)|; the
//! kernel's own `Distribution::AbsNormal` stays on Box–Muller (one sample per event is cheap).

use super::SimRng;

/// Marsaglia and Tsang's ziggurat for the standard normal (256 layers), the method `rand_distr`
/// uses: exact, and about one `u64` draw and a table look-up per sample — the network delay is the
/// sweep's hottest path, and Box–Muller's logarithm and cosine per sample cost most of its time.
/// The tables are computed once with `libm` (pure Rust), so they are identical on every platform.
pub struct Ziggurat {
    /// Layer edges, widest first: x[0] = V / f(R), x[1] = R, …, x[256] = 0.
    x: [f64; 257],
    /// f(x[i]) = exp(-x[i]² / 2).
    f: [f64; 257],
}

/// The rightmost layer's edge and every layer's area for 256 layers (Marsaglia & Tsang, 2000).
pub const ZIG_R: f64 = 3.654_152_885_361_009;
const ZIG_V: f64 = 0.004_928_673_233_99;

fn zig_pdf(x: f64) -> f64 {
    libm::exp(-x * x / 2.0)
}

impl Ziggurat {
    fn build() -> Ziggurat {
        let mut x = [0.0; 257];
        let mut f = [0.0; 257];
        x[0] = ZIG_V / zig_pdf(ZIG_R);
        x[1] = ZIG_R;
        for i in 1..255 {
            x[i + 1] = libm::sqrt(-2.0 * libm::log(ZIG_V / x[i] + zig_pdf(x[i])));
        }
        x[256] = 0.0;
        for i in 0..257 {
            f[i] = zig_pdf(x[i]);
        }
        Ziggurat { x, f }
    }

    /// The tables, built once per process.
    pub fn get() -> &'static Ziggurat {
        static TABLES: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
        TABLES.get_or_init(Ziggurat::build)
    }

    /// A uniform in (0, 1] from the top 52 bits of `bits`.
    #[inline]
    fn open_closed01(bits: u64) -> f64 {
        ((bits >> 12) + 1) as f64 * (1.0 / (1u64 << 52) as f64)
    }

    /// One standard normal sample.
    #[inline(always)]
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        loop {
            let bits = rng.next_u64();
            let i = (bits & 0xff) as usize;
            // A symmetric uniform in (-1, 1] from bits 12..64 (independent of the layer's bits).
            let u = 2.0 * Ziggurat::open_closed01(bits) - 1.0;
            let x = u * self.x[i];
            if libm::fabs(x) < self.x[i + 1] {
                return x;
            }
            if i == 0 {
                // The tail beyond R (Marsaglia 1964).
                loop {
                    let a = libm::log(Ziggurat::open_closed01(rng.next_u64())) / ZIG_R;
                    let b = libm::log(Ziggurat::open_closed01(rng.next_u64()));
                    if -2.0 * b >= a * a {
                        return if u < 0.0 { a - ZIG_R } else { ZIG_R - a };
                    }
                }
            }
            if self.f[i + 1] + (self.f[i] - self.f[i + 1]) * rng.unit_f64() < zig_pdf(x) {
                return x;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ziggurat_normal_has_the_right_moments_and_tails() {
        let z = Ziggurat::get();
        assert!(z.x[255] > 0.0 && z.x[255] < 0.3, "the layers must close near 0: {}", z.x[255]);
        let mut r = SimRng::new(17);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| z.sample(&mut r)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.015, "variance {var}");
        let beyond = |t: f64| xs.iter().filter(|x| x.abs() > t).count() as f64 / n as f64;
        assert!((beyond(1.0) - 0.3173).abs() < 0.005, "P(|z|>1) {}", beyond(1.0));
        assert!((beyond(2.0) - 0.0455).abs() < 0.002, "P(|z|>2) {}", beyond(2.0));
        assert!(xs.iter().any(|x| x.abs() > ZIG_R), "the tail beyond R is reachable");
    }

    #[test]
    fn same_seed_same_samples() {
        let z = Ziggurat::get();
        let (mut a, mut b) = (SimRng::new(3), SimRng::new(3));
        let xs: Vec<f64> = (0..1000).map(|_| z.sample(&mut a)).collect();
        let ys: Vec<f64> = (0..1000).map(|_| z.sample(&mut b)).collect();
        assert_eq!(xs, ys);
    }
}
