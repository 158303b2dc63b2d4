// Checks promptci's HTML pages in a real headless Chromium (Debian's, through playwright-core),
// the way a reviewer uses them: opened from disk, with no network.
//
//   node check.mjs SPEC.json
//
// SPEC.json lists pages and what each must show:
//   { "screenshots": "DIR"?,                  // where to save PNGs (optional)
//     "reports": [{ "file": "report.html", "name": "report", "screenshots": true?,
//                   "total": 6, "failed": 2,   // the totals shown
//                   "failing_case": "suites/x.yaml::refund", "reason": "missing `refund`",
//                   "baseline": { "regressed": 1 }?,   // the baseline section and its counts
//                   "search": { "query": "refund", "rows": 1 }?,
//                   "hostile_case": "suites/x.yaml::html"?, "hostile_text": "<script>"?  }],
//     "trends": [{ "file": "trend.html", "name": "trend", "runs": 30, "charts": 5 }] }
//
// Every page is also checked for: no request but the page itself, no script error, no
// Content-Security-Policy violation. Prints one JSON line of measurements; exits 1 with the
// failures listed when a check fails.

import { readFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const specPath = process.argv[2];
if (!specPath) {
  console.error("usage: node check.mjs SPEC.json");
  process.exit(2);
}
const spec = JSON.parse(readFileSync(specPath, "utf8"));
const base = dirname(resolve(specPath));
const executablePath = process.env.PROMPTCI_CHROMIUM || "/usr/bin/chromium";
const failures = [];
// Screenshots are taken of the pages whose spec says `"screenshots": true`.
let shooting = false;
const measurements = {};

function check(condition, message) {
  if (!condition) failures.push(message);
  return condition;
}

const profile = mkdtempSync(join(tmpdir(), "promptci-chromium-"));
// The flags keep Chromium from reaching out on its own (updates, sync, safe browsing), which
// a closed network would refuse and which would muddy the no-network check.
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 1280, height: 900 },
});

// Opens a page from disk, recording every request it makes, script errors and CSP reports.
async function open(file, colorScheme) {
  const page = await context.newPage();
  page.setDefaultTimeout(5000);
  await page.emulateMedia({ colorScheme: colorScheme || "light" });
  const url = pathToFileURL(resolve(base, file)).href;
  const requests = [];
  const problems = [];
  await page.route("**/*", (route) => {
    const request = route.request();
    if (request.url() !== url) {
      requests.push(request.url());
      return route.abort();
    }
    return route.continue();
  });
  page.on("request", (request) => {
    if (request.url() !== url && !requests.includes(request.url())) requests.push(request.url());
  });
  page.on("pageerror", (error) => problems.push("script error: " + error.message));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push("console error: " + message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  await page.goto(url);
  await page.waitForSelector("html[data-ready='true']", { timeout: 30000 });
  const timing = await page.evaluate(() => {
    const navigation = performance.getEntriesByType("navigation")[0];
    return { load_ms: Math.round(navigation.loadEventEnd || performance.now()) };
  });
  return { page, url, requests, problems, timing };
}

function finish(name, opened) {
  check(opened.requests.length === 0, `${name}: made requests: ${opened.requests.join(", ")}`);
  check(opened.problems.length === 0, `${name}: ${opened.problems.join("; ")}`);
}

async function shot(page, name, fullPage) {
  if (!spec.screenshots || !shooting) return;
  const dir = resolve(base, spec.screenshots);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name + ".png"), fullPage: !!fullPage });
}

async function cardNumber(page, label) {
  const card = page.locator("#totals .card", { has: page.locator(".label", { hasText: new RegExp("^" + label + "$") }) }).first();
  return (await card.locator(".num").textContent()).replace(/[^0-9]/g, "");
}

