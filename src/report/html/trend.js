"use strict";
// The trend page: charts over time drawn as inline SVG, each with its numbers in a table for
// screen readers and for copying, plus the cases that changed status most often and the prompt
// changes.

const RUNS = DATA.runs;
const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6D31", "#7F7F7F"];
const multiTarget = new Set(DATA.series.map((s) => s.target)).size > 1;
const seriesLabel = (s) => (multiTarget ? s.suite + " @ " + s.target : s.suite);
const day = (text) => (text || "").slice(0, 10);
const times = RUNS.map((run) => new Date(run.started_at).getTime());

// X positions: by time when the runs span time, else evenly.
function xScale(left, width) {
  const min = Math.min(...times);
  const max = Math.max(...times);
  if (!(max > min)) {
    return (index) => left + (RUNS.length === 1 ? width / 2 : (width * index) / (RUNS.length - 1));
  }
  return (index) => left + ((times[index] - min) / (max - min)) * width;
}

// Up to `count` round tick values from 0 (or `min`) to at least `max`.
function niceTicks(min, max, count, integer) {
  if (!(max > min)) max = min + 1;
  const raw = (max - min) / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  if (integer) step = Math.max(1, Math.round(step));
  const ticks = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

// Draws one chart. `lines` are {label, color, values, band?}; `bars` are {label, cls, values}
// stacked per run; `markers` are {run, label}.
function chart(options) {
  const W = 560;
  const H = options.height || 230;
  const M = { left: 56, right: 14, top: 12, bottom: 30 };
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = xScale(M.left, plotW);
  const lines = options.lines || [];
  const bars = options.bars || [];
  let yMin = options.yMin !== undefined ? options.yMin : 0;
  let yMax = options.yMax;
  if (yMax === undefined) {
    const values = [];
    for (const line of lines) for (const v of line.values) if (v !== null && v !== undefined) values.push(v);
    for (let i = 0; i < RUNS.length; i++) values.push(bars.reduce((sum, bar) => sum + (bar.values[i] || 0), 0));
    yMax = Math.max(0, ...values);
    if (!(yMax > yMin)) yMax = yMin + (options.integer ? 1 : 0.01);
  }
  const ticks = options.ticks || niceTicks(yMin, yMax, 4, options.integer);
  yMin = Math.min(yMin, ticks[0]);
  yMax = Math.max(yMax, ticks[ticks.length - 1]);
  const y = (v) => M.top + plotH - ((v - yMin) / (yMax - yMin)) * plotH;
  const format = options.format || fmtInt;

  const root = svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": options.summary });
  for (const tick of ticks) {
    root.append(svg("line", { class: "grid", x1: M.left, x2: W - M.right, y1: y(tick), y2: y(tick) }),
      svg("text", { x: M.left - 6, y: y(tick) + 4, "text-anchor": "end" }, format(tick)));
  }
  root.append(svg("line", { class: "axis", x1: M.left, x2: W - M.right, y1: M.top + plotH, y2: M.top + plotH }));
  const labelEvery = Math.max(1, Math.ceil(RUNS.length / 6));
  RUNS.forEach((run, i) => {
    if (i % labelEvery !== 0 && i !== RUNS.length - 1) return;
    if (i === RUNS.length - 1 && i % labelEvery !== 0 && RUNS.length > 1 && x(i) - x(i - (i % labelEvery)) < 60) return;
    root.append(svg("text", { x: x(i), y: H - 8, "text-anchor": "middle" }, day(run.started_at).slice(5)));
  });
  for (const marker of options.markers || []) {
    root.append(svg("line", { class: "marker", x1: x(marker.run), x2: x(marker.run), y1: M.top, y2: M.top + plotH },
      svg("title", null, marker.label)));
  }
  if (bars.length) {
    const slot = RUNS.length > 1 ? Math.min(...RUNS.slice(1).map((_, i) => x(i + 1) - x(i)).filter((d) => d > 0), plotW / RUNS.length) : plotW / 3;
    const width = Math.max(2, Math.min(26, slot * 0.7));
    RUNS.forEach((run, i) => {
      let base = 0;
      for (const bar of bars) {
        const value = bar.values[i] || 0;
        if (!value) continue;
        root.append(svg("rect", { class: bar.cls, x: x(i) - width / 2, width, y: y(base + value), height: y(base) - y(base + value) },
          svg("title", null, `${day(run.started_at)}: ${fmtInt(value)} ${bar.label}`)));
        base += value;
      }
    });
  }
  for (const line of lines) {
    if (line.band) {
      // One polygon per stretch of consecutive runs that have the value.
      let stretch = [];
      const flush = () => {
        if (stretch.length) {
          const top = stretch.map((i) => `${x(i)},${y(line.band[i][1])}`);
          const bottom = stretch.slice().reverse().map((i) => `${x(i)},${y(line.band[i][0])}`);
          const points = stretch.length === 1
            ? [`${x(stretch[0]) - 3},${y(line.band[stretch[0]][1])}`, `${x(stretch[0]) + 3},${y(line.band[stretch[0]][1])}`,
              `${x(stretch[0]) + 3},${y(line.band[stretch[0]][0])}`, `${x(stretch[0]) - 3},${y(line.band[stretch[0]][0])}`]
            : top.concat(bottom);
          const band = svg("polygon", { class: "band", points: points.join(" "), "fill-opacity": 0.18 });
          band.style.fill = line.color;
          root.append(band);
        }
        stretch = [];
      };
      line.band.forEach((b, i) => (b ? stretch.push(i) : flush()));
      flush();
    }
    let d = "";
    let pen = false;
    line.values.forEach((v, i) => {
      if (v === null || v === undefined) {
        pen = false;
        return;
      }
      d += (pen ? "L" : "M") + x(i).toFixed(1) + "," + y(v).toFixed(1);
      pen = true;
    });
    const path = svg("path", { class: "line", d });
    path.style.stroke = line.color;
    root.append(path);
    line.values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      const dot = svg("circle", { cx: x(i), cy: y(v), r: 3 },
        svg("title", null, `${line.label} · ${day(RUNS[i].started_at)}: ${(line.tip || format)(v, i)}`));
      dot.style.fill = line.color;
      root.append(dot);
    });
  }

  const legendItems = lines.length > 1 || bars.length > 1
    ? el("ul", { class: "legend" },
      lines.map((line) => {
        const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
        swatch.style.background = line.color;
        return el("li", null, swatch, line.label);
      }),
      bars.map((bar) => el("li", null, svg("svg", { width: 12, height: 12, "aria-hidden": "true" }, svg("rect", { class: bar.cls, width: 12, height: 12, rx: 2 })), " ", bar.label)))
    : null;
  const columns = lines.length ? lines : bars;
  const data = el("details", { class: "data" }, el("summary", null, "Show the numbers"),
    table(options.title, ["Run", ...columns.map((c) => ({ text: c.label, num: true }))],
      RUNS.map((run, i) => [
        { header: true, text: day(run.started_at) + (run.git_commit ? " · " + run.git_commit.slice(0, 7) : "") },
        ...columns.map((c) => ({ text: c.values[i] === null || c.values[i] === undefined ? "–" : (c.tip || format)(c.values[i], i), num: true })),
      ])));
  return el("figure", { class: "chart" }, el("figcaption", null, options.title), root, legendItems, data);
}

