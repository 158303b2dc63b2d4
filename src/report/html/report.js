"use strict";
// The run report: verdict, totals, suites and targets, the baseline comparison, budgets, probes,
// and a filterable, sortable, paginated case table whose rows open a dialog with everything the
// report knows about a case.

const TEXT = DATA.text;
const CASES = DATA.cases;
const STATUS = { p: "passed", f: "failed", e: "error", s: "skipped" };
const STATUS_LABEL = { p: "PASS", f: "FAIL", e: "ERROR", s: "SKIP" };
const STATUS_RANK = { f: 0, e: 1, s: 2, p: 3 };
const CHANGE_LABEL = {
  regressed: "regressed",
  fixed: "fixed",
  "still-failing": "still failing",
  flipped: "flipped",
  new: "new",
};
const PAGE_SIZES = [25, 50, 100, 250, 500];

const text = (index) => (index === undefined || index === null ? null : TEXT[index]);
const suiteOf = (c) => DATA.suites[c.s];
const targetOf = (c) => DATA.targets[c.t];
const caseId = (c) => (c.id !== undefined ? c.id : suiteOf(c).path + "::" + c.n);
const tokensOf = (c) => (c.pt === undefined ? null : c.pt + (c.ct || 0));
const isFlaky = (c) => !!(c.rp && c.rp.classification === "flaky");

// Why a case did not pass, in one line: its first failed assertion, its error or its skip reason.
function whyOf(c) {
  if (c.st === "f") {
    const failed = (c.as || []).find((a) => !a.ok);
    if (failed) return text(failed.k) + ": " + text(failed.r);
    if (c.rp) return `${c.rp.passed} of ${c.rp.passed + c.rp.failed} attempts passed, ${fmtPct(c.rp.required_rate)} required`;
  }
  if (c.st === "e" && c.e) return c.e.message;
  if (c.st === "s" && c.sk !== undefined) return text(c.sk);
  if (isFlaky(c)) return `flaky: ${c.rp.passed} of ${c.rp.passed + c.rp.failed} attempts passed`;
  return "";
}

// Lower-cased text a search matches against, built once per case on first search.
let haystacks = null;
function haystack(index) {
  if (!haystacks) haystacks = new Array(CASES.length);
  let hay = haystacks[index];
  if (hay === undefined) {
    const c = CASES[index];
    hay = [caseId(c), targetOf(c).name, (c.g || []).map(text).join(" "), whyOf(c), text(c.a) || "",
      (c.as || []).map((a) => text(a.r)).join(" ")].join("\n").toLowerCase();
    haystacks[index] = hay;
  }
  return hay;
}

const state = {
  q: "",
  statuses: new Set(["p", "f", "e", "s"]),
  suite: "",
  target: "",
  tag: "",
  change: "",
  family: "",
  flaky: false,
  sort: { key: "status", dir: 1 },
  page: 0,
  pageSize: 100,
  rows: [],
};

// ---------------------------------------------------------------------------------------------
// Header, verdict and totals.

function header() {
  const run = DATA.run;
  const v = DATA.verdict;
  const facts = [
    el("span", null, "started ", fmtDate(run.started_at)),
    el("span", null, fmtMs(run.duration_ms)),
    run.git_commit ? el("span", null, "commit ", el("code", null, run.git_commit.slice(0, 12))) : null,
    el("span", null, "promptci ", run.promptci_version || "?"),
    run.shard ? el("span", null, `shard ${run.shard.index}/${run.shard.count}`) : null,
    run.probe_seed !== undefined && run.probe_seed !== null ? el("span", null, "probe seed ", el("code", null, String(run.probe_seed))) : null,
  ];
  const verdictClass = v.passed ? "pass" : v.exit_code === 3 ? "warn" : "fail";
  const verdictWord = v.passed ? "PASSED" : v.exit_code === 130 ? "INTERRUPTED" : v.exit_code === 3 ? "ERRORED" : "FAILED";
  const detail = v.reasons.length ? v.reasons.join(", ")
    : v.passed ? "every gate passed"
    : v.exit_code === 3 ? "cases could not be run, and nothing failed on its merits" : "";
  return el("header", { class: "top" },
    el("h1", null, DATA.title),
    el("p", { class: "meta" }, facts),
    el("div", { class: "verdict " + verdictClass, id: "verdict" },
      el("strong", null, verdictWord), detail,
      run.interrupted ? el("div", null, "The run was interrupted: cases that had not finished are skipped.") : null));
}

