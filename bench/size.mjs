#!/usr/bin/env node
// The dashboard's download size beside its target (< 300 KB gzipped): raw, gzip and
// brotli of the files a first visit fetches, from the built dist/ (LENS_DIST to change).
//
//   node bench/size.mjs        prints the figures
//   import "./size.mjs";       (bench/run.mjs) prints them once at the start of a run
//
// gzip is level 9 and brotli quality 11, as `lens-serve compress` writes them; a
// precompressed sibling in dist/ is not read, so a stale one cannot skew the figure.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const ROOT = path.resolve(import.meta.dirname, "..");
const DIST = process.env.LENS_DIST ?? path.join(ROOT, "dist");
/** The target: the whole first-visit download, gzipped, in KiB. */
export const TARGET_KB = 300;

/** What `index.html` makes the browser fetch: itself, its stylesheet and scripts, the
 * JS glue and wasm they load, and the config the app reads at start. */
function pageFiles(dist) {
  const html = fs.readFileSync(path.join(dist, "index.html"), "utf8");
  const named = [...html.matchAll(/(?:href|src)="\.?\/?([^":]+?)"/g)].map((m) => m[1]);
  const wanted = new Set(["index.html", ...named, "harbor-lens.js", "harbor-lens_bg.wasm", "config.json"]);
  return [...wanted].filter((f) => fs.existsSync(path.join(dist, f)) && fs.statSync(path.join(dist, f)).isFile());
}

/** Raw, gzip and brotli bytes of each first-visit file in `dist`, and their totals. */
export function downloadSize(dist = DIST) {
  const files = pageFiles(dist).map((name) => {
    const bytes = fs.readFileSync(path.join(dist, name));
    return {
      name,
      raw: bytes.length,
      gzip: zlib.gzipSync(bytes, { level: 9 }).length,
      brotli: zlib.brotliCompressSync(bytes, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
          [zlib.constants.BROTLI_PARAM_LGWIN]: 22,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      }).length,
    };
  });
  const sum = (k) => files.reduce((s, f) => s + f[k], 0);
  return { files, raw: sum("raw"), gzip: sum("gzip"), brotli: sum("brotli") };
}

/** Prints one line per file and the totals beside the target. */
export function printDownloadSize(dist = DIST) {
  if (!fs.existsSync(path.join(dist, "index.html"))) {
    console.log(`download size: ${dist}/index.html missing (build the dashboard first)`);
    return null;
  }
  const s = downloadSize(dist);
  const kb = (b) => `${(b / 1024).toFixed(1)} KB`.padStart(10);
  for (const f of s.files) console.log(`  ${f.name.padEnd(24)} raw ${kb(f.raw)}  gzip ${kb(f.gzip)}  brotli ${kb(f.brotli)}`);
  const met = s.gzip < TARGET_KB * 1024 ? "met" : "NOT met";
  console.log(
    `download size: raw ${(s.raw / 1024).toFixed(1)} KB, gzip ${(s.gzip / 1024).toFixed(1)} KB, ` +
      `brotli ${(s.brotli / 1024).toFixed(1)} KB (target < ${TARGET_KB} KB gzipped: ${met})`,
  );
  return s;
}

printDownloadSize();