function passRateCharts() {
  const figures = DATA.series.map((s) => {
    const changes = DATA.changes.filter((c) => c.suite === s.suite && c.target === s.target);
    const values = s.points.map((p) => (p && p.rate !== undefined ? p.rate : null));
    const band = s.points.map((p) => (p && p.interval ? [p.interval.low, p.interval.high] : null));
    const present = values.filter((v) => v !== null);
    const last = present[present.length - 1];
    // The axis starts at the nearest 10% below the lowest interval end, so small moves show
    // without pretending the scale starts at zero.
    const lows = band.filter(Boolean).map((b) => b[0]);
    const floor = lows.length ? Math.max(0, Math.floor(Math.min(...lows) * 10) / 10) : 0;
    const step = 1 - floor > 0.5 ? 0.25 : 1 - floor > 0.2 ? 0.1 : 0.05;
    const ticks = [];
    for (let v = 1; ; v -= step) {
      ticks.unshift(Math.max(0, Number(v.toFixed(4))));
      if (v <= floor + 1e-9) break;
    }
    return chart({
      title: seriesLabel(s),
      summary: `Pass rate of ${seriesLabel(s)} over ${RUNS.length} runs` + (last !== undefined ? `, last ${fmtPct(last)}` : "")
        + (changes.length ? `, ${changes.length} prompt ${changes.length === 1 ? "change" : "changes"}` : ""),
      yMin: ticks[0],
      yMax: 1,
      ticks,
      format: (v) => fmtPct(v, 0),
      lines: [{
        label: "pass rate",
        color: PALETTE[0],
        values,
        band,
        tip: (v, i) => {
          const p = s.points[i];
          return `${rateText(p.rate, p.interval)}, ${p.passed} of ${p.passed + p.failed} judged` + (p.registry_version ? `, v${p.registry_version}` : "");
        },
      }],
      markers: changes.map((c) => ({ run: c.run, label: changeText(c) })),
    });
  });
  return section("pass-rate", "Pass rate per suite" + (multiTarget ? " and target" : ""),
    el("p", { class: "note" }, "Lines are the pass rate over judged cases; the band is its 95% Wilson interval. Dashed lines mark a new registry version or prompt hash."),
    el("div", { class: "charts" }, figures));
}

