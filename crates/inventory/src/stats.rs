//! Aggregations behind the overview's small SVG charts, over the filtered rows: an
//! [`Overview`] counts the rows of the indices it is given (usually the table's matches,
//! [`crate::view::matching`]), and can be given more as they come.

use std::collections::HashMap;
use std::sync::Arc;

use harbor_client::slim::{ArtifactRow, Millis, ScanStatus, Severity};

use crate::DAY_MS;

/// One bar of the per-project chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectStat {
    /// Project name (a click filters the table by it, quoted for an exact match).
    pub project: Arc<str>,
    /// Number of artifacts.
    pub artifacts: u64,
    /// Sum of artifact sizes in bytes (layers shared between artifacts count each time).
    pub bytes: u64,
}

/// The names of the projects `rows` belong to, sorted, each once. Rows come grouped by
/// project (one shared name each), so only a change of name is looked up: with 100,000
/// rows, sorting one name per row held the dashboard's main thread for 35 ms.
pub fn project_names(rows: &[ArtifactRow]) -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut last: Option<&Arc<str>> = None;
    for row in rows {
        if !last.is_some_and(|l| Arc::ptr_eq(l, &row.project)) {
            names.insert(&*row.project);
            last = Some(&row.project);
        }
    }
    names.into_iter().map(str::to_owned).collect()
}

/// The overview charts' figures over a set of matches: artifacts and storage per
/// project, the severity distribution and the ages. They can be followed as matches are
/// added ([`Overview::add`]): a crawl brings rows every second, and at a million rows a
/// pass over every row takes 35 to 45 ms for each chart.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// How many matches are counted.
    counted: usize,
    /// The time ages are counted from.
    now: Millis,
    projects: ProjectCounts,
    severity: SeverityStats,
    ages: [Bucket; AGE_BUCKETS],
}

impl Overview {
    /// Nothing counted yet; ages will be counted from `now`.
    pub fn new(now: Millis) -> Overview {
        Overview {
            now,
            ..Overview::default()
        }
    }

    /// The figures of the rows of `indices` (ones out of range are skipped).
    pub fn of(rows: &[ArtifactRow], indices: &[u32], now: Millis) -> Overview {
        let mut overview = Overview::new(now);
        overview.add(rows, indices);
        overview
    }

    /// Counts the rows of `more` as well, as the matches after the ones counted.
    pub fn add(&mut self, rows: &[ArtifactRow], more: &[u32]) {
        self.counted += more.len();
        for row in more.iter().filter_map(|&i| rows.get(i as usize)) {
            self.projects.add(row);
            self.severity.add(row);
            let bucket = &mut self.ages[age_slot(row, self.now)];
            bucket.artifacts += 1;
            bucket.bytes += row.size;
        }
    }

    /// How many matches are counted: the ones after them are what [`Overview::add`]
    /// takes next.
    pub fn counted(&self) -> usize {
        self.counted
    }

    /// The time ages are counted from.
    pub fn now(&self) -> Millis {
        self.now
    }

    /// Artifacts and storage per project, most artifacts first (ties by name).
    pub fn projects(&self) -> Vec<ProjectStat> {
        self.projects.clone().sorted()
    }

    /// How many artifacts are in each scan state and at each severity.
    pub fn severity(&self) -> SeverityStats {
        self.severity
    }

    /// Artifacts and bytes by age since push: `< 7 days`, `7–30 days`, `30–90 days`,
    /// `90 days–1 year`, `> 1 year`, then `unknown` (no push time). A push in the future
    /// (clock skew) counts as new.
    pub fn ages(&self) -> Vec<AgeBucket> {
        AGE_BOUNDS
            .iter()
            .map(|&(min, label)| (label, Some(min)))
            .chain([("unknown", None)])
            .zip(self.ages)
            .map(|((label, min_days), b)| AgeBucket {
                label,
                min_days,
                artifacts: b.artifacts,
                bytes: b.bytes,
            })
            .collect()
    }
}

/// Artifacts and storage per project of the rows at `indices`, most artifacts first
/// (ties by name): the projects part of an [`Overview`], alone.
pub fn per_project(rows: &[ArtifactRow], indices: &[u32]) -> Vec<ProjectStat> {
    let mut counts = ProjectCounts::default();
    for row in indices.iter().filter_map(|&i| rows.get(i as usize)) {
        counts.add(row);
    }
    counts.sorted()
}

