// The whole chain: release build, lens-serve, the simulator, a real browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import { scriptErrors } from "./lens.mjs";

const lens = useLens(["--demo", "--preset", "tiny", "--harbor-version", "2.13"]);

test("the page shows the simulator's Harbor version after signing in", async () => {
  const page = await lens.chrome.newPage();
  await page.goto(lens.server.url + "/");
  await page.getByRole("textbox", { name: "Username" }).fill("admin");
  await page.getByLabel("Password").fill("Harbor12345");
  await page.getByRole("button", { name: "Connect" }).click();
  const version = page.getByText(/Harbor v2\.13\.\d+/);
  await version.waitFor({ timeout: 15_000 });
  assert.match(await version.textContent(), /Harbor v2\.13\.\d+-[0-9a-f]+/);
  assert.deepEqual(scriptErrors(page), []);
});
