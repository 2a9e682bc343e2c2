//! Query-string encoding and decoding without `web-sys`, so the URL state is host-testable.
//!
//! Values are percent-encoded with everything but RFC 3986 unreserved characters escaped
//! (a space becomes `%20`); decoding also accepts `+` for a space, as browsers' forms send.

use harbor_client::url::{encode_keeping, percent_decode};

/// Besides RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`), the few delimiters a
/// query value may hold unescaped and people like to read; `&`, `=`, `+`, `#`, `%` and
/// spaces are always escaped.
const READABLE: &[u8] = b"/:,@";

/// Percent-encodes one key or value.
///
/// ```
/// assert_eq!(inventory::urlenc::encode("a b&c=ü"), "a%20b%26c%3D%C3%BC");
/// ```
pub fn encode(s: &str) -> String {
    encode_keeping(s, READABLE)
}

/// Decodes one key or value: `+` is a space, bad escapes are kept as written, invalid
/// UTF-8 becomes U+FFFD. Never fails, never panics.
///
/// ```
/// assert_eq!(inventory::urlenc::decode("a+b%20c%zz"), "a b c%zz");
/// ```
pub fn decode(s: &str) -> String {
    percent_decode(&s.replace('+', " "))
}

/// Splits a query string (with or without the leading `?`) into decoded pairs, in order.
/// Empty segments are skipped; a segment without `=` has an empty value.
///
/// ```
/// let pairs = inventory::urlenc::parse_query("?a=1&&b&c=x%20y");
/// assert_eq!(pairs, vec![("a".into(), "1".into()), ("b".into(), "".into()),
///                        ("c".into(), "x y".into())]);
/// ```
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    let query = query.strip_prefix('?').unwrap_or(query);
    query
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| match segment.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(segment), String::new()),
        })
        .collect()
}

/// Joins pairs into a query string without the leading `?`, encoding keys and values.
///
/// ```
/// let q = inventory::urlenc::build_query([("tag", "v1 beta"), ("sort", "-size")]);
/// assert_eq!(q, "tag=v1%20beta&sort=-size");
/// ```
pub fn build_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_table() {
        let cases = [
            ("", ""),
            ("library", "library"),
            ("a/b", "a/b"),
            ("a&b=c#d", "a%26b%3Dc%23d"),
            ("-size", "-size"),
            ("\"x\"", "%22x%22"),
            ("sha256:ab", "sha256:ab"),
            ("100%", "100%25"),
            ("+", "%2B"),
            ("日本", "%E6%97%A5%E6%9C%AC"),
        ];
        for (input, want) in cases {
            assert_eq!(encode(input), want, "encode({input:?})");
            assert_eq!(decode(want), input, "decode({want:?})");
        }
    }

    #[test]
    fn decode_is_lenient() {
        let cases = [
            ("%", "%"),
            ("%4", "%4"),
            ("%GG", "%GG"),
            ("%FF", "\u{FFFD}"),
            ("a+b", "a b"),
            ("%2B", "+"),
        ];
        for (input, want) in cases {
            assert_eq!(decode(input), want, "decode({input:?})");
        }
    }

    #[test]
    fn parse_query_edge_cases() {
        assert!(parse_query("").is_empty());
        assert!(parse_query("?").is_empty());
        assert_eq!(
            parse_query("a=b=c"),
            vec![("a".to_string(), "b=c".to_string())]
        );
        assert_eq!(parse_query("=x"), vec![(String::new(), "x".to_string())]);
    }
}
