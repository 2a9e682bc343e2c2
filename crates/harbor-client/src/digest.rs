//! An artifact's digest, kept in 32 bytes rather than 71 characters.
//!
//! Every row carries a digest, and the row set's index carries it again: as text that is
//! about 160 bytes of heap per artifact, a quarter of what a row costs. Nearly every
//! digest Harbor sends is `sha256:` and 64 lower-case hex digits, which is 32 bytes of
//! information; anything else (another algorithm, upper case, a short digest in a test)
//! is kept as it came, so the text always reads back exactly as Harbor sent it.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const PREFIX: &str = "sha256:";
const TEXT_LEN: usize = PREFIX.len() + 64;
const HEX: &[u8; 16] = b"0123456789abcdef";

/// An artifact's digest, as Harbor spells it (`sha256:4c6d...`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Digest {
    /// `sha256:` and 64 lower-case hex digits, as the 32 bytes they spell.
    Sha256([u8; 32]),
    /// Any other text, kept as sent.
    Other(Box<str>),
}

impl Digest {
    /// Reads Harbor's text; never fails (what is not a lower-case sha256 is kept as text).
    pub fn new(text: &str) -> Digest {
        match parse_sha256(text) {
            Some(bytes) => Digest::Sha256(bytes),
            None => Digest::Other(text.into()),
        }
    }

    /// The text, without allocating: `&*digest.text()` is a `&str`.
    pub fn text(&self) -> DigestText<'_> {
        match self {
            Digest::Sha256(bytes) => {
                let mut inline = [0u8; TEXT_LEN];
                inline[..PREFIX.len()].copy_from_slice(PREFIX.as_bytes());
                for (i, b) in bytes.iter().enumerate() {
                    inline[PREFIX.len() + 2 * i] = HEX[usize::from(b >> 4)];
                    inline[PREFIX.len() + 2 * i + 1] = HEX[usize::from(b & 0xf)];
                }
                DigestText::Inline(inline)
            }
            Digest::Other(text) => DigestText::Borrowed(text),
        }
    }

    /// True when the text starts with `prefix`.
    pub fn starts_with(&self, prefix: &str) -> bool {
        self.text().starts_with(prefix)
    }
}

fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let hex = text.strip_prefix(PREFIX)?.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut bytes = [0u8; 32];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        bytes[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(bytes)
}

/// A digest's text, on the stack when it was stored as bytes.
pub enum DigestText<'a> {
    Inline([u8; TEXT_LEN]),
    Borrowed(&'a str),
}

impl Deref for DigestText<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            // Written from ASCII above, so always valid.
            DigestText::Inline(bytes) => std::str::from_utf8(bytes).unwrap_or_default(),
            DigestText::Borrowed(text) => text,
        }
    }
}

impl From<&str> for Digest {
    fn from(text: &str) -> Digest {
        Digest::new(text)
    }
}

impl From<String> for Digest {
    fn from(text: String) -> Digest {
        match parse_sha256(&text) {
            Some(bytes) => Digest::Sha256(bytes),
            None => Digest::Other(text.into_boxed_str()),
        }
    }
}

impl PartialEq<str> for Digest {
    fn eq(&self, other: &str) -> bool {
        *self.text() == *other
    }
}

impl PartialEq<&str> for Digest {
    fn eq(&self, other: &&str) -> bool {
        *self.text() == **other
    }
}

/// The order of the texts: for two sha256 digests, the order of their bytes.
impl Ord for Digest {
    fn cmp(&self, other: &Digest) -> Ordering {
        match (self, other) {
            (Digest::Sha256(a), Digest::Sha256(b)) => a.cmp(b),
            _ => self.text().cmp(&other.text()),
        }
    }
}

impl PartialOrd for Digest {
    fn partial_cmp(&self, other: &Digest) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text(), f)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Digest, D::Error> {
        String::deserialize(deserializer).map(Digest::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:4c6d0b1f2e3a59788796a5b4c3d2e1f000112233445566778899aabbccddeeff";

    #[test]
    fn a_sha256_reads_back_exactly_and_fits_in_its_bytes() {
        let d = Digest::new(A);
        assert!(matches!(d, Digest::Sha256(_)));
        assert_eq!(d.to_string(), A);
        assert_eq!(d, A);
        assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{A}\""));
        assert_eq!(
            serde_json::from_str::<Digest>(&format!("\"{A}\"")).unwrap(),
            d
        );
    }

    #[test]
    fn anything_else_is_kept_as_sent() {
        for text in [
            "sha256:01",
            "sha512:abcd",
            &A.to_uppercase(),
            &A.replace("sha256:", "SHA256:"),
            &format!("{A}0"),
            "",
            "sha256:zz6d0b1f2e3a59788796a5b4c3d2e1f000112233445566778899aabbccddeeff",
        ] {
            let d = Digest::new(text);
            assert!(matches!(d, Digest::Other(_)), "{text}");
            assert_eq!(&*d.text(), text);
            assert_eq!(Digest::from(text.to_owned()), d);
        }
    }

    #[test]
    fn orders_as_the_text_does() {
        let mut texts = vec![
            A.to_owned(),
            A.replace("4c6d", "0c6d"),
            A.replace("4c6d", "fc6d"),
            "sha256:01".to_owned(),
            "sha256:ff".to_owned(),
            "sha512:00".to_owned(),
        ];
        let mut digests: Vec<Digest> = texts.iter().map(|t| Digest::new(t)).collect();
        texts.sort();
        digests.sort();
        let back: Vec<String> = digests.iter().map(Digest::to_string).collect();
        assert_eq!(back, texts);
    }

    #[test]
    fn is_smaller_than_the_text() {
        assert!(std::mem::size_of::<Digest>() <= 40);
    }
}
