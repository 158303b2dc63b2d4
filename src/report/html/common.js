"use strict";
// Shared by the report and the trend page. Every piece of report data reaches the page through
// text nodes (`textContent`), never through markup parsing, so an answer that contains
// a script or an image tag is shown as the characters it is.

const DATA = JSON.parse(document.getElementById("promptci-data").textContent);
const SVG_NS = "http://www.w3.org/2000/svg";

// Builds an element. `attrs` holds attributes (`class`, `aria-*`, `data-*`, …) and event
// handlers (`onclick`); children are nodes or strings (strings become text nodes).
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "text") {
      node.textContent = value;
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const NUMBER = new Intl.NumberFormat("en-US");

function fmtInt(value) {
  return value === undefined || value === null ? "–" : NUMBER.format(Math.round(value));
}

function fmtPct(fraction, digits) {
  if (fraction === undefined || fraction === null || Number.isNaN(fraction)) return "–";
  const places = digits === undefined ? (fraction > 0 && fraction < 1 ? 1 : 0) : digits;
  return (fraction * 100).toFixed(places).replace(/\.0+$/, "") + "%";
}

function fmtMs(ms) {
  if (ms === undefined || ms === null) return "–";
  if (ms < 1000) return ms + " ms";
  return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
}

function fmtUsd(value) {
  if (value === undefined || value === null) return "–";
  if (value === 0) return "$0";
  if (value >= 1) return "$" + value.toFixed(2);
  // Small amounts keep three significant digits: $0.000412.
  return "$" + value.toPrecision(3).replace(/0+$/, "").replace(/\.$/, "");
}

function fmtDate(text) {
  if (!text) return "–";
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return text;
  return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z").replace(/:\d\dZ$/, " UTC");
}

function shortHash(hash) {
  if (!hash) return "–";
  const bare = hash.replace(/^sha256:/, "");
  return bare.slice(0, 12);
}

function plural(count, singular, many) {
  return fmtInt(count) + " " + (count === 1 ? singular : many);
}

// A pass rate as text with its interval: "95% (84–99%)".
function rateText(rate, interval) {
  if (rate === undefined || rate === null) return "–";
  if (!interval) return fmtPct(rate);
  return fmtPct(rate) + " (" + fmtPct(interval.low) + "–" + fmtPct(interval.high) + ")";
}

// A small bar for a pass rate with its interval as a whisker; the text beside it carries the
// numbers, so the picture is hidden from screen readers.
function rateBar(rate, interval) {
  const width = 90;
  const box = el("span", { class: "rate" });
  if (rate === undefined || rate === null) {
    box.append("–");
    return box;
  }
  const picture = svg("svg", { width, height: 12, viewBox: `0 0 ${width} 12`, "aria-hidden": "true", focusable: "false" },
    svg("rect", { class: "track", x: 0.5, y: 2.5, width: width - 1, height: 7, rx: 2 }),
    svg("rect", { class: "fillbar", x: 0.5, y: 2.5, width: Math.max(0, (width - 1) * rate), height: 7, rx: 2 }));
  if (interval) {
    const x1 = 0.5 + (width - 1) * interval.low;
    const x2 = 0.5 + (width - 1) * interval.high;
    picture.append(
      svg("line", { class: "whisker", x1, x2, y1: 6, y2: 6 }),
      svg("line", { class: "whisker", x1, x2: x1, y1: 2, y2: 10 }),
      svg("line", { class: "whisker", x1: x2, x2, y1: 2, y2: 10 }));
  }
  box.append(picture, el("span", null, rateText(rate, interval)));
  return box;
}

function section(id, title, ...children) {
  return el("section", { id, "aria-labelledby": id + "-h" }, el("h2", { id: id + "-h" }, title), ...children);
}

// A table from column headings and rows of cells; a heading or cell written as
// {text, num: true} is right-aligned.
function table(caption, headings, rows) {
  const head = el("tr", null, headings.map((heading) => {
    const spec = typeof heading === "object" && !(heading instanceof Node) ? heading : { text: heading };
    return el("th", { scope: "col", class: spec.num ? "num" : null }, spec.text);
  }));
  const body = rows.map((row) => el("tr", null, row.map((cell, index) => {
    const spec = cell !== null && typeof cell === "object" && !(cell instanceof Node) && !Array.isArray(cell) ? cell : { text: cell };
    const numeric = spec.num || (typeof headings[index] === "object" && headings[index].num);
    return el(index === 0 && spec.header ? "th" : "td", { class: numeric ? "num" : spec.class, scope: spec.header ? "row" : null }, spec.text);
  })));
  return el("div", { class: "scroll" },
    el("table", null, caption ? el("caption", { class: "sr-only" }, caption) : null, el("thead", null, head), el("tbody", null, body)));
}

function badge(kind, text) {
  return el("span", { class: "badge " + kind }, text);
}

function footer() {
  return el("footer", null,
    el("p", null, "Written by ", DATA.generator, ". This file is self-contained: it loads nothing from the network."));
}
