//! Precompressed files: `lens-serve compress DIR` writes a `.br` and a `.gz` sibling next
//! to every compressible file of a build, once, at the highest settings (too slow to do
//! per request); the static-file handler then sends the best sibling the request's
//! `Accept-Encoding` allows.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Extensions worth compressing: text and wasm. Images and fonts are compressed already.
const COMPRESSIBLE: [&str; 11] = [
    "wasm",
    "js",
    "mjs",
    "css",
    "html",
    "htm",
    "json",
    "map",
    "svg",
    "txt",
    "webmanifest",
];

/// Whether a file with this name gets precompressed siblings.
pub fn is_compressible(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| COMPRESSIBLE.contains(&e.to_ascii_lowercase().as_str()))
}

/// A content coding the server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `br`, from the `.br` sibling.
    Brotli,
    /// `gzip`, from the `.gz` sibling.
    Gzip,
}

impl Encoding {
    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// The sibling file's extra extension.
    pub fn suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => ".br",
            Encoding::Gzip => ".gz",
        }
    }
}

/// The codings an `Accept-Encoding` value allows, best first: highest q-value, and on a
/// tie brotli before gzip (smaller). A coding with `q=0`, or not named while `*` is
/// absent or has `q=0`, is not allowed. Identity is left out: it is always the fallback.
pub fn acceptable(accept_encoding: &str) -> Vec<Encoding> {
    let mut star: Option<f32> = None;
    let mut named: Vec<(Encoding, f32)> = Vec::new();
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .next()
            .map_or(Some(1.0), |v| v.trim().parse::<f32>().ok())
            // An unreadable q-value excludes the coding rather than guessing.
            .unwrap_or(0.0)
            .clamp(0.0, 1.0);
        match coding.as_str() {
            "br" => named.push((Encoding::Brotli, q)),
            "gzip" | "x-gzip" => named.push((Encoding::Gzip, q)),
            "*" => star = Some(q),
            _ => {}
        }
    }
    let mut out: Vec<(Encoding, f32)> = [Encoding::Brotli, Encoding::Gzip]
        .into_iter()
        .filter_map(|e| {
            let explicit = named
                .iter()
                .filter(|(n, _)| *n == e)
                .map(|(_, q)| *q)
                .reduce(f32::min);
            let q = explicit.or(star)?;
            (q > 0.0).then_some((e, q))
        })
        .collect();
    // Stable: brotli stays ahead of gzip on equal q.
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out.into_iter().map(|(e, _)| e).collect()
}

/// One file compressed by [`compress_dir`]: sizes in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compressed {
    /// Path relative to the directory.
    pub path: PathBuf,
    /// The file itself.
    pub raw: u64,
    /// Its `.gz` sibling.
    pub gzip: u64,
    /// Its `.br` sibling.
    pub brotli: u64,
}

/// Why `compress` failed.
#[derive(Debug)]
pub struct CompressError(String);

impl fmt::Display for CompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CompressError {}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> CompressError {
    CompressError(format!("cannot {what} {}: {e}", path.display()))
}

/// Brotli at quality 11 with a 4 MiB window: the slowest, smallest setting, fine once
/// per build.
pub fn to_brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 3);
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        // Writing into a Vec cannot fail.
        let _ = w.write_all(data);
    }
    out
}

/// Gzip at the best level.
pub fn to_gzip(data: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::best(),
    );
    let _ = w.write_all(data);
    w.finish().unwrap_or_default()
}

