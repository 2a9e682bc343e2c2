// Page actions shared by the browser tests: sign in, crawl, read the table's state.
// Everything is found by role and accessible name (docs UI contract).

import assert from "node:assert/strict";

export const ADMIN = ["admin", "Harbor12345"];

/** Opens the dashboard at `path` (relative to the server) and signs in. */
export async function openSignedIn(page, url, [user, password] = ADMIN, path = "/") {
  await page.goto(url + path);
  await page.getByRole("textbox", { name: "Username", exact: true }).fill(user);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.locator(".connection.ok .principal").filter({ hasText: user }).waitFor();
}

/** The crawl status line. */
export const status = (page) => page.getByRole("status", { name: "Crawl status" });

/** The header's badge that opens the failed-requests panel, `Failed requests (N)`. */
export const failuresBadge = (page) => page.getByRole("button", { name: /^Failed requests \(\d+\)$/ });

/** The failed-requests panel (present only while open). */
export const failuresPanel = (page) => page.getByRole("dialog", { name: "Failed requests" });

/** The count the badge shows. */
export async function badgeCount(page) {
  const name = await failuresBadge(page).textContent();
  return Number(name.match(/\((\d+)\)/)[1]);
}

/** Opens the failed-requests panel through the header's badge (if it is not open yet). */
export async function openFailures(page) {
  const panel = failuresPanel(page);
  if ((await panel.count()) === 0) await failuresBadge(page).click();
  await panel.waitFor();
  return panel;
}

/** Clicks `Load artifacts` and waits until the status line ends with `done`. */
export async function loadAll(page, timeout = 60_000) {
  await page.getByRole("button", { name: "Load artifacts" }).click();
  await waitDone(page, timeout);
}

/** Waits for the status line to end with `done`. */
export async function waitDone(page, timeout = 60_000) {
  await page.waitForFunction(
    () => /done$/.test(document.querySelector(".crawl-status")?.textContent?.trim() ?? ""),
    null,
    { timeout },
  );
}

/** The `Matching artifacts` number. */
export async function matching(page) {
  const text = await page.getByLabel("Matching artifacts").textContent();
  return Number(text.trim());
}

/** Waits until `Matching artifacts` shows `n`. */
export async function waitMatching(page, n, timeout = 10_000) {
  await page.waitForFunction(
    (n) => document.querySelector('[aria-label="Matching artifacts"]')?.textContent?.trim() === String(n),
    n,
    { timeout },
  );
}

/**
 * Waits until the address's parameter `name` is `value` (`null`: absent) and returns the
 * address. The table writes its query into the address after the frame that shows it.
 */
export async function urlWith(page, name, value, timeout = 5_000) {
  await page
    .waitForFunction(([name, value]) => new URLSearchParams(location.search).get(name) === value, [name, value], { timeout })
    .catch(() => {});
  return new URL(page.url());
}

/** `Page X of Y` as [X, Y]. */
export async function pageOf(page) {
  const text = await page.getByRole("navigation", { name: "Pagination" }).getByText(/^Page \d+ of \d+$/).textContent();
  const [, x, y] = text.match(/Page (\d+) of (\d+)/);
  return [Number(x), Number(y)];
}

/** The text of one column for the rows on the current page. */
export async function columnTexts(page, index) {
  return page.$$eval(
    `table[aria-label="Artifacts"] tbody tr td:nth-child(${index + 1})`,
    (cells) => cells.map((c) => c.textContent),
  );
}

/** Full digests of the rows on the current page (from the digest cell's title). */
export async function pageDigests(page) {
  return page.$$eval('table[aria-label="Artifacts"] tbody tr td.digest', (cells) =>
    cells.map((c) => c.getAttribute("title")),
  );
}

/** Ground truth rows the simulator holds for `who`. */
export async function truth(server, who = "admin") {
  return server.sim(`truth?as=${encodeURIComponent(who)}`);
}

export const DAY_MS = 24 * 3600 * 1000;

/** `repository@digest`, how a row is named across exports and the simulator's truth. */
export const rowKey = (r) => `${r.repository}@${r.digest}`;
const tagNames = (r) => (r.tags ?? []).map((t) => (typeof t === "string" ? t : t.name)).sort().join(",");

/** Exports the table as JSON and checks it holds exactly `truth`'s rows, tags included. */
export async function assertExportIsTruth(page, truthRows) {
  const { readFile } = await import("node:fs/promises");
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export JSON" }).click()]);
  const exported = JSON.parse(await readFile(await file.path(), "utf8")).artifacts;
  assert.deepEqual(exported.map(rowKey).sort(), truthRows.map(rowKey).sort());
  const want = new Map(truthRows.map((r) => [rowKey(r), tagNames(r)]));
  for (const r of exported) assert.equal(tagNames(r), want.get(rowKey(r)), rowKey(r));
}

/**
 * Errors raised by the page's scripts (uncaught exceptions, console.error, dialogs).
 * Chromium also logs every non-2xx fetch as "Failed to load resource"; those are the
 * network's answers (401 for an anonymous probe, injected 5xx), not script errors.
 */
export function scriptErrors(page) {
  return page.errors.filter((e) => !e.startsWith("Failed to load resource"));
}

/** Every key and value of the dashboard's IndexedDB store. */
export const dump = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("harbor-lens", 1);
        open.onerror = () => reject(String(open.error));
        open.onupgradeneeded = () => open.result.createObjectStore("inventories");
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction("inventories", "readonly");
          const keys = tx.objectStore("inventories").getAllKeys();
          const values = tx.objectStore("inventories").getAll();
          tx.oncomplete = () => {
            db.close();
            resolve({ keys: keys.result.map(String), values: values.result.map(String) });
          };
        };
      }),
  );

/** Waits until `user`'s inventory is stored with a `saved_at` after `since`; returns it. */
export async function waitStored(page, since = 0, user = "admin") {
  for (let i = 0; i < 100; i++) {
    const { keys, values } = await dump(page);
    // Keys are ["origin","kind","name"]; chunk keys add "#generation#index".
    const at = keys.indexOf(keys.find((k) => k.endsWith(`,"user","${user}"]`)));
    const savedAt = at >= 0 ? JSON.parse(values[at]).saved_at : 0;
    if (savedAt > since) return savedAt;
    await page.waitForTimeout(100);
  }
  assert.fail("the inventory was not stored");
}

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
export function parseCsv(text) {
  const records = [];
  let record = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { record.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      record.push(field); records.push(record); record = []; field = "";
    } else field += c;
  }
  if (field !== "" || record.length) { record.push(field); records.push(record); }
  return records;
}
