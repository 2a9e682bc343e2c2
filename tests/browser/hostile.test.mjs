// The hostile dataset: no script runs, no dialog opens, strings show as text, and only
// http(s) links are clickable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import { openSignedIn, loadAll, matching, truth, scriptErrors } from "./lens.mjs";

const lens = useLens(["--demo", "--preset", "tiny", "--harbor-version", "2.13", "--hostile"]);

test("hostile strings render as text: no dialog, no script error, only http(s) links", async () => {
  const rows = await truth(lens.server);
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  assert.equal(await matching(page), rows.length);

  // Open every scanned artifact's details: the vulnerability descriptions and links are hostile.
  const scanned = rows.filter((r) => r.scan.status === "Success" && r.scan.total > 0).slice(0, 5);
  assert.ok(scanned.length > 0);
  let sawMarkupAsText = false;
  for (const row of scanned) {
    await page.getByRole("textbox", { name: "Digest prefix" }).fill(row.digest);
    await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Artifacts"] tbody tr').length === 1);
    await page.locator('table[aria-label="Artifacts"] tbody tr').click();
    const report = page.getByRole("table", { name: "Vulnerability report" });
    await report.waitFor({ timeout: 15_000 });
    const text = await report.textContent();
    if (/<script>|onerror=|javascript:/.test(text)) sawMarkupAsText = true;
    await page.keyboard.press("Escape");
  }
  assert.ok(sawMarkupAsText, "hostile markup is visible as text");

  // The CVE roll-up over the hostile reports renders, as text, and keeps every row.
  await page.getByRole("textbox", { name: "Digest prefix" }).fill("");
  await page.getByRole("button", { name: "Fetch vulnerability reports" }).click();
  await page.getByText(/^Reports finished: /).waitFor({ timeout: 30_000 });
  await page.getByRole("region", { name: "CVE roll-up" }).getByRole("table", { name: "CVEs" }).waitFor();
  assert.equal(await matching(page), rows.length);

  const dom = await page.evaluate(() => ({
    scripts: document.querySelectorAll("script").length,
    handlers: [...document.querySelectorAll("body *")].filter((el) =>
      [...el.attributes].some((a) => a.name.startsWith("on")),
    ).length,
    links: [...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href")),
    injected: document.querySelectorAll("main img, main svg[onload], main iframe").length,
  }));
  assert.equal(dom.scripts, 1, "only boot.js");
  assert.equal(dom.handlers, 0);
  assert.equal(dom.injected, 0);
  assert.ok(dom.links.every((href) => /^https?:\/\//i.test(href)), dom.links.join(" "));
  assert.deepEqual(scriptErrors(page), []);
});
