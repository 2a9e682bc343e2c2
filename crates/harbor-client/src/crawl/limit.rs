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
//! configured value (6), and once answers come over HTTP/2 it decides once per window:
//! as many answers as the limit (at least [`MIN_WINDOW`]) to requests sent under the
//! current limit, and more until half of [`MIN_WINDOW`] of them have a lowest to be
//! compared with. Answers to requests sent before the last change still count for the
//! lowest latencies and for the pace of answers, but not towards the window: they
//! cannot show what the new limit does. Which requests those are, the order of sending
//! tells ([`Limiter::sent`] hands out tickets), not their times: an answer is timed by
//! its arrival, and requests sent while it waited to be handled came after it.
//!
//! - Latency is compared within a size class: a page of 100 artifacts with scan
//!   overview costs Harbor far more than a page of 3, so each answer is compared with
//!   the lowest latency seen for bodies of about its size (a class spans 1.41x; the
//!   lowest is that of a moving average, so one lucky answer does not set it). The
//!   answer that makes a size's lowest is not compared with it: it would show no
//!   delay whatever queue it met.
//! - A queue in front of the server delays every request that arrives while it lasts,
//!   whatever its size: the window's mean delay times its answers per second is the
//!   number of our requests waiting at the server (Little's law). The slowest eighth
//!   of the delays is left out (a slow handler, a lost packet), no more: when a few
//!   requests too many go out at once, only those few wait, and a median would not
//!   see them.
//! - First a slow start, as in TCP: while at most [`SURGE_BELOW`] wait, the limit
//!   doubles after each window in which requests waited for it, up to the ceiling
//!   (6, 12, 24, 32: three windows of about a round trip each). A slow-start window is
//!   the burst the last doubling let out at once, not the whole limit: the rest goes
//!   out only as older requests come back, a round trip later. The first window with
//!   more waiting ends it: the limit falls to itself less those waiting (what the last
//!   doubling added beyond what the server serves), but not below the last level whose
//!   window saw no queue. A doubling past a small Harbor overloads it for that window.
//! - Then one step per window. At most [`GROW_BELOW`] waiting in this window and the
//!   one before, and requests waited for the limit: one more (a quarter more when at
//!   most [`SURGE_BELOW`] wait), up to the ceiling. More than [`CUT_ABOVE`] waiting in
//!   this window: the limit drops by the excess (at least one, at most half). At a
//!   small Harbor the queue comes and goes with the large pages a few workers serve,
//!   and a window of a handful of answers can miss it; two in a row rarely do.
//! - Each of these thresholds is at least a share of the limit ([`NOISE`] for a
//!   doubling or a surge, twice that to grow, four times to cut): on a busy machine
//!   every answer is a little late, and the pace of answers, which grows with the
//!   limit, turns that lateness into requests that seem to wait.
//! - A 429, 503 or 504, or a timeout: the limit halves, once per round trip (answers
//!   to requests sent before the last cut do not cut again), never below the floor, and
//!   the slow start ends.
//!
//! Over HTTP/1.1 (or when the protocol is unknown) the limit stays at its start; an
//! overload still halves it, and it climbs back by one per clean window.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::transport::Protocol;

/// Our requests waiting at the server up to which the limit grows by one.
pub const GROW_BELOW: f64 = 0.5;
/// Waiting requests up to which the server keeps up: the slow start doubles the limit,
/// and after it the limit grows by a quarter.
pub const SURGE_BELOW: f64 = 0.25;
/// Waiting requests beyond which the limit drops: the server is behind.
pub const CUT_ABOVE: f64 = 1.25;
/// Share of the limit below which waiting requests may be noise. On a busy machine
/// every answer comes a little late, and Little's law turns that into requests waiting
/// in proportion to the pace of answers, which is the limit over the latency: a delay
/// of 5% of the latency reads as 5% of the limit waiting. So a doubling or a surge
/// allows at least this share of the limit waiting, one more step twice that, and a cut
/// needs four times that.
pub const NOISE: f64 = 0.05;
/// Answers in a window at least: the starting limit's worth, so that the first window
/// is the first round trip. Half as many must have a lowest to compare with.
pub const MIN_WINDOW: usize = 6;
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
    const WARM_UP: u32 = 2;
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
    /// Answers in the window, to requests sent under any limit: the server's pace.
    answers: usize,
    /// When the window began (the last change of the limit, or the previous window's end).
    start: Option<Duration>,
    /// Delays (latency above the lowest of its size, in seconds) of the window's answers
    /// to requests sent under the current limit.
    delays: Vec<f64>,
    /// Answers to requests sent under the current limit.
    fresh: usize,
    /// Requests waited for the limit during the window.
    blocked: bool,
}

