//! How many requests may be in flight: fixed over HTTP/1.1, adaptive over HTTP/2.
//!
//! A browser opens at most 6 connections per host over HTTP/1.1, so more than 6 in
//! flight only queues in the browser. Over HTTP/2 there is no such cap, and the limit
//! is the Harbor itself: its core and database serve a few requests at once and queue
//! the rest (Harbor has no rate limit of its own). Sending more than it can serve makes
//! every answer later and slows everyone else down; sending fewer wastes it.
//!
//! The [`Limiter`] finds the level in the way of TCP Vegas and Netflix's
//! concurrency-limits: a queue at the server shows as latency above the lowest seen,
//! and Little's law turns that delay into requests waiting there. It starts at the
//! configured value (6), and once answers come over HTTP/2 it adjusts once per window
//! of answers (at least as many as the limit):
//!
//! - Latency is compared within a size class: a page of 100 artifacts with scan
//!   overview costs Harbor far more than a page of 3, so each answer is compared with
//!   the lowest latency seen for bodies of about its size (a class spans 1.41x; the
//!   lowest is that of a moving average, so one lucky answer does not set it).
//! - A queue in front of the server delays every request by about the same time,
//!   whatever its size: the window's median delay times its answers per second is the
//!   number of our requests waiting at the server.
//! - At most [`GROW_BELOW`] waiting, and requests were waiting for the limit: one more
//!   (a quarter more when almost none wait, [`SURGE_BELOW`]), up to the ceiling. The
//!   first answers only measure ([`WARM_UP`]), and a window right after a change, whose
//!   answers were mostly sent under the old limit, only lets a surge through.
//! - More than [`CUT_ABOVE`] waiting: the limit drops by the excess (at least one).
//! - A 429, 503 or 504, or a timeout: the limit halves, once per round trip (answers
//!   to requests sent before the last cut do not cut again), never below the floor.
//!
//! Over HTTP/1.1 (or when the protocol is unknown) the limit stays at its start; an
//! overload still halves it, and it climbs back by one per clean window.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::transport::Protocol;

/// Our requests waiting at the server up to which the limit grows by one.
pub const GROW_BELOW: f64 = 0.5;
/// Waiting requests up to which it grows by a quarter: the server keeps up.
pub const SURGE_BELOW: f64 = 0.25;
/// Waiting requests beyond which the limit drops: the server is behind.
pub const CUT_ABOVE: f64 = 1.25;
/// Answers compared with a lowest before the limit may grow: the first lowest latencies
/// are measured under the starting limit, which may already queue at a small Harbor.
pub const WARM_UP: u64 = 32;
/// Answers in a window at least, so that one window sees requests of several sizes.
pub const MIN_WINDOW: usize = 8;
/// Size classes: bodies from 256 bytes up, each class 1.41 times the one before.
const CLASSES: usize = 48;

/// Bounds of the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitConfig {
    /// Where it starts, and where it stays over HTTP/1.1.
    pub initial: usize,
    /// Never more than this (the user's `max_concurrency`).
    pub ceiling: usize,
    /// Never fewer than this.
    pub floor: usize,
}

impl Default for LimitConfig {
    fn default() -> Self {
        LimitConfig {
            initial: 6,
            ceiling: 32,
            floor: 2,
        }
    }
}

/// What became of one request, as far as load is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    /// An answer (any status but the overload ones), with its body size.
    Answered {
        /// The protocol it came over.
        protocol: Protocol,
        /// Body bytes: the size class it is compared within.
        bytes: usize,
    },
    /// 429, 503 or 504: the server or a proxy in front of it has too much.
    Overloaded {
        /// The protocol it came over.
        protocol: Protocol,
    },
    /// No answer within the timeout.
    TimedOut,
    /// Anything else (a broken connection, a cancel): says nothing about load.
    Other,
}