/// Writes `.br` and `.gz` siblings of every compressible file below `dir` (dotfiles
/// and symbolic links skipped; siblings from an earlier run are replaced). Returns what
/// was compressed, sorted by path.
pub fn compress_dir(dir: &Path) -> Result<Vec<Compressed>, CompressError> {
    let meta = std::fs::metadata(dir).map_err(|e| io_error("read", dir, e))?;
    if !meta.is_dir() {
        return Err(CompressError(format!(
            "{} is not a directory (give the built dist/ directory)",
            dir.display()
        )));
    }
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort();
    let mut out = Vec::with_capacity(files.len());
    for rel in files {
        let path = dir.join(&rel);
        let data = std::fs::read(&path).map_err(|e| io_error("read", &path, e))?;
        let mut sizes = [0u64; 2];
        for (i, (encoding, bytes)) in [
            (Encoding::Gzip, to_gzip(&data)),
            (Encoding::Brotli, to_brotli(&data)),
        ]
        .into_iter()
        .enumerate()
        {
            let mut name = path.clone().into_os_string();
            name.push(encoding.suffix());
            let sibling = PathBuf::from(name);
            std::fs::write(&sibling, &bytes).map_err(|e| io_error("write", &sibling, e))?;
            sizes[i] = bytes.len() as u64;
        }
        out.push(Compressed {
            path: rel,
            raw: data.len() as u64,
            gzip: sizes[0],
            brotli: sizes[1],
        });
    }
    Ok(out)
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CompressError> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error("list", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error("list", dir, e))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(|e| io_error("read", &path, e))?;
        if kind.is_dir() {
            collect(root, &path, out)?;
        } else if kind.is_file() && is_compressible(&path) {
            if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_path_buf());
            }
        }
    }
    Ok(())
}

/// The `compress` subcommand: compresses `dir` and prints one line per file and a total.
pub fn run(dir: &Path) -> Result<(), CompressError> {
    let done = compress_dir(dir)?;
    let kb = |b: u64| b as f64 / 1024.0;
    let (mut raw, mut gz, mut br) = (0, 0, 0);
    for c in &done {
        println!(
            "{:<32} {:>9.1} KiB  gzip {:>8.1} KiB  br {:>8.1} KiB",
            c.path.display(),
            kb(c.raw),
            kb(c.gzip),
            kb(c.brotli)
        );
        raw += c.raw;
        gz += c.gzip;
        br += c.brotli;
    }
    println!(
        "{:<32} {:>9.1} KiB  gzip {:>8.1} KiB  br {:>8.1} KiB  ({} files)",
        "total",
        kb(raw),
        kb(gz),
        kb(br),
        done.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_honours_q_values() {
        use Encoding::{Brotli as B, Gzip as G};
        assert_eq!(acceptable("gzip, deflate, br, zstd"), vec![B, G]);
        assert_eq!(acceptable("gzip"), vec![G]);
        assert_eq!(acceptable("br;q=0, gzip"), vec![G]);
        assert_eq!(acceptable("gzip;q=1.0, br;q=0.5"), vec![G, B]);
        assert_eq!(acceptable("*"), vec![B, G]);
        assert_eq!(acceptable("*;q=0, gzip"), vec![G]);
        assert_eq!(acceptable("br;q=0, *"), vec![G]);
        assert_eq!(acceptable("identity"), vec![]);
        assert_eq!(acceptable(""), vec![]);
        assert_eq!(acceptable("br;q=zero"), vec![]);
        assert_eq!(acceptable("BR ; Q=0.3 , GZIP;q=0.2"), vec![B, G]);
    }

    #[test]
    fn compressible_types() {
        for yes in [
            "a_bg.wasm",
            "a.js",
            "a.css",
            "index.html",
            "config.json",
            "i.svg",
        ] {
            assert!(is_compressible(Path::new(yes)), "{yes}");
        }
        for no in ["a.png", "a.woff2", "a.wasm.br", "a.js.gz", "noext"] {
            assert!(!is_compressible(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn both_codings_round_trip() {
        let data = "harbor lens ".repeat(500).into_bytes();
        let gz = to_gzip(&data);
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back)
            .expect("gunzip");
        assert_eq!(back, data);
        let br = to_brotli(&data);
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut brotli::Decompressor::new(&br[..], 4096), &mut back)
            .expect("unbrotli");
        assert_eq!(back, data);
        assert!(br.len() < data.len() / 20 && gz.len() < data.len() / 20);
    }

    #[test]
    fn a_file_is_not_a_directory() {
        let err = compress_dir(Path::new("Cargo.toml")).expect_err("a file");
        assert!(err.to_string().contains("not a directory"), "{err}");
        let err = compress_dir(Path::new("no/such/dir")).expect_err("missing");
        assert!(err.to_string().contains("cannot read"), "{err}");
    }
}
