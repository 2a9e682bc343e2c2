// Shared pieces of the benchmark driver: processes, statistics, machine facts.
import { spawn, execFileSync } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";

/**
 * Starts a server process and resolves with its URL once a line of its stdout matches
 * `pattern` (first group = URL). Both streams are drained so the child never blocks.
 */
export async function startProcess(bin, args, pattern, timeoutMs = 120_000) {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`${bin} did not print its address within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = out.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/$/, ""));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${bin} exited with ${code} before listening:\n${stderr}`));
    });
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/** Runs a command to completion; resolves with its stdout (rejects on failure or timeout). */
export function runCommand(bin, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err = (err + c).slice(-4000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${bin} ${args.join(" ")}: ${signal ?? `exit ${code}`}\n${err}`));
    });
  });
}

/** The last JSON object a command printed. */
export function lastJson(text) {
  const lines = text.trim().split("\n").filter((l) => l.startsWith("{"));
  if (!lines.length) throw new Error(`no JSON in output:\n${text.slice(-500)}`);
  return JSON.parse(lines.at(-1));
}

/** Median, min, max, p95 and spread of a list of numbers. */
export function summary(values) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!xs.length) return null;
  const q = (p) => xs[Math.min(xs.length - 1, Math.floor(p * (xs.length - 1) + 0.5))];
  const median =
    xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
  return {
    n: xs.length,
    median,
    min: xs[0],
    max: xs.at(-1),
    p95: q(0.95),
    spread_pct: median > 0 ? ((xs.at(-1) - xs[0]) / median) * 100 : 0,
  };
}

/** `123 ms ±4%`, `1.23 s ±4%`. */
export function fmtMs(s) {
  if (!s) return "–";
  const v = s.median;
  const text = v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`;
  return s.n > 1 ? `${text} ±${s.spread_pct.toFixed(0)}%` : text;
}

/** What the figures were measured on. */
export function machine() {
  let cpu = "unknown";
  try {
    const info = fs.readFileSync("/proc/cpuinfo", "utf8");
    cpu = info.match(/^model name\s*:\s*(.*)$/m)?.[1]?.trim() ?? cpu;
  } catch {}
  let commit = null;
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {}
  let chromium = null;
  try {
    chromium = execFileSync("/usr/bin/chromium", ["--version"], { encoding: "utf8" }).trim();
  } catch {}
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu,
    memory_gb: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadavg_start: os.loadavg().map((x) => +x.toFixed(2)),
    node: process.version,
    chromium,
    commit,
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The bench talks only to servers it started itself; with `--tls` their certificate is
// self-signed, and Node's fetch of `/_sim/` must accept it.
process.env.NODE_TLS_REJECT_UNAUTHORIZED ??= "0";

/** The simulator's counters (`/_sim/stats`), from Node rather than the page's sockets. */
export async function simStats(url) {
  const r = await fetch(`${url}/_sim/stats`);
  if (!r.ok) throw new Error(`/_sim/stats: ${r.status}`);
  return r.json();
}

/** Zeroes the simulator's counters (`/_sim/reset`). */
export async function simReset(url) {
  const r = await fetch(`${url}/_sim/reset`, { method: "POST" });
  if (!r.ok) throw new Error(`/_sim/reset: ${r.status}`);
}
