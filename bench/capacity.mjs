// The crawl against a Harbor of limited capacity (issue: speed on a real Harbor).
//
//   node bench/run.mjs --workers 4,16,64 [--presets medium,large] [--versions 2.10,2.13]
//                      [--latencies 25] [--no-python] [--no-browser]
//
// The simulator serves `workers` requests at once with Harbor-like service times (see
// crates/harbor-sim/src/capacity.rs); the rest wait. For each preset × version × latency
// × workers it measures, against the same server:
// - the native engine over HTTP/1.1, over TLS+HTTP/2 (adaptive, ceiling 32) and over
//   TLS+HTTP/2 held at 6, with the process's CPU time (the engine's own cost);
// - the dashboard in headless Chromium the same three ways (held: `?max_concurrency=6`),
//   with the renderer main thread's busy time from the click to `done`; Chromium has
//   nothing but the page attached, as for a user (bench/cdp.mjs says why);
// - harborapi with its defaults and with max_connections = 32 (HTTP/1.1; it has no HTTP/2).
// Every crawl gets its own lower bound from what the server did (`/_sim/stats`):
//   LB = max(critical path × RTT, total service / workers, requests / cap × (RTT + mean service))
// with cap = 6 on HTTP/1.1 and the ceiling (32) on HTTP/2.
import path from "node:path";
import { fmtMs, lastJson, runCommand, simReset, simStats, startProcess, summary } from "./lib.mjs";
import * as web from "./browser.mjs";

export const CEILING = 32;
export const HELD = 6;
/** Crawls per case of the dashboard over TLS+h2, adaptive and held at 6 (the median counts). */
export const DASHBOARD_RUNS = 3;

export const LB_FORMULA =
  "LB = max(critical path × RTT, total service time / workers, requests / cap × (RTT + mean service time)); " +
  `cap = ${HELD} on HTTP/1.1, ${CEILING} (the ceiling) on TLS+HTTP/2 and ${HELD} when held`;

/** The lower bound of one crawl from the server's own counters. */
export function lowerBound({ criticalPath, rtt, workers, requests, serviceMs, served, cap }) {
  const mean = served ? serviceMs / served : 0;
  const depth = criticalPath * rtt;
  const service = serviceMs / workers;
  const width = (requests / cap) * (rtt + mean);
  return { lb: Math.max(depth, service, width), depth, service, width };
}

/** Figures every client's crawl carries, from the simulator's counters after it. */
function served(stats) {
  return {
    requests: stats.requests_total,
    max_in_flight: stats.max_in_flight,
    max_in_flight_settled: stats.max_in_flight_settled ?? null,
    service_ms: stats.capacity?.service_ms_total ?? 0,
    served: stats.capacity?.served ?? 0,
    max_queued: stats.capacity?.max_queued ?? 0,
  };
}

/** The simulator alone (for the native engine and harborapi), TLS or not. */
async function startSim(ctx, c, tls) {
  const args = ["--addr", "127.0.0.1:0", "--preset", c.preset, "--version", c.version,
    "--latency-ms", String(c.latency), "--workers", String(c.workers)];
  if (tls) args.push("--tls");
  return startProcess(path.join(ctx.bin, "harbor-sim"), args, /listening on (https?\S+)/);
}

async function native(ctx, simUrl, c, ceiling) {
  const bin = path.join(ctx.target, "host/examples/crawl_bench");
  await simReset(simUrl);
  const out = lastJson(await runCommand(bin, ["--url", simUrl, "--latency-ms", String(c.latency), "--bound", String(HELD),
    "--ceiling", String(ceiling), "--user", ctx.user[0], "--password", ctx.user[1]], 1_800_000));
  return { ...out, ...served(await simStats(simUrl)) };
}

async function harborapi(ctx, simUrl, maxConnections) {
  const args = [path.join(ctx.root, "bench/clients.py"), "harborapi", simUrl, ...ctx.user];
  if (maxConnections) args.push(String(maxConnections));
  await simReset(simUrl);
  const out = lastJson(await runCommand(ctx.python, args, 1_800_000));
  return { ...out, ...served(await simStats(simUrl)) };
}

