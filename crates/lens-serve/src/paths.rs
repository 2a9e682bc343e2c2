//! Percent-decoding and path-segment checks shared by the static files and the proxy.

/// Decodes `%XX` escapes once. `None` for a malformed escape or a result that is not UTF-8.
pub fn percent_decode(input: &str) -> Option<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hi = (hex[0] as char).to_digit(16)?;
            let lo = (hex[1] as char).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether a decoded path segment could step outside its directory or fool a file
/// system or URL parser: `.`, `..`, backslashes and control characters.
pub fn is_unsafe_segment(segment: &str) -> bool {
    segment == "." || segment == ".." || segment.chars().any(|c| c == '\\' || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_once() {
        assert_eq!(percent_decode("a%252Fb").as_deref(), Some("a%2Fb"));
        assert_eq!(percent_decode("%2e%2E").as_deref(), Some(".."));
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decode("bad%2"), None);
        assert_eq!(percent_decode("bad%zz"), None);
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn flags_dot_segments_and_separators() {
        for bad in [".", "..", "a\\b", "a\0", "x\ny"] {
            assert!(is_unsafe_segment(bad), "{bad:?}");
        }
        for ok in ["a", "...", "a.b", "sha256:abc"] {
            assert!(!is_unsafe_segment(ok), "{ok:?}");
        }
    }
}
