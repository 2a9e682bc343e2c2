// A seeded fault plan: the failed-requests panel lists exactly the failed requests,
// the banner gives the missing numbers, and "Retry failed requests" completes the set.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import { openSignedIn, loadAll, matching, waitMatching, waitDone, truth, scriptErrors } from "./lens.mjs";

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

  const panel = page.getByRole("complementary", { name: "Failed requests" });
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
  assert.equal((await panel.locator(".badge").textContent()).trim(), String(paths.length));

  const banner = page.getByRole("note");
  assert.match(await banner.textContent(), new RegExp(`^${paths.length} of \\d+ requests failed: about ${missing} artifacts not loaded`));

  await control("faults", "PUT", "{}");
  await page.getByRole("button", { name: "Retry failed requests" }).click();
  await waitMatching(page, rows.length, 30_000);
  await waitDone(page);
  assert.equal(await items.count(), 0);
  assert.match(await panel.textContent(), /No failed requests/);
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
  const items = page.getByRole("complementary", { name: "Failed requests" }).getByRole("listitem");
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