async function checkReport(r) {
  const name = r.name || r.file;
  shooting = !!r.screenshots;
  const opened = await open(r.file);
  const { page } = opened;
  measurements[name] = { ...opened.timing };

  // The counts.
  check(await page.locator("#verdict").isVisible(), `${name}: no verdict shown`);
  if (r.total !== undefined) check(await cardNumber(page, "cases") === String(r.total), `${name}: total is not ${r.total}`);
  if (r.failed !== undefined) check(await cardNumber(page, "failed") === String(r.failed), `${name}: failed count is not ${r.failed}`);
  if (r.verdict) {
    const verdict = await page.locator("#verdict strong").textContent();
    check(verdict === r.verdict, `${name}: verdict is ${verdict}, not ${r.verdict}`);
  }
  await shot(page, name);

  // How long the table takes to answer a filter and a sort (both run synchronously on click).
  measurements[name].filter_ms = await page.evaluate(() => {
    const start = performance.now();
    document.querySelector("#totals button.card.failed").click();
    const elapsed = performance.now() - start;
    document.querySelector("#f-clear").click();
    return Math.round(elapsed);
  });
  measurements[name].sort_ms = await page.evaluate(() => {
    const button = [...document.querySelectorAll("#case-table thead button.sort")].find((b) => b.textContent === "Latency");
    const start = performance.now();
    button.click();
    const elapsed = performance.now() - start;
    document.querySelector("#case-table thead button.sort").click();
    return Math.round(elapsed);
  });
  measurements[name].bytes = statSync(resolve(base, r.file)).size;

  // A failing case's answer and reason within two clicks: the "failed" card, then the case.
  if (r.failing_case) {
    await page.locator("#totals button.card.failed").click();
    const link = page.locator(`#case-table tbody a[href="#case=${encodeURIComponent(r.failing_case)}"]`);
    check(await link.isVisible(), `${name}: ${r.failing_case} is not listed after clicking "failed"`);
    const rows = await page.locator("#case-table tbody tr").count();
    if (r.failed !== undefined) check(rows === Math.min(r.failed, 100), `${name}: the failed filter shows ${rows} rows, not ${r.failed}`);
    await shot(page, name + "-failed");
    await link.click();
    const dialog = page.locator("#case-dialog");
    check(await dialog.isVisible(), `${name}: clicking ${r.failing_case} opened no dialog`);
    const body = await dialog.textContent();
    check(body.includes(r.reason), `${name}: the dialog does not show the reason ${JSON.stringify(r.reason)}`);
    check(await page.locator("#case-answer").isVisible(), `${name}: the dialog shows no answer`);
    check(await page.evaluate(() => document.activeElement && document.activeElement.id === "case-close"),
      `${name}: focus did not move into the dialog`);
    await shot(page, name + "-case");
    await page.keyboard.press("Escape");
    check(!(await dialog.isVisible()), `${name}: Escape did not close the dialog`);
  }

  // The baseline section.
  if (r.baseline) {
    const section = page.locator("#baseline");
    check(await section.isVisible(), `${name}: no baseline section`);
    for (const [label, count] of Object.entries(r.baseline)) {
      const number = await section.locator(".card", { has: page.locator(".label", { hasText: new RegExp("^" + label + "$") }) })
        .locator(".num").textContent().catch(() => null);
      check(number === String(count), `${name}: baseline shows ${number} ${label}, not ${count}`);
    }
  }

  // Filtering: a search narrows the table, clearing brings every case back.
  if (r.search) {
    await page.locator("#f-clear").click();
    await page.locator("#f-search").fill(r.search.query);
    await page.waitForFunction((n) => document.querySelectorAll("#case-table tbody tr").length === n, r.search.rows, { timeout: 5000 })
      .catch(() => {});
    const rows = await page.locator("#case-table tbody tr").count();
    check(rows === r.search.rows, `${name}: searching ${JSON.stringify(r.search.query)} shows ${rows} rows, not ${r.search.rows}`);
    await page.locator("#f-clear").click();
    const all = await page.locator("#case-table tbody tr").count();
    check(all === Math.min(r.total ?? all, 100), `${name}: clearing the filters shows ${all} rows`);
    // Status checkboxes: passed off leaves only what did not pass.
    await page.locator("#f-status-passed").uncheck();
    const statuses = await page.locator("#case-table tbody tr").evaluateAll((rows) => rows.map((row) => row.dataset.status));
    check(statuses.length > 0 && !statuses.includes("passed"), `${name}: unticking "passed" still shows passed cases`);
    await page.locator("#f-clear").click();
  }

  // An answer holding markup is shown as text and runs nothing.
  if (r.hostile_case) {
    await page.goto(opened.url + "#case=" + encodeURIComponent(r.hostile_case));
    await page.waitForSelector("html[data-ready='true']");
    await page.locator("#case-dialog").waitFor({ state: "visible", timeout: 5000 }).catch(() => {});
    const answer = await page.locator("#case-answer").textContent().catch(() => "");
    check(answer.includes(r.hostile_text), `${name}: the hostile answer is not shown as text (${JSON.stringify(answer.slice(0, 80))})`);
    const pwned = await page.evaluate(() => window.__promptciPwned);
    check(pwned === undefined, `${name}: markup in an answer ran (${pwned})`);
    check(await page.locator("#case-dialog img, #case-dialog script, #case-dialog iframe").count() === 0,
      `${name}: markup in an answer became elements`);
  }

  // Keyboard: the first tab stop is the skip link, and sort headers are buttons.
  await page.goto(opened.url);
  await page.waitForSelector("html[data-ready='true']");
  await page.keyboard.press("Tab");
  check(await page.evaluate(() => document.activeElement.classList.contains("skip")), `${name}: the first tab stop is not the skip link`);
  const sortButton = page.locator("#case-table thead button.sort").first();
  await sortButton.focus();
  await page.keyboard.press("Enter");
  const sort = await page.locator("#case-table thead th").first().getAttribute("aria-sort");
  check(sort === "descending", `${name}: Enter on the status header did not sort (aria-sort=${sort})`);

  if (spec.screenshots && shooting) {
    const dark = await open(r.file, "dark");
    await shot(dark.page, name + "-dark");
    finish(name + " (dark)", dark);
    await dark.page.close();
  }
  finish(name, opened);
  await page.close();
}

