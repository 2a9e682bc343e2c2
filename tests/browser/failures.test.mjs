// A seeded fault plan: the header's badge counts the failed requests and opens their
// panel, which lists each exactly once; the banner gives the missing numbers, and
// "Retry failed requests" completes the set.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import {
  openSignedIn, loadAll, matching, waitMatching, waitDone, truth, scriptErrors,
  failuresBadge, failuresPanel, badgeCount, openFailures,
} from "./lens.mjs";

// 2.10 lists artifacts per repository, so a fault can hit exactly one repository.
const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.10"]);

const FAILING = ["library/cache-cron", "library/api"];

/** PUT/POST to the simulator's control routes (their bodies may be empty). */
async function control(route, method, body) {
  const resp = await fetch(`${lens.server.url}/_sim/${route}`, {
    method,
    headers: { "content-type": "application/json" },
    body,
  });
  assert.ok(resp.ok, `/_sim/${route}: ${resp.status}`);
}

test("failed requests are listed exactly, the banner counts the missing, retry completes", async () => {
  const rows = await truth(lens.server);
  const missing = rows.filter((r) => FAILING.includes(r.repository)).length;
  assert.ok(missing > 0);
  const rules = FAILING.map((repo) => ({
    pattern: `/projects/library/repositories/${repo.split("/")[1]}/artifacts?*`,
    kind: "http500",
  }));
  await control("faults", "PUT", JSON.stringify({ rules }));
  await control("reset", "POST");

  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  assert.equal(await matching(page), rows.length - missing);

  const stats = await lens.server.sim("stats");
  const injected = stats.faults_injected;
  const paths = [...new Set(injected.map((f) => f.path_and_query))];
  assert.equal(paths.length, FAILING.length, "one failing URL per repository");

  const panel = await openFailures(page);
  const items = panel.getByRole("listitem");
  assert.equal(await items.count(), paths.length);
  for (let i = 0; i < paths.length; i++) {
    const text = await items.nth(i).textContent();
    const path = paths.find((p) => text.includes(p));
    assert.ok(path, `listitem ${i} names one of the failing paths: ${text}`);
    assert.match(text, /GET/);
    assert.match(text, /500/);
    const ids = injected.filter((f) => f.path_and_query === path).map((f) => f.request_id);
    assert.ok(ids.some((id) => text.includes(id)), `listitem ${i} shows an X-Request-Id the server sent`);
  }
  assert.equal(await badgeCount(page), paths.length);

  const banner = page.getByRole("note");
  assert.match(await banner.textContent(), new RegExp(`^${paths.length} of \\d+ requests failed: about ${missing} artifacts not loaded`));

  await control("faults", "PUT", "{}");
  await page.getByRole("button", { name: "Retry failed requests" }).click();
  await waitMatching(page, rows.length, 30_000);
  await waitDone(page);
  assert.equal(await items.count(), 0);
  assert.match(await panel.textContent(), /No failed requests/);
  assert.equal(await badgeCount(page), 0);
  assert.doesNotMatch(await failuresBadge(page).getAttribute("class"), /\bbad\b/);
  assert.equal(await page.getByRole("note").count(), 0);
  assert.deepEqual(scriptErrors(page), []);
});

test("a single failed request can be retried on its own", async () => {
  const rows = await truth(lens.server);
  const one = rows.filter((r) => r.repository === FAILING[0]).length;
  const two = rows.filter((r) => r.repository === FAILING[1]).length;
  const rules = FAILING.map((repo) => ({
    pattern: `/projects/library/repositories/${repo.split("/")[1]}/artifacts?*`,
    kind: "http503",
  }));
  await control("faults", "PUT", JSON.stringify({ rules }));
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  assert.equal(await matching(page), rows.length - one - two);
  const items = (await openFailures(page)).getByRole("listitem");
  assert.equal(await items.count(), 2);
  await control("faults", "PUT", "{}");
  const first = items.first();
  const firstRepo = (await first.textContent()).includes(FAILING[0].split("/")[1]) ? one : two;
  await first.getByRole("button", { name: /^Retry request/ }).click();
  await waitMatching(page, rows.length - (one + two - firstRepo), 30_000);
  await waitDone(page);
  assert.equal(await items.count(), 1);
  assert.match(await page.getByRole("note").textContent(), /^1 of \d+ requests failed/);
  assert.deepEqual(scriptErrors(page), []);
});

