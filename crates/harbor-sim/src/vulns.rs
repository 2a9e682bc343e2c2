//! Vulnerabilities: a seeded pool of CVEs shared by many artifacts, and per-artifact picks.
//!
//! An artifact stores only its scan summary (status, counts). The full list is re-derived
//! on demand from (seed, artifact id), so the report always agrees with the summary.

use crate::rng::{mix, Rng};

/// Severity levels in Harbor's order, lowest first: the client's own type, so the
/// simulator and the dashboard agree on every name.
pub use harbor_client::slim::Severity;

/// Position of a level in [`Severity::ALL`] (what per-level counts are indexed by).
pub trait SeverityIndex {
    /// The position, 0 for `None` up to 6 for `Critical`.
    fn index(self) -> usize;
}

impl SeverityIndex for Severity {
    fn index(self) -> usize {
        self as usize
    }
}

/// One CVE in the pool.
#[derive(Debug, Clone)]
pub struct Cve {
    /// `CVE-YYYY-NNNNN`.
    pub id: String,
    /// Affected package name.
    pub package: &'static str,
    /// Installed version.
    pub version: String,
    /// Fixed version; empty when there is no fix (Harbor sends `""`).
    pub fix_version: String,
    /// Never `None`: a finding always has a level.
    pub severity: Severity,
    /// CVSS v3 score times ten (0..=100); `None` for an unscored finding.
    pub score10: Option<u8>,
    /// CWE number, 0 for none.
    pub cwe: u16,
}

const PACKAGES: &[&str] = &[
    "openssl",
    "libc6",
    "zlib1g",
    "e2fsprogs",
    "curl",
    "libxml2",
    "busybox",
    "glibc",
    "expat",
    "sqlite3",
    "libssh2",
    "ncurses",
    "bash",
    "tar",
    "gnutls28",
    "krb5",
    "perl",
    "python3.11",
    "golang.org/x/net",
    "github.com/gin-gonic/gin",
    "lodash",
    "log4j-core",
    "jackson-databind",
    "spring-web",
    "requests",
    "urllib3",
    "pyyaml",
    "node-fetch",
    "minimist",
    "libpng",
];

/// The CVE pool, sorted by severity (lowest first) so "at most severity S" is a prefix.
#[derive(Debug, Clone)]
pub struct CvePool {
    /// All CVEs, lowest severity first.
    pub cves: Vec<Cve>,
    /// `starts[i]..starts[i+1]` holds the CVEs of `Severity::ALL[i]`.
    starts: [usize; 8],
}

impl CvePool {
    /// Makes `size` CVEs from `seed`.
    pub fn generate(seed: u64, size: usize) -> Self {
        let mut rng = Rng::new(mix(seed, 0xC7E));
        let mut cves: Vec<Cve> = (0..size)
            .map(|i| {
                let severity = match rng.below(100) {
                    0..=4 => Severity::Unknown,
                    5..=9 => Severity::Negligible,
                    10..=34 => Severity::Low,
                    35..=64 => Severity::Medium,
                    65..=89 => Severity::High,
                    _ => Severity::Critical,
                };
                let year = 2015 + rng.below(10);
                let fixable = rng.chance(0.55);
                let (maj, min) = (rng.range(1, 9), rng.below(20));
                let score10 = match severity {
                    Severity::Unknown => None,
                    Severity::Negligible | Severity::Low => Some(rng.range(10, 39) as u8),
                    Severity::Medium => Some(rng.range(40, 69) as u8),
                    Severity::High => Some(rng.range(70, 89) as u8),
                    _ => Some(rng.range(90, 100) as u8),
                };
                Cve {
                    id: format!("CVE-{year}-{}", 1000 + i * 7 + rng.below(7) as usize),
                    package: PACKAGES[rng.below(PACKAGES.len() as u64) as usize],
                    version: format!("{maj}.{min}.{}", rng.below(10)),
                    fix_version: if fixable {
                        format!("{maj}.{min}.{}", 10 + rng.below(5))
                    } else {
                        String::new()
                    },
                    severity,
                    score10,
                    cwe: if rng.chance(0.8) {
                        20 + rng.below(900) as u16
                    } else {
                        0
                    },
                }
            })
            .collect();
        cves.sort_by_key(|c| c.severity);
        let mut starts = [cves.len(); 8];
        for (i, sev) in Severity::ALL.iter().enumerate().rev() {
            let first = cves
                .iter()
                .position(|c| c.severity >= *sev)
                .unwrap_or(cves.len());
            starts[i] = first;
        }
        CvePool { cves, starts }
    }

    fn end_of(&self, sev: Severity) -> usize {
        self.starts[sev.index() + 1]
    }

    /// The CVEs (pool indices) of one artifact: `count` distinct findings whose worst is
    /// exactly `worst` (when the pool allows), worst first. Pure in its arguments.
    pub fn pick(&self, seed: u64, artifact_id: i64, worst: Severity, count: usize) -> Vec<u16> {
        if worst == Severity::None || count == 0 || self.cves.is_empty() {
            return Vec::new();
        }
        let mut rng = Rng::new(mix(seed, artifact_id as u64 ^ 0x0005_EED0_FC7E));
        let (lo, hi) = (self.starts[worst.index()], self.end_of(worst));
        let mut out: Vec<u16> = Vec::with_capacity(count);
        if hi > lo {
            out.push((lo + rng.below((hi - lo) as u64) as usize) as u16);
        }
        let allowed = hi.max(1);
        let want = count.min(allowed);
        let mut guard = 0;
        while out.len() < want && guard < want * 20 {
            guard += 1;
            let c = rng.below(allowed as u64) as u16;
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out.sort_by(|a, b| {
            let (ca, cb) = (&self.cves[*a as usize], &self.cves[*b as usize]);
            cb.severity.cmp(&ca.severity).then(a.cmp(b))
        });
        out
    }

    /// Per-severity counts and the fixable count of a pick.
    pub fn summarize(&self, picked: &[u16]) -> ([u16; 7], u16) {
        let mut counts = [0u16; 7];
        let mut fixable = 0;
        for i in picked {
            let cve = &self.cves[*i as usize];
            counts[cve.severity.index()] += 1;
            if !cve.fix_version.is_empty() {
                fixable += 1;
            }
        }
        (counts, fixable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_are_stable_and_capped_by_worst() {
        let pool = CvePool::generate(1, 300);
        let a = pool.pick(1, 42, Severity::High, 10);
        assert_eq!(a, pool.pick(1, 42, Severity::High, 10));
        assert_eq!(a.len(), 10);
        assert_eq!(pool.cves[a[0] as usize].severity, Severity::High);
        assert!(a
            .iter()
            .all(|i| pool.cves[*i as usize].severity <= Severity::High));
        assert!(pool.pick(1, 42, Severity::None, 10).is_empty());
    }
}