function changeText(c) {
  const version = c.from_version !== c.to_version ? `version ${c.from_version || "–"} → ${c.to_version || "–"}` : null;
  const hash = c.from_hash !== c.to_hash ? `prompt ${shortHash(c.from_hash)} → ${shortHash(c.to_hash)}` : null;
  return `${day(RUNS[c.run].started_at)} ${seriesLabel(c)}: ${[version, hash].filter(Boolean).join(", ")}`;
}

function perSeries(pick) {
  return DATA.series.map((s, i) => ({
    label: seriesLabel(s),
    color: PALETTE[i % PALETTE.length],
    values: s.points.map((p) => (p ? pick(p) : null)),
  }));
}

function overview() {
  const figures = [
    chart({
      title: "Failed and errored cases per run",
      summary: `Failed and errored cases in each of ${RUNS.length} runs; the last run had ${RUNS[RUNS.length - 1].failed} failed and ${RUNS[RUNS.length - 1].errors} errored`,
      integer: true,
      bars: [
        { label: "failed", cls: "bar-failed", values: RUNS.map((r) => r.failed) },
        { label: "errors", cls: "bar-errors", values: RUNS.map((r) => r.errors) },
      ],
    }),
    chart({
      title: "Flaky cases per run",
      summary: `Repeated cases whose attempts disagreed, in each of ${RUNS.length} runs`,
      integer: true,
      bars: [{ label: "flaky", cls: "bar-flaky", values: RUNS.map((r) => r.flaky) }],
    }),
    chart({
      title: "Prompt tokens per suite",
      summary: `Prompt tokens of each suite over ${RUNS.length} runs`,
      integer: true,
      lines: perSeries((p) => p.prompt_tokens),
    }),
  ];
  if (DATA.series.some((s) => s.points.some((p) => p && p.cost_usd !== null && p.cost_usd !== undefined))) {
    figures.push(chart({
      title: "Cost per suite",
      summary: `Cost in US dollars of each suite over ${RUNS.length} runs`,
      lines: perSeries((p) => (p.cost_usd === undefined ? null : p.cost_usd)),
      format: fmtUsd,
      ticks: undefined,
    }));
  }
  if (DATA.latency.some((t) => t.p95_ms.some((v) => v !== null))) {
    figures.push(chart({
      title: "p95 latency per target",
      summary: `95th percentile request latency of each target over ${RUNS.length} runs (cached answers left out)`,
      lines: DATA.latency.map((t, i) => ({ label: t.target, color: PALETTE[i % PALETTE.length], values: t.p95_ms })),
      format: fmtMs,
    }));
  }
  return section("overview", "Failures, flaky cases, tokens, cost and latency", el("div", { class: "charts" }, figures));
}

