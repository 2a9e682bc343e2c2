// The newest Harbor the simulator emulates (2.16): a crawl loads exactly the truth, and
// a refresh asks only for the repositories whose update_time moved (Harbor records every
// change there from 2.15.2), says so, and ends equal to the truth.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import { openSignedIn, loadAll, waitDone, waitMatching, matching, truth, scriptErrors, waitStored, assertExportIsTruth } from "./lens.mjs";

const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.16", "--latency-ms", "40"]);

test("on Harbor 2.16 a crawl loads the truth and a refresh reads only what changed", async () => {
  const page = await lens.chrome.newPage({ acceptDownloads: true });
  await openSignedIn(page, lens.server.url);
  assert.match(await page.locator(".connection .harbor-version").textContent(), /^Harbor v?2\.16/);
  await loadAll(page);
  const before = await truth(lens.server);
  assert.equal(await matching(page), before.length);
  await waitStored(page);

  const changed = await fetch(`${lens.server.url}/_sim/mutate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ repositories: 2, push: 1, delete: 1 }),
  }).then((r) => r.json());
  const after = await truth(lens.server);
  await fetch(`${lens.server.url}/_sim/reset`, { method: "POST" });

  await page.getByRole("button", { name: "Refresh", exact: true }).click();
  await page.getByRole("status", { name: "Refresh summary" }).waitFor();
  await waitDone(page);
  assert.match(
    await page.getByRole("note", { name: "Refresh method" }).textContent(),
    /^Harbor 2\.16\.\d+ records pushes, deletes and tag changes in update_time: only repositories changed since /,
  );
  // Far fewer requests than the repository list of the older releases' refresh (the
  // project summaries read after every crawl, for the quota, are not the refresh's).
  const { requests_total, by_route } = await lens.server.sim("stats");
  assert.ok(!("GET /projects/{project_name}/repositories" in by_route), JSON.stringify(by_route));
  const refreshing = requests_total - (by_route["GET /projects/{project_name_or_id}/summary"] ?? 0);
  assert.ok(refreshing <= 2 * changed.repositories.length + 4, `${refreshing} requests`);

  await waitMatching(page, after.length);
  await assertExportIsTruth(page, after);
  assert.deepEqual(scriptErrors(page), []);
});

test("a robot's refresh keeps its private projects' rows and says how it refreshed", async () => {
  const robot = ["robot$lens-audit", "RobotSecret1"];
  const expected = await truth(lens.server, robot[0]);
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url, robot);
  await loadAll(page);
  assert.equal(await matching(page), expected.length);
  await page.getByRole("button", { name: "Refresh", exact: true }).click();
  await page.getByRole("status", { name: "Refresh summary" }).waitFor();
  await waitDone(page);
  // Harbor's /repositories shows a robot only public projects: nothing of the robot's
  // private projects may be taken for deleted.
  assert.equal(await matching(page), expected.length);
  assert.match(await page.getByRole("status", { name: "Refresh summary" }).textContent(), /^Refreshed: 0 repositories changed/);
  assert.match(
    await page.getByRole("note", { name: "Refresh method" }).textContent(),
    /^A robot account sees only public projects in Harbor's repository search: every repository was checked, project by project\./,
  );
  assert.deepEqual(scriptErrors(page), []);
});
