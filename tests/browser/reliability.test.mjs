// Reliability in the browser: a fault matrix over the `medium` preset, the network cut
// mid-crawl and restored, and the Content-Security-Policy really sent and obeyed.
// Each case checks the outcome against the simulator's own log of what it failed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, useLens } from "./harness.mjs";
import { openSignedIn, loadAll, matching, waitMatching, waitDone, status, truth, scriptErrors, openFailures } from "./lens.mjs";

/** The dashboard's attempts per request (harbor-client's `RetryPolicy::default`). */
const MAX_ATTEMPTS = 4;

/** Kinds that make an attempt fail; the others change headers or types, not the data. */
const FAILS = (kind) => !["wrong_content_type", "lying_total_count"].includes(kind);

const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; frame-ancestors 'none'";

let rows;
// 2.10 lists artifacts per repository with `artifact_count` known up front, so what a
// failed page leaves out is always countable.
const lens = useLens(["--demo", "--preset", "medium", "--harbor-version", "2.10"], async (lens) => {
  rows = await truth(lens.server);
});

async function setFaults(plan) {
  const resp = await fetch(`${lens.server.url}/_sim/faults`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(plan),
  });
  assert.ok(resp.ok, `/_sim/faults: ${resp.status}`);
  const reset = await fetch(`${lens.server.url}/_sim/reset`, { method: "POST" });
  assert.ok(reset.ok);
}

/** The panel's entries (opened through the badge, closed again) and the banner's missing
 * count (null when it cannot be counted). */
async function panelAndBanner(page) {
  const panel = await openFailures(page);
  const items = await panel.getByRole("listitem").allTextContents();
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "detached" });
  const note = page.getByRole("note");
  const banner = (await note.count()) ? await note.textContent() : null;
  const about = banner?.match(/: about ([\d,]+) artifacts not loaded/);
  return { items, banner, missing: about ? Number(about[1].replaceAll(",", "")) : null };
}

/** One persistent fault on the URLs of a few repositories, plus the same kind at random. */
function matrixPlan(kind, rate = 0.08) {
  return {
    rules: [{ pattern: "*/repositories/*cache*/artifacts?*", kind, retry_after_secs: 1 }],
    rate,
    rate_kinds: [kind],
    seed: 7,
  };
}

const CASES = [
  ["5% of requests fail with 500", { rate: 0.05, rate_kinds: ["http500"], seed: 5 }],
  ["30% of requests fail with 500", { rate: 0.3, rate_kinds: ["http500"], seed: 30 }],
  ["502 with an HTML body", matrixPlan("http502")],
  ["503", matrixPlan("http503")],
  ["429 storm with Retry-After", { rules: [{ pattern: "*/artifacts?*", kind: "http429", times: 1, retry_after_secs: 1 }] }],
  ["connections dropped mid-body", matrixPlan("drop_connection")],
  ["truncated JSON", matrixPlan("truncated_json")],
  ["malformed JSON", matrixPlan("malformed_json")],
  ["a wrong Content-Type", matrixPlan("wrong_content_type", 0.3)],
  ["an empty body with 200", matrixPlan("empty_body")],
  ["X-Total-Count says 7 fewer", { rules: [{ pattern: "*/artifacts?*", kind: "lying_total_count", total_delta: -7 }] }],
  ["X-Total-Count says 7 more", { rules: [{ pattern: "*/artifacts?*", kind: "lying_total_count", total_delta: 7 }] }],
];

// Slower than the timeout: the page asks for a 1 s timeout (`?timeout=1`); the persistent
// rule answers after 1.5 s on every attempt, the random ones on a single attempt.
CASES.push([
  "responses slower than the timeout",
  { ...matrixPlan("slow", 0.02), rules: [{ pattern: "*/repositories/*cache*/artifacts?*", kind: "slow", delay_ms: 1500 }] },
  "/?timeout=1",
]);

