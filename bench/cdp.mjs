// Chromium driven over a bare DevTools connection (`--remote-debugging-pipe`), attached
// to the page alone.
//
// Why not Playwright for the crawl figures: Playwright attaches to every worker of a page
// and enables its Network domain. Chromium then relays each of the crawl worker's network
// events through the page's main thread, about three tasks per request, and the crawl
// itself slows: on the medium 2.13 case at 16 workers the crawl took 9.5 s under
// Playwright and 7.6 s without it. A user has no DevTools client attached, so the crawl
// figures are taken here, where nothing but the page is attached and only the
// `Performance` and `Runtime` domains are on.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sleep } from "./lib.mjs";
import { CHROMIUM, CHROMIUM_ARGS } from "../tests/browser/harness.mjs";

/** One JSON message per NUL-terminated frame, both ways. */
function pipeConnection(child) {
  const toBrowser = child.stdio[3];
  const fromBrowser = child.stdio[4];
  let next = 0;
  const pending = new Map();
  let buffered = "";
  fromBrowser.setEncoding("utf8");
  fromBrowser.on("data", (chunk) => {
    buffered += chunk;
    let end;
    while ((end = buffered.indexOf("\0")) >= 0) {
      const reply = JSON.parse(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      const waiting = reply.id && pending.get(reply.id);
      if (!waiting) continue; // an event: nothing here listens to any
      pending.delete(reply.id);
      if (reply.error) waiting.reject(new Error(`CDP ${waiting.method}: ${reply.error.message}`));
      else waiting.resolve(reply.result);
    }
  });
  const closed = new Promise((resolve) => child.once("exit", resolve));
  closed.then(() => {
    for (const w of pending.values()) w.reject(new Error(`CDP ${w.method}: Chromium exited`));
    pending.clear();
  });
  return (method, params = {}, sessionId = undefined) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject, method });
      toBrowser.write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    });
}

/** A page's session: `send` a command, `evaluate` an expression (promises awaited), `until` it holds. */
function pageSession(send, sessionId) {
  const call = (method, params) => send(method, params, sessionId);
  const evaluate = async (expression) => {
    const r = await call("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result?.value;
  };
  const until = async (expression, timeoutMs, pollMs = 100) => {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
      if (await evaluate(expression)) return;
      await sleep(pollMs);
    }
    throw new Error(`not within ${timeoutMs} ms: ${expression.slice(0, 120)}`);
  };
  return { send: call, evaluate, until };
}

/**
 * Starts headless Chromium with one blank page and attaches to that page only (no
 * auto-attach, so no session on its workers). Resolves with the page's session and `close`.
 */
export async function launchBare({ width = 1400, height = 900 } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "lens-bench-"));
  // BENCH_CHROMIUM_FLAGS: more flags for an experiment (e.g. `--js-flags=...`).
  const extra = (process.env.BENCH_CHROMIUM_FLAGS ?? "").split(" ").filter(Boolean);
  const child = spawn(CHROMIUM, [...CHROMIUM_ARGS, ...extra, "--headless=new", "--ignore-certificate-errors",
    "--remote-debugging-pipe", `--user-data-dir=${profile}`, `--window-size=${width},${height}`, "about:blank"],
  { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] });
  const send = pipeConnection(child);
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill();
      await exited;
    }
    // Its helper processes may still be writing the profile: a leftover in /tmp is no failure.
    await sleep(300);
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    } catch {
      // left for the system's tmp cleaning
    }
  };
  try {
    let page = null;
    for (let i = 0; i < 100 && !page; i++) {
      const { targetInfos } = await send("Target.getTargets");
      page = targetInfos.find((t) => t.type === "page");
      if (!page) await sleep(100);
    }
    if (!page) throw new Error("Chromium opened no page");
    const { sessionId } = await send("Target.attachToTarget", { targetId: page.targetId, flatten: true });
    return { page: pageSession(send, sessionId), close };
  } catch (e) {
    await close();
    throw e;
  }
}
