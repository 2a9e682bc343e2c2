// Who the page works as, and what it forgets: typed credentials are what Load artifacts
// uses; signing out (or in as another user) leaves nothing of the first user on the
// page, in its work or, unless kept, in its cache; a save cut short keeps the previous
// cache; connecting and crawling ask who we are once; sign-out stops a report run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { useLens } from "./harness.mjs";
import { ADMIN, openSignedIn, loadAll, waitDone, matching, waitMatching, truth, scriptErrors, dump, waitStored } from "./lens.mjs";

const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.13", "--latency-ms", "20"]);

const principal = (page) => page.locator(".connection.ok .principal");

async function typeCredentials(page, [user, password]) {
  await page.getByRole("textbox", { name: "Username", exact: true }).fill(user);
  await page.getByLabel("Password", { exact: true }).fill(password);
}

/** Requests per route since the last `/_sim/reset`, for the two discovery routes. */
async function discoveryCounts() {
  const { by_route } = await lens.server.sim("stats");
  const count = (suffix) =>
    Object.entries(by_route)
      .filter(([route]) => route.endsWith(suffix))
      .reduce((n, [, c]) => n + c, 0);
  return [count("/systeminfo"), count("/users/current")];
}

test("Load artifacts signs in with the credentials typed and not used yet", async () => {
  const admin = await truth(lens.server, "admin");
  const anonymous = await truth(lens.server, "anonymous");
  assert.ok(admin.length > anonymous.length, "the dataset has private projects");
  const page = await lens.chrome.newPage();
  await page.goto(lens.server.url + "/");
  await principal(page).filter({ hasText: "anonymous" }).waitFor();
  await typeCredentials(page, ADMIN);
  await loadAll(page);
  assert.match(await principal(page).textContent(), /^admin/);
  assert.equal(await matching(page), admin.length, "the crawl ran as admin, not anonymously");

  // Enter in the password field signs in, as Connect does.
  await typeCredentials(page, ["alice", "Alice12345"]);
  await page.getByLabel("Password", { exact: true }).press("Enter");
  await principal(page).filter({ hasText: "alice" }).waitFor();
  assert.equal(await matching(page), 0, "admin's rows left with admin");

  // A wrong password typed before Load artifacts: no crawl as anybody, Harbor's answer shown.
  await typeCredentials(page, ["alice", "wrong"]);
  await page.getByRole("button", { name: "Load artifacts" }).click();
  await page.getByRole("alert").filter({ hasText: /Wrong user name or password/ }).waitFor();
  assert.equal(await matching(page), 0);
  assert.deepEqual(scriptErrors(page), []);
});

test("a connect followed by a crawl asks /systeminfo and /users/current once each", async () => {
  const page = await lens.chrome.newPage();
  // admin's inventory is cached first (a later connect refreshes it).
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  await waitStored(page);

  // alice has no cached inventory, so no refresh runs in between.
  await fetch(`${lens.server.url}/_sim/reset`, { method: "POST" });
  await typeCredentials(page, ["alice", "Alice12345"]);
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await principal(page).filter({ hasText: "alice" }).waitFor();
  assert.deepEqual(await discoveryCounts(), [1, 1], "connecting asks once each");
  await loadAll(page);
  assert.deepEqual(await discoveryCounts(), [1, 1], "the crawl asks neither again");
  assert.equal(await matching(page), (await truth(lens.server, "alice")).length);

  // Back to admin: the cached inventory is shown and refreshed, and the refresh asks
  // nothing about the Harbor either. The page says how it refreshed.
  await fetch(`${lens.server.url}/_sim/reset`, { method: "POST" });
  await typeCredentials(page, ADMIN);
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.getByRole("status", { name: "Refresh summary" }).waitFor();
  assert.deepEqual(await discoveryCounts(), [1, 1], "a refresh reuses the connection too");
  assert.match(
    await page.getByRole("note", { name: "Refresh method" }).textContent(),
    /^Harbor 2\.13\.\d+ does not record deletes in update_time: every repository was checked\./,
  );
});

