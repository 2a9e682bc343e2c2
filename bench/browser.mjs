// The dashboard in headless Chromium: crawl timings, and interaction/memory figures with a
// large dataset loaded. Everything is found by the accessible names of the UI contract
// (docs/UI-CONTRACT.md); times are taken inside the page with performance.now().
import { createRequire } from "node:module";
import path from "node:path";
import zlib from "node:zlib";
import { CHROMIUM, CHROMIUM_ARGS } from "../tests/browser/harness.mjs";
import { launchBare } from "./cdp.mjs";
import { simReset, simStats } from "./lib.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const require = createRequire(path.join(ROOT, "tests/browser/package.json"));
const { chromium } = require("playwright-core");

export const ADMIN = ["admin", "Harbor12345"];

/** Raised when the page does not offer what the UI contract promises. */
export class NotReady extends Error {}

/** Installed before any page script: notes when the sign-in form becomes usable. */
function initScript() {
  const mark = () => {
    if (window.__benchInteractive) return true;
    const user = document.querySelector(
      'input[aria-label="Username"], input[autocomplete="username"], form.connect input[type="text"]',
    );
    if (user && !user.disabled) {
      window.__benchInteractive = performance.now();
      return true;
    }
    return false;
  };
  const start = () => {
    if (mark()) return;
    const obs = new MutationObserver(() => mark() && obs.disconnect());
    obs.observe(document, { subtree: true, childList: true, attributes: true });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}

export async function launch() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return browser;
}

/** A fresh context + page (TLS errors ignored for the self-signed certificate). */
export async function newPage(browser) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
  await context.addInitScript(initScript);
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (err) => page.errors.push(String(err)));
  return { context, page };
}

/** Opens the dashboard and signs in as admin; throws NotReady when the form is missing. */
export async function openSignedIn(page, url, timeout = 20_000) {
  // `url` may carry a query (`http://host?max_concurrency=6`): the page is at its root.
  const u = new URL(url);
  await page.goto(`${u.origin}/${u.search}`, { waitUntil: "load", timeout });
  try {
    await page.getByRole("textbox", { name: "Username", exact: true }).fill(ADMIN[0], { timeout });
    await page.getByLabel("Password", { exact: true }).fill(ADMIN[1], { timeout: 5_000 });
    await page.getByRole("button", { name: "Connect", exact: true }).click({ timeout: 5_000 });
    const load = page.getByRole("button", { name: "Load artifacts", exact: true });
    await load.waitFor({ timeout });
    await page.waitForFunction(
      () => {
        const b = [...document.querySelectorAll("button")].find((x) => x.textContent.trim() === "Load artifacts");
        const ok = document.querySelector(".connection.ok");
        return b && !b.disabled && (ok || !document.querySelector(".connection"));
      },
      null,
      { timeout },
    );
  } catch (e) {
    throw new NotReady(`dashboard not ready (sign-in / Load artifacts): ${e.message.split("\n")[0]}`);
  }
}

/**
 * In-page: from the next click on, notes the times (ms after `performance.timeOrigin`) of
 * the click, of the first row in the table (after the frame it lands in), of `done` in the
 * crawl status, and every main-thread task of 50 ms and more (the Long Tasks API).
 */
function installCrawlProbe() {
  const b = (window.__bench = { click: null, firstRow: null, done: null, longTasks: [], limits: [] });
  // Awaited once by the harness, rather than polled: polling the page from DevTools ten
  // times a second would add the harness's own tasks to the main thread being measured.
  b.finished = new Promise((resolve) => (b.finish = resolve));
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (b.click !== null && b.done === null) b.longTasks.push(e.duration);
  }).observe({ type: "longtask" });
  document.addEventListener("click", () => (b.click ??= performance.now()), { capture: true, once: true });
  const statusText = () =>
    (document.querySelector('[aria-label="Crawl status"]') ?? document.querySelector(".crawl-status"))?.textContent?.trim() ?? "";
  const check = () => {
    if (b.click === null) return;
    // The limit's path as the crawl status shows it ("… 14 in flight, limit 16").
    const limit = /limit (\d+)$/.exec(statusText())?.[1];
    if (limit !== undefined && b.limits.at(-1)?.[1] !== Number(limit)) {
      b.limits.push([Math.round(performance.now() - b.click), Number(limit)]);
    }
    if (b.firstRow === null && document.querySelector('table[aria-label="Artifacts"] tbody tr td')) {
      b.firstRow = -1;
      requestAnimationFrame(() => (b.firstRow = performance.now()));
    }
    if (b.done === null && /done$/.test(statusText())) {
      b.done = -1;
      requestAnimationFrame(() => {
        b.done = performance.now();
        obs.disconnect();
        b.finish();
      });
    }
  };
  const obs = new MutationObserver(check);
  obs.observe(document.body, { subtree: true, childList: true, characterData: true });
  return true;
}

