//! Which failures are retried, and how long to wait before the next attempt.

use std::time::Duration;

/// How failed requests are retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the second attempt; it doubles with every further one.
    pub base_delay: Duration,
    /// Backoff never exceeds this (before jitter).
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is cut to it, so a hostile proxy cannot stall
    /// the crawl for an hour.
    pub max_retry_after: Duration,
    /// Retry a 2xx whose body could not be read as the expected JSON. Such bodies are
    /// nearly always cut by a proxy or a broken connection, and GET is safe to repeat.
    pub retry_bad_bodies: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            retry_bad_bodies: true,
        }
    }
}

/// Statuses worth another try: timeouts, rate limiting and gateway or server trouble.
/// Any other 4xx is the caller's fault and would fail again.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

impl RetryPolicy {
    /// Whether another attempt is allowed after `attempts` attempts.
    pub fn allows_another(&self, attempts: u32) -> bool {
        attempts < self.max_attempts.max(1)
    }

    /// The wait before the next attempt, after `attempts` failed ones (1-based).
    ///
    /// `Retry-After` wins when the server sent it (capped). Otherwise exponential
    /// backoff with "equal jitter": half the step fixed, half random, so that many
    /// requests failing together do not come back together.
    pub fn delay(&self, attempts: u32, retry_after: Option<Duration>, rng: &mut Rng) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let shift = attempts.saturating_sub(1).min(20);
        let step = self
            .base_delay
            .saturating_mul(1 << shift)
            .min(self.max_delay);
        let half = step / 2;
        half + half.mul_f64(rng.unit())
    }
}

/// A small deterministic generator (SplitMix64) for jitter and request ids: no `rand`
/// dependency, and a seeded crawl retries the same way every time.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        let retried: Vec<u16> = (100..600).filter(|s| is_retryable_status(*s)).collect();
        assert_eq!(retried, [408, 429, 500, 502, 503, 504]);
    }

    #[test]
    fn attempt_cap() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        assert!(policy.allows_another(1));
        assert!(policy.allows_another(2));
        assert!(!policy.allows_another(3));
        let never = RetryPolicy {
            max_attempts: 0,
            ..RetryPolicy::default()
        };
        assert!(!never.allows_another(1));
    }

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        let mut rng = Rng::new(7);
        for (attempts, step) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (30, 1000),
        ] {
            for _ in 0..50 {
                let d = policy.delay(attempts, None, &mut rng);
                let step = Duration::from_millis(step);
                assert!(d >= step / 2 && d <= step, "attempt {attempts}: {d:?}");
            }
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let policy = RetryPolicy::default();
        let mut rng = Rng::new(1);
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(2)), &mut rng),
            Duration::from_secs(2)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600)), &mut rng),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn rng_is_deterministic() {
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        assert_eq!((a.next_u64(), a.next_u64()), (b.next_u64(), b.next_u64()));
        assert!((0.0..1.0).contains(&Rng::new(0).unit()));
    }
}