/// Latencies of answers of one size class.
#[derive(Debug, Clone, Copy, Default)]
struct Class {
    /// Answers seen.
    count: u32,
    /// Moving average of their latency, in seconds.
    average: f64,
    /// The lowest the average has been: "the lowest latency seen" for this size, with
    /// the noise of single answers (scheduling, a slow handler) smoothed out.
    lowest: Option<f64>,
}

impl Class {
    /// Answers averaged before the class has a lowest to compare with.
    const WARM_UP: u32 = 4;
    /// Weight of a new answer in the average.
    const ALPHA: f64 = 0.2;

    /// Adds an answer; returns the lowest average so far once warmed up.
    fn observe(&mut self, latency: f64) -> Option<f64> {
        self.average = if self.count == 0 {
            latency
        } else {
            self.average + Self::ALPHA * (latency - self.average)
        };
        self.count = self.count.saturating_add(1);
        if self.count >= Self::WARM_UP {
            let lowest = self.lowest.map_or(self.average, |l| l.min(self.average));
            self.lowest = Some(lowest);
        }
        self.lowest
    }
}

/// The current window of answers.
#[derive(Debug, Clone, Default)]
struct Window {
    answers: usize,
    /// When the window began (the previous window's last answer).
    start: Option<Duration>,
    /// Delays (latency above the lowest of its size, in seconds) of the window's answers.
    delays: Vec<f64>,
    /// Requests waited for the limit during the window.
    blocked: bool,
}

/// The adaptive concurrency limit. See the module documentation.
#[derive(Debug, Clone)]
pub struct Limiter {
    config: LimitConfig,
    limit: usize,
    adaptive: bool,
    classes: [Class; CLASSES],
    window: Window,
    last_cut: Option<Duration>,
    /// Answers compared with a lowest so far.
    measured: u64,
    /// The limit changed during the window that just began: its answers were mostly
    /// sent under the old one, so it cannot show whether the new one is too high.
    settling: bool,
}

impl Limiter {
    /// A limiter starting at `config.initial`, kept within its floor and ceiling (a
    /// floor above the start is lowered to it: a crawl asked to send one at a time does).
    pub fn new(config: LimitConfig) -> Limiter {
        let floor = config.floor.clamp(1, config.initial.max(1));
        let ceiling = config.ceiling.max(floor);
        let initial = config.initial.clamp(floor, ceiling);
        Limiter {
            config: LimitConfig {
                initial,
                ceiling,
                floor,
            },
            limit: initial,
            adaptive: false,
            classes: [Class::default(); CLASSES],
            window: Window::default(),
            last_cut: None,
            measured: 0,
            settling: false,
        }
    }

    /// Requests allowed in flight now.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Whether answers came over HTTP/2, so the limit adapts.
    pub fn is_adaptive(&self) -> bool {
        self.adaptive
    }

    /// The bounds in force (after clamping).
    pub fn config(&self) -> LimitConfig {
        self.config
    }

    /// A request was ready but the limit held it back: more would have been sent.
    pub fn blocked(&mut self) {
        self.window.blocked = true;
    }

    /// Records what became of a request sent at `sent_at`, now `now`.
    pub fn record(&mut self, sent_at: Duration, now: Duration, sample: Sample) {
        match sample {
            Sample::Answered { protocol, bytes } => {
                self.note_protocol(protocol);
                self.answered(now.saturating_sub(sent_at), bytes, now);
            }
            Sample::Overloaded { protocol } => {
                self.note_protocol(protocol);
                self.overloaded(sent_at, now);
            }
            Sample::TimedOut => self.overloaded(sent_at, now),
            Sample::Other => {}
        }
    }

    fn note_protocol(&mut self, protocol: Protocol) {
        match protocol {
            Protocol::Http2 => self.adaptive = true,
            Protocol::Http1 => {
                self.adaptive = false;
                self.limit = self.limit.min(self.config.initial);
            }
            Protocol::Unknown => {}
        }
    }