/** In-page: resolves with true once `done` is painted, or with false after `timeout` ms. */
function crawlFinished(timeout) {
  return Promise.race([window.__bench.finished.then(() => true), new Promise((r) => setTimeout(() => r(false), timeout))]);
}

/** In-page: what `installCrawlProbe` saw, as times after the click, once `done` is painted. */
function readCrawlProbe() {
  const b = window.__bench;
  const api = performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/v2.0/") && e.startTime >= b.click);
  const protocols = [...new Set(api.map((e) => e.nextHopProtocol).filter(Boolean))];
  // A round trip as the crawl met it, the server's service time included: the median
  // duration of its first 8 requests (the listings and first pages the first row waits on).
  // Only requests the page sent before the first row count: a crawl in the worker sends
  // none the page can see, and the page's own later requests (project summaries once the
  // rows are in) are not the crawl's; the caller then takes the server's figure.
  const first = api
    .filter((e) => b.firstRow <= 0 || e.startTime <= b.firstRow)
    .slice(0, 8)
    .map((e) => e.responseEnd - e.startTime)
    .sort((x, y) => x - y);
  const round_trip_ms = first.length ? first[(first.length - 1) >> 1] : null;
  const matching = document.querySelector('[aria-label="Matching artifacts"]')?.textContent?.trim();
  return {
    done_ms: b.done - b.click,
    first_row_ms: b.firstRow > 0 ? b.firstRow - b.click : null,
    longest_task_ms: b.longTasks.length ? Math.max(...b.longTasks) : 0,
    tasks_over_100ms: b.longTasks.filter((d) => d > 100).length,
    limits: b.limits,
    protocols,
    round_trip_ms,
    matching: matching === undefined ? null : Number(matching.replace(/[^0-9]/g, "")),
  };
}

/**
 * Clicks `Load artifacts` and waits for the status to end with `done`. Returns in-page
 * times (ms after the click) of the first row in the table (after the frame it lands in)
 * and of `done`, plus the protocol the API requests used.
 */
export async function timedLoad(page, timeout) {
  await page.evaluate(installCrawlProbe);
  await page.getByRole("button", { name: "Load artifacts", exact: true }).click();
  if (!(await page.evaluate(crawlFinished, timeout))) throw new Error(`crawl not done within ${timeout} ms`);
  return page.evaluate(readCrawlProbe);
}

/**
 * The renderer main thread's busy time so far, in ms, from Chromium's performance metrics:
 * every task (`TaskDuration`), and the script, layout and style parts of it.
 */
export async function mainThread(cdp) {
  const { metrics } = await cdp.send("Performance.getMetrics");
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value * 1000]));
  return { busy_ms: m.TaskDuration, script_ms: m.ScriptDuration, layout_ms: m.LayoutDuration, style_ms: m.RecalcStyleDuration };
}

/** `after - before`, field by field. */
const less = (after, before) => Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));

/** In-page: types the user name and password as a user would (input events). */
function typeCredentials([user, password]) {
  const type = (el, v) => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(el, v);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  };
  type(document.querySelector('input[aria-label="Username"], input[autocomplete="username"]'), user);
  type(document.querySelector('input[type="password"]'), password);
  return true;
}

/** In-page: the button named `name`, pressed when `press`; whether it is there and enabled. */
function button([name, press]) {
  const b = [...document.querySelectorAll("button")].find((x) => x.textContent.trim() === name);
  if (b && press) b.click();
  return !!b && !b.disabled;
}

/** `f` as an expression that calls it with `arg` in the page. */
const inPage = (f, arg) => `(${f})(${arg === undefined ? "" : JSON.stringify(arg)})`;

