// Cancel stops the crawl (no more requests reach Harbor) and the page stays usable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { useLens } from "./harness.mjs";
import { openSignedIn, status, matching, waitDone, truth, scriptErrors } from "./lens.mjs";

const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.10", "--latency-ms", "150"]);

test("Cancel stops the crawl and the page stays usable", async () => {
  const rows = await truth(lens.server);
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
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
  const before = (await lens.server.sim("stats")).requests_total;
  await delay(1500);
  assert.equal((await lens.server.sim("stats")).requests_total, before);
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
