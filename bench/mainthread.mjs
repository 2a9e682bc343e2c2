#!/usr/bin/env node
// The dashboard's main-thread busy time during a crawl, measured with no DevTools client
// on the crawl worker.
//
// Playwright attaches to every worker of a page and enables its Network domain; Chromium
// relays the worker's DevTools events through the page's main thread, about three tasks
// per request. The capacity matrix (bench/capacity.mjs) drives the page with Playwright,
// so its "main thread busy" counts that relay too. Here Chromium is driven over a bare
// CDP connection to the page target alone (no auto-attach): the page signs in and crawls
// as a user's would, and Chromium's `Performance.getMetrics` gives the busy time from the
// click on `Load artifacts` to `done`. The engine's CPU time for the same case comes from
// the last capacity run (bench/results/capacity-latest.json).
//
//   node --experimental-websocket bench/mainthread.mjs [--runs 3] [--workers 4,16,64] [--versions 2.10,2.13]
// (Node 22 has WebSocket without the flag.) Writes bench/results/mainthread-<date>.{json,md}.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startProcess, sleep, machine } from "./lib.mjs";
import { CHROMIUM, CHROMIUM_ARGS } from "../tests/browser/harness.mjs";

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
if (typeof WebSocket === "undefined") {
  console.error("needs WebSocket: run with node --experimental-websocket (Node 20) or Node 22");
  process.exit(2);
}

/** A CDP session on one target over its WebSocket: `send` resolves with the result. */
async function cdpSession(url) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`CDP: cannot connect to ${url}`));
  });
  let next = 0;
  const pending = new Map();
  ws.onmessage = (m) => {
    const reply = JSON.parse(m.data);
    const done = reply.id && pending.get(reply.id);
    if (!done) return;
    pending.delete(reply.id);
    if (reply.error) done.reject(new Error(`CDP ${reply.error.message}`));
    else done.resolve(reply.result);
  };
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  const evaluate = async (expression) =>
    (await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true })).result?.value;
  const until = async (expression, timeoutMs) => {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
      if (await evaluate(expression)) return;
      await sleep(100);
    }
    throw new Error(`not within ${timeoutMs} ms: ${expression}`);
  };
  return { send, evaluate, until, close: () => ws.close() };
}

/** Chromium with a debugging port and one blank page; resolves with the page's CDP URL. */
async function startChromium() {
  const port = 9222 + Math.floor(Math.random() * 700);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "lens-mainthread-"));
  const child = spawn(CHROMIUM, [...CHROMIUM_ARGS, "--headless=new", "--ignore-certificate-errors",
    `--remote-debugging-port=${port}`, `--user-data-dir=${profile}`, "--window-size=1400,900", "about:blank"],
  { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    try {
      const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
      const page = targets.find((t) => t.type === "page");
      if (page) {
        const stop = async () => {
          const exited = new Promise((resolve) => child.once("exit", resolve));
          child.kill();
          await exited;
          // Its helper processes may still be writing the profile: a leftover in /tmp is
          // no failure.
          await sleep(500);
          try {
            fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
          } catch {
            // left for the system's tmp cleaning
          }
        };
        return { url: page.webSocketDebuggerUrl, stop };
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill();
  throw new Error("Chromium did not open its debugging port");
}

const buttonNamed = (name) => `[...document.querySelectorAll('button')].find((b) => b.textContent.trim() === ${JSON.stringify(name)})`;

/** Signs in as admin by typing into the form as a user would (input events), then Connect. */
const SIGN_IN = `(() => {
  const type = (el, v) => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  };
  type(document.querySelector('input[aria-label="Username"], input[autocomplete="username"]'), 'admin');
  type(document.querySelector('input[type="password"]'), 'Harbor12345');
  ${buttonNamed("Connect")}.click();
  return true;
})()`;

/** One case: `runs` crawls in one page, each after a reload and a fresh sign-in. */
async function measure(c) {
  const server = await startProcess(path.join(TARGET, "host/lens-serve"),
    ["--dist", DIST, "--addr", "127.0.0.1:0", "--quiet", "--demo", "--preset", o.preset, "--harbor-version", c.version,
      "--latency-ms", String(o.latency), "--workers", String(c.workers), "--tls"],
    /Harbor Lens on (https?:\S+)/);
  const chromium = await startChromium();
  const page = await cdpSession(chromium.url);
  try {
    await page.send("Page.enable");
    await page.send("Performance.enable");
    await page.send("Page.navigate", { url: `${server.url}/` });
    const samples = [];
    for (let run = 0; run < o.runs; run++) {
      if (run > 0) await page.send("Page.reload");
      await page.until(`!!document.querySelector('input[aria-label="Username"], input[autocomplete="username"]')`, 30_000);
      await page.evaluate(SIGN_IN);
      await page.until(`(() => { const b = ${buttonNamed("Load artifacts")}; return !!b && !b.disabled && !!document.querySelector('.connection.ok'); })()`, 30_000);
      const metrics = async () =>
        Object.fromEntries((await page.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value * 1000]));
      const before = await metrics();
      const start = Date.now();
      await page.evaluate(`${buttonNamed("Load artifacts")}.click(), true`);
      await page.until(`/done$/.test((document.querySelector('[aria-label="Crawl status"]')?.textContent ?? '').trim())`, 600_000);
      const wall = Date.now() - start;
      const after = await metrics();
      samples.push({
        wall_ms: wall,
        busy_ms: after.TaskDuration - before.TaskDuration,
        script_ms: after.ScriptDuration - before.ScriptDuration,
        layout_ms: after.LayoutDuration - before.LayoutDuration,
        style_ms: after.RecalcStyleDuration - before.RecalcStyleDuration,
      });
    }
    return samples;
  } finally {
    page.close();
    await chromium.stop();
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
  `Main-thread busy during a crawl, no DevTools client on the worker — ${res.date} — ${res.machine.nproc} cores, ${res.machine.cpu}`,
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