function totals() {
  const s = DATA.summary;
  const card = (cls, number, label, filter) => filter
    ? el("button", {
      type: "button", class: "card " + cls, onclick: filter,
      "aria-label": `${fmtInt(number)} ${label}: show these cases`,
    }, el("span", { class: "num" }, fmtInt(number)), el("span", { class: "label" }, label))
    : el("div", { class: "card " + cls }, el("span", { class: "num" }, number), el("span", { class: "label" }, label));
  const only = (codes) => () => {
    resetFilters();
    state.statuses = new Set(codes);
    applyFilters({ focus: true });
  };
  const flakyOnly = () => {
    resetFilters();
    state.flaky = true;
    applyFilters({ focus: true });
  };
  return section("totals", "Totals",
    el("div", { class: "cards" },
      card("total", s.total, "cases", only(["p", "f", "e", "s"])),
      card("passed", s.passed, "passed", only(["p"])),
      card("failed", s.failed, "failed", only(["f"])),
      card("errors", s.errors, "errors", only(["e"])),
      card("skipped", s.skipped, "skipped", only(["s"])),
      s.flaky ? card("flaky", s.flaky, "flaky", flakyOnly) : null,
      card("passrate", fmtPct(s.rate), "pass rate (judged)"),
      card("tokens", fmtInt(s.prompt_tokens), "prompt tokens"),
      card("tokens", fmtInt(s.completion_tokens), "completion tokens"),
      s.cost_usd !== undefined && s.cost_usd !== null ? card("cost", fmtUsd(s.cost_usd), "cost") : null,
      s.cached ? card("cached", fmtInt(s.cached), "from cache or recordings") : null),
    el("p", { class: "note" }, "Pass rates count judged cases (passed or failed); errors and skips are not judged. Intervals are 95% Wilson intervals."));
}

// The first failed and errored cases with their reasons, so the page answers "what broke?"
// before any click.
const FAILURE_LIMIT = 10;

function failures() {
  const broken = [];
  for (let i = 0; i < CASES.length; i++) if (CASES[i].st === "f" || CASES[i].st === "e") broken.push(i);
  if (!broken.length) return null;
  broken.sort((a, b) => STATUS_RANK[CASES[a].st] - STATUS_RANK[CASES[b].st] || a - b);
  const shown = broken.slice(0, FAILURE_LIMIT);
  return section("failures", "Failed and errored cases",
    table("Failed and errored cases", ["Status", "Case", "Target", "Why"], shown.map((index) => {
      const c = CASES[index];
      return [
        [badge(STATUS[c.st], STATUS_LABEL[c.st]), c.b ? [" ", badge(c.b, CHANGE_LABEL[c.b])] : null],
        { header: true, text: el("a", { class: "case-link", href: "#case=" + encodeURIComponent(caseId(c)) }, caseId(c)) },
        targetOf(c).name,
        { class: "why", text: whyOf(c) },
      ];
    })),
    broken.length > shown.length
      ? el("p", null, `${fmtInt(broken.length - shown.length)} more. `,
        filterLink("Show all " + fmtInt(broken.length) + " in the case table", () => { state.statuses = new Set(["f", "e"]); }))
      : null);
}

// ---------------------------------------------------------------------------------------------
// Suites, targets and the suite × target matrix.

function filterLink(label, apply) {
  return el("button", {
    type: "button", class: "link", onclick: () => {
      resetFilters();
      apply();
      applyFilters({ focus: true });
    },
  }, label);
}

function suites() {
  const rows = DATA.suites.map((s, index) => [
    { header: true, text: filterLink(s.path, () => { state.suite = String(index); }) },
    s.target,
    s.prompt_id ? [el("code", null, s.prompt_id), s.registry_version ? " v" + s.registry_version : ""] : "–",
    s.content_hash ? el("code", { title: s.content_hash }, shortHash(s.content_hash)) : "–",
    rateBar(s.rate, s.interval),
    { text: fmtInt(s.passed), num: true },
    { text: fmtInt(s.failed), num: true },
    { text: fmtInt(s.errors), num: true },
    { text: fmtInt(s.skipped), num: true },
  ]);
  const parts = [table("Suites", ["Suite", "Target", "Prompt", "Hash", "Pass rate",
    { text: "Passed", num: true }, { text: "Failed", num: true }, { text: "Errors", num: true }, { text: "Skipped", num: true }], rows)];
  if (DATA.targets.length > 1) {
    parts.push(el("h3", { id: "targets-h" }, "Targets"));
    parts.push(table("Targets", ["Target", "Model", "Pass rate", { text: "Passed", num: true }, { text: "Failed", num: true },
      { text: "Errors", num: true }, { text: "Prompt tokens", num: true }, { text: "Cost", num: true }, { text: "p50 latency", num: true },
      { text: "p95 latency", num: true }],
    DATA.targets.map((t, index) => [
      { header: true, text: filterLink(t.name, () => { state.target = String(index); }) },
      el("code", null, t.model),
      rateBar(t.rate, t.interval),
      { text: fmtInt(t.passed), num: true },
      { text: fmtInt(t.failed), num: true },
      { text: fmtInt(t.errors), num: true },
      { text: fmtInt(t.prompt_tokens), num: true },
      { text: fmtUsd(t.cost_usd), num: true },
      { text: fmtMs(t.p50_ms), num: true },
      { text: fmtMs(t.p95_ms), num: true },
    ])));
  }
  if (DATA.cells && DATA.cells.length) {
    const paths = [...new Set(DATA.cells.map((cell) => cell.path))];
    const byKey = new Map(DATA.cells.map((cell) => [cell.path + "\n" + cell.target, cell]));
    parts.push(el("h3", null, "Pass rate by suite and target"));
    parts.push(table("Pass rate by suite and target", ["Suite", ...DATA.targets.map((t) => t.name)],
      paths.map((path) => [
        { header: true, text: path },
        ...DATA.targets.map((_, ti) => {
          const cell = byKey.get(path + "\n" + ti);
          return cell ? rateBar(cell.rate, cell.interval) : "–";
        }),
      ])));
  }
  return section("suites", DATA.targets.length > 1 ? "Suites and targets" : "Suites", parts);
}