/**
 * The dashboard in Chromium: `runs` crawls, each after a fresh page load in one browser
 * (the first with nothing cached), and the median crawl by time, with every time beside
 * it. One crawl of a few seconds moves by a tenth on this machine from run to run.
 */
async function dashboard(ctx, c, tls, query, runs = 1) {
  const args = ["--dist", ctx.dist, "--addr", "127.0.0.1:0", "--quiet", "--demo", "--preset", c.preset,
    "--harbor-version", c.version, "--latency-ms", String(c.latency), "--workers", String(c.workers)];
  if (tls) args.push("--tls");
  const server = await startProcess(path.join(ctx.bin, "lens-serve"), args, /Harbor Lens on (https?:\S+)/);
  try {
    const samples = await web.crawlCase(server.url, runs, 1_800_000, query);
    const s = [...samples].sort((a, b) => a.done_ms - b.done_ms)[(samples.length - 1) >> 1];
    return {
      elapsed_ms: s.done_ms,
      elapsed_runs_ms: samples.map((x) => Math.round(x.done_ms)),
      limits: s.limits,
      first_row_ms: s.first_row_ms,
      round_trip_ms: s.round_trip_ms ?? serverRoundTrip(c.latency, s.service_ms_total, s.served),
      main: s.main,
      protocols: s.protocols,
      artifacts: s.matching,
      requests: s.requests,
      max_in_flight: s.max_in_flight,
      max_in_flight_settled: s.max_in_flight_settled,
      service_ms: s.service_ms_total ?? 0,
      served: s.served ?? 0,
    };
  } finally {
    await server.stop();
  }
}

/**
 * A round trip as the server saw it, its service time included: the latency plus the
 * mean service time. For a crawl in a worker, whose requests the page's resource timing
 * does not see.
 */
export function serverRoundTrip(latency, serviceMs, served) {
  return served ? latency + serviceMs / served : null;
}

/** Runs one measurement, keeping its error instead of losing the case. */
async function attempt(what, f, log) {
  try {
    const r = await f();
    log(`  ${what}: ${Math.round(r.elapsed_ms)} ms, ${r.requests} requests, max in flight ${r.max_in_flight}`);
    return r;
  } catch (e) {
    log(`  ${what}: failed: ${e.message.split("\n")[0]}`);
    return { error: e.message.split("\n")[0] };
  }
}

/** Every measurement of one case (preset × version × latency × workers). */
export async function measureCapacityCase(ctx, withDashboard, c, o, log) {
  log(`\n### ${c.preset} · Harbor ${c.version} · ${c.latency} ms · ${c.workers} workers`);
  const r = { ...c };
  for (const tls of [false, true]) {
    const sim = await startSim(ctx, c, tls);
    try {
      if (tls) {
        r.engine_h2 = await attempt("engine TLS+h2", () => native(ctx, sim.url, c, CEILING), log);
        r.engine_h2_held = await attempt("engine TLS+h2 held at 6", () => native(ctx, sim.url, c, HELD), log);
      } else {
        r.engine_h1 = await attempt("engine HTTP/1.1", () => native(ctx, sim.url, c, CEILING), log);
        if (o.python) {
          r.harborapi = await attempt("harborapi defaults", () => harborapi(ctx, sim.url, null), log);
          r.harborapi_32 = await attempt(`harborapi max_connections=${CEILING}`, () => harborapi(ctx, sim.url, CEILING), log);
        }
      }
    } finally {
      await sim.stop();
    }
  }
  if (withDashboard) {
    r.dash_h1 = await attempt("dashboard HTTP/1.1", () => dashboard(ctx, c, false, ""), log);
    // The two a ratio target compares: the median of DASHBOARD_RUNS crawls each.
    r.dash_h2 = await attempt("dashboard TLS+h2", () => dashboard(ctx, c, true, "", DASHBOARD_RUNS), log);
    r.dash_h2_held = await attempt("dashboard TLS+h2 held at 6",
      () => dashboard(ctx, c, true, `?max_concurrency=${HELD}`, DASHBOARD_RUNS), log);
  }
  const criticalPath = r.engine_h1?.critical_path ?? r.engine_h2?.critical_path ?? 3;
  for (const [key, cap] of [["engine_h1", HELD], ["engine_h2", CEILING], ["engine_h2_held", HELD], ["harborapi", HELD],
    ["harborapi_32", CEILING], ["dash_h1", HELD], ["dash_h2", CEILING], ["dash_h2_held", HELD]]) {
    const m = r[key];
    if (!m || m.error) continue;
    m.bound = lowerBound({ criticalPath, rtt: c.latency, workers: c.workers, requests: m.requests,
      serviceMs: m.service_ms, served: m.served, cap });
  }
  return r;
}

