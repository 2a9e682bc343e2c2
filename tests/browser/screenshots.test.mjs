// Screenshots for the README: the main view in light and dark, and the details panel.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startServer, launchBrowser } from "./harness.mjs";
import { openSignedIn, loadAll, scriptErrors } from "./lens.mjs";

const DOCS = path.resolve(import.meta.dirname, "../../docs");
let server;
let chrome;
before(async () => {
  server = await startServer(["--demo", "--preset", "small", "--harbor-version", "2.13"]);
  chrome = await launchBrowser();
});
after(async () => {
  await chrome?.close();
  await server?.stop();
});

for (const scheme of ["light", "dark"]) {
  test(`screenshot of the main view (${scheme})`, async () => {
    const page = await chrome.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: scheme });
    await openSignedIn(page, server.url);
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