test("sign-out forgets everything of the user; their cache is gone unless kept", async () => {
  const admin = await truth(lens.server, "admin");
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  await waitStored(page);
  // Something of each kind: a report (details panel) and a refresh's changes.
  await page.locator('table[aria-label="Artifacts"] tbody tr').first().click();
  await page.getByRole("region", { name: "Artifact details" }).waitFor();
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Refresh", exact: true }).click();
  await page.getByRole("status", { name: "Refresh summary" }).waitFor();
  await waitDone(page);

  await page.getByRole("button", { name: "Sign out" }).click();
  await principal(page).filter({ hasText: "anonymous" }).waitFor();
  assert.equal(await matching(page), 0, "no row of admin is shown");
  assert.equal(await page.getByRole("button", { name: "Show what the last refresh changed" }).count(), 0);
  assert.equal(await page.getByRole("status", { name: "Refresh summary" }).count(), 0);
  assert.equal(await page.getByRole("region", { name: "Artifact details" }).count(), 0);
  assert.match(await page.getByRole("status", { name: "Crawl status" }).textContent(), /^Ready/);
  const { keys } = await dump(page);
  assert.ok(!keys.some((k) => k.includes('"user","admin"')), `admin's cache is gone: ${keys}`);

  // Another user sees nothing of the first, until their own crawl.
  await openSignedIn(page, lens.server.url, ["alice", "Alice12345"]);
  await delay(300);
  assert.equal(await matching(page), 0);
  assert.equal(await page.getByRole("status", { name: "Cached inventory" }).count(), 0);

  // Chosen: the cache stays after sign-out, and comes back with the user.
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  await waitStored(page);
  await page.getByRole("checkbox", { name: "Keep cached data after sign out" }).check();
  await page.getByRole("button", { name: "Sign out" }).click();
  await principal(page).filter({ hasText: "anonymous" }).waitFor();
  assert.equal(await matching(page), 0);
  assert.ok((await dump(page)).keys.some((k) => k.includes('"user","admin"')), "kept");
  await openSignedIn(page, lens.server.url);
  await waitMatching(page, admin.length);
  assert.deepEqual(scriptErrors(page), []);
});

test("a page closed in the middle of a save leaves the previous cache readable", async () => {
  const admin = await truth(lens.server, "admin");
  const context = await lens.chrome.browser.newContext();
  // Counts chunk writes (keys with '#'); once `cutSave` is set, the switch of the meta
  // record (a key without '#') never happens, as when the tab closes at that moment.
  await context.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    window.chunkPuts = 0;
    IDBObjectStore.prototype.put = function (value, key) {
      const chunk = String(key).includes("#");
      if (chunk) window.chunkPuts += 1;
      if (window.cutSave && !chunk) throw new DOMException("the tab closed", "AbortError");
      return put.call(this, value, key);
    };
  });
  const first = await context.newPage();
  await openSignedIn(first, lens.server.url);
  // A first inventory: one project only.
  const project = admin[0].project;
  const few = admin.filter((r) => r.project === project).length;
  await first.getByRole("searchbox", { name: "Crawl only these projects" }).fill(project);
  await loadAll(first);
  assert.equal(await matching(first), few);
  await waitStored(first);

  // The second save (every project) writes its chunks, and the page closes before the
  // switch to them.
  await first.getByRole("searchbox", { name: "Crawl only these projects" }).fill("");
  const before = await first.evaluate(() => window.chunkPuts);
  await first.evaluate(() => (window.cutSave = true));
  await loadAll(first);
  await first.waitForFunction((n) => window.chunkPuts > n, before, { polling: 10 });
  assert.equal(await matching(first), admin.length);
  await first.close({ runBeforeUnload: false });

  // The previous cache is whole: a new page shows it (and refreshes it in its scope).
  const second = await context.newPage();
  await openSignedIn(second, lens.server.url);
  await waitMatching(second, few);
  await second.getByRole("status", { name: "Refresh summary" }).waitFor();
  assert.equal(await matching(second), few);
  await context.close();
});

test("sign-out stops a running report run", async () => {
  const slow = lens.server;
  const page = await lens.chrome.newPage();
  // One report per artifact, so the run lasts (an admin would get Security Hub at once).
  await openSignedIn(page, slow.url, undefined, "/?security_hub=0");
  await loadAll(page);
  await page.getByRole("button", { name: "Fetch vulnerability reports" }).click();
  await page.getByRole("status", { name: "Report run" }).filter({ hasText: /^Reports fetching: [1-9]/ }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).click();
  await principal(page).filter({ hasText: "anonymous" }).waitFor();
  await delay(300);
  const reports = async () => {
    const { by_route } = await slow.sim("stats");
    return Object.entries(by_route)
      .filter(([route]) => route.includes("vulnerabilities"))
      .reduce((n, [, c]) => n + c, 0);
  };
  const after = await reports();
  await delay(1000);
  assert.equal(await reports(), after, "no report request after sign-out");
  assert.equal(await page.getByRole("button", { name: "Fetch vulnerability reports" }).isEnabled(), true);
  assert.equal(await page.getByRole("region", { name: "CVE roll-up" }).getByLabel("Matching CVEs").count(), 0);
});

test("remembered credentials stay with their Harbor: a link to another asks again", async () => {
  const page = await lens.chrome.newPage();
  await page.goto(lens.server.url + "/");
  await typeCredentials(page, ADMIN);
  await page.getByRole("checkbox", { name: "Remember for this tab" }).check();
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await principal(page).filter({ hasText: "admin" }).waitFor();
  // The same tab, opened by a link that names another Harbor.
  await page.goto(lens.server.url + "/?harbor=" + encodeURIComponent("http://127.0.0.1:9"));
  await page.getByRole("alert").filter({ hasText: /unreachable/ }).waitFor();
  assert.equal(await page.getByRole("textbox", { name: "Username", exact: true }).inputValue(), "");
  assert.equal(await page.getByLabel("Password", { exact: true }).inputValue(), "");
  // Back on this Harbor, the tab still signs in by itself.
  await page.goto(lens.server.url + "/");
  await principal(page).filter({ hasText: "admin" }).waitFor();
});
