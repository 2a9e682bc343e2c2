//! Percent done and an estimate of the time left, for the progress bars of the crawl and
//! the report run.
//!
//! The estimate carries the average rate so far forward. It is rough (the crawl plans
//! more requests as it discovers repositories), so it says "about", rounds coarsely, and
//! waits until a run has done enough for its rate to mean something.
//!
//! ```
//! use inventory::progress::estimate;
//! let e = estimate(50, 200, 10_000).unwrap();
//! assert_eq!(e.percent, 25);
//! assert_eq!(e.describe(), "25% · about 30 s left");
//! ```

/// A run's elapsed time before its rate is trusted: the first second is mostly start-up
/// (sign-in, the first listings), not the pace of the run.
pub const MIN_ELAPSED_MS: u64 = 1_000;

/// The share of a run done before its rate is trusted, in percent.
pub const MIN_PERCENT: u64 = 5;

/// How far a run is, and, once that can be told, how long it may still take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// Whole percent done, rounded down: 100 only when everything is done.
    pub percent: u8,
    /// Milliseconds left at the average rate so far; `None` until there is enough to go by.
    pub remaining_ms: Option<u64>,
}

/// The estimate for `done` of `total` units after `elapsed_ms`; `None` while the total is
/// not known (zero).
pub fn estimate(done: u64, total: u64, elapsed_ms: u64) -> Option<Estimate> {
    if total == 0 {
        return None;
    }
    let done = done.min(total);
    let percent = (u128::from(done) * 100 / u128::from(total)) as u8;
    let enough = done > 0 && elapsed_ms >= MIN_ELAPSED_MS && u64::from(percent) >= MIN_PERCENT;
    let remaining_ms = enough.then(|| {
        let left = u128::from(total - done) * u128::from(elapsed_ms) / u128::from(done);
        u64::try_from(left).unwrap_or(u64::MAX)
    });
    Some(Estimate {
        percent,
        remaining_ms,
    })
}

impl Estimate {
    /// `42%`, or `42% · about 1 min 30 s left` once there is an estimate.
    pub fn describe(&self) -> String {
        match self.remaining_ms {
            Some(ms) if self.percent < 100 => format!("{}% · {}", self.percent, time_left(ms)),
            _ => format!("{}%", self.percent),
        }
    }
}

/// Time left, rounded to what an estimate can promise: `a few seconds left`,
/// `about 45 s left`, `about 2 min 30 s left`, `about 25 min left`, `about 2 h 10 min left`.
pub fn time_left(ms: u64) -> String {
    let secs = ms.div_ceil(1000);
    let round = |value: u64, step: u64| value.div_ceil(step) * step;
    let text = match secs {
        0..10 => return "a few seconds left".to_owned(),
        10..=55 => format!("{} s", round(secs, 5)),
        56..600 => match round(secs, 10) {
            s if s % 60 == 0 => format!("{} min", s / 60),
            s => format!("{} min {} s", s / 60, s % 60),
        },
        600..=7140 => format!("{} min", round(secs, 60) / 60),
        _ => match round(secs, 600) / 60 {
            m if m % 60 == 0 => format!("{} h", m / 60),
            m => format!("{} h {} min", m / 60, m % 60),
        },
    };
    format!("about {text} left")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_total_no_estimate() {
        assert_eq!(estimate(0, 0, 5_000), None);
        assert_eq!(estimate(3, 0, 5_000), None);
    }

    #[test]
    fn waits_for_enough_before_a_time() {
        // Too early, however far along.
        assert_eq!(estimate(50, 100, 999).and_then(|e| e.remaining_ms), None);
        // Too little done, however long it ran.
        assert_eq!(estimate(4, 100, 60_000).and_then(|e| e.remaining_ms), None);
        assert_eq!(estimate(0, 100, 60_000).map(|e| e.percent), Some(0));
        // Enough: 5 of 100 in 2 s leaves 95 at the same pace.
        assert_eq!(
            estimate(5, 100, 2_000),
            Some(Estimate {
                percent: 5,
                remaining_ms: Some(38_000)
            })
        );
    }

    #[test]
    fn percent_rounds_down_and_clamps() {
        let percent = |done, total| estimate(done, total, 0).map(|e| e.percent);
        assert_eq!(percent(999, 1000), Some(99));
        assert_eq!(percent(1000, 1000), Some(100));
        // The planned total can lag behind what finished; never past 100.
        assert_eq!(percent(1200, 1000), Some(100));
        assert_eq!(percent(1, 3), Some(33));
        assert_eq!(percent(u64::MAX - 1, u64::MAX), Some(99));
    }

    #[test]
    fn done_has_nothing_left() {
        let e = estimate(10, 10, 4_000);
        assert_eq!(e.map(|e| e.remaining_ms), Some(Some(0)));
        assert_eq!(e.map(|e| e.describe()).as_deref(), Some("100%"));
    }

    #[test]
    fn describes_percent_and_time() {
        assert_eq!(
            estimate(3, 10, 500).map(|e| e.describe()).as_deref(),
            Some("30%")
        );
        assert_eq!(
            estimate(30, 100, 30_000).map(|e| e.describe()).as_deref(),
            Some("30% · about 1 min 10 s left")
        );
    }

    #[test]
    fn time_left_rounds_up_to_its_step() {
        let cases = [
            (0, "a few seconds left"),
            (9_000, "a few seconds left"),
            (9_001, "about 10 s left"),
            (41_000, "about 45 s left"),
            (55_000, "about 55 s left"),
            (59_000, "about 1 min left"),
            (60_000, "about 1 min left"),
            (150_000, "about 2 min 30 s left"),
            (151_000, "about 2 min 40 s left"),
            (599_000, "about 10 min left"),
            (600_000, "about 10 min left"),
            (1_490_000, "about 25 min left"),
            (7_200_000, "about 2 h left"),
            (7_800_000, "about 2 h 10 min left"),
        ];
        for (ms, want) in cases {
            assert_eq!(time_left(ms), want, "{ms} ms");
        }
    }
}
