// Progress bars say how far a slow run is and about how long it still takes: the crawl's
// `Loading progress` and the report run's `Report progress`, against a simulator that
// answers every request late.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import { openSignedIn, waitDone, scriptErrors } from "./lens.mjs";

// 2.10 lists artifacts per repository: many requests, each 400 ms late.
const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.10", "--latency-ms", "400"]);

const ESTIMATE = /^(\d{1,2})% · (about .+|a few seconds) left$/;

/** The crawl bar's numbers and texts, read at one instant; `null` unless `pattern` (a
 * regular expression's source) matches the text shown. */
function crawlBar(pattern) {
  const bar = document.querySelector('progress[aria-label="Loading progress"]');
  const shown = bar.parentElement.querySelector(".time-left").textContent;
  if (!new RegExp(pattern).test(shown)) return null;
  return {
    now: Number(bar.getAttribute("aria-valuenow")),
    max: Number(bar.getAttribute("aria-valuemax")),
    valuetext: bar.getAttribute("aria-valuetext"),
    shown,
  };
}

test("a slow crawl shows percent and time left while it runs, and neither once done", async () => {
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  await page.getByRole("button", { name: "Load artifacts" }).click();
  const during = await (await page.waitForFunction(crawlBar, ESTIMATE.source, { timeout: 60_000 })).jsonValue();
  const [, percent] = during.shown.match(ESTIMATE);
  assert.equal(Number(percent), Math.floor((during.now * 100) / during.max), JSON.stringify(during));
  assert.equal(during.valuetext, during.shown, "screen readers get the same text");

  await waitDone(page, 120_000);
  const after = await page.evaluate(crawlBar, "^$");
  assert.ok(after, "no percent or time left once done");
  assert.equal(after.valuetext, null);
  assert.equal(after.now, after.max);
  assert.deepEqual(scriptErrors(page), []);
  await page.close();
});

test("a slow report run shows percent and time left until it is stopped", async () => {
  const page = await lens.chrome.newPage();
  // One report per artifact (not Security Hub), so the run has many requests.
  await openSignedIn(page, lens.server.url, undefined, "/?security_hub=0");
  await page.getByRole("button", { name: "Load artifacts" }).click();
  await waitDone(page, 120_000);
  await page.getByRole("button", { name: "Fetch vulnerability reports" }).click();
  const run = page.getByRole("status", { name: "Report run" });
  await run.filter({ hasText: / · \d{1,2}% · (about .+|a few seconds) left$/ }).waitFor({ timeout: 60_000 });
  const bar = page.getByRole("progressbar", { name: "Report progress" });
  const [line, valuetext] = await Promise.all([run.textContent(), bar.getAttribute("aria-valuetext")]);
  const [, done, planned] = line.match(/^Reports fetching: (\d+) of (\d+)/);
  assert.ok(Number(done) < Number(planned), line);
  assert.match(valuetext, ESTIMATE);

  await page.getByRole("button", { name: "Stop fetching reports" }).click();
  await run.filter({ hasText: /^Reports stopped: / }).waitFor();
  assert.doesNotMatch(await run.textContent(), /left|%/);
  assert.equal(await bar.count(), 0);
  assert.deepEqual(scriptErrors(page), []);
  await page.close();
});
