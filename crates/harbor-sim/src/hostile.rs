//! Hostile free text: what a dashboard must render and export without harm.
//!
//! Strings are derived on demand from (seed, field, id), so the 100 KB ones cost nothing
//! until a response carries them.

use std::borrow::Cow;

use serde_json::{json, Value};

use crate::rng::mix;

/// The hostile samples: markup, script, event handlers, dangerous URLs, CSV formulas,
/// right-to-left overrides, and (last) a very long string.
const SAMPLES: &[&str] = &[
    "<script>alert('harbor-sim')</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(document.domain)>",
    "javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\u{202E}exe.gnp\u{202C} invoice \u{2067}RTL\u{2069}",
    "<a href=\"javascript:alert(1)\" onclick=\"alert(2)\">click</a>",
    "{{constructor.constructor('alert(1)')()}}",
    "'; DROP TABLE artifact; --",
    "\u{0000}nul\u{0007}bell\r\ncrlf",
];

/// Which field a text is for (keeps different fields from getting the same sample).
pub mod field {
    /// Repository description.
    pub const REPO_DESCRIPTION: u64 = 1;
    /// Artifact annotation value.
    pub const ANNOTATION: u64 = 2;
    /// Vulnerability description.
    pub const VULN_DESCRIPTION: u64 = 3;
    /// Vulnerability link.
    pub const VULN_LINK: u64 = 4;
    /// Image author in extra_attrs.
    pub const AUTHOR: u64 = 5;
    /// Banner message.
    pub const BANNER: u64 = 6;
}

/// Sample `i` (wrapping): lets small datasets carry every sample at a known place.
pub fn sample(i: usize) -> &'static str {
    SAMPLES[i % SAMPLES.len()]
}

/// A hostile string for (field, id). One id in 97 gets a 100 KB string.
pub fn pick(seed: u64, field: u64, id: u64) -> Cow<'static, str> {
    let h = mix(mix(seed, field), id);
    if h % 97 == 13 {
        return Cow::Owned(long_text());
    }
    Cow::Borrowed(SAMPLES[(h % SAMPLES.len() as u64) as usize])
}

/// 100 KB of mixed-script text with markup sprinkled in.
pub fn long_text() -> String {
    let unit = "Ωmega Ärger 漢字 \u{202E}عربى\u{202C} <b>bold</b> 🚢 ";
    let mut s = String::with_capacity(100 * 1024 + unit.len());
    while s.len() < 100 * 1024 {
        s.push_str(unit);
    }
    s
}

/// `normal` when not hostile, else a hostile sample (two ids in three; the rest stay normal
/// so lists still look like data).
pub fn text(hostile: bool, seed: u64, field: u64, id: u64, normal: &str) -> String {
    if hostile && !mix(seed ^ 0x4057, id.wrapping_add(field)).is_multiple_of(3) {
        pick(seed, field, id).into_owned()
    } else {
        normal.to_string()
    }
}

/// JSON nested `depth` levels deep (below serde_json's default recursion limit of 128).
pub fn nested(depth: usize) -> Value {
    let mut v = json!("bottom <script>alert(1)</script>");
    for i in 0..depth {
        v = json!({ format!("level{}", depth - i): v });
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_100kb() {
        assert!(long_text().len() >= 100 * 1024);
        assert_eq!(text(false, 1, 1, 1, "plain"), "plain");
    }
}