async function checkTrend(t) {
  const name = t.name || t.file;
  shooting = !!t.screenshots;
  const opened = await open(t.file);
  const { page } = opened;
  measurements[name] = { ...opened.timing };
  const charts = await page.locator("figure.chart svg.chart").count();
  check(charts >= (t.charts || 1), `${name}: ${charts} charts, expected at least ${t.charts || 1}`);
  const rows = await page.locator("#runs tbody tr").count();
  if (t.runs !== undefined) check(rows === t.runs, `${name}: the runs table has ${rows} rows, not ${t.runs}`);
  if (t.markers !== undefined) {
    const markers = await page.locator("#pass-rate line.marker").count();
    check(markers >= t.markers, `${name}: ${markers} prompt-change markers, expected at least ${t.markers}`);
  }
  if (t.flips !== undefined) {
    const flips = await page.locator("#flips tbody tr").count();
    check(flips === t.flips, `${name}: ${flips} flipping cases listed, not ${t.flips}`);
  }
  const points = await page.locator("#pass-rate circle").count();
  check(points > 0, `${name}: the pass-rate charts have no points`);
  await shot(page, name);
  finish(name, opened);
  await page.close();
}

try {
  for (const r of spec.reports || []) await checkReport(r);
  for (const t of spec.trends || []) await checkTrend(t);
} catch (error) {
  failures.push("harness: " + (error && error.stack ? error.stack : error));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

console.log(JSON.stringify({ measurements }));
if (failures.length) {
  console.error(`${failures.length} browser check(s) failed:\n- ` + failures.join("\n- "));
  process.exit(1);
}
console.error("browser checks passed");
