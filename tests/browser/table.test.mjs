// Filters, sorting, pagination and the URL, checked against the simulator's truth.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import {
  openSignedIn, loadAll, matching, waitMatching, pageOf, pageDigests, truth, scriptErrors, DAY_MS,
  urlWith,
} from "./lens.mjs";

let rows;
let page;
const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.13"], async (lens) => {
  rows = await truth(lens.server);
  page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
});

const SEVERITY = ["None", "Unknown", "Negligible", "Low", "Medium", "High", "Critical"];
const time = (iso) => (iso && !iso.startsWith("0001") ? Date.parse(iso) : null);
const has = (hay, needle) => hay.toLowerCase().includes(needle.toLowerCase());
const textbox = (name) => page.getByRole("textbox", { name, exact: true });

async function clearFilters() {
  await page.getByRole("button", { name: "Clear filters" }).click();
  await waitMatching(page, rows.length);
}

/** Sets one text filter, checks the count, clears it. */
async function checkText(name, value, expected) {
  await textbox(name).fill(value);
  await waitMatching(page, expected);
  assert.equal(await matching(page), expected, `${name}=${value}`);
  await clearFilters();
}

test("the project, repository and tag filters give the truth's counts", async () => {
  const project = rows[0].project;
  await checkText("Project", project, rows.filter((r) => has(r.project, project)).length);
  const repo = rows[rows.length - 1].repository;
  await checkText("Repository", repo, rows.filter((r) => has(r.repository, repo)).length);
  const tag = "1.0";
  const tagged = rows.filter((r) => r.tags.some((t) => has(t, tag))).length;
  assert.ok(tagged > 0 && tagged < rows.length);
  await checkText("Tag", tag, tagged);
  await checkText("Tag", "*", rows.filter((r) => r.tags.length > 0).length);
});

test("untagged, minimum severity and not-pulled filters give the truth's counts", async () => {
  const untagged = rows.filter((r) => r.tags.length === 0).length;
  assert.ok(untagged > 0);
  await page.getByRole("checkbox", { name: "Untagged only" }).check();
  await waitMatching(page, untagged);
  await clearFilters();

  const high = rows.filter(
    (r) => r.scan.status === "Success" && SEVERITY.indexOf(r.scan.severity) >= SEVERITY.indexOf("High"),
  ).length;
  await page.getByRole("combobox", { name: "Minimum severity" }).selectOption("high");
  await waitMatching(page, high);
  await clearFilters();

  // A day count whose cut-off lies at least an hour away from every pull time, so the
  // few seconds between the crawl's "now" and this test's cannot move a row.
  let days = 90;
  const near = (d) => rows.some((r) => {
    const t = time(r.pull_time);
    return t !== null && Math.abs(t - (Date.now() - d * DAY_MS)) < 3600_000;
  });
  while (near(days)) days += 1;
  const cut = Date.now() - days * DAY_MS;
  const unpulled = rows.filter((r) => time(r.pull_time) === null || time(r.pull_time) < cut).length;
  await page.getByRole("spinbutton", { name: "Not pulled for days" }).fill(String(days));
  await waitMatching(page, unpulled);
  await clearFilters();
});

test("sorting by size and by push time orders rows across pages; a second click reverses", async () => {
  const byDigest = new Map(rows.map((r) => [r.digest, r]));
  const per = 100;
  await page.getByRole("combobox", { name: "Rows per page" }).selectOption(String(per));
  for (const [column, key] of [["Size", (r) => r.size], ["Pushed", (r) => time(r.push_time) ?? -Infinity]]) {
    const header = page.getByRole("columnheader", { name: column, exact: true });
    await header.getByRole("button").click();
    assert.equal(await header.getAttribute("aria-sort"), "descending");
    const values = [];
    const [, pages] = await pageOf(page);
    for (let p = 1; p <= pages; p++) {
      values.push(...(await pageDigests(page)).map((d) => key(byDigest.get(d))));
      if (p < pages) await page.getByRole("button", { name: "Next page" }).click();
    }
    assert.equal(values.length, rows.length);
    for (let i = 1; i < values.length; i++) assert.ok(values[i - 1] >= values[i], `${column} at ${i}`);
    await header.getByRole("button").click();
    assert.equal(await header.getAttribute("aria-sort"), "ascending");
    assert.equal((await pageOf(page))[0], 1, "a sort change returns to page 1");
    const first = (await pageDigests(page)).map((d) => key(byDigest.get(d)));
    for (let i = 1; i < first.length; i++) assert.ok(first[i - 1] <= first[i], `${column} ascending at ${i}`);
  }
});