/**
 * One crawl case in the browser: `runs` page loads, each signed in and crawled. `query`
 * is added to the page's URL (e.g. `?max_concurrency=6`). Chromium runs with nothing but
 * the page attached (bench/cdp.mjs says why). Each sample carries the main thread's busy
 * time from the click to `done` (`main.busy_ms`, with its script, layout and style parts).
 */
export async function crawlCase(url, runs, timeout, query = "") {
  const samples = [];
  const chromium = await launchBare();
  const { page } = chromium;
  try {
    await page.send("Page.enable");
    await page.send("Performance.enable");
    for (let i = 0; i < runs; i++) {
      await page.send("Page.navigate", { url: `${new URL(url).origin}/${query}` });
      try {
        await page.until(`!!document.querySelector('input[aria-label="Username"], input[autocomplete="username"]')`, 30_000);
        await page.evaluate(inPage(typeCredentials, ADMIN));
        await page.evaluate(inPage(button, ["Connect", true]));
        await page.until(`${inPage(button, ["Load artifacts", false])} && !!document.querySelector('.connection.ok')`, 30_000);
      } catch (e) {
        throw new NotReady(`dashboard not ready (sign-in / Load artifacts): ${e.message.split("\n")[0]}`);
      }
      await simReset(url);
      await page.evaluate(inPage(installCrawlProbe));
      const before = await mainThread(page);
      await page.evaluate(inPage(button, ["Load artifacts", true]));
      if (!(await page.evaluate(inPage(crawlFinished, timeout)))) throw new Error(`crawl not done within ${timeout} ms`);
      const main = less(await mainThread(page), before);
      const t = await page.evaluate(inPage(readCrawlProbe));
      const stats = await simStats(url);
      samples.push({
        ...t,
        main,
        requests: stats.requests_total,
        max_in_flight: stats.max_in_flight,
        max_in_flight_settled: stats.max_in_flight_settled ?? null,
        service_ms_total: stats.capacity?.service_ms_total ?? null,
        served: stats.capacity?.served ?? null,
      });
    }
  } finally {
    await chromium.close();
  }
  return samples;
}

// ---------------------------------------------------------------------------------------
// Interaction figures with a large dataset loaded.

/** In-page helper: resolves once the page has handled an input and painted the next frame. */
function installInteractionProbe() {
  window.__probe = {
    arm(eventType) {
      this.result = new Promise((resolve) => {
        let t0 = null;
        let changed = false;
        const target = document.querySelector(".table-wrap")?.parentElement ?? document.body;
        const obs = new MutationObserver(() => (changed = true));
        obs.observe(target, { subtree: true, childList: true, characterData: true, attributes: true });
        const start = () => (t0 ??= performance.now());
        document.addEventListener(eventType === "key" ? "keydown" : "pointerdown", start, { capture: true, once: true });
        const after = eventType === "key" ? "input" : "click";
        // Bubble phase on document: runs after the app's own handlers on the target.
        document.addEventListener(
          after,
          () => {
            requestAnimationFrame(() => {
              const ch = new MessageChannel();
              ch.port1.onmessage = () => {
                obs.disconnect();
                resolve({ ms: performance.now() - t0, changed });
              };
              ch.port2.postMessage(0);
            });
          },
          { once: true },
        );
      });
    },
  };
}

async function timedAction(page, kind, action) {
  await page.evaluate((kind) => window.__probe.arm(kind), kind);
  await action();
  return page.evaluate(() => window.__probe.result);
}

/** Keystroke plan: varied filters over Project, Repository and Tag, typed then erased. */
function keystrokePlan(truth) {
  const pick = (values, n) => {
    const uniq = [...new Set(values)].sort();
    const step = Math.max(1, Math.floor(uniq.length / n));
    return uniq.filter((_, i) => i % step === 0).slice(0, n);
  };
  const projects = pick(truth.map((r) => r.project), 3).map((p) => p.slice(0, 5));
  const repos = pick(truth.map((r) => r.repository.split("/").slice(1).join("/")), 3).map((r) => r.slice(0, 5));
  const tags = pick(truth.flatMap((r) => r.tags ?? []).map((t) => (typeof t === "string" ? t : t.name)), 3).map((t) => t.slice(0, 4));
  const plan = [];
  for (const [field, words] of [["Project", projects], ["Repository", repos], ["Tag", tags]]) {
    for (const w of words) plan.push({ field, text: w });
  }
  return plan;
}

