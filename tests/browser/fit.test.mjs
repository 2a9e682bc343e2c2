// The table fits where it is embedded: in a portal's 1,200 px iframe (`?embed=1`) and on
// a 1,440 px laptop screen the default columns need no sideways scrolling, with the
// medium preset's longest names on the page; rows stay compact.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import { openSignedIn, loadAll, waitMatching, truth, scriptErrors } from "./lens.mjs";

let rows;
const lens = useLens(["--demo", "--preset", "medium", "--harbor-version", "2.13"], async (lens) => {
  rows = await truth(lens.server);
});

const longest = (values) => values.reduce((a, b) => (b.length > a.length ? b : a), "");

/** The table's scroll container and the Vulnerabilities header, against the viewport. */
async function assertFits(page, what) {
  const m = await page.evaluate(() => {
    const wrap = document.querySelector('table[aria-label="Artifacts"]').parentElement;
    return {
      scrollWidth: wrap.scrollWidth,
      clientWidth: wrap.clientWidth,
      overflowX: getComputedStyle(wrap).overflowX,
      viewport: document.documentElement.clientWidth,
      pageWidth: document.documentElement.scrollWidth,
    };
  });
  assert.equal(m.overflowX, "auto", "the table's own scroll container");
  assert.ok(m.scrollWidth <= m.clientWidth, `${what}: the table scrolls sideways (${m.scrollWidth} > ${m.clientWidth} px)`);
  assert.ok(m.pageWidth <= m.viewport, `${what}: the page scrolls sideways (${m.pageWidth} > ${m.viewport} px)`);
  const header = await page.getByRole("columnheader", { name: "Vulnerabilities" }).boundingBox();
  assert.ok(header.x >= 0 && header.x + header.width <= m.viewport, `${what}: Vulnerabilities header at ${header.x}+${header.width} of ${m.viewport} px`);
}

/** Compact rows: the copy button on the digest's line; Repository without the project. */
async function assertCompact(page, what) {
  const cells = await page.$$eval('table[aria-label="Artifacts"] tbody tr', (trs) =>
    trs.map((tr) => {
      const text = tr.querySelector("td.digest .digest-text").getBoundingClientRect();
      const copy = tr.querySelector('td.digest button[aria-label="Copy digest"]').getBoundingClientRect();
      const tds = [...tr.children];
      return {
        project: tds[0].textContent,
        repo: tds[1].textContent,
        repoTitle: tds[1].getAttribute("title"),
        copyMiddle: copy.top + copy.height / 2,
        textTop: text.top,
        textBottom: text.bottom,
      };
    }),
  );
  assert.ok(cells.length > 0, `${what}: rows shown`);
  for (const c of cells) {
    assert.ok(c.copyMiddle > c.textTop && c.copyMiddle < c.textBottom, `${what}: copy button beside the digest`);
    assert.ok(c.repoTitle.startsWith(`${c.project}/`), `${what}: the title holds the full name ${c.repoTitle}`);
    assert.equal(c.repo, c.repoTitle.slice(c.project.length + 1), `${what}: the cell drops the project`);
  }
}

/** The default page, then the longest project, repository and tag names brought onto it. */
async function checkViews(page, size) {
  await assertFits(page, `${size}, first page`);
  await assertCompact(page, `${size}, first page`);
  const views = [
    ["Project", longest(rows.map((r) => r.project))],
    ["Repository", longest(rows.map((r) => r.repository))],
    ["Tag", longest(rows.flatMap((r) => r.tags.map((t) => (typeof t === "string" ? t : t.name))))],
  ];
  for (const [filter, value] of views) {
    const box = page.getByRole("textbox", { name: filter, exact: true });
    await box.fill(`"${value}"`);
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Matching artifacts"]')?.textContent) > 0);
    await assertFits(page, `${size}, ${filter} ${value}`);
    await assertCompact(page, `${size}, ${filter} ${value}`);
    await box.fill("");
  }
  await waitMatching(page, rows.length);
}

test("at 1,200 px in an iframe (?embed=1) the default columns fit, rows compact", async () => {
  const page = await lens.chrome.newPage({ viewport: { width: 1200, height: 900 } });
  await openSignedIn(page, lens.server.url, undefined, "/?embed=1");
  await loadAll(page, 180_000);
  await checkViews(page, "1,200 px embedded");
  assert.deepEqual(scriptErrors(page), []);
  await page.context().close();
});

test("at 1,440 px the default columns fit, rows compact", async () => {
  const page = await lens.chrome.newPage({ viewport: { width: 1440, height: 900 } });
  await openSignedIn(page, lens.server.url);
  await loadAll(page, 180_000);
  await checkViews(page, "1,440 px");
  assert.deepEqual(scriptErrors(page), []);
  await page.context().close();
});
