//! What changes between the Harbor releases the simulator emulates (2.10 to 2.16), for
//! the parts a read-only client observes. Each rule names the release that brought it.

use crate::HarborVersion;

impl HarborVersion {
    /// Harbor 2.14.0: vulnerabilities carry a `status` (goharbor/harbor#22177).
    pub const V2_14: HarborVersion = HarborVersion::new(2, 14, 0);
    /// Harbor 2.15.0.
    pub const V2_15: HarborVersion = HarborVersion::new(2, 15, 0);
    /// Harbor 2.15.2: the first release whose repository `update_time` moves on tag and
    /// delete changes (goharbor/harbor#23225, cherry-picked in #23292).
    pub const V2_15_2: HarborVersion = HarborVersion::new(2, 15, 2);
    /// Harbor 2.16.0: `with_inherited_accessory` and `inherited_accessories`.
    pub const V2_16: HarborVersion = HarborVersion::new(2, 16, 0);
    /// The oldest release emulated.
    pub const OLDEST: HarborVersion = HarborVersion::V2_10;
    /// The newest release emulated.
    pub const NEWEST: HarborVersion = HarborVersion::V2_16;

    /// A version from its parts.
    pub const fn new(major: u32, minor: u32, patch: u32) -> HarborVersion {
        HarborVersion {
            major,
            minor,
            patch,
        }
    }

    /// Artifacts carry `repository_name` and `artifact_type`, and
    /// `/projects/{p}/artifacts` exists (2.12).
    pub fn project_artifacts(&self) -> bool {
        self.at_least(2, 12)
    }

    /// Anonymous `/systeminfo` still includes `harbor_version` (up to 2.12;
    /// goharbor/harbor#21672 removed it in 2.13).
    pub fn anonymous_sees_version(&self) -> bool {
        !self.at_least(2, 13)
    }

    /// Model artifacts (CNCF model spec) get the `CNAI` type (2.13); older releases do
    /// not know the config media type and call them `UNKNOWN`.
    pub fn knows_cnai(&self) -> bool {
        self.at_least(2, 13)
    }

    /// Each vulnerability of a report has a `status` (2.14).
    pub fn vulnerability_status(&self) -> bool {
        self.at_least(2, 14)
    }

    /// A repository's `update_time` moves on tag create, delete and retag and on artifact
    /// delete, not only on a push (2.15.2). Before, only a push moved it.
    pub fn update_time_tracks_every_change(&self) -> bool {
        *self >= HarborVersion::V2_15_2
    }

    /// `with_inherited_accessory` is a known parameter and artifacts can carry
    /// `inherited_accessories` (2.16).
    pub fn inherited_accessories(&self) -> bool {
        self.at_least(2, 16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_starts_at_its_release() {
        let v = |s: &str| s.parse::<HarborVersion>().unwrap();
        assert!(v("2.12").anonymous_sees_version() && !v("2.13").anonymous_sees_version());
        assert!(!v("2.12.3").knows_cnai() && v("2.13").knows_cnai());
        assert!(!v("2.13.1").vulnerability_status() && v("2.14").vulnerability_status());
        assert!(!v("2.15.1").update_time_tracks_every_change());
        assert!(v("2.15.2").update_time_tracks_every_change());
        assert!(v("2.16").update_time_tracks_every_change());
        assert!(!v("2.15.2").inherited_accessories() && v("2.16").inherited_accessories());
    }
}
