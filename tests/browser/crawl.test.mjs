// Load artifacts on the `small` preset: every artifact the simulator holds arrives once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, useLens } from "./harness.mjs";
import { openSignedIn, loadAll, waitDone, matching, status, truth, pageDigests, scriptErrors, badgeCount, openFailures } from "./lens.mjs";

const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.13"]);

test("Load artifacts on medium (Harbor 2.16): every artifact arrives once", async () => {
  const medium = await startServer(["--demo", "--preset", "medium", "--harbor-version", "2.16"]);
  try {
    const page = await lens.chrome.newPage();
    await openSignedIn(page, medium.url);
    const expected = await truth(medium);
    assert.ok(expected.length > 10_000);
    await loadAll(page, 180_000);
    assert.equal(await matching(page), expected.length);
    assert.match((await status(page).textContent()).trim(), /done$/);
    assert.equal(await page.locator('table[aria-label="Artifacts"] tbody tr').count(), 50);
    assert.deepEqual(scriptErrors(page), []);
  } finally {
    await medium.stop();
  }
});

test("Load artifacts on small: matching count equals the truth, status ends with done", async () => {
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  const expected = await truth(lens.server);
  await loadAll(page);
  assert.equal(await matching(page), expected.length);
  assert.match((await status(page).textContent()).trim(), /done$/);
  assert.equal(await badgeCount(page), 0);
  assert.match(await (await openFailures(page)).textContent(), /No failed requests/);
  const progress = page.getByRole("progressbar", { name: "Loading progress" });
  assert.equal(
    await progress.getAttribute("aria-valuenow"),
    await progress.getAttribute("aria-valuemax"),
  );
  // The first page holds real digests of the dataset.
  const digests = new Set(expected.map((r) => r.digest));
  const shown = await pageDigests(page);
  assert.equal(shown.length, 50);
  assert.ok(shown.every((d) => digests.has(d)));
  assert.deepEqual(scriptErrors(page), []);
});

test("a robot account sees only its projects", async () => {
  const page = await lens.chrome.newPage();
  const robot = ["robot$lens-audit", "RobotSecret1"];
  await openSignedIn(page, lens.server.url, robot);
  assert.match(await page.locator(".connection .principal").textContent(), /robot account/);
  const expected = await truth(lens.server, robot[0]);
  await loadAll(page);
  assert.equal(await matching(page), expected.length);
  const all = await truth(lens.server);
  assert.ok(expected.length < all.length, "the robot sees fewer artifacts than the admin");
  const projects = new Set(expected.map((r) => r.project));
  await page.getByRole("combobox", { name: "Rows per page" }).selectOption("250");
  const shown = await page.$$eval('table[aria-label="Artifacts"] tbody tr td:first-child', (c) =>
    c.map((x) => x.textContent),
  );
  assert.ok(shown.length > 0 && shown.every((p) => projects.has(p)));
  assert.deepEqual(scriptErrors(page), []);
});

test("a wrong password shows a clear message", async () => {
  const page = await lens.chrome.newPage();
  await page.goto(lens.server.url + "/");
  await page.getByRole("textbox", { name: "Username", exact: true }).fill("admin");
  await page.getByLabel("Password", { exact: true }).fill("wrong-password");
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.textContent(), /Wrong user name or password/);
});

test("the crawl runs in a worker; without one (refused, or ?worker=0) the page crawls itself, with the same rows", async () => {
  const expected = await truth(lens.server);
  const apiSeenByPage = (page) =>
    page.evaluate(() => performance.getEntriesByType("resource").filter((e) => e.name.includes("/artifacts?")).length);

  // In the worker: the page itself sends no artifact request.
  const inWorker = await lens.chrome.newPage();
  const workers = [];
  inWorker.on("worker", (w) => workers.push(w.url()));
  await openSignedIn(inWorker, lens.server.url);
  await loadAll(inWorker);
  assert.equal(await matching(inWorker), expected.length);
  assert.ok(workers.some((u) => u.endsWith("/crawl-worker.js")), `a crawl worker started: ${workers}`);
  assert.equal(await apiSeenByPage(inWorker), 0, "artifact pages were fetched off the page");
  assert.deepEqual(scriptErrors(inWorker), []);
  await inWorker.close();

  // A worker that cannot load (a policy refusing it, a proxy dropping the file): the page
  // says why in the console and crawls itself.
  const refused = await lens.chrome.newPage();
  const warnings = [];
  refused.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  await refused.route("**/crawl-worker.js", (route) => route.fulfill({ status: 404, body: "" }));
  await openSignedIn(refused, lens.server.url);
  await loadAll(refused);
  assert.equal(await matching(refused), expected.length);
  assert.ok(await apiSeenByPage(refused) > 0, "the page fetched the artifact pages itself");
  assert.ok(warnings.some((w) => /crawl worker/.test(w)), `a warning says why: ${warnings}`);
  await refused.close();

  // Asked not to use one.
  const asked = await lens.chrome.newPage();
  await openSignedIn(asked, lens.server.url, undefined, "/?worker=0");
  await loadAll(asked);
  assert.equal(await matching(asked), expected.length);
  assert.ok(await apiSeenByPage(asked) > 0);
  await asked.close();
});

test("the overview charts count a crawl's rows as they come: a filtered medium crawl ends with the truth's counts", async () => {
  // A Harbor slow enough for the sort to change while rows come (2.10: a listing per
  // repository, about 1,100 requests).
  const medium = await startServer(["--demo", "--preset", "medium", "--harbor-version", "2.10", "--latency-ms", "25"]);
  try {
    const rows = await truth(medium);
    // The project with the most artifacts: its rows come in many batches.
    const per = new Map();
    for (const r of rows) per.set(r.project, (per.get(r.project) ?? 0) + 1);
    const [project, count] = [...per].sort((a, b) => b[1] - a[1])[0];
    const mine = rows.filter((r) => r.project === project);
    const page = await lens.chrome.newPage();
    await openSignedIn(page, medium.url, undefined, `/?project=${encodeURIComponent(`"${project}"`)}`);
    // Sorted by size for a while once rows come, then back (the charts then count rows
    // in another order than before), while the crawl goes on.
    await page.getByRole("button", { name: "Load artifacts", exact: true }).click();
    const table = page.getByRole("table", { name: "Artifacts" });
    await table.locator("tbody tr").first().waitFor();
    await table.getByRole("columnheader", { name: "Size", exact: true }).getByRole("button").click();
    await page.waitForFunction(() => new URLSearchParams(location.search).has("sort"));
    await page.waitForTimeout(400);
    await page.goBack();
    await page.waitForFunction(() => !new URLSearchParams(location.search).has("sort"));
    assert.doesNotMatch((await status(page).textContent()).trim(), /done$/, "the crawl was still running");
    await waitDone(page, 180_000);
    assert.equal(await matching(page), count);
    const fmt = (n) => n.toLocaleString("en-US");
    // The charts follow the last rows within a moment of the table.
    await page.locator(`svg[aria-label="Artifacts per project"] [aria-label="${project}: ${fmt(count)}"]`).waitFor();
    for (const level of ["Critical", "High", "Medium", "Low"]) {
      const n = mine.filter((r) => r.scan.status === "Success" && r.scan.severity === level).length;
      assert.equal(await page.locator(`svg[aria-label="Severity"] [aria-label="${level}: ${fmt(n)}"]`).count(), 1, `${level}: ${n}`);
    }
    assert.deepEqual(scriptErrors(page), []);
  } finally {
    await medium.stop();
  }
});