// ---------------------------------------------------------------------------------------------
// The baseline comparison.

const caseIndexById = new Map();
CASES.forEach((c, index) => caseIndexById.set(caseId(c), index));

function caseLink(id) {
  const index = caseIndexById.get(id);
  if (index === undefined) return el("code", { class: "case-link" }, id);
  return el("a", { class: "case-link", href: "#case=" + encodeURIComponent(id) }, id);
}

function statusWord(status) {
  return status ? status : "–";
}

function baseline() {
  const b = DATA.baseline;
  if (!b) return null;
  const info = b.baseline;
  const groups = [
    ["regressed", "Regressed", b.regressions],
    ["fixed", "Fixed", b.fixed],
    ["still-failing", "Still failing", b.known_failures],
    ["flipped", "Flipped (not significant)", b.flipped || []],
    ["new", "New", b.new_cases],
    ["removed", "Removed", b.removed_cases],
  ];
  const counts = el("div", { class: "cards" }, groups.map(([cls, label, list]) =>
    el("div", { class: "card " + cls }, el("span", { class: "num" }, fmtInt(list.length)), el("span", { class: "label" }, label.toLowerCase()))));
  const lists = groups.filter(([, , list]) => list.length).map(([cls, label, list]) => [
    el("h3", null, label, " (", fmtInt(list.length), ")"),
    table(label, ["Case", "Change", "Why"], list.map((delta) => [
      caseLink(delta.id),
      [badge(cls, CHANGE_LABEL[cls] || cls), " ", statusWord(delta.base), " → ", statusWord(delta.head)],
      { class: "why", text: (delta.reasons || []).join("; ") },
    ])),
  ]);
  const prompts = b.prompts.length ? [
    el("h3", null, "Prompts: tokens, pass rate and cost"),
    table("Prompts compared with the baseline", ["Prompt", { text: "Shared cases", num: true }, { text: "Prompt tokens", num: true },
      "Token growth", "Pass rate", "Cost", "Largest change"],
    b.prompts.map((p) => {
      const growth = p.token_growth === null || p.token_growth === undefined ? "–" : (p.token_growth >= 0 ? "+" : "") + fmtPct(p.token_growth, 1);
      const costGrowth = p.cost_growth === null || p.cost_growth === undefined ? "" : ` (${p.cost_growth >= 0 ? "+" : ""}${fmtPct(p.cost_growth, 1)})`;
      const largest = (p.changed_cases || [])[0];
      return [
        { header: true, text: el("code", null, p.prompt) },
        { text: fmtInt(p.shared_cases), num: true },
        { text: fmtInt(p.base_tokens) + " → " + fmtInt(p.head_tokens), num: true },
        [growth, " ", p.tokens_over_growth ? badge("over", "over limit") : null],
        fmtPct(p.base_pass_rate) + " → " + fmtPct(p.head_pass_rate),
        p.base_cost_usd === null || p.base_cost_usd === undefined ? "–"
          : [fmtUsd(p.base_cost_usd) + " → " + fmtUsd(p.head_cost_usd) + costGrowth, " ", p.cost_over_growth ? badge("over", "over limit") : null],
        largest ? [caseLink(largest.id), " ", fmtInt(largest.base), " → ", fmtInt(largest.head)] : "–",
      ];
    })),
  ] : [];
  const test = b.suite_test ? el("p", { class: "note" },
    `Paired test over cases judged in both runs (exact one-sided McNemar): ${b.suite_test.worse} worse, ${b.suite_test.better} better, p = ${b.suite_test.p_value.toFixed(4)}`,
    b.suite_test.significant ? " — significant" : " — not significant",
    b.regression_test === "suite" ? " (gating)." : " (informational).") : null;
  return section("baseline", "Compared with the baseline",
    el("p", { class: "meta" },
      el("span", null, "baseline ", el("code", null, info.path)),
      info.started_at ? el("span", null, "started ", fmtDate(info.started_at)) : null,
      info.git_commit ? el("span", null, "commit ", el("code", null, info.git_commit.slice(0, 12))) : null,
      el("span", null, "policy ", b.policy),
      el("span", null, "growth limit ", fmtPct(b.growth_limit))),
    counts, lists, prompts, test);
}

