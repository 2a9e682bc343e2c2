// Over TLS and HTTP/2 the browser has no six-connection cap: the crawl's limit adapts
// to a Harbor that serves 16 requests at once, and a connect followed by a crawl asks
// who we are only once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import { ADMIN, loadAll, matching, truth } from "./lens.mjs";

// The server's certificate is made at its start: this file's own requests to it
// (ground truth, counters) accept it, as the browser context below does.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";

const lens = useLens([
  "--demo", "--tls", "--preset", "medium", "--harbor-version", "2.10",
  "--workers", "16", "--latency-ms", "25",
]);

test("over HTTP/2 the limit rises past 6 against a 16-worker Harbor, and nothing fails", async () => {
  const expected = await truth(lens.server, "admin");
  const context = await lens.chrome.browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (err) => page.errors.push(String(err)));
  await page.goto(lens.server.url + "/");
  await page.getByRole("textbox", { name: "Username", exact: true }).fill(ADMIN[0]);
  await page.getByLabel("Password", { exact: true }).fill(ADMIN[1]);
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.locator(".connection.ok .principal").filter({ hasText: "admin" }).waitFor();
  await fetch(`${lens.server.url}/_sim/reset`, { method: "POST" });
  const protocol = await page.evaluate(() =>
    performance.getEntriesByType("resource").find((e) => e.name.includes("/api/v2.0/"))?.nextHopProtocol,
  );
  assert.equal(protocol, "h2", "the dashboard talks HTTP/2 to the TLS server");
  await loadAll(page, 120_000);
  assert.equal(await matching(page), expected.length, "every artifact loaded");
  const stats = await lens.server.sim("stats");
  assert.ok(stats.max_in_flight > 6, `more than 6 in flight: ${stats.max_in_flight}`);
  assert.equal(stats.faults_injected.length, 0);
  assert.match(await page.locator(".progress-line").textContent(), /limit \d+/);
  assert.deepEqual(page.errors, []);
  await context.close();
});
