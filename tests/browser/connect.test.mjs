// Connecting: clear messages for an unreachable Harbor and for an address with no
// Harbor; anonymous access; `?embed=1` hides the page title.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLens } from "./harness.mjs";
import { loadAll, matching, truth, scriptErrors, failuresBadge } from "./lens.mjs";

const lens = useLens(["--demo", "--preset", "tiny", "--harbor-version", "2.13"]);

async function connectTo(page, harborUrl) {
  await page.goto(lens.server.url + "/");
  await page.getByRole("textbox", { name: "Harbor URL" }).fill(harborUrl);
  await page.getByRole("textbox", { name: "Username", exact: true }).fill("admin");
  await page.getByLabel("Password", { exact: true }).fill("Harbor12345");
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  return alert.textContent();
}

test("an unreachable Harbor gets a message about reachability, CORS and the proxy", async () => {
  const page = await lens.chrome.newPage();
  const text = await connectTo(page, "http://127.0.0.1:9");
  assert.match(text, /unreachable/i);
  assert.match(text, /CORS/);
  assert.match(text, /same-origin proxy|Harbor's own host/);
});

test("an address without a Harbor says so", async () => {
  const page = await lens.chrome.newPage();
  const text = await connectTo(page, lens.server.url + "/no-harbor-here");
  assert.match(text, /No Harbor at/);
});

test("without credentials the dashboard is anonymous and sees public projects only", async () => {
  const page = await lens.chrome.newPage();
  await page.goto(lens.server.url + "/");
  await page.locator(".connection.ok").waitFor();
  assert.match(await page.locator(".connection .principal").textContent(), /anonymous/);
  const expected = await truth(lens.server, "anonymous");
  await loadAll(page);
  assert.equal(await matching(page), expected.length);
  assert.deepEqual(scriptErrors(page), []);
});

test("?embed=1 hides the page title; the failed-requests badge stays", async () => {
  const page = await lens.chrome.newPage();
  await page.goto(lens.server.url + "/?embed=1");
  await page.getByRole("button", { name: "Load artifacts" }).waitFor();
  assert.equal(await page.getByRole("heading", { name: "Harbor Lens" }).isVisible(), false);
  assert.equal(await failuresBadge(page).isVisible(), true);
  const plain = await lens.chrome.newPage();
  await plain.goto(lens.server.url + "/");
  await plain.getByRole("heading", { name: "Harbor Lens" }).waitFor();
});

test("the theme toggle switches light and dark", async () => {
  const page = await lens.chrome.newPage({ colorScheme: "light" });
  await page.goto(lens.server.url + "/");
  const toggle = page.getByRole("button", { name: /^Theme:/ });
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await background();
  await toggle.click(); // system -> light
  assert.equal(await background(), light);
  await toggle.click(); // light -> dark
  const dark = await background();
  assert.notEqual(dark, light);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  // A system in dark mode gets the same dark colours without touching the toggle.
  const system = await lens.chrome.newPage({ colorScheme: "dark" });
  await system.goto(lens.server.url + "/");
  await system.getByRole("button", { name: /^Theme:/ }).waitFor();
  assert.equal(await system.evaluate(() => getComputedStyle(document.body).backgroundColor), dark);
  // The choice survives a reload (localStorage), and going back to "system" forgets it.
  await page.reload();
  assert.equal(await page.getByRole("button", { name: /^Theme:/ }).textContent(), "Theme: dark");
  assert.equal(await background(), dark);
  await page.getByRole("button", { name: /^Theme:/ }).click(); // dark -> system
  await page.reload();
  assert.equal(await page.getByRole("button", { name: /^Theme:/ }).textContent(), "Theme: system");
  assert.equal(await background(), light);
});

test("? lists the keyboard shortcuts, Esc closes the list; typing ? in a field does not", async () => {
  const page = await lens.chrome.newPage();
  await page.goto(lens.server.url + "/");
  await page.getByRole("button", { name: /^Theme:/ }).waitFor();
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await page.locator("body").press("?");
  await help.waitFor();
  const keys = await help.locator("dt").allTextContents();
  for (const key of ["/", "Enter", "Esc", "?"]) assert.ok(keys.includes(key), `${key} is listed: ${keys}`);
  await page.keyboard.press("Escape");
  await help.waitFor({ state: "detached" });
  await page.getByRole("textbox", { name: "Username", exact: true }).fill("");
  await page.getByRole("textbox", { name: "Username", exact: true }).press("?");
  assert.equal(await help.count(), 0);
  assert.equal(await page.getByRole("textbox", { name: "Username", exact: true }).inputValue(), "?");
});

test("credentials stay out of localStorage, cookies, the URL and exports; opt-in keeps them for the tab", async () => {
  const page = await lens.chrome.newPage({ acceptDownloads: true });
  const consoleText = [];
  page.on("console", (msg) => consoleText.push(msg.text()));
  await page.goto(lens.server.url + "/");
  await page.getByRole("textbox", { name: "Username", exact: true }).fill("admin");
  await page.getByLabel("Password", { exact: true }).fill("Harbor12345");
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.locator(".connection.ok .principal").filter({ hasText: "admin" }).waitFor();
  await loadAll(page);
  const [file] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export JSON" }).click(),
  ]);
  const { readFile } = await import("node:fs/promises");
  const exported = await readFile(await file.path(), "utf8");
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  const secret = "Harbor12345";
  const basic = Buffer.from(`admin:${secret}`).toString("base64");
  const logged = consoleText.join("\n");
  for (const [where, text] of [["storage", stored], ["URL", page.url()], ["export", exported], ["console", logged]]) {
    assert.ok(!text.includes(secret) && !text.includes(basic), `no credentials in the ${where}`);
  }

  // Opting in keeps them in this tab's sessionStorage only, and a reload signs in again.
  await page.getByRole("checkbox", { name: "Remember for this tab" }).check();
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.locator(".connection.ok .principal").filter({ hasText: "admin" }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  assert.ok(await page.evaluate(() => sessionStorage.length) > 0);
  await page.reload();
  await page.locator(".connection.ok .principal").filter({ hasText: "admin" }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.locator(".connection.ok .principal").filter({ hasText: "anonymous" }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
});