    /// Halves the limit, once per round trip: requests already on the wire when the
    /// limit was cut were sent under the old limit and say nothing new.
    fn overloaded(&mut self, sent_at: Duration, now: Duration) {
        if self.last_cut.is_some_and(|cut| sent_at < cut) {
            return;
        }
        self.limit = (self.limit / 2).max(self.config.floor);
        self.last_cut = Some(now);
        self.window = Window::default();
    }

    fn answered(&mut self, latency: Duration, bytes: usize, now: Duration) {
        self.window.answers += 1;
        let start = *self.window.start.get_or_insert(now.saturating_sub(latency));
        let latency = latency.as_secs_f64();
        if let Some(lowest) = self.classes[size_class(bytes)].observe(latency) {
            self.window.delays.push((latency - lowest).max(0.0));
        }
        if self.window.answers < self.limit.max(MIN_WINDOW) {
            return;
        }
        let mut window = std::mem::replace(
            &mut self.window,
            Window {
                start: Some(now),
                ..Window::default()
            },
        );
        if !self.adaptive {
            // Back towards the fixed value after an overload cut it.
            self.limit = (self.limit + 1).min(self.config.initial);
            return;
        }
        self.measured += window.delays.len() as u64;
        // Too few answers of a size seen before: nothing to go by yet.
        if window.delays.len() < MIN_WINDOW / 2 {
            return;
        }
        let span = now.saturating_sub(start).as_secs_f64();
        let Some(delay) = median(&mut window.delays).filter(|_| span > 0.0) else {
            return;
        };
        let waiting = delay * window.answers as f64 / span;
        let settled = !std::mem::replace(&mut self.settling, false);
        let before = self.limit;
        if waiting > CUT_ABOVE {
            let excess = (waiting - CUT_ABOVE).ceil().max(1.0) as usize;
            self.limit = self
                .limit
                .saturating_sub(excess)
                .max(self.limit / 2)
                .max(self.config.floor);
        } else if waiting <= GROW_BELOW
            && window.blocked
            && self.measured >= WARM_UP
            // Right after a change only a server that keeps up completely.
            && (settled || waiting <= SURGE_BELOW)
        {
            let step = if waiting <= SURGE_BELOW {
                (self.limit / 4).max(1)
            } else {
                1
            };
            self.limit = (self.limit + step).min(self.config.ceiling);
        }
        self.settling = self.limit != before;
    }
}

/// The middle value (the lower one of an even count); `None` when empty.
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[(values.len() - 1) / 2])
}

