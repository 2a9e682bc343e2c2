// Snapshot diff: export, change the simulator, crawl again, drop the export on the page;
// the diff must list exactly the changes the simulator made (checked against its truth).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { useLens } from "./harness.mjs";
import { openSignedIn, loadAll, waitMatching, truth, scriptErrors } from "./lens.mjs";

const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.13"]);

const key = (r) => `${r.repository}@${r.digest}`;
const tagSet = (r) => (r.tags ?? []).map((t) => (typeof t === "string" ? t : t.name)).sort().join(",");

/** Opens the snapshot diff and picks `exported` as the earlier export; returns the section. */
async function compareWith(page, exported) {
  await page.getByText("Snapshot diff", { exact: true }).click();
  const section = page.getByRole("region", { name: "Snapshot diff" });
  await section.getByLabel("Earlier export").setInputFiles({
    name: "before.json",
    mimeType: "application/json",
    buffer: Buffer.from(exported),
  });
  return section;
}

async function download(page, name, scope = page) {
  const [file] = await Promise.all([page.waitForEvent("download"), scope.getByRole("button", { name }).click()]);
  return readFile(await file.path(), "utf8");
}

test("the diff with an earlier export lists exactly what the simulator changed", async () => {
  const page = await lens.chrome.newPage({ acceptDownloads: true });
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const before = await truth(lens.server);
  const exported = await download(page, "Export JSON");

  const resp = await fetch(`${lens.server.url}/_sim/mutate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ repositories: 4, push: 2, delete: 1 }),
  });
  const report = await resp.json();
  assert.ok(report.pushed.length > 0 && report.deleted.length > 0, JSON.stringify(report));
  const after = await truth(lens.server);
  await page.getByRole("button", { name: "Load artifacts" }).click();
  await waitMatching(page, after.length, 30_000);

  const old = new Map(before.map((r) => [key(r), r]));
  const now = new Map(after.map((r) => [key(r), r]));
  const added = after.filter((r) => !old.has(key(r)));
  const removed = before.filter((r) => !now.has(key(r)));
  const retagged = after.filter((r) => old.has(key(r)) && tagSet(old.get(key(r))) !== tagSet(r));
  assert.deepEqual(added.map((r) => r.digest).sort(), [...report.pushed].sort());
  assert.deepEqual(removed.map((r) => r.digest).sort(), [...report.deleted].sort());

  const section = await compareWith(page, exported);
  const summary = section.getByRole("status", { name: "Diff summary" });
  await summary.waitFor();
  assert.match(
    await summary.textContent(),
    new RegExp(`^${added.length} added, ${removed.length} removed, ${retagged.length} re-tagged;`),
  );
  const list = (name) => section.getByRole("list", { name }).getByRole("listitem").allTextContents();
  const addedItems = await list("Added artifacts");
  const removedItems = await list("Removed artifacts");
  assert.equal(addedItems.length, added.length);
  assert.equal(removedItems.length, removed.length);
  for (const r of added) {
    assert.equal(addedItems.filter((t) => t.startsWith(`${r.repository} ${r.digest.slice(0, 15)}`)).length, 1, key(r));
  }
  for (const r of removed) {
    assert.equal(removedItems.filter((t) => t.startsWith(`${r.repository} ${r.digest.slice(0, 15)}`)).length, 1, key(r));
  }
  assert.equal((await list("Re-tagged artifacts")).length, retagged.length);

  // The export holds every change, each once.
  const diff = JSON.parse(await download(page, "Export diff JSON", section));
  const changes = (kind) => diff.changes.filter((c) => c.change === kind).map((c) => `${c.repository}@${c.digest}`).sort();
  assert.deepEqual(changes("added"), added.map(key).sort());
  assert.deepEqual(changes("removed"), removed.map(key).sort());
  assert.deepEqual(changes("retagged"), retagged.map(key).sort());
  assert.deepEqual(scriptErrors(page), []);

  // A file that is not an export says so, and the page stays as it was.
  await section.getByLabel("Earlier export").setInputFiles({
    name: "notes.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("not an export"),
  });
  assert.match(await section.getByRole("alert").textContent(), /notes\.txt is not a Harbor Lens JSON export/);
  await waitMatching(page, after.length);
});

test("with reports on both sides, the diff names the vulnerabilities new and fixed", async () => {
  const page = await lens.chrome.newPage({ acceptDownloads: true });
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const fetchReports = async () => {
    await page.getByRole("button", { name: "Fetch vulnerability reports" }).click();
    await page.getByText(/^Reports finished: /).waitFor({ timeout: 60_000 });
  };
  await fetchReports();
  const ids = async () => new Set((await lens.server.sim("truth/cves?as=admin")).map((c) => c.id));
  const before = await ids();
  const exported = await download(page, "Export JSON");
  assert.ok(JSON.parse(exported).reports.length > 100, "the export carries the fetched reports");

  // Many deletes take the last artifacts carrying some CVEs; pushes bring others.
  const resp = await fetch(`${lens.server.url}/_sim/mutate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ repositories: 100, push: 3, delete: 20 }),
  });
  assert.ok(resp.ok);
  const now = await ids();
  const fixed = [...before].filter((id) => !now.has(id)).sort();
  const fresh = [...now].filter((id) => !before.has(id)).sort();
  assert.ok(fixed.length + fresh.length > 0, `the change moves some CVEs (${fixed.length} fixed, ${fresh.length} new)`);
  await loadAll(page);
  await fetchReports();

  const section = await compareWith(page, exported);
  await section.getByRole("status", { name: "Diff summary" }).waitFor();
  assert.match(await section.getByRole("note", { name: "Vulnerability ids" }).textContent(), /compared where both sides/);
  const list = (name) => section.getByRole("list", { name }).getByRole("listitem").allTextContents();
  assert.deepEqual((await list("Fixed vulnerabilities")).sort(), fixed);
  assert.deepEqual((await list("New vulnerabilities")).sort(), fresh);
  const diff = JSON.parse(await download(page, "Export diff JSON", section));
  assert.deepEqual(diff.vulnerability_ids, { new: fresh, fixed });
  assert.deepEqual(scriptErrors(page), []);
  await page.close();
});
