// The details panel: opens on a row (click or Enter), shows the artifact, and fetches
// its full vulnerability report on demand; Esc closes it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import { openSignedIn, loadAll, truth, scriptErrors, ADMIN } from "./lens.mjs";

const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.13"]);

/** The CVE ids of an artifact's report, straight from the API. */
async function reportIds(row) {
  const short = row.repository.slice(row.project.length + 1);
  const repo = encodeURIComponent(encodeURIComponent(short));
  const url = `${lens.server.url}/api/v2.0/projects/${row.project}/repositories/${repo}/artifacts/${row.digest}/additions/vulnerabilities`;
  const auth = "Basic " + Buffer.from(ADMIN.join(":")).toString("base64");
  const resp = await fetch(url, { headers: { authorization: auth } });
  assert.equal(resp.status, 200);
  const body = await resp.json();
  const report = Object.values(body)[0];
  return report.vulnerabilities.map((v) => v.id).sort();
}

test("the details panel shows the vulnerability report of a scanned artifact", async () => {
  const rows = await truth(lens.server);
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const scanned = rows.find((r) => r.scan.status === "Success" && r.scan.total > 0);
  await page.getByRole("textbox", { name: "Digest prefix" }).fill(scanned.digest);
  const row = page.getByRole("table", { name: "Artifacts" }).locator("tbody tr");
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Artifacts"] tbody tr').length === 1);
  await row.focus();
  await page.keyboard.press("Enter");

  const panel = page.getByRole("region", { name: "Artifact details" });
  await panel.waitFor();
  assert.match(await panel.textContent(), new RegExp(scanned.digest));
  const report = panel.getByRole("table", { name: "Vulnerability report" });
  await report.waitFor({ timeout: 15_000 });
  const shown = (await report.locator("tbody tr td:first-child").allTextContents()).sort();
  assert.deepEqual(shown, await reportIds(scanned));
  assert.equal(shown.length, scanned.scan.total);

  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "detached" });
  assert.deepEqual(scriptErrors(page), []);
});

test("Fetch vulnerability reports loads the reports of the matching scanned artifacts", async () => {
  const rows = await truth(lens.server);
  const page = await lens.chrome.newPage();
  // One report per artifact, as for a caller without Security Hub (audit.test.mjs covers it).
  await openSignedIn(page, lens.server.url, undefined, "/?security_hub=0");
  await loadAll(page);
  const project = rows[0].project;
  await page.getByRole("textbox", { name: "Project", exact: true }).fill(`"${project}"`);
  const scanned = rows.filter((r) => r.project === project && r.scan.status === "Success" && r.scan.total > 0);
  assert.ok(scanned.length > 0);
  await page.getByRole("button", { name: "Fetch vulnerability reports" }).click();
  await page.getByText(`Reports finished: ${scanned.length} of ${scanned.length} (0 failed)`).waitFor({ timeout: 30_000 });
  await page.getByText(new RegExp(`^${scanned.length} reports loaded: `)).waitFor();
  assert.deepEqual(scriptErrors(page), []);
});

test("the details of a multi-arch index list its platforms and annotations", async () => {
  const rows = await truth(lens.server);
  const index = rows.find((r) => r.references > 0);
  assert.ok(index, "the dataset has an image index");
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  await page.getByRole("textbox", { name: "Digest prefix" }).fill(index.digest);
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Artifacts"] tbody tr').length === 1);
  await page.locator('table[aria-label="Artifacts"] tbody tr').click();
  const panel = page.getByRole("region", { name: "Artifact details" });
  await panel.getByRole("heading", { name: "Platforms" }).waitFor();
  const platforms = await panel.locator("h3:text('Platforms') + ul li").allTextContents();
  assert.equal(platforms.length, index.references);
  assert.ok(platforms.every((p) => /^[a-z0-9]+\/[a-z0-9]+/.test(p)), platforms.join(", "));
  await panel.getByRole("heading", { name: "Annotations" }).waitFor();
  assert.deepEqual(scriptErrors(page), []);
});

test("Copy digest copies the whole digest without opening the row; Enter on a row opens it", async () => {
  const rows = await truth(lens.server);
  const page = await lens.chrome.newPage({ permissions: ["clipboard-read", "clipboard-write"] });
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const table = page.getByRole("table", { name: "Artifacts" });
  const first = table.locator("tbody tr").first();
  const digest = await first.locator("td.digest").getAttribute("title");
  assert.ok(rows.some((r) => r.digest === digest), `${digest} is an artifact's digest`);

  await first.getByRole("button", { name: "Copy digest" }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), digest);
  const panel = page.getByRole("region", { name: "Artifact details" });
  assert.equal(await panel.count(), 0, "copying does not open the details");
  assert.equal(await first.getAttribute("aria-selected"), "false");

  // The copy button takes Enter as a button does; on the row itself Enter opens it.
  await first.getByRole("button", { name: "Copy digest" }).focus();
  await page.keyboard.press("Enter");
  assert.equal(await panel.count(), 0, "Enter on the copy button does not open the details");
  const second = table.locator("tbody tr").nth(1);
  await second.focus();
  await page.keyboard.press("Enter");
  await panel.waitFor();
  assert.equal(await second.getAttribute("aria-selected"), "true");
  assert.match(await panel.textContent(), new RegExp(await second.locator("td.digest").getAttribute("title")));
  // The mark moves with the selection, and leaves with Esc.
  await first.locator("td").first().click();
  assert.deepEqual([await first.getAttribute("aria-selected"), await second.getAttribute("aria-selected")], ["true", "false"]);
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "detached" });
  assert.equal(await table.locator('tbody tr[aria-selected="true"]').count(), 0);
  assert.deepEqual(scriptErrors(page), []);
});
