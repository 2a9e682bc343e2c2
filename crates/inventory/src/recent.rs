//! The matches of the last few filter states, so typing and backspacing in a filter
//! never scans every row twice.
//!
//! Typing adds a letter: the new matches are searched among the last ones (the filter
//! narrows, [`Filters::narrows`]). Backspace returns to a state seen a moment ago: its
//! matches are reused. Only a filter never seen over the same rows scans them all.
//! Everything remembered is dropped when what the matches were computed over (the
//! *basis*: rows, sort, "now", ...) changes.
//!
//! ```
//! use inventory::recent::RecentMatches;
//! use inventory::Filters;
//! let mut recent = RecentMatches::<u8>::default();
//! let mut f = Filters::default();
//! f.project = "pro".into();
//! recent.push(1, &f, &[1, 2, 3]);
//! let mut longer = f.clone();
//! longer.project = "proj".into();
//! assert!(recent.last_narrowed_by(1, &longer));
//! assert_eq!(recent.take_hit(1, &f), Some(vec![1, 2, 3]));
//! assert_eq!(recent.take_hit(2, &f), None); // another basis: nothing is reused
//! ```

use std::collections::VecDeque;

use crate::Filters;

/// The matches of the last [`RecentMatches::KEEP`] filter states over one basis `B`,
/// newest last.
#[derive(Debug, Clone)]
pub struct RecentMatches<B> {
    basis: Option<B>,
    entries: VecDeque<(Filters, Vec<u32>)>,
}

impl<B> Default for RecentMatches<B> {
    fn default() -> Self {
        RecentMatches {
            basis: None,
            entries: VecDeque::new(),
        }
    }
}

impl<B: PartialEq> RecentMatches<B> {
    /// How many filter states are remembered (each at most one `u32` per row).
    pub const KEEP: usize = 8;

    /// The remembered matches of `f` over `basis`, made the newest entry.
    pub fn take_hit(&mut self, basis: B, f: &Filters) -> Option<Vec<u32>> {
        if self.basis.as_ref() != Some(&basis) {
            return None;
        }
        let at = self.entries.iter().position(|(seen, _)| seen == f)?;
        let entry = self.entries.remove(at)?;
        let matches = entry.1.clone();
        self.entries.push_back(entry);
        Some(matches)
    }

    /// Whether `f` narrows the newest remembered state over `basis`: then its matches
    /// are among that state's.
    pub fn last_narrowed_by(&self, basis: B, f: &Filters) -> bool {
        self.basis.as_ref() == Some(&basis)
            && self.entries.back().is_some_and(|(old, _)| f.narrows(old))
    }

    /// Remembers the matches of `f` over `basis` (forgetting every other basis).
    pub fn push(&mut self, basis: B, f: &Filters, matches: &[u32]) {
        if self.basis.as_ref() != Some(&basis) {
            self.basis = Some(basis);
            self.entries.clear();
        }
        self.entries.retain(|(seen, _)| seen != f);
        if self.entries.len() == Self::KEEP {
            self.entries.pop_front();
        }
        self.entries.push_back((f.clone(), matches.to_vec()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(p: &str) -> Filters {
        Filters {
            project: p.into(),
            ..Filters::default()
        }
    }

    #[test]
    fn keeps_the_newest_states_of_one_basis() {
        let mut recent = RecentMatches::<u32>::default();
        for i in 0..10u32 {
            recent.push(7, &project(&format!("p{i}")), &[i]);
        }
        // The two oldest fell out.
        assert_eq!(recent.take_hit(7, &project("p0")), None);
        assert_eq!(recent.take_hit(7, &project("p1")), None);
        assert_eq!(recent.take_hit(7, &project("p2")), Some(vec![2]));
        // A hit became the newest: a narrower filter than it reads its matches.
        assert!(recent.last_narrowed_by(7, &project("p23")));
        assert!(!recent.last_narrowed_by(8, &project("p23")));
        // A push over another basis forgets the rest.
        recent.push(8, &project("x"), &[]);
        assert_eq!(recent.take_hit(7, &project("p9")), None);
        assert_eq!(recent.take_hit(8, &project("x")), Some(vec![]));
    }

    #[test]
    fn a_state_pushed_again_is_kept_once() {
        let mut recent = RecentMatches::<()>::default();
        recent.push((), &project("a"), &[1]);
        recent.push((), &project("a"), &[2]);
        assert_eq!(recent.entries.len(), 1);
        assert_eq!(recent.take_hit((), &project("a")), Some(vec![2]));
    }
}