/**
 * Rows to plan keystrokes from: the simulator's truth, or for a dataset too large to list
 * (xlarge: the truth is counts), the artifacts of a few repositories from four places in
 * the repository listing, asked of the API.
 */
async function planRows(context, url) {
  const truthResp = await context.request.get(`${url}/_sim/truth?as=admin`);
  const truth = truthResp.ok() ? await truthResp.json() : [];
  if (Array.isArray(truth)) return truth;
  const headers = { Authorization: `Basic ${Buffer.from(ADMIN.join(":")).toString("base64")}` };
  const api = async (p) => {
    const r = await context.request.get(`${url}/api/v2.0${p}`, { headers });
    return r.ok() ? r.json() : [];
  };
  const pages = Math.max(1, Math.ceil((truth.repositories ?? 100) / 100));
  const rows = [];
  for (const n of [1, Math.ceil(pages / 3), Math.ceil((2 * pages) / 3), pages]) {
    for (const repo of (await api(`/repositories?page_size=100&page=${n}`)).slice(0, 3)) {
      const [project, ...rest] = repo.name.split("/");
      const name = encodeURIComponent(encodeURIComponent(rest.join("/")));
      const artifacts = await api(`/projects/${project}/repositories/${name}/artifacts?page_size=20&with_tag=true`);
      for (const a of artifacts) rows.push({ project, repository: repo.name, tags: (a.tags ?? []).map((t) => t.name) });
    }
  }
  return rows;
}

/**
 * Loads `url`'s dataset (large), then measures keystroke → repaint, sort by size, page
 * change, memory, and memory after `reloads` more crawls in the same page (none for a
 * million rows: each takes minutes).
 */
export async function interactionFigures(browser, url, timeout, log, reloads = 5) {
  const { context, page } = await newPage(browser);
  const cdp = await context.newCDPSession(page);
  const out = { errors: [] };
  try {
    await openSignedIn(page, url);
    const load = await timedLoad(page, timeout);
    out.loaded = load.matching;
    out.load_done_ms = load.done_ms;
    out.load_longest_task_ms = load.longest_task_ms;
    out.load_tasks_over_100ms = load.tasks_over_100ms;
    log(`  crawl: longest main-thread task ${load.longest_task_ms.toFixed(0)} ms, ${load.tasks_over_100ms} over 100 ms`);
    await page.evaluate(installInteractionProbe);

    // Memory right after the load.
    out.memory_after_load = await memory(page, cdp);
    log(`  memory after load: wasm ${mb(out.memory_after_load.wasm_bytes)}, JS heap ${mb(out.memory_after_load.js_heap_used)}`);

    // Filter keystrokes.
    const keys = [];
    for (const { field, text } of keystrokePlan(await planRows(context, url))) {
      const box = page.getByRole("textbox", { name: field, exact: true });
      await box.click();
      for (const ch of text) {
        keys.push(await timedAction(page, "key", () => page.keyboard.press(ch === " " ? "Space" : ch)));
      }
      for (let i = 0; i < text.length; i++) {
        keys.push(await timedAction(page, "key", () => page.keyboard.press("Backspace")));
      }
    }
    out.keystrokes = keys.map((k) => k.ms);
    out.keystrokes_changed = keys.filter((k) => k.changed).length;
    log(`  ${keys.length} keystrokes measured`);

    // Sort by size (both directions, several times).
    const sizeHeader = page.getByRole("columnheader", { name: /^Size/ });
    const sortTarget = (await sizeHeader.getByRole("button").count()) ? sizeHeader.getByRole("button").first() : sizeHeader;
    const sorts = [];
    for (let i = 0; i < 6; i++) sorts.push(await timedAction(page, "click", () => sortTarget.click()));
    out.sorts = sorts.map((s) => s.ms);

    // Page changes.
    const nav = page.getByRole("navigation", { name: "Pagination" });
    const next = nav.getByRole("button", { name: "Next page" });
    const prev = nav.getByRole("button", { name: "Previous page" });
    const pages = [];
    for (let i = 0; i < 10; i++) {
      const button = (await next.isEnabled()) ? next : prev;
      if (!(await button.isEnabled())) break; // a single page: nothing to change
      pages.push(await timedAction(page, "click", () => button.click()));
    }
    out.page_changes = pages.map((p) => p.ms);

    // More crawls in the same page, then memory again.
    for (let i = 0; i < reloads; i++) {
      const again = await timedLoad(page, timeout);
      out.reload_done_ms = [...(out.reload_done_ms ?? []), again.done_ms];
    }
    if (reloads > 0) {
      out.memory_after_reloads = await memory(page, cdp);
      log(`  memory after ${reloads} reloads: wasm ${mb(out.memory_after_reloads.wasm_bytes)}, JS heap ${mb(out.memory_after_reloads.js_heap_used)}`);
    }
  } catch (e) {
    out.errors.push(e instanceof NotReady ? e.message : `${e.message.split("\n")[0]}`);
  } finally {
    out.page_errors = page.errors.slice(0, 5);
    await context.close();
  }
  return out;
}