// ---------------------------------------------------------------------------------------------
// Budgets and probes.

function budgets() {
  const rows = [];
  DATA.suites.forEach((s) => (s.budgets || []).forEach((check) => {
    const format = (amount) => (check.kind === "cost-usd" ? fmtUsd(amount) : fmtInt(amount));
    const offenders = check.offenders || [];
    rows.push([
      { header: true, text: s.path },
      el("code", null, check.kind),
      { text: format(check.limit), num: true },
      { text: format(check.actual), num: true },
      check.passed ? badge("passed", "ok") : badge("over", "over by " + format(check.over_by)),
      offenders.length ? el("ul", { class: "compact" }, offenders.slice(0, 5).map((o) => el("li", null, caseLink(o.case), " ", format(o.actual))),
        offenders.length > 5 ? el("li", null, `… and ${offenders.length - 5} more`) : null) : "",
    ]);
  }));
  if (!rows.length) return null;
  return section("budgets", "Budgets", table("Budgets", ["Suite", "Limit", { text: "Budget", num: true }, { text: "Actual", num: true }, "Status", "Over the limit"], rows));
}

function probes() {
  if (!DATA.probes.length) return null;
  return section("probes", "Probes by family",
    table("Probes by family", ["Family", "Kind", "Pass rate", { text: "Cases", num: true }, { text: "Failed", num: true }, { text: "Errors", num: true }],
      DATA.probes.map((p) => [
        { header: true, text: filterLink(p.family, () => { state.family = p.family; }) },
        p.kind,
        rateBar(p.rate, p.interval),
        { text: fmtInt(p.total), num: true },
        { text: fmtInt(p.failed), num: true },
        { text: fmtInt(p.errors), num: true },
      ])));
}

// ---------------------------------------------------------------------------------------------
// The case table.

const SORTERS = {
  status: (c) => STATUS_RANK[c.st],
  case: (c) => caseId(c),
  suite: (c) => suiteOf(c).path,
  target: (c) => targetOf(c).name,
  latency: (c) => c.ms,
  tokens: tokensOf,
  cost: (c) => c.c,
};

function resetFilters() {
  state.q = "";
  state.statuses = new Set(["p", "f", "e", "s"]);
  state.suite = state.target = state.tag = state.change = state.family = "";
  state.flaky = false;
  state.page = 0;
}

function matches(c, index) {
  if (!state.statuses.has(c.st)) return false;
  if (state.suite !== "" && String(c.s) !== state.suite) return false;
  if (state.target !== "" && String(c.t) !== state.target) return false;
  if (state.tag !== "" && !(c.g || []).includes(Number(state.tag))) return false;
  if (state.change !== "" && c.b !== state.change) return false;
  if (state.family !== "" && !(c.p && c.p.family === state.family)) return false;
  if (state.flaky && !isFlaky(c)) return false;
  if (state.q && !haystack(index).includes(state.q)) return false;
  return true;
}

function computeRows() {
  const rows = [];
  for (let i = 0; i < CASES.length; i++) if (matches(CASES[i], i)) rows.push(i);
  const key = SORTERS[state.sort.key];
  const dir = state.sort.dir;
  // Missing values sort last in either direction; plan order breaks ties.
  rows.sort((a, b) => {
    const x = key(CASES[a]);
    const y = key(CASES[b]);
    const xMissing = x === undefined || x === null;
    const yMissing = y === undefined || y === null;
    if (xMissing !== yMissing) return xMissing ? 1 : -1;
    if (!xMissing && x !== y) return (x < y ? -1 : 1) * dir;
    return a - b;
  });
  state.rows = rows;
}

const ui = {};