impl Window {
    fn starting(now: Duration) -> Window {
        Window {
            start: Some(now),
            ..Window::default()
        }
    }

    /// Our requests waiting at the server (Little's law: the mean delay times the
    /// answers per second); `None` without delays or time to go by.
    fn waiting(&mut self, now: Duration) -> Option<f64> {
        let span = now.saturating_sub(self.start?).as_secs_f64();
        let delay = trimmed_mean(&mut self.delays)?;
        (span > 0.0).then(|| delay * self.answers as f64 / span)
    }
}

/// The adaptive concurrency limit. See the module documentation.
#[derive(Debug, Clone)]
pub struct Limiter {
    config: LimitConfig,
    limit: usize,
    adaptive: bool,
    classes: [Class; CLASSES],
    window: Window,
    /// Tickets handed out so far ([`Limiter::sent`]), and requests recorded: the
    /// difference is the requests in flight.
    tickets: u64,
    recorded: u64,
    /// The first ticket sent under the current limit: answers to requests sent before
    /// it were sent under another limit and say nothing about this one.
    fresh_from: u64,
    /// The first ticket sent after the last cut.
    cut_from: Option<u64>,
    /// Still in the slow start: the limit doubles while the server queues nothing.
    climbing: bool,
    /// The last limit whose window saw no queue during the slow start.
    safe: Option<usize>,
    /// Requests the last change let out at once (see [`Limiter::window_size`]).
    burst: usize,
    /// Our requests waiting at the server as the last window read them: the limit
    /// grows only when two windows in a row read little waiting.
    last_waiting: Option<f64>,
}

/// A request on its way: when it went out, and its place in the order of sending
/// (whether it went out before or after a change of the limit, which its time cannot
/// tell when answers are handled a little after they arrive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// When it went out.
    pub at: Duration,
    ticket: u64,
}

impl Sent {
    /// The same request, known to have gone out at `at` (later than it was chosen).
    pub(crate) fn went_at(self, at: Duration) -> Sent {
        Sent { at, ..self }
    }
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
            tickets: 0,
            recorded: 0,
            fresh_from: 0,
            cut_from: None,
            climbing: true,
            safe: None,
            burst: initial,
            last_waiting: None,
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

    /// A request goes out at `at`; its [`Sent`] goes back with what became of it.
    pub fn sent(&mut self, at: Duration) -> Sent {
        let ticket = self.tickets;
        self.tickets += 1;
        Sent { at, ticket }
    }

    /// Records what became of the request `sent`, now `now`.
    pub fn record(&mut self, sent: Sent, now: Duration, sample: Sample) {
        self.recorded += 1;
        match sample {
            Sample::Answered { protocol, bytes } => {
                self.note_protocol(protocol, now);
                self.answered(sent, now, bytes);
            }
            Sample::Overloaded { protocol } => {
                self.note_protocol(protocol, now);
                self.overloaded(sent, now);
            }
            Sample::TimedOut => self.overloaded(sent, now),
            Sample::Other => {}
        }
    }

    fn note_protocol(&mut self, protocol: Protocol, now: Duration) {
        match protocol {
            Protocol::Http2 => self.adaptive = true,
            Protocol::Http1 => {
                self.adaptive = false;
                self.set(self.limit.min(self.config.initial), now);
            }
            Protocol::Unknown => {}
        }
    }

    /// Changes the limit; a change starts a new window.
    fn set(&mut self, limit: usize, now: Duration) {
        if limit != self.limit {
            let in_flight = self.tickets.saturating_sub(self.recorded);
            self.limit = limit;
            self.burst = limit.saturating_sub(usize::try_from(in_flight).unwrap_or(usize::MAX));
            self.fresh_from = self.tickets;
            self.window = Window::starting(now);
        }
    }

    /// Halves the limit, once per round trip: requests already on the wire when the
    /// limit was cut were sent under the old limit and say nothing new.
    fn overloaded(&mut self, sent: Sent, now: Duration) {
        if self.cut_from.is_some_and(|from| sent.ticket < from) {
            return;
        }
        self.climbing = false;
        self.cut_from = Some(self.tickets);
        self.set((self.limit / 2).max(self.config.floor), now);
    }