const mb = (b) => (b == null ? "?" : `${(b / 2 ** 20).toFixed(1)} MB`);

/** wasm linear memory (the app's `WebAssembly.Memory`) and the JS heap, after a GC. */
export async function memory(page, cdp) {
  await cdp.send("HeapProfiler.enable").catch(() => {});
  await cdp.send("HeapProfiler.collectGarbage").catch(() => {});
  const heap = await cdp.send("Runtime.getHeapUsage");
  // boot.js keeps no handle on the instance; importing the same module again returns the
  // already-initialised one (wasm-bindgen's init returns its cached exports).
  const wasm = await page.evaluate(async () => {
    try {
      const src = [...document.querySelectorAll('link[rel="modulepreload"], script[type="module"]')]
        .map((e) => e.href || e.src)
        .find((s) => /harbor-lens[^/]*\.js$/.test(s));
      const mod = await import(src ?? new URL("./harbor-lens.js", document.baseURI).href);
      const exports = await mod.default();
      return exports?.memory?.buffer?.byteLength ?? null;
    } catch (e) {
      return `error: ${e}`;
    }
  });
  return {
    wasm_bytes: typeof wasm === "number" ? wasm : null,
    wasm_error: typeof wasm === "string" ? wasm : undefined,
    js_heap_used: heap.usedSize,
    js_heap_total: heap.totalSize,
  };
}

/**
 * Navigation → interactive (the sign-in form usable), over several fresh page loads, and
 * the gzip size of everything the page downloads (API and simulator routes excluded).
 */
export async function pageLoadFigures(browser, url, runs) {
  const interactive = [];
  let download = null;
  for (let i = 0; i < runs; i++) {
    const { context, page } = await newPage(browser);
    const bodies = [];
    if (i === 0) {
      const seen = new Set();
      page.on("response", (resp) => {
        const u = new URL(resp.url());
        if (u.pathname.startsWith("/api/") || u.pathname.startsWith("/_sim/")) return;
        // The crawl worker loads the same module again (from the HTTP cache): a file
        // counts once.
        if (seen.has(u.pathname)) return;
        seen.add(u.pathname);
        bodies.push(
          resp
            .body()
            .then((b) => ({ path: u.pathname, raw: b.length, gzip: zlib.gzipSync(b, { level: 9 }).length }))
            .catch(() => null),
        );
      });
    }
    try {
      await page.goto(`${url}/`, { waitUntil: "load" });
      await page.waitForFunction(() => window.__benchInteractive > 0, null, { timeout: 20_000 });
      interactive.push(await page.evaluate(() => window.__benchInteractive));
      if (i === 0) {
        await page.waitForLoadState("networkidle").catch(() => {});
        const files = (await Promise.all(bodies)).filter(Boolean);
        download = {
          files,
          raw_bytes: files.reduce((s, f) => s + f.raw, 0),
          gzip_bytes: files.reduce((s, f) => s + f.gzip, 0),
        };
      }
    } catch (e) {
      throw new NotReady(`dashboard not ready (no Username field after navigation): ${e.message.split("\n")[0]}`);
    } finally {
      await context.close();
    }
  }
  return { interactive_ms: interactive, download };
}