test("the badge counts every failed request, its panel lists each once, opens and closes from the keyboard", async () => {
  // Every artifact listing of the repositories whose name holds "a" fails on every attempt.
  await control("faults", "PUT", JSON.stringify({ rules: [{ pattern: "/projects/*/repositories/*a*/artifacts?*", kind: "http502" }] }));
  await control("reset", "POST");
  const page = await lens.chrome.newPage({ viewport: { width: 1200, height: 900 } });
  await openSignedIn(page, lens.server.url);
  const badge = failuresBadge(page);
  assert.equal(await badgeCount(page), 0);
  assert.doesNotMatch(await badge.getAttribute("class"), /\bbad\b/);
  // Closed, the panel takes no room: the table spans the page's width.
  const widths = () =>
    page.evaluate(() => ({
      table: document.querySelector(".table-wrap").getBoundingClientRect().width,
      main: document.querySelector("main").clientWidth,
    }));
  const closed = await widths();
  assert.ok(closed.table >= closed.main - 40, `table ${closed.table} px of ${closed.main} px`);
  await loadAll(page);

  const injected = (await lens.server.sim("stats")).faults_injected;
  const failing = [...new Set(injected.map((f) => f.path_and_query))];
  assert.ok(failing.length >= 3, `several listings fail: ${failing}`);
  assert.equal(await badgeCount(page), failing.length);
  assert.match(await badge.getAttribute("class"), /\bbad\b/);

  // The notice after the crawl, and its Show button.
  const notice = page.getByRole("status", { name: "Failure notice" });
  assert.equal((await notice.textContent()).replace(/\s*Show\s*Retry failed requests$/, ""), `${failing.length} requests failed`);
  await notice.getByRole("button", { name: "Show", exact: true }).click();
  const panel = failuresPanel(page);
  await panel.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.closest('[aria-label="Failed requests"]') !== null), true);
  assert.equal((await notice.textContent()).trim(), "", "the notice steps aside while the panel is open");

  // One list item per failed request, each failing path in exactly one of them.
  const items = await panel.getByRole("listitem").allTextContents();
  assert.equal(items.length, failing.length);
  assert.equal(items.length, await badgeCount(page));
  for (const path of failing) {
    assert.equal(items.filter((text) => text.includes(path)).length, 1, `${path} is listed once`);
  }
  const listed = items.map((text) => failing.find((p) => text.includes(p)));
  assert.equal(new Set(listed).size, failing.length, "every item names a different failing path");
  // The table stays in view beside the panel.
  assert.ok((await page.getByRole("table", { name: "Artifacts" }).boundingBox()).x < 100);

  // Esc closes it and focus returns to the badge; the badge opens it again, Close closes it.
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "detached" });
  assert.equal(await page.evaluate(() => document.activeElement?.id), "failures-badge");
  await page.keyboard.press("Enter");
  await panel.waitFor();
  assert.equal(await badge.getAttribute("aria-expanded"), "true");
  await panel.getByRole("button", { name: "Close", exact: true }).click();
  await panel.waitFor({ state: "detached" });
  assert.equal(await page.evaluate(() => document.activeElement?.id), "failures-badge");
  assert.equal(await badge.getAttribute("aria-expanded"), "false");

  // With the panel closed, the notice retries too: the one button of that name on the page.
  await control("faults", "PUT", "{}");
  await notice.getByRole("button", { name: "Retry failed requests" }).click();
  await page.getByRole("button", { name: "Failed requests (0)", exact: true }).waitFor({ timeout: 30_000 });
  await waitDone(page);
  assert.equal((await notice.textContent()).trim(), "", "nothing failed: no notice");
  assert.deepEqual(scriptErrors(page), []);
});