    fn answered(&mut self, sent: Sent, now: Duration, bytes: usize) {
        let latency = now.saturating_sub(sent.at).as_secs_f64();
        let class = &mut self.classes[size_class(bytes)];
        let lowest = class.observe(latency);
        // The answer that made its size's lowest shows no delay, whatever queue it met:
        // it is no evidence of none (at the start, while every size of page is seen for
        // the first time, such answers would let the limit climb).
        let compared = lowest.filter(|_| class.count > Class::WARM_UP);
        self.window.start.get_or_insert(sent.at);
        self.window.answers += 1;
        if sent.ticket < self.fresh_from {
            return;
        }
        self.window.fresh += 1;
        if let Some(lowest) = compared {
            self.window.delays.push((latency - lowest).max(0.0));
        }
        if self.window.fresh < self.window_size() {
            return;
        }
        if !self.adaptive {
            // Back towards the fixed value after an overload cut it.
            self.window = Window::starting(now);
            self.set((self.limit + 1).min(self.config.initial), now);
            return;
        }
        // Too few answers of a size seen before: the window goes on until it has them.
        if self.window.delays.len() < MIN_WINDOW / 2 {
            return;
        }
        let surge = SURGE_BELOW.max(self.noise());
        let Some(waiting) = self.window.waiting(now) else {
            self.window = Window::starting(now);
            return;
        };
        // A burst smaller than the limit may double it when it met no queue (it went out
        // last, behind every request still out), but a queue it met may be the noise of
        // a few answers: the slow start ends on the whole limit's worth, and on twice
        // that when less than a cut's worth waits (a cold server's or browser's first
        // answers come a little late, and one window of them must not end it).
        // And a doubling on a few sizes' evidence is no doubling: at a small Harbor, the
        // first answers of most sizes set their lowest under the start's queue, and only
        // the few sizes seen twice before are compared. Half the window, or a full
        // [`MIN_WINDOW`], must have been compared.
        if self.climbing {
            let (fresh, compared) = (self.window.fresh, self.window.delays.len());
            let enough = if waiting > surge {
                let whole = self.limit.max(MIN_WINDOW);
                fresh
                    >= if waiting <= CUT_ABOVE {
                        2 * whole
                    } else {
                        whole
                    }
            } else {
                compared >= MIN_WINDOW || 2 * compared >= fresh
            };
            if !enough {
                return;
            }
        }
        let window = std::mem::replace(&mut self.window, Window::starting(now));
        let blocked = window.blocked;
        let limit = self.limit;
        let next = if self.climbing && waiting <= surge {
            self.safe = Some(limit);
            if blocked {
                limit * 2
            } else {
                limit
            }
        } else if self.climbing {
            self.climbing = false;
            match self.safe {
                // Those waiting are what the last doubling added beyond the server.
                Some(safe) => safe.max(limit.saturating_sub(waiting.ceil() as usize)),
                None => self.step(waiting, blocked),
            }
        } else {
            self.step(waiting, blocked)
        };
        self.last_waiting = Some(waiting);
        self.set(next.clamp(self.config.floor, self.config.ceiling), now);
    }

    /// Fresh answers a window needs. After the slow start, the limit's worth: one step
    /// per round trip. During it, the burst the last doubling sent at once (the new
    /// limit less the requests still out): those went out with the whole new limit in
    /// flight, behind the older ones, so their answers show whether the server keeps
    /// up with it a round trip after the doubling. The requests sent later, as the
    /// older ones come back, would take up to a second round trip.
    fn window_size(&self) -> usize {
        let size = if self.climbing {
            self.burst
        } else {
            self.limit
        };
        size.max(MIN_WINDOW)
    }

    /// Waiting requests that the noise of a busy machine may account for.
    fn noise(&self) -> f64 {
        NOISE * self.limit as f64
    }

    /// The Vegas step: the limit `waiting` requests at the server call for. A cut
    /// takes this window's word; growth needs the window before to agree: at a small
    /// Harbor a window is a handful of answers, and one that came while no large page
    /// held a worker reads a queue that is there as none.
    fn step(&self, waiting: f64, blocked: bool) -> usize {
        let limit = self.limit;
        let cut = CUT_ABOVE.max(4.0 * self.noise());
        let steady = self.last_waiting.map_or(waiting, |last| last.max(waiting));
        if waiting > cut {
            let excess = (waiting - cut).ceil().max(1.0) as usize;
            limit.saturating_sub(excess).max(limit / 2)
        } else if steady <= GROW_BELOW.max(2.0 * self.noise()) && blocked {
            let step = if steady <= SURGE_BELOW.max(self.noise()) {
                (limit / 4).max(1)
            } else {
                1
            };
            limit + step
        } else {
            limit
        }
    }
}