/// Artifacts and bytes per project, in the order the projects were first met.
#[derive(Debug, Clone, Default)]
struct ProjectCounts {
    stats: Vec<ProjectStat>,
    by_name: HashMap<Arc<str>, usize>,
    /// Rows of a project share its name and mostly come together: the map is asked
    /// only when the name changes (a million rows: 5 ms instead of 35).
    last: Option<(Arc<str>, usize)>,
}

impl ProjectCounts {
    fn add(&mut self, row: &ArtifactRow) {
        let at = match &self.last {
            Some((known, at)) if Arc::ptr_eq(known, &row.project) => *at,
            _ => {
                let stats = &mut self.stats;
                let at = *self.by_name.entry(row.project.clone()).or_insert_with(|| {
                    stats.push(ProjectStat {
                        project: row.project.clone(),
                        artifacts: 0,
                        bytes: 0,
                    });
                    stats.len() - 1
                });
                self.last = Some((row.project.clone(), at));
                at
            }
        };
        self.stats[at].artifacts += 1;
        self.stats[at].bytes += row.size;
    }

    /// Most artifacts first, ties by name.
    fn sorted(self) -> Vec<ProjectStat> {
        let mut out = self.stats;
        harbor_client::order::sort_by(&mut out, |a, b| {
            b.artifacts
                .cmp(&a.artifacts)
                .then_with(|| a.project.cmp(&b.project))
        });
        out
    }
}

/// How many artifacts are in each scan state and, for finished scans, at each severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeverityStats {
    /// No scan overview.
    pub not_scanned: u64,
    /// Scan pending or running.
    pub scanning: u64,
    /// Scan error or stopped.
    pub failed: u64,
    /// Finished scans by overall severity, indexed like [`SeverityStats::LEVELS`].
    pub by_severity: [u64; 7],
}

impl SeverityStats {
    /// The severity order of `by_severity`: worst first, as the chart draws it.
    pub const LEVELS: [Severity; 7] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Negligible,
        Severity::Unknown,
        Severity::None,
    ];

    /// Finished scans at this overall severity.
    pub fn count(&self, s: Severity) -> u64 {
        Self::LEVELS
            .iter()
            .position(|l| *l == s)
            .map_or(0, |i| self.by_severity[i])
    }

    /// Counts `row`. A finished scan without an overall severity counts as `None`
    /// (nothing found).
    fn add(&mut self, row: &ArtifactRow) {
        match row.scan.status {
            ScanStatus::NotScanned => self.not_scanned += 1,
            ScanStatus::Scanning => self.scanning += 1,
            ScanStatus::Failed => self.failed += 1,
            ScanStatus::Success => {
                let s = row.scan.severity.unwrap_or(Severity::None);
                if let Some(i) = Self::LEVELS.iter().position(|l| *l == s) {
                    self.by_severity[i] += 1;
                }
            }
        }
    }
}

/// One bar of the age chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeBucket {
    /// Bar label (`< 7 days`, ..., `unknown`).
    pub label: &'static str,
    /// Lower bound in days (inclusive); `None` for the "unknown push time" bucket.
    pub min_days: Option<u32>,
    /// Number of artifacts.
    pub artifacts: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// Bucket lower bounds in days and labels; the last bucket is open-ended.
const AGE_BOUNDS: [(u32, &str); 5] = [
    (0, "< 7 days"),
    (7, "7–30 days"),
    (30, "30–90 days"),
    (90, "90 days–1 year"),
    (365, "> 1 year"),
];

/// The age buckets and `unknown`.
const AGE_BUCKETS: usize = AGE_BOUNDS.len() + 1;

/// What one age bucket counts.
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    artifacts: u64,
    bytes: u64,
}

/// The age bucket of `row` at `now`: the last is for an unknown push time.
fn age_slot(row: &ArtifactRow, now: Millis) -> usize {
    match row.push_time.get() {
        None => AGE_BUCKETS - 1,
        Some(t) => {
            let days = (now.saturating_sub(t) / DAY_MS).max(0);
            AGE_BOUNDS
                .iter()
                .rposition(|&(min, _)| days >= i64::from(min))
                .unwrap_or(0)
        }
    }
}

