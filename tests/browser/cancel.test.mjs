// Cancel stops the crawl (no more requests reach Harbor) and the page stays usable.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { startServer, launchBrowser } from "./harness.mjs";
import { openSignedIn, status, matching, waitDone, truth, scriptErrors } from "./lens.mjs";

let server;
let chrome;
before(async () => {
  server = await startServer(["--demo", "--preset", "small", "--harbor-version", "2.10", "--latency-ms", "150"]);
  chrome = await launchBrowser();
});
after(async () => {
  await chrome?.close();
  await server?.stop();
});

test("Cancel stops the crawl and the page stays usable", async () => {
  const rows = await truth(server);
  const page = await chrome.newPage();
  await openSignedIn(page, server.url);
  await page.getByRole("button", { name: "Load artifacts" }).click();
  await page.waitForFunction(
    () => Number(document.querySelector('[aria-label="Matching artifacts"]')?.textContent) > 0,
  );
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.waitForFunction(() => /^Cancelled/.test(document.querySelector(".crawl-status")?.textContent ?? ""));
  const loaded = await matching(page);
  assert.ok(loaded > 0 && loaded < rows.length, `partial load: ${loaded}`);
  assert.doesNotMatch((await status(page).textContent()).trim(), /done$/);

  // Requests that were in flight are aborted; nothing new is sent.
  await delay(500);
  const before = (await server.sim("stats")).requests_total;
  await delay(1500);
  assert.equal((await server.sim("stats")).requests_total, before);
  assert.equal(await matching(page), loaded, "no rows arrive after Cancel");

  // Still usable: filters work and a new crawl completes.
  await page.getByRole("textbox", { name: "Project", exact: true }).fill("zzz-no-such-project");
  await page.waitForFunction(() => document.querySelector('[aria-label="Matching artifacts"]')?.textContent === "0");
  await page.getByRole("button", { name: "Clear filters" }).click();
  await page.getByRole("button", { name: "Load artifacts" }).click();
  await waitDone(page, 60_000);
  assert.equal(await matching(page), rows.length);
  assert.deepEqual(scriptErrors(page), []);
});