for (const [name, plan, path = "/"] of CASES) {
  test(`fault matrix on medium: ${name}`, async () => {
    await setFaults(plan);
    const page = await lens.chrome.newPage();
    await openSignedIn(page, lens.server.url, undefined, path);
    await loadAll(page, 180_000);

    const stats = await lens.server.sim("stats");
    const byUrl = new Map();
    for (const f of stats.faults_injected.filter((f) => FAILS(f.kind))) {
      byUrl.set(f.path_and_query, [...(byUrl.get(f.path_and_query) ?? []), f]);
    }
    const forGood = [...byUrl].filter(([, f]) => f.length >= MAX_ATTEMPTS).map(([url]) => url);
    const transient = [...byUrl].filter(([, f]) => f.length < MAX_ATTEMPTS).length;
    assert.ok(stats.faults_injected.length > 0, "the plan injected faults");
    // Retries: every URL the simulator failed only transiently was asked again and
    // answered, or it would be in the panel.
    assert.equal(stats.requests_total >= stats.faults_injected.length, true);

    if (plan.rules?.some((r) => FAILS(r.kind) && !r.times)) {
      assert.ok(forGood.length > 0, "the persistent rule failed some URLs for good");
    }
    const failing = [...(plan.rate_kinds ?? []), ...(plan.rules ?? []).map((r) => r.kind)].every(FAILS);
    if (failing && (plan.rate >= 0.05 || plan.rules?.some((r) => r.times))) {
      assert.ok(transient > 0, "some faults were transient and retried");
    }

    const { items, banner, missing } = await panelAndBanner(page);
    assert.equal(items.length, forGood.length, `panel vs failed-for-good URLs (${transient} transient)`);
    for (const url of forGood) {
      const hits = items.filter((text) => text.includes(url));
      assert.equal(hits.length, 1, `${url} is in the panel exactly once`);
    }
    const loaded = await matching(page);
    if (forGood.length === 0) {
      assert.equal(banner, null);
      assert.equal(loaded, rows.length, "everything loaded");
    } else {
      assert.ok(missing !== null, `the banner counts what is missing: ${banner}`);
      assert.equal(loaded + missing, rows.length, "loaded plus reported missing is the total");
    }
    // The page stays usable: a filter still narrows the table, and clearing restores it.
    const project = rows[0].project;
    await page.getByRole("textbox", { name: "Project", exact: true }).fill(`"${project}"`);
    const shown = await page.getByLabel("Matching artifacts").textContent();
    assert.ok(Number(shown) <= loaded);
    await page.getByRole("button", { name: "Clear filters" }).click();
    await waitMatching(page, loaded);
    assert.deepEqual(scriptErrors(page), []);
    await page.context().close();
  });
}

test("the network cut mid-crawl: the panel says what failed, and retry completes it", async () => {
  await setFaults({});
  // Latency so that the crawl is still running when the network goes.
  const slow = await startServer(["--demo", "--preset", "medium", "--harbor-version", "2.10", "--latency-ms", "20"]);
  try {
    const page = await lens.chrome.newPage();
    await openSignedIn(page, slow.url);
    const all = await truth(slow);
    await page.getByRole("button", { name: "Load artifacts" }).click();
    await page.waitForFunction(
      () => Number(document.querySelector('[aria-label="Matching artifacts"]')?.textContent ?? 0) > 500,
      null,
      { timeout: 60_000 },
    );
    await page.context().setOffline(true);
    await waitDone(page, 120_000);
    const cut = await panelAndBanner(page);
    assert.ok(cut.items.length > 0, "requests failed while offline");
    assert.ok(cut.items.every((t) => /network|fetch|offline/i.test(t)), `network errors: ${cut.items[0]}`);
    assert.match(await status(page).textContent(), /failed/);
    const loaded = await matching(page);
    assert.ok(loaded < all.length && loaded > 500);
    if (cut.missing !== null) assert.equal(loaded + cut.missing, all.length);

    await page.context().setOffline(false);
    await (await openFailures(page)).getByRole("button", { name: "Retry failed requests" }).click();
    await waitMatching(page, all.length, 120_000);
    await waitDone(page, 60_000);
    const after = await panelAndBanner(page);
    assert.deepEqual(after.items, []);
    assert.equal(after.banner, null);
    assert.deepEqual(scriptErrors(page), []);
    await page.context().close();
  } finally {
    await slow.stop();
  }
});

test("the strict Content-Security-Policy is sent, and the dashboard crawls under it", async () => {
  await setFaults({});
  const page = await lens.chrome.newPage();
  const documents = [];
  page.on("response", (r) => {
    if (r.request().resourceType() === "document") documents.push(r);
  });
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  await openSignedIn(page, lens.server.url);
  assert.equal(documents.length, 1);
  const policy = (await documents[0].allHeaders())["content-security-policy"];
  assert.equal(policy, CSP);
  assert.doesNotMatch(policy, /'unsafe-inline'|'unsafe-eval'/);
  await loadAll(page, 120_000);
  assert.equal(await matching(page), rows.length);
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  // Inline script is really refused: the policy is in force, not just sent.
  const ran = await page.evaluate(() => {
    window.__inline = false;
    const s = document.createElement("script");
    s.textContent = "window.__inline = true";
    document.body.append(s);
    return window.__inline;
  });
  assert.equal(ran, false);
  assert.ok((await page.evaluate(() => window.__violations)).some((v) => v.startsWith("script-src")));
  await page.context().close();
});
