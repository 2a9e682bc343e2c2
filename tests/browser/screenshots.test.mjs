// Screenshots for the README: the main view in light and dark, and the details panel.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useLens } from "./harness.mjs";
import { openSignedIn, loadAll, scriptErrors } from "./lens.mjs";

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