test("pagination: page counts and boundaries for each rows-per-page choice", async () => {
  const n = rows.length;
  for (const per of [25, 50, 100, 250]) {
    await page.getByRole("combobox", { name: "Rows per page" }).selectOption(String(per));
    const first = page.getByRole("button", { name: "First page" });
    if (await first.isEnabled()) await first.click();
    const pages = Math.ceil(n / per);
    assert.deepEqual(await pageOf(page), [1, pages], `per page ${per}`);
    assert.equal((await pageDigests(page)).length, Math.min(per, n));
    assert.ok(await page.getByRole("button", { name: "Previous page" }).isDisabled());
    await page.getByRole("button", { name: "Last page" }).click();
    assert.deepEqual(await pageOf(page), [pages, pages]);
    assert.equal((await pageDigests(page)).length, n - (pages - 1) * per);
    assert.ok(await page.getByRole("button", { name: "Next page" }).isDisabled());
  }
});

test("a view's URL opened in a new page reproduces filters, sort and page; Back works", async () => {
  await page.getByRole("combobox", { name: "Rows per page" }).selectOption("25");
  await textbox("Repository").fill("/");
  const sizeHeader = page.getByRole("columnheader", { name: "Size", exact: true });
  await sizeHeader.getByRole("button").click();
  if ((await sizeHeader.getAttribute("aria-sort")) !== "ascending") await sizeHeader.getByRole("button").click();
  await page.getByRole("button", { name: "Next page" }).click();
  await page.getByRole("button", { name: "Next page" }).click();
  assert.equal((await pageOf(page))[0], 3);
  const digests = await pageDigests(page);
  const url = await urlWith(page, "page", "3");
  assert.equal(url.searchParams.get("repo"), "/");
  assert.equal(url.searchParams.get("sort"), "size");
  assert.equal(url.searchParams.get("page"), "3");
  assert.equal(url.searchParams.get("per_page"), "25");

  const other = await lens.chrome.newPage();
  await openSignedIn(other, lens.server.url, undefined, url.pathname + url.search);
  await loadAll(other);
  assert.equal(await other.getByRole("textbox", { name: "Repository", exact: true }).inputValue(), "/");
  assert.equal(
    await other.getByRole("columnheader", { name: "Size", exact: true }).getAttribute("aria-sort"),
    "ascending",
  );
  assert.equal((await pageOf(other))[0], 3);
  assert.deepEqual(await pageDigests(other), digests);

  await page.goBack();
  await page.waitForFunction(() => /Page 2 of/.test(document.querySelector("nav.pager")?.textContent ?? ""));
  assert.equal((await urlWith(page, "page", "2")).searchParams.get("page"), "2");
  assert.deepEqual(scriptErrors(page), []);
  assert.deepEqual(scriptErrors(other), []);
});

test("audit presets and chart bars filter the table", async () => {
  await page.getByRole("combobox", { name: "Audit preset" }).selectOption("untagged");
  await waitMatching(page, rows.filter((r) => r.tags.length === 0).length);
  assert.equal((await urlWith(page, "preset", "untagged")).searchParams.get("preset"), "untagged");
  await page.getByRole("combobox", { name: "Audit preset" }).selectOption("");
  await waitMatching(page, rows.length);

  const project = rows[0].project;
  const count = rows.filter((r) => r.project === project).length;
  await page.getByRole("button", { name: `${project}: ${count}`, exact: true }).click();
  await waitMatching(page, count);
  assert.equal(await textbox("Project").inputValue(), `"${project}"`);
  await clearFilters();
});

test("columns can be hidden and shown again, and the choice survives a reload", async () => {
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const headers = () => page.getByRole("table", { name: "Artifacts" }).getByRole("columnheader").allTextContents();
  const all = await headers();
  assert.ok(all.some((h) => h.startsWith("Labels")));
  await page.locator("details.column-chooser summary").click();
  const chooser = page.getByRole("group", { name: "Columns shown" });
  await chooser.getByRole("checkbox", { name: "Labels" }).uncheck();
  await chooser.getByRole("checkbox", { name: "Type" }).uncheck();
  const fewer = await headers();
  assert.equal(fewer.length, all.length - 2);
  assert.ok(!fewer.some((h) => h.startsWith("Labels") || h.startsWith("Type")), fewer.join("|"));
  // Each row has as many cells as there are headers.
  const cells = await page.$$eval('table[aria-label="Artifacts"] tbody tr:first-child td', (tds) => tds.length);
  assert.equal(cells, fewer.length);
  await page.reload();
  await page.getByRole("table", { name: "Artifacts" }).waitFor();
  assert.deepEqual(await headers(), fewer);
  await page.locator("details.column-chooser summary").click();
  await page.getByRole("group", { name: "Columns shown" }).getByRole("checkbox", { name: "Labels" }).check();
  await page.getByRole("group", { name: "Columns shown" }).getByRole("checkbox", { name: "Type" }).check();
  assert.deepEqual(await headers(), all);
  await page.close();
});
