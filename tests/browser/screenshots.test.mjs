// Screenshots for the README: the main view in light and dark, the details panel, and the
// failed-requests panel after a crawl with failures.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useLens } from "./harness.mjs";
import { openSignedIn, loadAll, scriptErrors, openFailures } from "./lens.mjs";

const DOCS = path.resolve(import.meta.dirname, "../../docs");
const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.13"]);

for (const scheme of ["light", "dark"]) {
  test(`screenshot of the main view (${scheme})`, async () => {
    const page = await lens.chrome.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: scheme });
    await openSignedIn(page, lens.server.url);
    await loadAll(page);
    await page.screenshot({ path: path.join(DOCS, `screenshot-${scheme}.png`) });
    if (scheme === "light") {
      await page.locator('table[aria-label="Artifacts"] tbody tr').first().click();
      await page.getByRole("table", { name: "Vulnerability report" }).or(page.getByText("not scanned")).first().waitFor();
      await page.screenshot({ path: path.join(DOCS, "screenshot-details.png") });
    }
    assert.deepEqual(scriptErrors(page), []);
  });
}

test("screenshot of the failed-requests panel", async () => {
  const faults = (rules) =>
    fetch(`${lens.server.url}/_sim/faults`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ rules }) });
  // 2.13 lists a project's artifacts at once: two projects' listings fail.
  const rules = [
    { pattern: "/projects/library/artifacts?*", kind: "http500" },
    { pattern: "/projects/secret/artifacts?*", kind: "http503" },
  ];
  assert.ok((await faults(rules)).ok);
  try {
    const page = await lens.chrome.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
    await openSignedIn(page, lens.server.url);
    await loadAll(page);
    const panel = await openFailures(page);
    assert.equal(await panel.getByRole("listitem").count(), rules.length);
    await page.screenshot({ path: path.join(DOCS, "screenshot-failures.png") });
    assert.deepEqual(scriptErrors(page), []);
  } finally {
    assert.ok((await faults([])).ok);
  }
});