function flips() {
  if (!DATA.flips.length) {
    return section("flips", "Cases that changed status most often", el("p", { class: "note" }, "No case changed status between runs."));
  }
  const WORD = { p: "passed", f: "failed", e: "error", s: "skipped", "-": "absent" };
  return section("flips", "Cases that changed status most often",
    table("Cases that changed status most often", ["Case", { text: "Changes", num: true }, "History (oldest first)"],
      DATA.flips.map((f) => [
        { header: true, text: el("code", { class: "case-link" }, f.id) },
        { text: fmtInt(f.changes), num: true },
        el("span", { class: "history", role: "img", "aria-label": [...f.history].map((letter) => WORD[letter]).join(", ") },
          [...f.history].map((letter, i) => el("span", { class: "h-" + (letter === "-" ? "x" : letter), title: `${day(RUNS[i].started_at)}: ${WORD[letter]}` }))),
      ])));
}

function changes() {
  if (!DATA.changes.length) return null;
  return section("changes", "Prompt changes",
    table("Prompt changes", ["Run", "Suite", "Version", "Prompt hash"],
      DATA.changes.map((c) => [
        day(RUNS[c.run].started_at),
        seriesLabel(c),
        c.from_version === c.to_version ? (c.to_version || "–") : (c.from_version || "–") + " → " + (c.to_version || "–"),
        [el("code", null, shortHash(c.from_hash)), " → ", el("code", null, shortHash(c.to_hash))],
      ])));
}

function runs() {
  return section("runs", "Runs",
    table("Runs", ["Started", "Report", "Commit", "Pass rate", { text: "Cases", num: true }, { text: "Failed", num: true },
      { text: "Errors", num: true }, { text: "Flaky", num: true }, { text: "Prompt tokens", num: true }, { text: "Cost", num: true }],
    RUNS.map((run) => [
      { header: true, text: fmtDate(run.started_at) },
      el("code", null, run.file),
      run.git_commit ? el("code", null, run.git_commit.slice(0, 12)) : "–",
      rateBar(run.rate, run.interval),
      { text: fmtInt(run.total), num: true },
      { text: fmtInt(run.failed), num: true },
      { text: fmtInt(run.errors), num: true },
      { text: fmtInt(run.flaky), num: true },
      { text: fmtInt(run.prompt_tokens), num: true },
      { text: fmtUsd(run.cost_usd), num: true },
    ])));
}

function start() {
  const first = RUNS[0];
  const last = RUNS[RUNS.length - 1];
  const head = el("header", { class: "top" },
    el("h1", null, "promptci trend"),
    el("p", { class: "meta" },
      el("span", null, plural(RUNS.length, "run", "runs")),
      first ? el("span", null, fmtDate(first.started_at), " to ", fmtDate(last.started_at)) : null,
      el("span", null, plural(DATA.series.length, "suite", "suites") + (multiTarget ? " × targets" : ""))));
  const sections = RUNS.length
    ? [passRateCharts(), overview(), flips(), changes(), runs()].filter(Boolean)
    : [section("empty", "No reports", el("p", null, "The trend was built from no report."))];
  const nav = el("nav", { class: "sections", "aria-label": "Sections" },
    el("ul", null, sections.map((node) => el("li", null, el("a", { href: "#" + node.id }, node.querySelector("h2").textContent)))));
  document.body.prepend(el("a", { class: "skip", href: "#main" }, "Skip to the charts"));
  document.body.append(head, nav, el("main", { id: "main", tabindex: "-1" }, sections), footer());
  document.documentElement.dataset.ready = "true";
}

start();
