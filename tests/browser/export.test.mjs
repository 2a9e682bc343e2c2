// CSV and JSON exports hold exactly the filtered rows, in the table's order.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { useLens } from "./harness.mjs";
import { openSignedIn, loadAll, matching, waitMatching, pageDigests, truth, scriptErrors, parseCsv } from "./lens.mjs";

const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.13"]);

async function download(page, name) {
  const [file] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name }).click(),
  ]);
  return readFile(await file.path(), "utf8");
}

test("Export CSV and Export JSON hold exactly the filtered rows in table order", async () => {
  const rows = await truth(lens.server);
  const page = await lens.chrome.newPage({ acceptDownloads: true });
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const project = rows[0].project;
  const expected = rows.filter((r) => r.project.includes(project));
  await page.getByRole("textbox", { name: "Project", exact: true }).fill(project);
  await waitMatching(page, expected.length);
  await page.getByRole("columnheader", { name: "Size", exact: true }).getByRole("button").click();
  await page.getByRole("combobox", { name: "Rows per page" }).selectOption("250");
  const order = await pageDigests(page);
  assert.equal(order.length, Math.min(250, expected.length));

  const json = JSON.parse(await download(page, "Export JSON"));
  assert.equal(json.artifacts.length, expected.length);
  assert.equal(json.header.artifacts, expected.length);
  assert.equal(json.header.failed_requests, 0);
  assert.deepEqual(json.artifacts.slice(0, order.length).map((a) => a.digest), order);
  assert.deepEqual(
    json.artifacts.map((a) => a.digest).sort(),
    expected.map((r) => r.digest).sort(),
  );

  const csv = parseCsv(await download(page, "Export CSV"));
  const columns = csv.findIndex((r) => r[0] === "project" && r.includes("digest"));
  assert.ok(columns > 0, "a header record comes before the column names");
  const digestAt = csv[columns].indexOf("digest");
  const records = csv.slice(columns + 1).filter((r) => r.length > 1);
  assert.equal(records.length, expected.length);
  assert.deepEqual(records.slice(0, order.length).map((r) => r[digestAt]), order);
  assert.ok(!JSON.stringify(csv).includes("Harbor12345"), "no credentials in the export");
  assert.equal(await matching(page), expected.length);
  assert.deepEqual(scriptErrors(page), []);
});