/// The mean without the highest eighth (a slow handler, a lost packet); `None` when
/// empty.
fn trimmed_mean(values: &mut [f64]) -> Option<f64> {
    crate::order::sort_by(values, f64::total_cmp);
    let kept = &values[..values.len() - values.len() / 8];
    (!kept.is_empty()).then(|| kept.iter().sum::<f64>() / kept.len() as f64)
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

    /// A Harbor with `workers` serving in arrival order, `rtt` away, answering pages of
    /// the sizes `pages` gives, driven by a limiter on a simulated clock.
    struct Bench {
        workers: usize,
        rtt: Duration,
        /// Service time of a page of `items` items.
        service: fn(u32) -> Duration,
        /// Items on the `n`th page.
        pages: fn(usize) -> u32,
        protocol: Protocol,
        /// Each answer comes up to this much later (scheduling, the network), by a
        /// fixed pseudo-random draw per request.
        jitter: Duration,
        /// Only the first this many requests meet the jitter (a cold start).
        jittered: usize,
        /// The jitter comes in bursts: answers finished within the same 150 ms of the
        /// server's time are late by the same draw (a machine busy for a while), not by
        /// one draw each.
        bursts: bool,
    }

    /// The state after one answer.
    struct Point {
        answers: usize,
        limit: usize,
        /// Requests in flight, the one just answered included.
        in_flight: usize,
        at: Duration,
    }

    /// What a run saw.
    struct Run {
        trace: Vec<Point>,
        /// The limit each request was sent under.
        sent_under: Vec<usize>,
        elapsed: Duration,
        answers: usize,
        busy: Duration,
    }

    impl Run {
        fn limits_after(&self, answers: usize) -> impl Iterator<Item = usize> + '_ {
            self.trace
                .iter()
                .filter(move |p| p.answers >= answers)
                .map(|p| p.limit)
        }

        fn max_in_flight_after(&self, answers: usize) -> usize {
            self.trace
                .iter()
                .filter(|p| p.answers >= answers)
                .map(|p| p.in_flight)
                .max()
                .unwrap_or(0)
        }

        /// Share of the workers' time spent serving.
        fn utilisation(&self, workers: usize) -> f64 {
            self.busy.as_secs_f64() / (self.elapsed.as_secs_f64() * workers as f64)
        }

        /// The target at a 4-worker Harbor, from the `answers`th answer on: at
        /// most twice the workers in flight, and the workers kept busy all the same.
        fn assert_settled_at_four_workers(&self, answers: usize) {
            let most = self.max_in_flight_after(answers);
            assert!(most <= 8, "{most} in flight after {answers} answers");
            let busy = self.utilisation(4);
            assert!(busy > 0.95, "utilisation {busy}");
        }
    }

    /// Items on the `n`th page of a crawl by repository (Harbor before 2.12): mostly
    /// small, every 16th a full page of 100.
    fn items(n: usize) -> u32 {
        match n % 16 {
            0 => 100,
            k if k % 5 == 0 => 40,
            k => (k as u32 * 7) % 11 + 1,
        }
    }

    /// Items on the `n`th page of a crawl by repository where every size turns up (a
    /// thousand repositories of 1 to 100 artifacts, most of them small).
    fn mixed(n: usize) -> u32 {
        1 + (draw(n).powi(2) * 99.0) as u32
    }

    /// Items on the `n`th page of a crawl by project (Harbor 2.13): full pages of 100,
    /// and a project's last page now and then.
    fn full_pages(n: usize) -> u32 {
        if n % 9 == 8 {
            37
        } else {
            100
        }
    }

    /// A number in [0, 1) for the `n`th request.
    fn draw(n: usize) -> f64 {
        let x = (n as u64 + 1).wrapping_mul(6_364_136_223_846_793_005);
        (x >> 11) as f64 / (1u64 << 53) as f64
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
                pages: items,
                protocol,
                jitter: Duration::ZERO,
                jittered: usize::MAX,
                bursts: false,
            }
        }

        /// The same, crawled by project: the short crawl of Harbor 2.13.
        fn by_project(workers: usize) -> Bench {
            Bench {
                pages: full_pages,
                ..Bench::harbor(workers, Protocol::Http2)
            }
        }

        /// The lower bound of `requests`: the workers' share of the service time, or
        /// the round trips `ceiling` at a time need.
        fn lower_bound(&self, requests: usize, ceiling: usize) -> Duration {
            let service: Duration = (0..requests).map(|n| (self.service)((self.pages)(n))).sum();
            let rounds = requests.div_ceil(ceiling) as u32;
            let round = self.rtt + service / requests as u32;
            (service / self.workers as u32).max(round * rounds)
        }

        fn run(&self, limiter: &mut Limiter, requests: usize) -> Run {
            let mut free: BinaryHeap<Reverse<Duration>> =
                (0..self.workers).map(|_| Reverse(Duration::ZERO)).collect();
            // Answers due: (time, order sent, items), and what the limiter gave each.
            let mut due: BinaryHeap<Reverse<(Duration, usize, u32)>> = BinaryHeap::new();
            let mut sent = Vec::new();
            let (mut now, mut answers) = (Duration::ZERO, 0);
            let mut busy = Duration::ZERO;
            let mut trace = Vec::new();
            let mut sent_under = Vec::new();
            while answers < requests {
                while sent_under.len() < requests && due.len() < limiter.limit() {
                    let n = (self.pages)(sent_under.len());
                    let arrival = now + self.rtt / 2;
                    let Reverse(worker_free) = free.pop().expect("a worker");
                    let start = arrival.max(worker_free);
                    let cost = (self.service)(n);
                    busy += cost;
                    free.push(Reverse(start + cost));
                    let noise = if self.bursts {
                        let slot = (start + cost).as_millis() / 150;
                        self.jitter.mul_f64(draw(slot as usize))
                    } else if sent_under.len() < self.jittered {
                        self.jitter.mul_f64(draw(sent_under.len()))
                    } else {
                        Duration::ZERO
                    };
                    due.push(Reverse((
                        start + cost + self.rtt / 2 + noise,
                        sent.len(),
                        n,
                    )));
                    sent.push(limiter.sent(now));
                    sent_under.push(limiter.limit());
                }
                if sent_under.len() < requests {
                    limiter.blocked();
                }
                let Reverse((at, order, n)) = due.pop().expect("an answer");
                now = at;
                let bytes = 300 + 900 * n as usize;
                let sample = Sample::Answered {
                    protocol: self.protocol,
                    bytes,
                };
                limiter.record(sent[order], now, sample);
                answers += 1;
                trace.push(Point {
                    answers,
                    limit: limiter.limit(),
                    in_flight: due.len() + 1,
                    at: now,
                });
            }
            Run {
                trace,
                sent_under,
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
        // Within the first hundred answers, and it never falls back.
        let reached = run.trace.iter().find(|p| p.limit == 32).expect("reached");
        assert!(
            reached.answers <= 100,
            "reached the ceiling after {} answers",
            reached.answers
        );
        assert!(run.limits_after(reached.answers).all(|l| l == 32));
    }

    #[test]
    fn doubles_from_six_to_the_ceiling_in_three_windows() {
        for bench in [
            Bench::harbor(1_000, Protocol::Http2),
            Bench::by_project(1_000),
        ] {
            let mut limiter = limiter();
            let run = bench.run(&mut limiter, 1_000);
            let mut levels: Vec<usize> = run.trace.iter().map(|p| p.limit).collect();
            levels.dedup();
            assert_eq!(levels, [6, 12, 24, 32]);
            // Each window is about a round trip: the first answers, then the requests
            // sent under 12, then under 24.
            let slowest = bench.rtt + (bench.service)(100);
            let reached = run.trace.iter().find(|p| p.limit == 32).expect("reached");
            assert!(reached.at <= slowest * 4, "reached at {:?}", reached.at);
        }
    }

    #[test]
    fn settles_under_a_four_worker_server() {
        let bench = Bench::harbor(4, Protocol::Http2);
        let mut limiter = limiter();
        let run = bench.run(&mut limiter, 4_000);
        // At most twice the workers in flight, from start to end, and busy workers.
        run.assert_settled_at_four_workers(0);
        assert!(run.limits_after(500).all(|l| (4..=8).contains(&l)));
    }

    #[test]
    fn a_short_crawl_settles_under_a_four_worker_server() {
        // Six pages of 510 ms at once already queue two of them: no doubling.
        let bench = Bench::by_project(4);
        let mut limiter = limiter();
        let run = bench.run(&mut limiter, 224);
        run.assert_settled_at_four_workers(0);
        assert!(run.limits_after(0).all(|l| (4..=8).contains(&l)));
    }

    #[test]
    fn noisy_latencies_do_not_hold_it_back() {
        // Up to 30 ms on every answer, against answers of 35 ms and more.
        for pages in [items as fn(usize) -> u32, full_pages] {
            let bench = Bench {
                jitter: MS * 30,
                pages,
                ..Bench::harbor(1_000, Protocol::Http2)
            };
            let mut limiter = limiter();
            let run = bench.run(&mut limiter, 1_000);
            let reached = run.trace.iter().find(|p| p.limit == 32).expect("reached");
            assert!(reached.answers <= 100, "{}", reached.answers);
            assert!(run.limits_after(reached.answers).all(|l| l >= 28));
        }
    }

    #[test]
    fn uses_a_sixteen_worker_server() {
        let bench = Bench::harbor(16, Protocol::Http2);
        let mut limiter = limiter();
        let run = bench.run(&mut limiter, 6_000);
        assert!(run.utilisation(16) > 0.9, "{}", run.utilisation(16));
        assert!(run.limits_after(1_000).all(|l| l >= 16));
    }

    #[test]
    fn a_short_crawl_spends_most_requests_at_the_right_level() {
        // Pages of 510 ms keep 16 workers busy from 17 in flight on (16 at the server,
        // one on the way): the right level is 17 or a little more.
        let bench = Bench::by_project(16);
        let mut limiter = limiter();
        let run = bench.run(&mut limiter, 224);
        let near = run
            .sent_under
            .iter()
            .filter(|l| (16..=24).contains(*l))
            .count();
        assert!(near * 4 >= 224 * 3, "{near} of 224 sent at 16 to 24");
        // The targets, on this model with room to spare: at most 1.2 x the lower
        // bound (the target is 1.3), at least 2.2 times faster than held at 6.
        let lower_bound = bench.lower_bound(224, 32);
        assert!(
            run.elapsed.as_secs_f64() <= 1.2 * lower_bound.as_secs_f64(),
            "{:?} against {lower_bound:?}",
            run.elapsed
        );
        let mut held = Limiter::new(LimitConfig {
            ceiling: 6,
            ..LimitConfig::default()
        });
        let held = bench.run(&mut held, 224);
        assert!(
            held.elapsed.as_secs_f64() >= 2.2 * run.elapsed.as_secs_f64(),
            "{:?} held at 6, {:?} adaptive",
            held.elapsed,
            run.elapsed
        );
    }

    #[test]
    fn doubles_once_per_round_trip_while_older_requests_are_out() {
        // A crawl by project: the project list first (a small page), then full pages of
        // 535 ms each. The first doubling comes while the requests sent after the small
        // answer are still out, so the burst it lets out is less than the new limit.
        fn list_then_pages(n: usize) -> u32 {
            if n == 0 {
                3
            } else {
                100
            }
        }
        let bench = Bench {
            pages: list_then_pages,
            ..Bench::harbor(1_000, Protocol::Http2)
        };
        let mut limiter = limiter();
        let run = bench.run(&mut limiter, 224);
        let at = |limit| {
            run.trace
                .iter()
                .find(|p| p.limit == limit)
                .map(|p| p.at)
                .expect("reached")
        };
        // One round trip (535 ms) per doubling: 12 after the first, 24 after the second,
        // 32 after the third, not two round trips each.
        let round = MS * 535;
        assert!(at(12) <= round + MS * 50, "{:?}", at(12));
        assert!(at(24) <= round * 2 + MS * 50, "{:?}", at(24));
        assert!(at(32) <= round * 3 + MS * 50, "{:?}", at(32));
    }

    #[test]
    fn a_cold_start_does_not_end_the_slow_start() {
        // The first answers of a cold server come up to 60 ms late, the later ones on
        // time: the limit still doubles up to the ceiling within a few round trips.
        let bench = Bench {
            jitter: MS * 60,
            jittered: 8,
            ..Bench::by_project(1_000)
        };
        let mut limiter = limiter();
        let run = bench.run(&mut limiter, 224);
        let reached = run.trace.iter().find(|p| p.limit == 32).expect("reached");
        assert!(reached.at <= MS * 535 * 5, "{:?}", reached.at);
    }

    #[test]
    fn settles_under_a_four_worker_server_with_pages_of_every_size_or_late_answers() {
        // Every size's first latencies are taken while the start (6) already queues two
        // at the server: that queue must not hide a longer one later (from the 100th
        // answer on). And with answers handled up to 40 ms late (a browser's worker
        // decoding another page), most sizes are first seen in the first window, so only
        // a few are compared: they must not double the start (from the first answer on).
        let cases = [
            (mixed as fn(usize) -> u32, Duration::ZERO, 100),
            (items, MS * 40, 0),
        ];
        for (pages, jitter, after) in cases {
            let bench = Bench {
                pages,
                jitter,
                ..Bench::harbor(4, Protocol::Http2)
            };
            let run = bench.run(&mut limiter(), 1_092);
            run.assert_settled_at_four_workers(after);
        }
    }

    #[test]
    fn a_busy_machine_does_not_lift_it_past_twice_a_small_harbor() {
        // Answers up to 80 ms late in bursts, at a 4-worker Harbor whose every 16th page
        // holds a worker for half a second: the queue comes and goes, and a window now
        // and then reads none. One such window must not grow the limit past twice the
        // workers (without the second window's word: 10 in flight). The noise costs
        // some of the workers' time (0.85 busy against 0.95), not the server its headroom.
        let bench = Bench {
            jitter: MS * 80,
            bursts: true,
            ..Bench::harbor(4, Protocol::Http2)
        };
        let run = bench.run(&mut limiter(), 1_092);
        let most = run.max_in_flight_after(100);
        let busy = run.utilisation(4);
        eprintln!("bursts: {most} in flight, utilisation {busy:.3}");
        assert!(most <= 8, "{most} in flight");
        assert!(busy > 0.8, "utilisation {busy}");
    }

    #[test]
    fn a_short_crawl_on_a_large_harbor_gains_four_times_on_six() {
        // The most a start at 6 doubling once per round trip can gain on a crawl by
        // project of 224 pages of 535 ms with 64 workers and the ceiling of 32: the
        // slow start takes three of the crawl's eight round trips. The dashboard's
        // benchmark target (4 x) is this model's figure with nothing to spare.
        let bench = Bench::by_project(64);
        let run = bench.run(&mut limiter(), 224);
        let mut held = Limiter::new(LimitConfig {
            ceiling: 6,
            ..LimitConfig::default()
        });
        let held = bench.run(&mut held, 224);
        let gain = held.elapsed.as_secs_f64() / run.elapsed.as_secs_f64();
        eprintln!(
            "model, 64 workers: {:?} adaptive, {:?} held at 6, {gain:.2} x",
            run.elapsed, held.elapsed
        );
        assert!(gain >= 3.9, "{gain:.2} x");
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
        let on_the_wire = [MS * 10, MS * 50, MS * 99].map(|at| limiter.sent(at));
        limiter.record(on_the_wire[0], MS * 100, overloaded);
        assert_eq!(limiter.limit(), 10);
        // Sent before the cut: already counted.
        limiter.record(on_the_wire[1], MS * 110, overloaded);
        limiter.record(on_the_wire[2], MS * 120, Sample::TimedOut);
        assert_eq!(limiter.limit(), 10);
        // Sent after it: the server is still overloaded.
        let sent = limiter.sent(MS * 101);
        limiter.record(sent, MS * 200, Sample::TimedOut);
        assert_eq!(limiter.limit(), 5);
        for i in 0..10 {
            let sent = limiter.sent(MS * (300 + i * 100));
            limiter.record(sent, MS * (350 + i * 100), overloaded);
        }
        assert_eq!(limiter.limit(), 2, "never below the floor");
        let sent = limiter.sent(MS * 2_000);
        limiter.record(sent, MS * 2_001, Sample::Other);
        assert_eq!(limiter.limit(), 2);
    }

    #[test]
    fn a_429_over_http1_lowers_the_limit_and_clean_windows_restore_it() {
        let mut limiter = limiter();
        let sent = limiter.sent(Duration::ZERO);
        limiter.record(
            sent,
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
            let sent = limiter.sent(MS * (40 + i));
            limiter.record(sent, MS * (80 + i), fine);
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
            let sent = limiter.sent(now.saturating_sub(latency));
            limiter.record(sent, now, sample);
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