/// The size class of a body: `2 x log2(bytes / 256)`, so a class spans a factor of
/// 1.41 (Harbor's cost, and a page's size, grow with the items on it).
fn size_class(bytes: usize) -> usize {
    let units = (bytes as f64 / 256.0).max(1.0);
    ((2.0 * units.log2()) as usize).min(CLASSES - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    const MS: Duration = Duration::from_millis(1);

    /// A Harbor with `workers` serving in arrival order, `rtt` away, answering pages
    /// whose sizes follow a skewed cycle (many small, a few large), driven by a limiter
    /// on a simulated clock.
    struct Bench {
        workers: usize,
        rtt: Duration,
        /// Service time of a page of `items` items.
        service: fn(u32) -> Duration,
        protocol: Protocol,
    }

    /// What a run saw.
    struct Run {
        /// `(answers so far, limit, in flight)` after every answer.
        trace: Vec<(usize, usize, usize)>,
        elapsed: Duration,
        answers: usize,
        busy: Duration,
    }

    impl Run {
        fn limits_after(&self, answers: usize) -> impl Iterator<Item = usize> + '_ {
            self.trace
                .iter()
                .filter(move |(n, ..)| *n >= answers)
                .map(|(_, limit, _)| *limit)
        }

        fn max_in_flight_after(&self, answers: usize) -> usize {
            self.trace
                .iter()
                .filter(|(n, ..)| *n >= answers)
                .map(|(.., f)| *f)
                .max()
                .unwrap_or(0)
        }

        /// Share of the workers' time spent serving.
        fn utilisation(&self, workers: usize) -> f64 {
            self.busy.as_secs_f64() / (self.elapsed.as_secs_f64() * workers as f64)
        }
    }

    /// Items on the `n`th page: mostly small, every 16th a full page of 100.
    fn items(n: usize) -> u32 {
        match n % 16 {
            0 => 100,
            k if k % 5 == 0 => 40,
            k => (k as u32 * 7) % 11 + 1,
        }
    }

    fn harbor_like(items: u32) -> Duration {
        // The simulator's defaults, scan overview on.
        MS * 10 + Duration::from_micros(5_000) * items
    }

    impl Bench {
        /// `workers` with the simulator's default service times, 25 ms away.
        fn harbor(workers: usize, protocol: Protocol) -> Bench {
            Bench {
                workers,
                rtt: MS * 25,
                service: harbor_like,
                protocol,
            }
        }

        fn run(&self, limiter: &mut Limiter, requests: usize) -> Run {
            let mut free: BinaryHeap<Reverse<Duration>> =
                (0..self.workers).map(|_| Reverse(Duration::ZERO)).collect();
            // Answers due: (time, sent at, items).
            let mut due: BinaryHeap<Reverse<(Duration, Duration, u32)>> = BinaryHeap::new();
            let (mut now, mut sent, mut answers) = (Duration::ZERO, 0, 0);
            let mut busy = Duration::ZERO;
            let mut trace = Vec::new();
            while answers < requests {
                while sent < requests && due.len() < limiter.limit() {
                    let n = items(sent);
                    let arrival = now + self.rtt / 2;
                    let Reverse(worker_free) = free.pop().expect("a worker");
                    let start = arrival.max(worker_free);
                    let cost = (self.service)(n);
                    busy += cost;
                    free.push(Reverse(start + cost));
                    due.push(Reverse((start + cost + self.rtt / 2, now, n)));
                    sent += 1;
                }
                if sent < requests {
                    limiter.blocked();
                }
                let Reverse((at, sent_at, n)) = due.pop().expect("an answer");
                now = at;
                let bytes = 300 + 900 * n as usize;
                let sample = Sample::Answered {
                    protocol: self.protocol,
                    bytes,
                };
                limiter.record(sent_at, now, sample);
                answers += 1;
                trace.push((answers, limiter.limit(), due.len() + 1));
            }
            Run {
                trace,
                elapsed: now,
                answers,
                busy,
            }
        }
    }

    fn limiter() -> Limiter {
        Limiter::new(LimitConfig::default())
    }

    #[test]
    fn rises_to_the_ceiling_on_a_fast_server() {
        let bench = Bench::harbor(1_000, Protocol::Http2);
        let mut limiter = limiter();
        let run = bench.run(&mut limiter, 3_000);
        assert_eq!(run.answers, 3_000);
        assert_eq!(limiter.limit(), 32);
        // Within the first few hundred answers, and it never falls back.
        let reached = run
            .trace
            .iter()
            .find(|(_, l, _)| *l == 32)
            .expect("reached");
        assert!(
            reached.0 < 400,
            "reached the ceiling after {} answers",
            reached.0
        );
        assert!(run.limits_after(reached.0).all(|l| l == 32));
    }

    #[test]
    fn settles_under_a_four_worker_server() {
        let bench = Bench::harbor(4, Protocol::Http2);
        let mut limiter = limiter();
        let run = bench.run(&mut limiter, 4_000);
        // At most twice the workers in flight, from start to end.
        assert!(
            run.max_in_flight_after(0) <= 8,
            "{}",
            run.max_in_flight_after(0)
        );
        assert!(run.limits_after(500).all(|l| (4..=8).contains(&l)));
        // And the workers are kept busy: the limit is not too low either.
        assert!(run.utilisation(4) > 0.9, "{}", run.utilisation(4));
    }

    #[test]
    fn uses_a_sixteen_worker_server() {
        let bench = Bench::harbor(16, Protocol::Http2);
        let mut limiter = limiter();
        let run = bench.run(&mut limiter, 6_000);
        assert!(run.utilisation(16) > 0.85, "{}", run.utilisation(16));
        assert!(run.limits_after(1_000).all(|l| l >= 12));
    }

    #[test]
    fn stays_fixed_over_http1() {
        let bench = Bench::harbor(1_000, Protocol::Http1);
        let mut limiter = limiter();
        let run = bench.run(&mut limiter, 1_000);
        assert!(run.limits_after(0).all(|l| l == 6));
        assert!(!limiter.is_adaptive());
    }

    #[test]
    fn halves_on_overload_once_per_round_trip() {
        let mut limiter = Limiter::new(LimitConfig {
            initial: 20,
            ..LimitConfig::default()
        });
        let overloaded = Sample::Overloaded {
            protocol: Protocol::Http2,
        };
        limiter.record(MS * 10, MS * 100, overloaded);
        assert_eq!(limiter.limit(), 10);
        // Sent before the cut: already counted.
        limiter.record(MS * 50, MS * 110, overloaded);
        limiter.record(MS * 99, MS * 120, Sample::TimedOut);
        assert_eq!(limiter.limit(), 10);
        // Sent after it: the server is still overloaded.
        limiter.record(MS * 101, MS * 200, Sample::TimedOut);
        assert_eq!(limiter.limit(), 5);
        for i in 0..10 {
            limiter.record(MS * (300 + i * 100), MS * (350 + i * 100), overloaded);
        }
        assert_eq!(limiter.limit(), 2, "never below the floor");
        limiter.record(MS * 2_000, MS * 2_001, Sample::Other);
        assert_eq!(limiter.limit(), 2);
    }

    #[test]
    fn a_429_over_http1_lowers_the_limit_and_clean_windows_restore_it() {
        let mut limiter = limiter();
        limiter.record(
            Duration::ZERO,
            MS * 30,
            Sample::Overloaded {
                protocol: Protocol::Http1,
            },
        );
        assert_eq!(limiter.limit(), 3);
        let fine = Sample::Answered {
            protocol: Protocol::Http1,
            bytes: 2_000,
        };
        for i in 0..100 {
            limiter.record(MS * (40 + i), MS * (80 + i), fine);
        }
        assert_eq!(limiter.limit(), 6, "back to the fixed value, not beyond");
    }

    #[test]
    fn never_passes_the_ceiling_nor_the_floor() {
        let config = LimitConfig {
            initial: 6,
            ceiling: 12,
            floor: 3,
        };
        let mut limiter = Limiter::new(config);
        let mut seed = 7u64;
        let mut now = Duration::ZERO;
        for _ in 0..20_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let r = seed >> 33;
            now += MS;
            let latency = MS * (20 + (r % 300) as u32);
            let sample = match r % 50 {
                0 => Sample::Overloaded {
                    protocol: Protocol::Http2,
                },
                1 => Sample::TimedOut,
                _ => Sample::Answered {
                    protocol: Protocol::Http2,
                    bytes: (r % 40_000) as usize,
                },
            };
            if r % 3 == 1 {
                limiter.blocked();
            }
            limiter.record(now.saturating_sub(latency), now, sample);
            assert!((3..=12).contains(&limiter.limit()), "{}", limiter.limit());
        }
        let odd = Limiter::new(LimitConfig {
            initial: 100,
            ceiling: 0,
            floor: 0,
        });
        assert_eq!(odd.limit(), 1);
        assert_eq!(odd.config().ceiling, 1);
        let one = Limiter::new(LimitConfig {
            initial: 1,
            ..LimitConfig::default()
        });
        assert_eq!((one.limit(), one.config().floor), (1, 1));
    }

    #[test]
    fn size_classes_grow_by_a_square_root_of_two() {
        assert_eq!(size_class(0), 0);
        assert_eq!(size_class(361), 0);
        assert_eq!(size_class(363), 1);
        assert_eq!(size_class(512), 2);
        assert_eq!(size_class(1_024), 4);
        assert_eq!(size_class(usize::MAX), CLASSES - 1);
    }
}