const ratio = (m) => (m?.elapsed_ms && m.bound?.lb ? m.elapsed_ms / m.bound.lb : null);
const cellMs = (m) => (!m ? "–" : m.error ? "failed" : fmtMs(summary([m.elapsed_ms])));
const cellX = (m, target = 1.3) => {
  const x = ratio(m);
  return x === null ? "–" : `${x.toFixed(2)}${x <= target ? " ✓" : " ✗"}`;
};

/** The targets of the capacity cases, each with what was measured. */
/** Results saved before the server's round trip was recorded get it from their counters. */
function fillRoundTrips(cases) {
  for (const c of cases) {
    for (const m of [c.dash_h1, c.dash_h2]) {
      if (m && !m.error && m.round_trip_ms == null) m.round_trip_ms = serverRoundTrip(c.latency, m.service_ms, m.served);
    }
  }
}

export function capacityTargets(cases) {
  fillRoundTrips(cases);
  const t = [];
  const add = (target, c, value, met) =>
    t.push({ target, case: `${c.preset} ${c.version} ${c.latency} ms ${c.workers} workers`, value, met });
  for (const c of cases) {
    const d2 = c.dash_h2, held = c.dash_h2_held, d1 = c.dash_h1;
    if (c.workers === 16 && ratio(d2)) add("dashboard TLS+h2 ≤ 1.3 × LB", c, `${ratio(d2).toFixed(2)} × (${Math.round(d2.elapsed_ms)} / ${Math.round(d2.bound.lb)} ms)`, ratio(d2) <= 1.3);
    if (c.workers === 16 && d2?.elapsed_ms && held?.elapsed_ms) {
      const x = held.elapsed_ms / d2.elapsed_ms;
      add("TLS+h2 ≥ 2.2 × faster than held at 6", c, `${x.toFixed(2)}×`, x >= 2.2);
    }
    if (c.workers === 64 && d2?.elapsed_ms && held?.elapsed_ms) {
      const x = held.elapsed_ms / d2.elapsed_ms;
      add("TLS+h2 ≥ 4 × faster than held at 6", c, `${x.toFixed(2)}×`, x >= 4);
    }
    if (c.workers === 4 && d2?.elapsed_ms) {
      // At steady state, as the target says: after the simulator's first 100 requests
      // (`max_in_flight_settled`); runs saved before it was counted keep the whole-run max.
      const settled = d2.max_in_flight_settled ?? d2.max_in_flight;
      const what = d2.max_in_flight_settled == null ? "whole run" : `whole run ${d2.max_in_flight}`;
      add("TLS+h2: max in flight at steady state ≤ 2 × workers", c, `${settled} (${what})`, settled <= 2 * c.workers);
      add("TLS+h2 ≤ 1.3 × LB", c, `${ratio(d2).toFixed(2)} ×`, ratio(d2) <= 1.3);
    }
    for (const [m, name] of [[d1, "HTTP/1.1"], [d2, "TLS+h2"]]) {
      if (!m?.first_row_ms || !m.round_trip_ms) continue;
      const limit = 3 * m.round_trip_ms;
      add(`first row ≤ 3 round trips (${name})`, c, `${Math.round(m.first_row_ms)} ms (3 × ${Math.round(m.round_trip_ms)} ms = ${Math.round(limit)})`, m.first_row_ms <= limit);
    }
    if (c.workers === 16 && d2?.elapsed_ms && c.harborapi?.elapsed_ms) {
      const x = c.harborapi.elapsed_ms / d2.elapsed_ms;
      add("≥ 5 × faster than harborapi defaults (TLS+h2)", c, `${x.toFixed(1)}×`, x >= 5);
    }
    const cpu = c.engine_h2?.cpu_ms;
    if (d2?.main?.busy_ms && cpu) {
      const x = d2.main.busy_ms / cpu;
      add("main thread busy ≤ 2 × native engine CPU (TLS+h2)", c, `${x.toFixed(1)}× (${Math.round(d2.main.busy_ms)} / ${Math.round(cpu)} ms)`, x <= 2);
    }
  }
  return t;
}

