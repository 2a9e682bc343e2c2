// Keyboard use, a sub-path deployment, and a narrow screen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import { openSignedIn, loadAll, matching, scriptErrors, urlWith } from "./lens.mjs";

let origin;
const lens = useLens(["--demo", "--preset", "small", "--base-path", "/lens/"], (lens) => {
  // lens-serve announces the sub-path address; the simulator's routes stay at the root.
  origin = new URL(lens.server.url).origin;
});

const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return { tag: el?.tagName, label: el?.getAttribute("aria-label"), row: el?.dataset?.row };
  });

test("served under a sub-path, the dashboard loads, crawls and keeps its URL state", async () => {
  const page = await lens.chrome.newPage();
  await openSignedIn(page, origin, undefined, "/lens/?per_page=25");
  const rows = await (await fetch(`${origin}/_sim/truth?as=admin`)).json();
  await loadAll(page);
  assert.equal(await matching(page), rows.length);
  await page.getByRole("button", { name: "Next page" }).click();
  const url = await urlWith(page, "page", "2");
  assert.equal(url.pathname, "/lens/");
  assert.equal(url.searchParams.get("page"), "2");
  assert.equal(url.searchParams.get("per_page"), "25");
  assert.deepEqual(scriptErrors(page), []);
});

test("keyboard: / focuses the first filter, arrows move through rows, Enter opens, Esc closes", async () => {
  const page = await lens.chrome.newPage();
  await openSignedIn(page, origin, undefined, "/lens/");
  await loadAll(page);
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("/");
  assert.equal((await focused(page)).label, "Project");

  await page.locator('table[aria-label="Artifacts"] tbody tr').first().focus();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  const row = (await focused(page)).row;
  assert.ok(row !== undefined);
  await page.keyboard.press("ArrowUp");
  assert.notEqual((await focused(page)).row, row);
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  const panel = page.getByRole("region", { name: "Artifact details" });
  await panel.waitFor();
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "detached" });
  assert.equal((await focused(page)).row, row, "focus returns to the row");
  assert.deepEqual(scriptErrors(page), []);
});

test("on a narrow screen the page does not scroll sideways (the table scrolls in its box)", async () => {
  const page = await lens.chrome.newPage({ viewport: { width: 390, height: 844 } });
  await openSignedIn(page, origin, undefined, "/lens/");
  await loadAll(page);
  const widths = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    view: window.innerWidth,
  }));
  assert.ok(widths.page <= widths.view, `page ${widths.page}px wide in a ${widths.view}px view`);
  assert.ok(await page.getByRole("table", { name: "Artifacts" }).isVisible());
});
