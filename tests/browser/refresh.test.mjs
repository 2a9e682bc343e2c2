// Incremental refresh: after a reload the cached inventory shows at once while a refresh
// lists repositories and lists artifacts again only where the simulator changed them
// (checked with the simulator's per-path request counts); the table then equals a full
// crawl of the changed Harbor.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import { openSignedIn, loadAll, waitDone, waitMatching, truth, scriptErrors, waitStored, assertExportIsTruth, rowKey as key, openFailures } from "./lens.mjs";

// Some latency, so the refresh is still running when the cached rows are already shown (the
// crawl worker is warm by then, so the refresh starts at once; a loaded machine needs slack).
const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.13", "--latency-ms", "250"]);

const post = (path, body, method = "POST") =>
  fetch(`${lens.server.url}/_sim/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  })
    .then((r) => r.text())
    .then((t) => (t ? JSON.parse(t) : null));

/** Repositories whose artifacts were listed since the last reset. */
async function relisted() {
  const stats = await lens.server.sim("stats");
  return Object.keys(stats.by_path)
    .map((p) => p.match(/^\/api\/v2\.0\/projects\/([^/]+)\/repositories\/([^/]+)\/artifacts$/))
    .filter(Boolean)
    .map(([, project, repo]) => `${project}/${decodeURIComponent(decodeURIComponent(repo))}`)
    .sort();
}

test("a reload refreshes only the repositories that changed, and the table equals the truth", async () => {
  const info = await lens.server.sim("info");
  const page = await lens.chrome.newPage({ acceptDownloads: true });
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const before = await truth(lens.server);
  await waitStored(page);

  const changed = await post("mutate", { repositories: 3, push: 2, delete: 1 });
  assert.equal(changed.repositories.length, 3);
  const after = await truth(lens.server);
  await post("reset");

  await page.reload();
  await openSignedIn(page, lens.server.url);
  // The cached rows at once, marked as such, while the refresh runs.
  await waitMatching(page, before.length);
  assert.match(
    await page.getByRole("status", { name: "Cached inventory" }).textContent(),
    /^Showing the inventory cached .+; refreshing the repositories that changed…$/,
  );
  await waitDone(page);
  const summary = page.getByRole("status", { name: "Refresh summary" });
  assert.equal(
    await summary.textContent(),
    `Refreshed: 3 repositories changed, ${info.repositories - 3} unchanged.`,
  );
  assert.deepEqual(await relisted(), [...changed.repositories].sort(), "only the changed repositories are listed again");
  const stats = await lens.server.sim("stats");
  // Besides the sign-in probes (their number depends on how the page's first anonymous
  // probe and the sign-in overlap) and the project summaries read after every crawl for
  // the quota: the repository list once, no project list, one artifact page per changed
  // repository.
  const crawlRoutes = Object.fromEntries(
    Object.entries(stats.by_route).filter(([route]) => !/\/(systeminfo|users\/current|summary)$/.test(route)),
  );
  assert.deepEqual(crawlRoutes, {
    "GET /repositories": Math.ceil(info.repositories / 100),
    "GET /projects/{project_name}/repositories/{repository_name}/artifacts": 3,
  });

  // The table equals the changed Harbor: rows, and the tags that moved.
  await waitMatching(page, after.length);
  await assertExportIsTruth(page, after);
  assert.equal(await page.getByRole("status", { name: "Cached inventory" }).count(), 0);

  // The snapshot diff shows what the refresh changed: exactly the simulator's changes.
  await page.getByText("Snapshot diff", { exact: true }).click();
  const section = page.getByRole("region", { name: "Snapshot diff" });
  await section.getByRole("button", { name: "Show what the last refresh changed" }).click();
  const beforeKeys = new Set(before.map(key));
  const afterKeys = new Set(after.map(key));
  const added = after.filter((r) => !beforeKeys.has(key(r))).length;
  const removed = before.filter((r) => !afterKeys.has(key(r))).length;
  assert.equal(added, changed.pushed.length);
  assert.equal(removed, changed.deleted.length);
  assert.match(
    await section.getByRole("status", { name: "Diff summary" }).textContent(),
    new RegExp(`^${added} added, ${removed} removed, \\d+ re-tagged;`),
  );
  await page.getByText("Snapshot diff", { exact: true }).click();

  // Nothing changed since: a refresh lists repositories and nothing else.
  await post("reset");
  await page.getByRole("button", { name: "Refresh", exact: true }).click();
  await summary.filter({ hasText: `Refreshed: 0 repositories changed, ${info.repositories} unchanged.` }).waitFor();
  await waitDone(page);
  assert.deepEqual(await relisted(), []);
  await waitMatching(page, after.length);
  assert.deepEqual(scriptErrors(page), []);
  await page.close();
});

test("a refresh whose listings fail keeps every row and lists what failed", async () => {
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const rows = await truth(lens.server);
  await post("mutate", { repositories: 2, push: 1, delete: 0 });
  await post("faults", { rules: [{ pattern: "*/artifacts?*", kind: "http500" }] }, "PUT");
  try {
    await page.getByRole("button", { name: "Refresh", exact: true }).click();
    await waitDone(page);
    const panel = await openFailures(page);
    const items = await panel.getByRole("listitem").allTextContents();
    assert.ok(items.length >= 2, JSON.stringify(items));
    assert.match(
      await page.getByRole("status", { name: "Refresh summary" }).textContent(),
      /^Refreshed: 2 repositories changed, \d+ unchanged; some listings failed, so rows they would have changed are kept as cached\.$/,
    );
    // Every row shown before is still there.
    await waitMatching(page, rows.length);
  } finally {
    await post("faults", { rules: [] }, "PUT");
  }
  // Retrying the failed requests brings the pushed artifacts.
  await page.getByRole("button", { name: "Retry failed requests" }).click();
  await waitDone(page);
  await waitMatching(page, (await truth(lens.server)).length);
  await page.close();
});
