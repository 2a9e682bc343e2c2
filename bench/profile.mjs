#!/usr/bin/env node
// Where the dashboard's crawl time goes: a CPU profile of the page (CDP Profiler) from the
// click on `Load artifacts` to `done`, summarised as idle / GC / wasm / JS and the hottest
// functions by self time. Also saves the raw .cpuprofile (open it in Chromium DevTools).
//
//   node bench/profile.mjs [--preset medium] [--version 2.10] [--latency-ms 25] [--tls]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startProcess } from "./lib.mjs";
import * as web from "./browser.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const TARGET = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/harbor-lens/target");
const DIST = process.env.LENS_DIST ?? path.join(ROOT, "dist");

const o = { preset: "medium", version: "2.10", latency: "25", tls: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--preset") o.preset = argv[++i];
  else if (argv[i] === "--version") o.version = argv[++i];
  else if (argv[i] === "--latency-ms") o.latency = argv[++i];
  else if (argv[i] === "--tls") o.tls = true;
}

const args = ["--dist", DIST, "--addr", "127.0.0.1:0", "--quiet", "--demo", "--preset", o.preset,
  "--harbor-version", o.version, "--latency-ms", o.latency];
if (o.tls) args.push("--tls");
const server = await startProcess(path.join(TARGET, "host/lens-serve"), args, /Harbor Lens on (https?:\S+)/);
const browser = await web.launch();
try {
  const { context, page } = await web.newPage(browser);
  await web.openSignedIn(page, server.url);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const t = await web.timedLoad(page, 300_000);
  const { profile } = await cdp.send("Profiler.stop");
  const file = path.join(ROOT, "bench/profiles", `profile-${o.preset}-${o.version}-${o.latency}ms.cpuprofile`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(profile));

  // Self time per node, from the sample deltas.
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byName = new Map();
  let total = 0;
  const cat = { idle: 0, gc: 0, wasm: 0, js: 0, program: 0 };
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    total += us;
    const f = node.callFrame;
    const name = f.functionName || "(anonymous)";
    const where = f.url ? `${path.basename(f.url)}` : "";
    const key = `${name} ${where}`.trim();
    byName.set(key, (byName.get(key) ?? 0) + us);
    if (name === "(idle)") cat.idle += us;
    else if (name === "(garbage collector)") cat.gc += us;
    else if (name === "(program)") cat.program += us;
    else if (f.url.includes("wasm") || name.startsWith("$") || name.startsWith("wasm-function")) cat.wasm += us;
    else cat.js += us;
  }
  const pct = (us) => `${((us / total) * 100).toFixed(1)}%`;
  console.log(`${o.preset} ${o.version} ${o.latency} ms${o.tls ? " TLS" : ""}: done in ${t.done_ms.toFixed(0)} ms, first row ${t.first_row_ms?.toFixed(0)} ms, ${t.matching} rows`);
  console.log(`main thread: idle ${pct(cat.idle)}, wasm ${pct(cat.wasm)}, JS ${pct(cat.js)}, GC ${pct(cat.gc)}, program (browser work: layout/style/paint/network) ${pct(cat.program)}`);
  console.log("hottest by self time:");
  for (const [k, us] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    console.log(`  ${(us / 1000).toFixed(0).padStart(7)} ms  ${pct(us).padStart(6)}  ${k}`);
  }
  console.log(`profile: ${path.relative(ROOT, file)}`);
} finally {
  await browser.close();
  await server.stop();
}