/// When the charts follow the table: at once for new rows (a crawl's batch, a reload),
/// after a pause for a filter edit, so typing repaints the table without waiting for
/// the charts. Past [`ChartPace::MANY_ROWS`] new rows redraw them at most once every
/// [`ChartPace::MANY_ROWS_EVERY_MS`]: each chart is a pass over every row (tens of
/// milliseconds at a million), and a crawl brings new rows every second. The caller
/// reports each change of the matches with the row count and "now" they were computed
/// over, and the time of the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChartPace {
    seen: (usize, Millis),
    /// When the charts last followed new rows (or will, once the wait is over).
    drawn_at: Option<u64>,
}

/// What a change of the matches asks of the charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Redraw now (the rows changed).
    Now,
    /// Redraw once the edits pause (only the filters changed).
    AfterPause,
    /// Redraw in this many milliseconds, unless a redraw is already on its way: many
    /// rows, and the charts followed them a moment ago.
    Within(u64),
}

impl ChartPace {
    /// How long the matches must stay unchanged before the charts follow a filter edit.
    pub const PAUSE_MS: u64 = 150;
    /// Rows from which new rows redraw the charts at a slower pace.
    pub const MANY_ROWS: usize = 250_000;
    /// The slower pace: at most one redraw for new rows in this long.
    pub const MANY_ROWS_EVERY_MS: u64 = 3_000;

