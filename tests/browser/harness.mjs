// Shared set-up for the browser tests: a real lens-serve process (with the simulator
// mounted) on a free loopback port, and headless Chromium driven by playwright-core.
import { spawn } from "node:child_process";
import { before, after } from "node:test";
import { once } from "node:events";
import path from "node:path";
import { chromium } from "playwright-core";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SERVE_BIN = process.env.LENS_SERVE_BIN;
const DIST = process.env.LENS_DIST ?? path.join(ROOT, "dist");
export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

// Without these flags Chromium, running as root on a closed network, fails to start or
// floods the network with background requests.
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Starts lens-serve with extra flags; resolves once it prints its address. */
export async function startServer(args = []) {
  if (!SERVE_BIN) throw new Error("LENS_SERVE_BIN is not set (run scripts/test.sh)");
  const child = spawn(SERVE_BIN, ["--dist", DIST, "--addr", "127.0.0.1:0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = out.match(/Harbor Lens on (http\S+)/);
      if (match) resolve(match[1].replace(/\/$/, ""));
    });
    child.on("exit", (code) =>
      reject(new Error(`lens-serve exited with ${code} before listening:\n${stderr}`)),
    );
  });
  return {
    url,
    /** JSON from the simulator's observability routes (outside /api/). */
    async sim(route, init) {
      const resp = await fetch(`${url}/_sim/${route}`, init);
      if (!resp.ok) throw new Error(`/_sim/${route}: ${resp.status}`);
      return resp.json();
    },
    async stop() {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

/** Launches headless Chromium; records page errors and console errors per page. */
export async function launchBrowser() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return {
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext(options);
      const page = await context.newPage();
      page.errors = [];
      page.on("pageerror", (err) => page.errors.push(String(err)));
      page.on("console", (msg) => {
        if (msg.type() === "error") page.errors.push(msg.text());
      });
      page.on("dialog", (dialog) => {
        page.errors.push(`dialog opened: ${dialog.message()}`);
        dialog.dismiss();
      });
      return page;
    },
    close: () => browser.close(),
  };
}

/**
 * Starts lens-serve with `args` and headless Chromium before a file's tests and stops
 * both after them; `setup(lens)` runs once both are up. The tests read them from the
 * returned object: `lens.server`, `lens.chrome`.
 */
export function useLens(args, setup) {
  const lens = {};
  before(async () => {
    lens.server = await startServer(args);
    lens.chrome = await launchBrowser();
    await setup?.(lens);
  });
  after(async () => {
    await lens.chrome?.close();
    await lens.server?.stop();
  });
  return lens;
}