function caseSection() {
  const options = (all, entries) => [el("option", { value: "" }, all), entries.map(([value, label]) => el("option", { value }, label))];
  const counts = { p: DATA.summary.passed, f: DATA.summary.failed, e: DATA.summary.errors, s: DATA.summary.skipped };
  ui.search = el("input", { type: "search", id: "f-search", placeholder: "id, tag, answer or reason", autocomplete: "off" });
  let timer = 0;
  ui.search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      state.q = ui.search.value.trim().toLowerCase();
      state.page = 0;
      applyFilters();
    }, 120);
  });
  ui.statusBoxes = Object.keys(STATUS).map((code) => {
    const box = el("input", { type: "checkbox", value: code, checked: true, id: "f-status-" + STATUS[code] });
    box.addEventListener("change", () => {
      if (box.checked) state.statuses.add(code); else state.statuses.delete(code);
      state.page = 0;
      applyFilters();
    });
    return box;
  });
  const select = (id, label, all, entries, key) => {
    const node = el("select", { id }, options(all, entries));
    node.addEventListener("change", () => {
      state[key] = node.value;
      state.page = 0;
      applyFilters();
    });
    ui[key] = node;
    return entries.length > 1 || key === "suite" ? el("label", { for: id }, label, node) : null;
  };
  const tags = [...new Set(CASES.flatMap((c) => c.g || []))].sort((a, b) => (TEXT[a] < TEXT[b] ? -1 : 1));
  const families = DATA.probes.map((p) => [p.family, p.family]);
  const changes = DATA.baseline ? Object.entries(CHANGE_LABEL).filter(([key]) => CASES.some((c) => c.b === key)) : [];
  ui.flaky = el("input", { type: "checkbox", id: "f-flaky" });
  ui.flaky.addEventListener("change", () => {
    state.flaky = ui.flaky.checked;
    state.page = 0;
    applyFilters();
  });
  const filters = el("div", { class: "filters", role: "search", "aria-label": "Filter cases" },
    el("label", { for: "f-search" }, "Search", ui.search),
    el("fieldset", null, el("legend", null, "Status"),
      ui.statusBoxes.map((box) => el("label", { for: box.id }, box, STATUS[box.value], el("span", { class: "note" }, " (" + fmtInt(counts[box.value]) + ")")))),
    select("f-suite", "Suite", "All suites", DATA.suites.map((s, i) => [String(i), s.path]), "suite"),
    select("f-target", "Target", "All targets", DATA.targets.map((t, i) => [String(i), t.name]), "target"),
    tags.length ? select("f-tag", "Tag", "All tags", tags.map((t) => [String(t), TEXT[t]]), "tag") : null,
    changes.length ? select("f-change", "Baseline", "Any change", changes, "change") : null,
    families.length ? select("f-family", "Probe family", "All families", families, "family") : null,
    CASES.some(isFlaky) ? el("label", { for: "f-flaky", style: null }, "Flaky only", ui.flaky) : null,
    el("button", { type: "button", class: "plain", id: "f-clear", onclick: () => { resetFilters(); applyFilters(); } }, "Clear filters"));

  const column = (key, label, numeric) => {
    const th = el("th", { scope: "col", class: numeric ? "num" : null, "data-key": key });
    if (key) {
      th.append(el("button", {
        type: "button", class: "sort", onclick: () => {
          state.sort = state.sort.key === key ? { key, dir: -state.sort.dir } : { key, dir: 1 };
          state.page = 0;
          applyFilters();
        },
      }, label));
    } else {
      th.append(label);
    }
    return th;
  };
  ui.headRow = el("tr", null,
    column("status", "Status"), column("case", "Case"), column("suite", "Suite"), column("target", "Target"),
    column(null, "Tags"), column(null, "Why"), column("latency", "Latency", true), column("tokens", "Tokens", true), column("cost", "Cost", true));
  ui.body = el("tbody");
  ui.summary = el("p", { class: "status", id: "case-count", "aria-live": "polite" });
  ui.prev = el("button", { type: "button", class: "plain", onclick: () => { state.page--; renderPage(); } }, "← Previous");
  ui.next = el("button", { type: "button", class: "plain", onclick: () => { state.page++; renderPage(); } }, "Next →");
  ui.pageSize = el("select", { id: "f-page-size" }, PAGE_SIZES.map((n) => el("option", { value: n, selected: n === state.pageSize }, String(n))));
  ui.pageSize.addEventListener("change", () => {
    state.pageSize = Number(ui.pageSize.value);
    state.page = 0;
    renderPage();
  });
  const pager = el("div", { class: "pager" }, ui.summary, ui.prev, ui.next,
    el("label", { for: "f-page-size" }, "Rows per page ", ui.pageSize));
  ui.table = el("table", { id: "case-table" }, el("caption", { class: "sr-only" }, "Cases"), el("thead", null, ui.headRow), ui.body);
  return section("cases", "Cases", filters, pager, el("div", { class: "scroll" }, ui.table));
}