    /// The matches changed at `at` (milliseconds on any clock that only goes forward);
    /// `rows` and `now` are what they were computed over.
    pub fn changed(&mut self, rows: usize, now: Millis, at: u64) -> Pace {
        if (rows, now) == self.seen {
            return Pace::AfterPause;
        }
        self.seen = (rows, now);
        let every = Self::MANY_ROWS_EVERY_MS;
        match self.drawn_at {
            // A redraw is on its way.
            Some(due) if rows >= Self::MANY_ROWS && at < due => Pace::Within(due - at),
            Some(drawn) if rows >= Self::MANY_ROWS && at < drawn + every => {
                self.drawn_at = Some(drawn + every);
                Pace::Within(drawn + every - at)
            }
            _ => {
                self.drawn_at = Some(at);
                Pace::Now
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_follow_rows_at_once_and_filters_after_a_pause() {
        let mut pace = ChartPace::default();
        assert_eq!(pace.changed(100, 5, 0), Pace::Now);
        assert_eq!(pace.changed(100, 5, 10), Pace::AfterPause, "a filter edit");
        assert_eq!(pace.changed(250, 5, 20), Pace::Now, "a crawl's batch");
        assert_eq!(pace.changed(250, 9, 30), Pace::Now, "a reload moved now");
    }

    #[test]
    fn many_rows_redraw_the_charts_at_most_every_few_seconds() {
        let every = ChartPace::MANY_ROWS_EVERY_MS;
        let many = ChartPace::MANY_ROWS;
        let mut pace = ChartPace::default();
        // A cache restored with many rows: drawn at once.
        assert_eq!(pace.changed(many, 5, 1_000), Pace::Now);
        // A crawl's batches a second apart: one redraw in `every`, at its end.
        assert_eq!(
            pace.changed(many + 10, 5, 2_000),
            Pace::Within(every - 1_000)
        );
        assert_eq!(
            pace.changed(many + 20, 5, 3_000),
            Pace::Within(every - 2_000)
        );
        assert_eq!(pace.changed(many + 20, 5, 3_100), Pace::AfterPause);
        // Once that redraw is due, the next batch waits a whole `every` after it.
        let due = 1_000 + every;
        assert_eq!(pace.changed(many + 30, 5, due), Pace::Within(every));
        // A quiet while later: at once again.
        assert_eq!(pace.changed(many + 40, 5, due + 2 * every), Pace::Now);
        // Fewer rows than that: every batch redraws at once.
        let mut few = ChartPace::default();
        assert_eq!(few.changed(many - 1, 5, 0), Pace::Now);
        assert_eq!(few.changed(many - 2, 5, 10), Pace::Now);
    }
    use crate::synthetic::{row, RowSpec, NOW};

    fn fixture() -> Vec<ArtifactRow> {
        let a = RowSpec::new("alpha", "alpha/x");
        let b = RowSpec::new("beta", "beta/y");
        vec![
            row(&a.clone().size(10).pushed(Some(NOW)).scanned(
                Severity::High,
                [0, 1, 0, 0],
                0,
                None,
            )),
            row(&b
                .clone()
                .size(20)
                .pushed(Some(NOW - 7 * DAY_MS))
                .status(ScanStatus::Failed)),
            row(&b.clone().size(30).pushed(Some(NOW - 400 * DAY_MS))),
            row(&a
                .clone()
                .size(40)
                .pushed(None)
                .scanned(Severity::None, [0; 4], 0, None)),
            row(&b
                .clone()
                .size(50)
                .pushed(Some(NOW + DAY_MS))
                .status(ScanStatus::Scanning)),
            row(&a.clone().size(60).pushed(Some(NOW - 90 * DAY_MS)).scanned(
                Severity::High,
                [0, 2, 0, 0],
                0,
                None,
            )),
        ]
    }

    #[test]
    fn project_names_are_sorted_and_each_once() {
        let rows = [
            row(&RowSpec::new("beta", "beta/y")),
            row(&RowSpec::new("beta", "beta/z")),
            row(&RowSpec::new("alpha", "alpha/x")),
            // The same name again after another project, and not the same allocation.
            row(&RowSpec::new("beta", "beta/w")),
        ];
        assert_eq!(project_names(&rows), ["alpha", "beta"]);
        assert!(project_names(&[]).is_empty());
    }

    fn projects_of(rows: &[ArtifactRow], indices: &[u32]) -> Vec<(String, u64, u64)> {
        Overview::of(rows, indices, NOW)
            .projects()
            .into_iter()
            .map(|s| (s.project.to_string(), s.artifacts, s.bytes))
            .collect()
    }

    #[test]
    fn per_project_counts() {
        let rows = fixture();
        let all: Vec<u32> = (0..6).collect();
        assert_eq!(
            projects_of(&rows, &all),
            vec![("alpha".into(), 3, 110), ("beta".into(), 3, 100)]
        );
        // Projects taking turns, and names that are equal but not one allocation.
        let mut turns = fixture();
        turns.extend(fixture());
        let order: Vec<u32> = (0..12).rev().collect();
        assert_eq!(
            projects_of(&turns, &order),
            vec![("alpha".into(), 6, 220), ("beta".into(), 6, 200)]
        );
        assert_eq!(
            projects_of(&rows, &[1, 2, 99]),
            vec![("beta".into(), 2, 50)]
        );
        assert!(projects_of(&rows, &[]).is_empty());
        assert_eq!(
            per_project(&turns, &order),
            Overview::of(&turns, &order, NOW).projects()
        );
    }

    #[test]
    fn severity_counts() {
        let rows = fixture();
        let s = Overview::of(&rows, &(0..6).collect::<Vec<_>>(), NOW).severity();
        assert_eq!((s.not_scanned, s.scanning, s.failed), (1, 1, 1));
        assert_eq!(s.count(Severity::High), 2);
        assert_eq!(s.count(Severity::None), 1);
        assert_eq!(s.count(Severity::Critical), 0);
        assert_eq!(s.by_severity.iter().sum::<u64>(), 3);
    }

    #[test]
    fn matches_added_in_parts_count_as_all_at_once() {
        let mut rows = fixture();
        rows.extend(fixture());
        rows.extend(fixture());
        let all: Vec<u32> = (0..rows.len() as u32).filter(|i| i % 5 != 3).collect();
        let whole = Overview::of(&rows, &all, NOW);
        for part in [1, 2, 7] {
            let mut parts = Overview::new(NOW);
            for chunk in all.chunks(part) {
                let before = parts.counted();
                parts.add(&rows, chunk);
                assert_eq!(parts.counted(), before + chunk.len());
            }
            assert_eq!(parts.counted(), all.len());
            assert_eq!(parts.projects(), whole.projects(), "in parts of {part}");
            assert_eq!(parts.severity(), whole.severity());
            assert_eq!(parts.ages(), whole.ages());
        }
        assert_eq!(whole.counted(), all.len());
        assert_eq!(whole.now(), NOW);
    }

    #[test]
    fn age_bucket_counts() {
        let rows = fixture();
        let got: Vec<(&str, u64, u64)> = Overview::of(&rows, &(0..6).collect::<Vec<_>>(), NOW)
            .ages()
            .into_iter()
            .map(|b| (b.label, b.artifacts, b.bytes))
            .collect();
        assert_eq!(
            got,
            vec![
                ("< 7 days", 2, 60),
                ("7–30 days", 1, 20),
                ("30–90 days", 0, 0),
                ("90 days–1 year", 1, 60),
                ("> 1 year", 1, 30),
                ("unknown", 1, 40),
            ]
        );
    }
}