/** The capacity table, the formula and the targets, as markdown. */
export function capacityMarkdown(cases) {
  fillRoundTrips(cases);
  const L = [];
  L.push(`Against a Harbor of limited capacity (simulator \`--workers N\`: 10 ms + 0.5 ms per item, +4.5 ms per item with the scan overview). ${LB_FORMULA}. ×LB ✓ at ≤ 1.3. The dashboard over TLS+h2, adaptive and held at 6: the median of ${DASHBOARD_RUNS} crawls, each after a fresh page load, the first with nothing cached (every time is in the JSON).`);
  L.push("");
  L.push("| preset | Harbor | RTT | workers | requests | engine h1 | ×LB | engine h2 | ×LB | limit | engine h2 held 6 | engine CPU | dashboard h1 | ×LB | dashboard h2 | ×LB | max in flight h2 | dashboard h2 held 6 | h2 vs held | main thread busy (script) | first row h1 / h2 (round trip) | harborapi defaults | harborapi max_conn=32 |");
  L.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const c of cases) {
    if (c.skipped) {
      L.push(`| ${c.preset} | ${c.version} | ${c.latency} ms | ${c.workers} | ${c.skipped} |${" |".repeat(18)}`);
      continue;
    }
    const held = c.dash_h2_held?.elapsed_ms && c.dash_h2?.elapsed_ms ? `${(c.dash_h2_held.elapsed_ms / c.dash_h2.elapsed_ms).toFixed(2)}×` : "–";
    const main = c.dash_h2?.main ? `${Math.round(c.dash_h2.main.busy_ms)} (${Math.round(c.dash_h2.main.script_ms)}) ms` : "–";
    const fr = (m) => (m?.first_row_ms ? Math.round(m.first_row_ms) : "–");
    const rt = c.dash_h2?.round_trip_ms ?? c.dash_h1?.round_trip_ms;
    L.push(`| ${c.preset} | ${c.version} | ${c.latency} ms | ${c.workers} | ${c.engine_h1?.requests ?? "–"} | ` +
      `${cellMs(c.engine_h1)} | ${cellX(c.engine_h1)} | ${cellMs(c.engine_h2)} | ${cellX(c.engine_h2)} | ${c.engine_h2?.highest_limit ?? "–"} | ` +
      `${cellMs(c.engine_h2_held)} | ${c.engine_h2?.cpu_ms != null ? Math.round(c.engine_h2.cpu_ms) + " ms" : "–"} | ` +
      `${cellMs(c.dash_h1)} | ${cellX(c.dash_h1)} | ${cellMs(c.dash_h2)} | ${cellX(c.dash_h2)} | ${c.dash_h2?.max_in_flight ?? "–"} | ` +
      `${cellMs(c.dash_h2_held)} | ${held} | ${main} | ${fr(c.dash_h1)} / ${fr(c.dash_h2)} ms (${rt ? Math.round(rt) : "–"} ms) | ` +
      `${cellMs(c.harborapi)} | ${cellMs(c.harborapi_32)} |`);
  }
  L.push("");
  L.push("| target | case | measured | |");
  L.push("|---|---|---|---|");
  for (const t of capacityTargets(cases)) L.push(`| ${t.target} | ${t.case} | ${t.value} | ${t.met ? "met" : "NOT met"} |`);
  return L.join("\n");
}
