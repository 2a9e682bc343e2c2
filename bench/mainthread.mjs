#!/usr/bin/env node
// The dashboard's main-thread busy time during a crawl, several crawls per case, against
// the native engine's CPU time for the same case (from the last capacity run,
// bench/results/capacity-latest.json). The capacity matrix measures the same once per case
// among everything else; this is the quick way to check the main thread alone.
//
// Chromium runs with nothing but the page attached (bench/cdp.mjs says why); Chromium's
// `Performance.getMetrics` gives the busy time from the click on `Load artifacts` to `done`.
//
//   node bench/mainthread.mjs [--runs 3] [--workers 4,16,64] [--versions 2.10,2.13]
// Writes bench/results/mainthread-<date>.{json,md}.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startProcess, machine } from "./lib.mjs";
import { crawlCase } from "./browser.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const TARGET = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/harbor-lens/target");
const DIST = process.env.LENS_DIST ?? path.join(ROOT, "dist");
const RESULTS = path.join(ROOT, "bench/results");

const o = { runs: 3, workers: [4, 16, 64], versions: ["2.10", "2.13"], preset: "medium", latency: 25 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--runs") o.runs = Number(argv[++i]);
  else if (argv[i] === "--workers") o.workers = argv[++i].split(",").map(Number);
  else if (argv[i] === "--versions") o.versions = argv[++i].split(",");
}

/** One case: `runs` crawls, each after a fresh load and sign-in. */
async function measure(c) {
  const server = await startProcess(path.join(TARGET, "host/lens-serve"),
    ["--dist", DIST, "--addr", "127.0.0.1:0", "--quiet", "--demo", "--preset", o.preset, "--harbor-version", c.version,
      "--latency-ms", String(o.latency), "--workers", String(c.workers), "--tls"],
    /Harbor Lens on (https?:\S+)/);
  try {
    return (await crawlCase(server.url, o.runs, 600_000)).map((s) => ({
      wall_ms: s.done_ms,
      busy_ms: s.main.busy_ms,
      script_ms: s.main.script_ms,
      layout_ms: s.main.layout_ms,
      style_ms: s.main.style_ms,
    }));
  } finally {
    await server.stop();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];

const capacity = (() => {
  try {
    return JSON.parse(fs.readFileSync(path.join(RESULTS, "capacity-latest.json"), "utf8"));
  } catch {
    return { cases: [] };
  }
})();
const engineCpu = (c) =>
  capacity.cases.find((k) => k.preset === o.preset && k.version === c.version && k.workers === c.workers && k.latency === o.latency)
    ?.engine_h2?.cpu_ms ?? null;

const now = new Date();
const res = { date: now.toISOString().replace(/\.\d+Z$/, "Z"), machine: machine(), options: o, capacity_run: capacity.date ?? null, cases: [] };
for (const version of o.versions) {
  for (const workers of o.workers) {
    const c = { version, workers };
    const samples = await measure(c);
    const busy = median(samples.map((s) => s.busy_ms));
    const cpu = engineCpu(c);
    res.cases.push({ ...c, samples, busy_ms: busy, engine_cpu_ms: cpu, ratio: cpu ? busy / cpu : null });
    console.log(`${o.preset} ${version} ${workers} workers: busy ${samples.map((s) => s.busy_ms.toFixed(0)).join(", ")} ms` +
      ` (median ${busy.toFixed(0)}), engine CPU ${cpu ?? "?"} ms${cpu ? `, ${(busy / cpu).toFixed(2)}×` : ""}`);
  }
}
const lines = [
  `Main-thread busy during a crawl, nothing but the page attached — ${res.date} — ${res.machine.nproc} cores, ${res.machine.cpu}`,
  "",
  `TLS+HTTP/2, ${o.preset}, ${o.latency} ms, adaptive limit; ${o.runs} crawl(s) per case, median; engine CPU from the capacity run of ${res.capacity_run ?? "?"}. Target: busy ≤ 2 × engine CPU.`,
  "",
  "| Harbor | workers | crawl (median) | busy (median) | script | layout | engine CPU | busy / CPU | |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---|",
  ...res.cases.map((c) => {
    const s = c.samples;
    return `| ${c.version} | ${c.workers} | ${(median(s.map((x) => x.wall_ms)) / 1000).toFixed(2)} s | ${c.busy_ms.toFixed(0)} ms | ` +
      `${median(s.map((x) => x.script_ms)).toFixed(0)} ms | ${median(s.map((x) => x.layout_ms)).toFixed(0)} ms | ${c.engine_cpu_ms ?? "–"} ms | ` +
      `${c.ratio ? `${c.ratio.toFixed(2)}×` : "–"} | ${c.ratio == null ? "" : c.ratio <= 2 ? "met" : "NOT met"} |`;
  }),
];
const stamp = res.date.replace(/[:]/g, "");
fs.mkdirSync(RESULTS, { recursive: true });
fs.writeFileSync(path.join(RESULTS, `mainthread-${stamp}.json`), JSON.stringify(res, null, 2));
fs.writeFileSync(path.join(RESULTS, `mainthread-${stamp}.md`), `${lines.join("\n")}\n`);
console.log(lines.join("\n"));
