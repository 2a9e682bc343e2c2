// Audits against the simulator's ground truth: the CVE roll-up (every CVE, the artifacts
// it affects, fixable or not; filters; the artifact table narrowed to one CVE) and the
// audit presets (each one's count before and after it is chosen).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { startServer, useLens } from "./harness.mjs";
import { openSignedIn, loadAll, waitMatching, matching, pageDigests, truth, scriptErrors, columnTexts, parseCsv, DAY_MS, urlWith } from "./lens.mjs";

/** Where the Signed column stands in the Artifacts table (0-based). */
const COLUMN_SIGNED = 9;

const lens = useLens(["--demo", "--preset", "small", "--harbor-version", "2.13"]);

async function download(page, name, scope = page) {
  const [file] = await Promise.all([page.waitForEvent("download"), scope.getByRole("button", { name }).click()]);
  return readFile(await file.path(), "utf8");
}

const SEVERITY_RANK = ["None", "Unknown", "Negligible", "Low", "Medium", "High", "Critical"];

test("the CVE roll-up equals the simulator's reports, and a CVE narrows the table", async () => {
  const page = await lens.chrome.newPage({ acceptDownloads: true });
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const rows = await truth(lens.server);
  const cves = await lens.server.sim("truth/cves?as=admin");
  assert.ok(cves.length > 50, `the small preset has many CVEs (${cves.length})`);

  await page.getByRole("button", { name: "Fetch vulnerability reports" }).click();
  await page.getByText(/^Reports finished: /).waitFor({ timeout: 60_000 });
  // An admin may read Security Hub: the whole roll-up in a few requests.
  const run = await page.getByRole("status", { name: "Report run" }).textContent();
  assert.match(run, /from Security Hub, [\d,]+ findings for [\d,]+ scanned artifacts in \d+ request/);
  const section = page.getByRole("region", { name: "CVE roll-up" });
  const count = () => section.getByLabel("Matching CVEs").textContent().then((t) => Number(t.trim()));
  await section.getByRole("table", { name: "CVEs" }).waitFor();
  assert.equal(await count(), cves.length);

  // Every CVE, its affected artifacts, repositories and fix: exactly the truth.
  const exported = JSON.parse(await download(page, "Export CVEs JSON", section));
  assert.equal(exported.cves.length, cves.length);
  // The same roll-up one report per artifact (Security Hub turned off): the same CVEs,
  // artifacts, packages and fixes.
  const perArtifact = await lens.chrome.newPage({ acceptDownloads: true });
  await openSignedIn(perArtifact, lens.server.url, undefined, "/?security_hub=0");
  await loadAll(perArtifact);
  await perArtifact.getByRole("button", { name: "Fetch vulnerability reports" }).click();
  await perArtifact.getByText(/^Reports finished: \d/).waitFor({ timeout: 60_000 });
  const slow = perArtifact.getByRole("region", { name: "CVE roll-up" });
  await slow.getByRole("table", { name: "CVEs" }).waitFor();
  const viaReports = JSON.parse(await download(perArtifact, "Export CVEs JSON", slow));
  const essence = (e) => e.cves.map((c) => ({ ...c, artifacts: c.artifacts.map((a) => `${a.repository}@${a.digest}`).sort() }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  assert.deepEqual(essence(viaReports), essence(exported), "Security Hub and per-artifact reports agree");
  await perArtifact.close();
  const byId = new Map(exported.cves.map((c) => [c.id, c]));
  for (const want of cves) {
    const got = byId.get(want.id);
    assert.ok(got, `${want.id} is in the roll-up`);
    const affected = got.artifacts.map((a) => `${a.repository}@${a.digest}`).sort();
    assert.deepEqual(affected, want.affected, `artifacts affected by ${want.id}`);
    assert.equal(got.repositories, want.repositories, `repositories of ${want.id}`);
    assert.equal(got.fixable, want.fixable, `fixable ${want.id}`);
    assert.equal(got.severity, want.severity, `severity of ${want.id}`);
    assert.deepEqual(got.packages, [want.package]);
  }

  // Filters: fixable only, then at least critical, then a package, then an id.
  await section.getByRole("checkbox", { name: "Fixable only" }).check();
  assert.equal(await count(), cves.filter((c) => c.fixable).length);
  await section.getByRole("combobox", { name: "Minimum CVE severity" }).selectOption("critical");
  assert.equal(await count(), cves.filter((c) => c.fixable && c.severity === "Critical").length);
  await section.getByRole("combobox", { name: "Minimum CVE severity" }).selectOption("high");
  const fixableSevere = cves.filter((c) => c.fixable && SEVERITY_RANK.indexOf(c.severity) >= 5);
  assert.equal(await count(), fixableSevere.length);
  await section.getByRole("checkbox", { name: "Fixable only" }).uncheck();
  await section.getByRole("combobox", { name: "Minimum CVE severity" }).selectOption("any");
  const pkg = cves[0].package;
  await section.getByRole("textbox", { name: "Package" }).fill(pkg);
  assert.equal(await count(), cves.filter((c) => c.package.includes(pkg)).length);
  await section.getByRole("textbox", { name: "Package" }).fill("");
  // Sorting by affected artifacts: most first, ties by id.
  const byAffected = [...cves].sort((a, b) => b.affected.length - a.affected.length || (a.id < b.id ? -1 : 1));
  await section.getByRole("button", { name: "Artifacts", exact: true }).click();
  const firstIds = () => section.locator("table tbody tr td:first-child").allTextContents();
  assert.deepEqual((await firstIds()).slice(0, 5), byAffected.slice(0, 5).map((c) => c.id));
  assert.equal(await section.getByRole("columnheader", { name: "Artifacts" }).getAttribute("aria-sort"), "descending");
  const widest = byAffected[0];
  await section.getByRole("textbox", { name: "CVE" }).fill(widest.id);
  assert.equal(await count(), 1);

  // The CVE narrows the artifact table to exactly its artifacts, in the URL too.
  await section.getByRole("button", { name: `Show artifacts affected by ${widest.id}` }).click();
  await waitMatching(page, widest.affected.length);
  await page.waitForURL((u) => u.searchParams.get("cve") === widest.id);
  const digests = new Set(widest.affected.map((k) => k.split("@")[1]));
  for (const d of await pageDigests(page)) assert.ok(digests.has(d), `${d} is affected by ${widest.id}`);
  const chip = page.getByRole("status", { name: "CVE filter" });
  assert.match(await chip.textContent(), new RegExp(`Affected by ${widest.id}: ${widest.affected.length} artifacts?`));
  // It combines with the other filters.
  const project = widest.affected[0].split("/")[0];
  await page.getByRole("textbox", { name: "Project", exact: true }).fill(`"${project}"`);
  await waitMatching(page, widest.affected.filter((k) => k.startsWith(`${project}/`)).length);
  await page.getByRole("textbox", { name: "Project", exact: true }).fill("");
  await waitMatching(page, widest.affected.length);
  await page.getByRole("button", { name: "Clear CVE filter" }).click();
  await waitMatching(page, rows.length);
  await page.waitForURL((u) => !u.searchParams.has("cve"));

  // A link with a CVE opened before any report is loaded says why nothing matches.
  const fresh = await lens.chrome.newPage();
  await openSignedIn(fresh, lens.server.url, undefined, `/?cve=${widest.id}`);
  await loadAll(fresh);
  await waitMatching(fresh, 0);
  assert.match(await fresh.getByRole("status", { name: "CVE filter" }).textContent(), /no vulnerability report loaded yet/);
  await fresh.close();
  assert.deepEqual(scriptErrors(page), []);
  await page.close();
});

test("a robot account's roll-up covers exactly what it can read", async () => {
  const robot = ["robot$lens-audit", "RobotSecret1"];
  const page = await lens.chrome.newPage({ acceptDownloads: true });
  await openSignedIn(page, lens.server.url, robot);
  await loadAll(page);
  const cves = await lens.server.sim(`truth/cves?as=${encodeURIComponent(robot[0])}`);
  const all = await lens.server.sim("truth/cves?as=admin");
  assert.ok(cves.length > 0 && cves.length < all.length, `${cves.length} of ${all.length}`);
  await page.getByRole("button", { name: "Fetch vulnerability reports" }).click();
  await page.getByText(/^Reports finished: /).waitFor({ timeout: 60_000 });
  const section = page.getByRole("region", { name: "CVE roll-up" });
  const exported = JSON.parse(await download(page, "Export CVEs JSON", section));
  const got = exported.cves.map((c) => [c.id, c.artifacts.map((a) => `${a.repository}@${a.digest}`).sort()]);
  assert.deepEqual(got.sort(), cves.map((c) => [c.id, c.affected]).sort());
  assert.deepEqual(scriptErrors(page), []);
  await page.close();
});

/** What each preset selects, from the simulator's rows (same rules as the presets). */
function presetTruth(rows, now) {
  const never = (t) => !t || t.startsWith("0001-");
  const repoCount = new Map();
  const digestRepos = new Map();
  for (const r of rows) {
    repoCount.set(r.repository, (repoCount.get(r.repository) ?? 0) + 1);
    if (!digestRepos.has(r.digest)) digestRepos.set(r.digest, new Set());
    digestRepos.get(r.digest).add(r.repository);
  }
  const success = (r) => r.scan.status === "Success";
  return {
    untagged: rows.filter((r) => r.tags.length === 0),
    unpulled: rows.filter((r) => never(r.pull_time) || Date.parse(r.pull_time) < now - 90 * DAY_MS),
    scan_gaps: rows.filter(
      (r) =>
        r.scan.status === "NotScanned" ||
        r.scan.status === "Error" ||
        (success(r) && (!r.scan.end_time || Date.parse(r.scan.end_time) < now - 30 * DAY_MS)),
    ),
    fixable_severe: rows.filter(
      (r) => success(r) && ["High", "Critical"].includes(r.scan.severity) && r.scan.fixable > 0,
    ),
    largest: rows,
    shared_digest: rows.filter((r) => digestRepos.get(r.digest).size > 1),
    big_repos: rows.filter((r) => repoCount.get(r.repository) > 100),
    unsigned: rows.filter((r) => !r.signed),
    no_sbom: rows.filter((r) => !r.sbom),
  };
}

test("each audit preset shows its count before it is chosen, and selects exactly that", async () => {
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const rows = await truth(lens.server);
  const now = Date.now();
  const want = presetTruth(rows, now);
  const select = page.getByRole("combobox", { name: "Audit preset" });
  // The counts follow the rows a slice at a time, after the frames that show them:
  // they are complete when "Largest artifacts" (every artifact) counts them all.
  await page.waitForFunction(
    (all) =>
      [...document.querySelectorAll('select[aria-label="Audit preset"] option')].some(
        (o) => o.value === "largest" && o.textContent.replaceAll(",", "").includes(`: ${all} (`),
      ),
    rows.length,
  );
  const options = await select.locator("option").evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
  const offered = options.filter(([v]) => v !== "").map(([v]) => v);
  assert.deepEqual(offered.sort(), Object.keys(want).sort());
  let nonEmpty = 0;
  for (const [value, text] of options) {
    if (value === "") continue;
    const expected = want[value].length;
    nonEmpty += expected > 0 ? 1 : 0;
    const [, shown] = text.match(/: ([\d,]+) \(/) ?? [];
    assert.equal(Number(shown?.replaceAll(",", "")), expected, `${value}: "${text}"`);
    const bytes = want[value].reduce((s, r) => s + r.size, 0);
    assert.match(text, bytes < 1024 ? /\(\d+ B\)$/ : /\(\d+\.\d [KMGTPE]iB\)$/, `${value} shows a size`);
    await select.selectOption(value);
    await waitMatching(page, expected);
    assert.equal((await urlWith(page, "preset", value)).searchParams.get("preset"), value);
  }
  assert.ok(nonEmpty >= 5, "most presets select something on the small preset");
  // Largest artifacts sorts by size, biggest first.
  await select.selectOption("largest");
  const biggest = [...rows].sort((a, b) => b.size - a.size)[0];
  assert.equal((await pageDigests(page))[0], biggest.digest);
  await select.selectOption("");
  assert.equal(await matching(page), rows.length);
  await page.close();
});

test("a report run stops at 1,000 artifacts, says how many are left, and the next run goes on", async () => {
  const medium = await startServer(["--demo", "--preset", "medium", "--harbor-version", "2.13"]);
  const page = await lens.chrome.newPage();
  try {
    // One report per artifact, as for a caller without Security Hub.
    await openSignedIn(page, medium.url, undefined, "/?security_hub=0");
    await loadAll(page);
    const rows = await truth(medium);
    const withFindings = rows.filter((r) => r.scan.status === "Success" && r.scan.total > 0).length;
    assert.ok(withFindings > 2000, `${withFindings}`);
    await fetch(`${medium.url}/_sim/reset`, { method: "POST" });
    const fetchOnce = async () => {
      await page.getByRole("button", { name: "Fetch vulnerability reports" }).click();
      await page.getByText(/^Reports finished: /).waitFor({ timeout: 120_000 });
    };
    await fetchOnce();
    const left = page.getByText(/matching scanned artifacts have no report yet/);
    assert.equal(
      await left.textContent(),
      `${(withFindings - 1000).toLocaleString("en-US")} matching scanned artifacts have no report yet: ` +
        "Fetch vulnerability reports again for the next 1,000.",
    );
    await fetchOnce();
    await page.getByText(`${(withFindings - 2000).toLocaleString("en-US")} matching scanned artifacts have no report yet`, { exact: false }).waitFor();
    // 2,000 distinct reports, none fetched twice.
    const stats = await medium.sim("stats");
    const reports = Object.entries(stats.by_path).filter(([p]) => p.endsWith("/additions/vulnerabilities"));
    assert.equal(reports.length, 2000);
    assert.ok(reports.every(([, n]) => n === 1));
  } finally {
    await page.close();
    await medium.stop();
  }
});

test("Signed and SBOM: columns, filters and exports follow the truth; details list the accessories and link into Harbor", async () => {
  const page = await lens.chrome.newPage({ acceptDownloads: true });
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const rows = await truth(lens.server);
  const signed = rows.filter((r) => r.signed);
  const withSbom = rows.filter((r) => r.sbom);
  assert.ok(signed.length > 0 && signed.length < rows.length, "some artifacts are signed, not all");
  assert.ok(withSbom.length > 0 && withSbom.length < rows.length, "some carry an SBOM, not all");

  const filter = (name) => page.getByRole("combobox", { name, exact: true });
  await filter("Signed").selectOption("no");
  await waitMatching(page, rows.length - signed.length);
  await filter("SBOM").selectOption("yes");
  await waitMatching(page, rows.filter((r) => !r.signed && r.sbom).length);
  assert.equal((await urlWith(page, "signed", "no")).searchParams.get("signed"), "no");
  // The export holds exactly those rows, with the two columns.
  const csv = await download(page, "Export CSV");
  const records = parseCsv(csv.trim()).slice(2);
  const header = records[0];
  const [si, bi] = [header.indexOf("signed"), header.indexOf("sbom")];
  assert.ok(si > 0 && bi > 0, `signed and sbom columns: ${header}`);
  assert.equal(records.length - 1, rows.filter((r) => !r.signed && r.sbom).length);
  for (const r of records.slice(1)) assert.deepEqual([r[si], r[bi]], ["no", "yes"], r.join(","));
  await page.getByRole("button", { name: "Clear filters" }).click();
  await waitMatching(page, rows.length);

  // Sorting by Signed puts the unsigned first; the cells say which signature.
  await page.getByRole("columnheader", { name: /^Signed/ }).getByRole("button").click();
  const signedCells = await columnTexts(page, COLUMN_SIGNED);
  assert.equal(signedCells[0], "no");

  // The details of a signed artifact list its accessories and link into Harbor's portal.
  await filter("Signed").selectOption("yes");
  await waitMatching(page, signed.length);
  await page.locator('table[aria-label="Artifacts"] tbody tr').first().click();
  const details = page.getByRole("region", { name: "Artifact details" });
  const kinds = await details.getByRole("table", { name: "Accessories" }).locator("tbody tr td:first-child").allTextContents();
  assert.ok(kinds.some((k) => /signature/.test(k)), `a signature is listed: ${kinds}`);
  const repository = (await details.getByRole("heading", { level: 2 }).textContent()).split("@")[0];
  const shown = rows.find((r) => r.signed && r.repository === repository);
  assert.ok(shown, `the selected row is a signed artifact of ${repository}`);
  const links = await details.getByRole("link", { name: "Open in Harbor" }).evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  assert.equal(links.length, 3, `project, repository and artifact: ${links}`);
  const projects = await (await fetch(`${lens.server.url}/api/v2.0/projects?name=${shown.project}`, {
    headers: { Authorization: "Basic " + Buffer.from("admin:Harbor12345").toString("base64") },
  })).json();
  const id = projects.find((p) => p.name === shown.project).project_id;
  const base = `${lens.server.url}/harbor/projects/${id}/repositories`;
  const short = encodeURIComponent(shown.repository.slice(shown.project.length + 1));
  assert.equal(links[0], base);
  assert.equal(links[1], `${base}/${short}`);
  assert.match(links[2], new RegExp(`^${base.replace(/[.?]/g, "\\$&")}/${short}/artifacts-tab/artifacts/sha256:[0-9a-f]{64}$`));
  assert.deepEqual(await scriptErrors(page), []);
  await page.close();
});

test("a pull-time filter says what pull_time means on this Harbor", async () => {
  const page = await lens.chrome.newPage();
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  await page.getByRole("combobox", { name: "Audit preset" }).selectOption("unpulled");
  const note = page.getByRole("note", { name: "Pull time" });
  await note.waitFor();
  // 2.13 keeps pull_time on pulls by digest (goharbor/harbor#21326).
  assert.match(await note.textContent(), /digest/);
  // The Pulled column says the same.
  const pulled = page.getByRole("columnheader", { name: /^Pulled/ });
  assert.equal(await pulled.getAttribute("title"), (await note.textContent()).trim());
  await page.getByRole("combobox", { name: "Audit preset" }).selectOption("");
  await note.waitFor({ state: "detached" });
  await page.close();
});

test("One row per tag: a row for each tag and each untagged artifact, in the URL and the exports", async () => {
  const page = await lens.chrome.newPage({ acceptDownloads: true });
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const rows = await truth(lens.server);
  const pairs = rows.flatMap((r) => (r.tags.length ? r.tags : [""]).map((t) => `${r.repository}@${r.digest}:${t}`)).sort();
  assert.ok(pairs.length > rows.length, "some artifacts have several tags");
  const perTag = page.getByRole("checkbox", { name: "One row per tag" });
  await perTag.check();
  await waitMatching(page, pairs.length);
  assert.equal((await urlWith(page, "rows", "tags")).searchParams.get("rows"), "tags");
  // Every row shows one tag at most.
  const tagCells = await columnTexts(page, 2);
  assert.ok(tagCells.every((t) => !t.includes("more")), "no row holds more than its own tag");
  // The CSV holds each (artifact, tag) pair once, with a last `tag` column.
  const records = parseCsv((await download(page, "Export CSV")).trim()).slice(2);
  const [header, ...body] = records;
  assert.equal(header.at(-1), "tag");
  const [ri, di] = [header.indexOf("repository"), header.indexOf("digest")];
  assert.deepEqual(body.map((r) => `${r[ri]}@${r[di]}:${r.at(-1)}`).sort(), pairs);
  // Presets and filters work on tag rows: untagged artifacts are one row each.
  await page.getByRole("combobox", { name: "Audit preset" }).selectOption("untagged");
  await waitMatching(page, rows.filter((r) => r.tags.length === 0).length);
  await page.getByRole("combobox", { name: "Audit preset" }).selectOption("");
  await waitMatching(page, pairs.length);
  await perTag.uncheck();
  await waitMatching(page, rows.length);
  assert.equal((await urlWith(page, "rows", null)).searchParams.get("rows"), null);
  assert.deepEqual(await scriptErrors(page), []);
  await page.close();
  // A link with rows=tags opens in that mode.
  const linked = await lens.chrome.newPage();
  await openSignedIn(linked, lens.server.url, undefined, "/?rows=tags");
  await loadAll(linked);
  assert.equal(await linked.getByRole("checkbox", { name: "One row per tag" }).isChecked(), true);
  await waitMatching(linked, pairs.length);
  await linked.close();
});

test("storage per project: the quota Harbor counts beside the sum of artifact sizes, on the chart and in the export", async () => {
  const page = await lens.chrome.newPage({ acceptDownloads: true });
  await openSignedIn(page, lens.server.url);
  await loadAll(page);
  const rows = await truth(lens.server);
  // The summaries arrive after the crawl; the chart then shows the quota beside the sum.
  await page.getByText(/\(quota used [\d.]+ [KMGT]?i?B\)/).first().waitFor({ state: "attached", timeout: 20_000 });
  const records = parseCsv((await download(page, "Export projects CSV")).trim()).slice(2);
  const [header, ...body] = records;
  assert.deepEqual(header, ["project", "artifacts", "artifact_size_sum_bytes", "quota_used_bytes", "quota_hard_bytes"]);
  const projects = [...new Set(rows.map((r) => r.project))].sort();
  assert.deepEqual(body.map((r) => r[0]).sort(), projects);
  const auth = { Authorization: "Basic " + Buffer.from("admin:Harbor12345").toString("base64") };
  let differs = 0;
  for (const [project, artifacts, sum, used] of body) {
    const mine = rows.filter((r) => r.project === project);
    assert.equal(Number(artifacts), mine.length, project);
    assert.equal(Number(sum), mine.reduce((s, r) => s + r.size, 0), project);
    const summary = await (await fetch(`${lens.server.url}/api/v2.0/projects/${project}/summary`, { headers: auth })).json();
    assert.equal(Number(used), summary.quota.used.storage, `${project}: quota used`);
    if (Number(used) !== Number(sum)) differs++;
  }
  assert.ok(differs > 0, "shared layers make the quota differ from the size sum somewhere");
  assert.deepEqual(await scriptErrors(page), []);
  await page.close();
});
