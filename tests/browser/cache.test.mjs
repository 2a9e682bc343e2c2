// The cached inventory: kept in IndexedDB after a crawl (without any secret), shown at
// once after a reload with its age, kept apart per user, and gone after "Forget".
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import { openSignedIn, loadAll, matching, waitMatching, truth, scriptErrors, dump, waitStored } from "./lens.mjs";

const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.13"]);

test("a reload shows the cached inventory at once; forget clears it; no secret is stored", async () => {
  const rows = await truth(lens.server);
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const firstSave = await waitStored(page);
  const { keys, values } = await dump(page);
  const secret = "Harbor12345";
  const basic = Buffer.from(`admin:${secret}`).toString("base64");
  for (const text of [...keys, ...values]) {
    assert.ok(!text.includes(secret) && !text.includes(basic), "no credentials in IndexedDB");
  }
  const stored = values.filter((v) => v.startsWith("[")).flatMap((v) => JSON.parse(v));
  assert.equal(stored.length, rows.length, "every row is stored");

  // A reload: signed in again, the table fills from the cache before any crawl.
  await page.reload();
  await openSignedIn(page, lens.server.url);
  await waitMatching(page, rows.length);
  const note = page.getByRole("status", { name: "Cached inventory" });
  // The refresh that follows (refresh.test.mjs) finds nothing changed and keeps every row.
  await page.getByRole("status", { name: "Refresh summary" }).filter({ hasText: /^Refreshed: 0 repositories changed, [\d,]+ unchanged\.$/ }).waitFor();
  assert.equal(await matching(page), rows.length);

  // A crawl replaces it and the note goes.
  await loadAll(page);
  assert.equal(await note.count(), 0);
  assert.equal(await matching(page), rows.length);
  await waitStored(page, firstSave);

  // Another user of the same browser does not see admin's inventory.
  await openSignedIn(page, lens.server.url, ["alice", "Alice12345"]);
  await page.waitForTimeout(500);
  assert.equal(await page.getByRole("status", { name: "Cached inventory" }).count(), 0);
  assert.equal(await matching(page), 0);
  await openSignedIn(page, lens.server.url);
  await waitMatching(page, rows.length);

  // Forget: the store is empty, and a reload starts from nothing.
  await page.getByRole("button", { name: "Forget cached data" }).click();
  await page.getByRole("status", { name: "Cached inventory" }).filter({ hasText: "Cached data forgotten." }).waitFor();
  assert.deepEqual((await dump(page)).keys, []);
  await page.reload();
  await openSignedIn(page, lens.server.url);
  await page.waitForTimeout(500);
  assert.equal(await matching(page), 0);
  assert.deepEqual(scriptErrors(page), []);
});