function syncControls() {
  ui.search.value = state.q;
  for (const box of ui.statusBoxes) box.checked = state.statuses.has(box.value);
  for (const key of ["suite", "target", "tag", "change", "family"]) if (ui[key]) ui[key].value = state[key];
  ui.flaky.checked = state.flaky;
  for (const th of ui.headRow.children) {
    const key = th.dataset.key;
    if (!key) continue;
    if (key === state.sort.key) th.setAttribute("aria-sort", state.sort.dir > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  }
}

function applyFilters(options) {
  computeRows();
  syncControls();
  renderPage();
  if (options && options.focus) {
    const heading = document.getElementById("cases-h");
    heading.setAttribute("tabindex", "-1");
    heading.focus();
    heading.scrollIntoView({ block: "start" });
  }
}

function caseRow(index) {
  const c = CASES[index];
  const status = STATUS[c.st];
  const tokens = tokensOf(c);
  return el("tr", { "data-status": status },
    el("td", null, badge(status, STATUS_LABEL[c.st]), c.b ? [" ", badge(c.b, CHANGE_LABEL[c.b])] : null, isFlaky(c) ? [" ", badge("flaky", "flaky")] : null),
    el("th", { scope: "row", class: "case-link" }, el("a", { href: "#case=" + encodeURIComponent(caseId(c)) }, c.id !== undefined ? c.id : c.n)),
    el("td", null, suiteOf(c).path),
    el("td", null, targetOf(c).name),
    el("td", { class: "tags" }, (c.g || []).map(text).join(", ")),
    el("td", { class: "why" }, whyOf(c)),
    el("td", { class: "num" }, fmtMs(c.ms)),
    el("td", { class: "num", title: tokens === null ? null : `${c.pt} prompt + ${c.ct || 0} completion` }, fmtInt(tokens)),
    el("td", { class: "num" }, fmtUsd(c.c)));
}

function renderPage() {
  const total = state.rows.length;
  const pages = Math.max(1, Math.ceil(total / state.pageSize));
  state.page = Math.min(Math.max(0, state.page), pages - 1);
  const start = state.page * state.pageSize;
  const end = Math.min(total, start + state.pageSize);
  const fragment = document.createDocumentFragment();
  for (let i = start; i < end; i++) fragment.append(caseRow(state.rows[i]));
  ui.body.replaceChildren(fragment);
  ui.summary.textContent = total === 0
    ? `No case matches the filters (of ${fmtInt(CASES.length)}).`
    : `Showing ${fmtInt(start + 1)}–${fmtInt(end)} of ${fmtInt(total)} matching cases (${fmtInt(CASES.length)} in all), page ${state.page + 1} of ${pages}.`;
  ui.prev.disabled = state.page === 0;
  ui.next.disabled = state.page >= pages - 1;
}

// ---------------------------------------------------------------------------------------------
// The case dialog.

const dialog = el("dialog", { id: "case-dialog", "aria-labelledby": "case-title" });
let openIndex = null;
let returnFocus = null;

function fact(term, ...value) {
  return [el("dt", null, term), el("dd", null, ...value)];
}

// What a model-graded assertion's judge said: score against threshold, category, similarity,
// grader and model, the judge prompt's hash, and each vote. Fields the page does not know yet
// are listed as they are, so new evidence is never hidden.
function evidence(ev) {
  if (!ev) return null;
  const judge = ev.judge && typeof ev.judge === "object" ? ev.judge : ev;
  const known = new Set(["judge", "error", "score", "threshold", "grader", "model", "votes", "passes", "agreement", "split",
    "prompt_hash", "judge_prompt_hash", "category", "similarity", "tokens"]);
  const parts = [];
  const has = (key) => judge[key] !== undefined && judge[key] !== null;
  if (has("score")) parts.push(el("span", null, "score " + judge.score + (has("threshold") ? (judge.score >= judge.threshold ? " ≥ " : " < ") + judge.threshold : "")));
  if (has("category")) parts.push(el("span", null, "category " + judge.category));
  if (has("votes") && Array.isArray(judge.votes)) {
    const passes = has("passes") ? judge.passes : judge.votes.filter((vote) => vote && vote.pass).length;
    parts.push(el("span", null, `votes ${passes}/${judge.votes.length}` + (has("agreement") ? ` (agreement ${fmtPct(judge.agreement)})` : "")));
  }
  if (judge.split) parts.push(el("span", null, badge("flaky", "split vote")));
  if (has("grader") || has("model")) parts.push(el("span", null, "grader ", el("code", null, [judge.grader, judge.model].filter(Boolean).join(" "))));
  const hash = judge.prompt_hash || judge.judge_prompt_hash;
  if (hash) parts.push(el("span", null, "judge prompt ", el("code", null, shortHash(hash))));
  if (has("tokens") && typeof judge.tokens === "object") {
    const tokens = judge.tokens;
    const prompt = tokens.prompt_tokens !== undefined ? tokens.prompt_tokens : tokens.prompt;
    const completion = tokens.completion_tokens !== undefined ? tokens.completion_tokens : tokens.completion;
    parts.push(el("span", null, `judge tokens ${fmtInt(prompt)} + ${fmtInt(completion)}`));
  }
  for (const source of judge === ev ? [ev] : [judge, ev]) {
    for (const [key, value] of Object.entries(source)) {
      if (known.has(key) || value === null || value === undefined) continue;
      parts.push(el("span", null, key.replace(/_/g, " ") + " " + (typeof value === "object" ? JSON.stringify(value) : value)));
    }
  }
  const similarity = Array.isArray(judge.similarity) ? el("ul", { class: "compact" }, judge.similarity.map((item) =>
    el("li", null, `cosine ${item.score} to `, el("q", null, item.reference)))) : null;
  const votes = Array.isArray(judge.votes) ? el("ol", { class: "compact" }, judge.votes.map((vote) => el("li", null,
    vote !== null && typeof vote === "object"
      ? [has_(vote, "pass") ? (vote.pass ? "pass" : "fail") : "unreadable", has_(vote, "score") ? " · score " + vote.score : "",
        has_(vote, "category") ? " · " + vote.category : "", vote.cached ? " · cached" : "", vote.reason ? " · " + vote.reason : ""]
      : String(vote)))) : null;
  // An assertion that could not be decided carries the error (a grader that failed or gave no
  // verdict), which is the reason to show.
  const error = ev.error && typeof ev.error === "object"
    ? el("div", { class: "evidence" }, "not judged: ", ev.error.kind || "", ev.error.status ? ` (HTTP ${ev.error.status})` : "", ev.error.message ? " · " + ev.error.message : "")
    : null;
  return [error, parts.length ? el("div", { class: "evidence" }, parts) : null,
    similarity ? el("div", { class: "evidence" }, "similarity:", similarity) : null,
    votes ? el("div", { class: "evidence" }, "votes:", votes) : null];
}

const has_ = (object, key) => object[key] !== undefined && object[key] !== null;

function assertionTable(assertions) {
  if (!assertions || !assertions.length) return el("p", { class: "note" }, "No assertion was evaluated.");
  const ordered = assertions.map((a, i) => [a, i]).sort(([a, i], [b, j]) => (a.ok === b.ok ? i - j : a.ok ? 1 : -1));
  return table("Assertions", ["Result", "Assertion", "Reason"], ordered.map(([a]) => [
    a.ok ? badge("passed", "✓ pass") : a.ev && a.ev.error ? badge("error", "! not judged") : badge("failed", "✗ fail"),
    el("code", null, text(a.k)),
    [text(a.r), evidence(a.ev)],
  ]));
}

function attemptsTable(c) {
  const rp = c.rp;
  const summary = el("dl", { class: "facts" },
    fact("Attempts", `${rp.sent} sent of ${rp.planned} planned`, rp.stopped_early ? " (stopped early: the verdict was settled)" : ""),
    fact("Passed", `${rp.passed} passed, ${rp.failed} failed, ${rp.errors} errors`),
    fact("Pass rate", rateText(rp.rate, rp.interval), ` at ${fmtPct(rp.confidence)} confidence; ${fmtPct(rp.required_rate)} required`),
    rp.classification ? fact("Classification", badge(rp.classification === "flaky" ? "flaky" : rp.classification === "always-pass" ? "passed" : "failed", rp.classification)) : null);
  const rows = (c.x || []).map((attempt) => [
    { text: String(attempt.n), num: true },
    badge(STATUS[attempt.st], STATUS_LABEL[attempt.st]),
    { text: fmtMs(attempt.ms), num: true },
    { class: "why", text: (attempt.r || []).map(text).join("; ") },
    el("span", { class: "mono" }, text(attempt.a) || "–"),
  ]);
  return [el("h3", null, "Repeats"), summary,
    rows.length ? table("Attempts", [{ text: "#", num: true }, "Status", { text: "Latency", num: true }, "Why", "Answer (start)"], rows) : null];
}

function renderCase(index) {
  const c = CASES[index];
  const s = suiteOf(c);
  const t = targetOf(c);
  const id = caseId(c);
  const position = state.rows.indexOf(index);
  const go = (delta) => () => {
    const next = state.rows[position + delta];
    if (next !== undefined) openCase(next);
  };
  const bar = el("div", { class: "dialog-bar" },
    badge(STATUS[c.st], STATUS_LABEL[c.st]),
    el("h2", { id: "case-title" }, c.id !== undefined ? c.id : c.n),
    el("button", { type: "button", class: "plain", onclick: go(-1), disabled: position <= 0, "aria-label": "Previous case" }, "←"),
    el("button", { type: "button", class: "plain", onclick: go(1), disabled: position < 0 || position >= state.rows.length - 1, "aria-label": "Next case" }, "→"),
    el("button", { type: "button", class: "plain", id: "case-close", onclick: () => dialog.close() }, "Close"));
  const body = el("div", { class: "dialog-body" });
  const change = c.b ? [badge(c.b, CHANGE_LABEL[c.b]), " compared with the baseline"] : null;
  body.append(el("dl", { class: "facts" },
    fact("Case", el("code", null, id)),
    fact("Suite", el("code", null, s.path + ":" + c.l)),
    fact("Target", t.name, " (", el("code", null, t.model), ", ", t.provider, ")"),
    (c.g || []).length ? fact("Tags", (c.g || []).map(text).join(", ")) : null,
    change ? fact("Baseline", change) : null,
    isFlaky(c) ? fact("Flaky", badge("flaky", "flaky"), " its attempts disagreed") : null));
  if (c.e) {
    body.append(el("div", { class: "errbox", role: "note" },
      el("strong", null, "Not run: "), c.e.kind, c.e.status ? ` (HTTP ${c.e.status})` : "", el("pre", { class: "text" }, c.e.message)));
  }
  if (c.sk !== undefined) body.append(el("div", { class: "errbox" }, el("strong", null, "Skipped: "), text(c.sk)));
  body.append(el("h3", null, "Assertions"), assertionTable(c.as));
  body.append(el("h3", null, "Answer"));
  if (c.a !== undefined) {
    body.append(el("pre", { class: "text", id: "case-answer" }, text(c.a)));
    if (c.at) body.append(el("p", { class: "note" }, "The answer was cut to the report's limit."));
  } else {
    body.append(el("p", { class: "note" }, "No answer."));
  }
  if (c.rp) body.append(...attemptsTable(c));
  body.append(el("h3", null, "Messages sent"));
  if (c.m) {
    for (const [role, content] of c.m) {
      body.append(el("div", { class: "message" }, el("span", { class: "role" }, role), el("pre", { class: "text" }, text(content))));
    }
  } else {
    body.append(el("p", { class: "note" }, "This report does not hold the rendered messages. ", el("code", null, "promptci render '" + id + "'"), " prints them."));
  }
  if (c.p) {
    body.append(el("h3", null, "Probe"), el("dl", { class: "facts" },
      fact("Family", `${c.p.family} (${c.p.kind})`), fact("Probe", c.p.name),
      c.p.nonce ? fact("Nonce", el("code", null, c.p.nonce)) : null,
      c.p.canary ? fact("Canary", el("code", null, c.p.canary)) : null,
      c.p.untrusted_var ? fact("Carried by", el("code", null, c.p.untrusted_var)) : null));
  }
  body.append(el("h3", null, "Request"), el("dl", { class: "facts" },
    fact("Latency", fmtMs(c.ms), c.ttft !== undefined ? ` (first token after ${fmtMs(c.ttft)})` : ""),
    fact("Tokens", c.pt === undefined ? "–" : `${fmtInt(c.pt)} prompt, ${fmtInt(c.ct || 0)} completion`, c.tk !== undefined ? ` (${text(c.tk)})` : ""),
    fact("Cost", fmtUsd(c.c)),
    c.k ? fact("Cached", "the answer came from the cache or a recording") : null,
    fact("Requests", fmtInt(c.rq || 0), c.rt ? `, ${c.rt} ${c.rt === 1 ? "retry" : "retries"} (${(c.rc || []).map(text).join(", ")}), waited ${fmtMs(c.w || 0)}` : ""),
    s.prompt_id ? fact("Prompt", el("code", null, s.prompt_id), s.registry_version ? " v" + s.registry_version : "", s.content_hash ? [" ", el("code", null, shortHash(s.content_hash))] : null) : null));
  dialog.replaceChildren(bar, body);
}

function openCase(index) {
  openIndex = index;
  renderCase(index);
  if (!dialog.open) {
    returnFocus = document.activeElement;
    dialog.showModal();
  }
  dialog.scrollTop = 0;
  document.getElementById("case-close").focus();
  const hash = "#case=" + encodeURIComponent(caseId(CASES[index]));
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

dialog.addEventListener("close", () => {
  openIndex = null;
  if (location.hash.startsWith("#case=")) history.replaceState(null, "", location.pathname + location.search);
  if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
  returnFocus = null;
});

function route() {
  if (!location.hash.startsWith("#case=")) return;
  const id = decodeURIComponent(location.hash.slice("#case=".length));
  const index = caseIndexById.get(id);
  if (index !== undefined && index !== openIndex) openCase(index);
}

// Case links are real links (they can be opened, copied and shared); a click opens the dialog
// directly so focus can return to the link afterwards.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[href^='#case=']");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  const index = caseIndexById.get(decodeURIComponent(link.getAttribute("href").slice("#case=".length)));
  if (index === undefined) return;
  event.preventDefault();
  returnFocus = link;
  openCase(index);
});
window.addEventListener("hashchange", route);

// ---------------------------------------------------------------------------------------------

function start() {
  const sections = [totals(), failures(), baseline(), suites(), budgets(), probes(), caseSection()].filter(Boolean);
  const nav = el("nav", { class: "sections", "aria-label": "Sections" },
    el("ul", null, sections.map((node) => el("li", null, el("a", { href: "#" + node.id }, node.querySelector("h2").textContent)))));
  const main = el("main", { id: "main", tabindex: "-1" }, sections);
  document.body.prepend(el("a", { class: "skip", href: "#cases" }, "Skip to the cases"));
  document.body.append(header(), nav, main, footer(), dialog);
  applyFilters();
  route();
  document.documentElement.dataset.ready = "true";
}

start();
