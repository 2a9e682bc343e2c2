//! What Harbor's `pull_time` means on a given release, for the "not pulled for N days"
//! preset and column, so nobody deletes an image on a misread pull time.
//!
//! Facts (goharbor/harbor issues):
//! - #21326 (closed, maintainers' answer, December 2024): Harbor moves `pull_time` when a
//!   client fetches the manifest by tag; a pull by digest (what Kubernetes does with a
//!   pinned image, and what a client that has the image cached sends) does not move it.
//!   This is by design on every release.
//! - Scans pull the image through the registry. Harbor 2.8 added the system setting
//!   "Retain image last pull time" (`scanner_skip_update_pulltime`) to stop that; before
//!   2.8 a scan always moves `pull_time`. #20084 (open, reported on 2.9.1) shows a scan
//!   moving it even with the setting on.

/// How far to trust `pull_time` on one Harbor release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullTimeNote {
    /// Pulls by digest leave `pull_time` where it was.
    pub digest_pulls_missed: bool,
    /// Scans can move `pull_time` (a scanned image looks recently pulled).
    pub scans_move_it: bool,
    /// The release has the "Retain image last pull time" setting (2.8 and later).
    pub has_retain_setting: bool,
    /// The release was not known (Harbor tells it only to signed-in users from 2.13).
    pub release_unknown: bool,
}

impl PullTimeNote {
    /// The note for a release given as `(major, minor)`; `None` when not known.
    pub fn for_release(release: Option<(u32, u32)>) -> PullTimeNote {
        let has_retain_setting = release.is_none_or(|v| v >= (2, 8));
        PullTimeNote {
            digest_pulls_missed: true,
            scans_move_it: true,
            has_retain_setting,
            release_unknown: release.is_none(),
        }
    }

    /// One or two sentences for a tooltip or a note under the preset.
    ///
    /// ```
    /// use inventory::pulltime::PullTimeNote;
    /// let note = PullTimeNote::for_release(Some((2, 7))).text();
    /// assert!(note.contains("by digest") && note.contains("every scan"));
    /// ```
    pub fn text(&self) -> String {
        let mut out = String::from(
            "Harbor updates \"pulled\" only on pulls by tag: pulls by digest (pinned images, \
             cached clients) do not count (goharbor/harbor#21326).",
        );
        out.push(' ');
        out.push_str(if !self.has_retain_setting {
            "On this release every scan also counts as a pull, so a scanned image looks \
             recently pulled."
        } else if self.release_unknown {
            "Scans may count as pulls, depending on the release and on the \"Retain image \
             last pull time\" setting (goharbor/harbor#20084)."
        } else {
            "Scans count as pulls unless \"Retain image last pull time\" is set, and \
             sometimes even then (goharbor/harbor#20084)."
        });
        out
    }
}

/// The note for a `harbor_version` text such as `v2.13.1-9384ed0e` (`None` or an
/// unreadable text gives the note for an unknown release).
///
/// ```
/// let note = inventory::pulltime::note_for_version(Some("v2.13.1-9384ed0e"));
/// assert!(note.contains("Retain image last pull time"));
/// ```
pub fn note_for_version(harbor_version: Option<&str>) -> String {
    let release = harbor_version.and_then(harbor_client::model::parse_version);
    PullTimeNote::for_release(release).text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_by_release() {
        let old = PullTimeNote::for_release(Some((2, 7)));
        assert!(!old.has_retain_setting && old.scans_move_it && old.digest_pulls_missed);
        assert!(old.text().contains("every scan"));
        for v in [(2, 8), (2, 10), (2, 13), (2, 16)] {
            let n = PullTimeNote::for_release(Some(v));
            assert!(n.has_retain_setting && !n.release_unknown, "{v:?}");
            let text = n.text();
            assert!(text.contains("#21326") && text.contains("#20084"), "{v:?}");
            assert!(!text.contains("every scan"), "{v:?}");
        }
        let unknown = PullTimeNote::for_release(None);
        assert!(unknown.release_unknown);
        assert!(unknown.text().contains("depending on the release"));
        assert_eq!(note_for_version(Some("garbage")), unknown.text());
        assert_eq!(
            note_for_version(Some("v2.7.4-abc")),
            old.text(),
            "parsed from harbor_version"
        );
    }
}
