//! A tiny deterministic PRNG (splitmix64) and stable hashing.
//!
//! Everything the simulator invents (digests, times, sizes, fault verdicts, jitter) comes
//! from here, so the same seed always gives the same Harbor, byte for byte.

/// One splitmix64 step: advances `state` and returns a well-mixed 64-bit value.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes two values into one hash; order matters.
pub fn mix(a: u64, b: u64) -> u64 {
    let mut s = a ^ b.rotate_left(29).wrapping_mul(0xA24B_AED4_963E_E407);
    splitmix64(&mut s)
}

/// A stable hash of a string (FNV-1a, then mixed), independent of Rust's `Hasher` seeds.
pub fn hash_str(seed: u64, s: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    mix(seed, h)
}

/// Maps a hash to a fraction in `[0, 1)`.
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// A seeded random stream.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A stream for `seed`; distinct seeds give unrelated streams.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        splitmix64(&mut self.0)
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// A value in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        unit(self.next_u64()) < p
    }

    /// Picks one item of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Lower-case hex of `n` 64-bit words drawn from `seed` (a sha256-looking string when n=4).
pub fn hex_words(seed: u64, n: usize) -> String {
    let mut s = seed;
    let mut out = String::with_capacity(n * 16);
    for _ in 0..n {
        out.push_str(&format!("{:016x}", splitmix64(&mut s)));
    }
    out
}

/// A UUID-shaped string (8-4-4-4-12 hex) made from `seed`.
pub fn uuid_like(seed: u64) -> String {
    let h = hex_words(seed, 2);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic() {
        let a: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn uuid_shape() {
        let u = uuid_like(1);
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
    }
}
