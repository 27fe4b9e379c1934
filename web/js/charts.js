/* OCR Mesh — small SVG line charts (no library, no CDN): one line per instance over a time
 * window, with a y axis of three ticks, a time axis of start and end, and a legend.
 * Colours come from CSS classes (series-0 … series-5), so the page's CSP needs no inline style.
 */
const NS = "http://www.w3.org/2000/svg";
const W = 320;
const H = 150;
const PAD = { left: 44, right: 8, top: 8, bottom: 22 };
const COLOURS = 6;

function svg(tag, attrs, text) {
  const n = document.createElementNS(NS, tag);
  Object.entries(attrs || {}).forEach(([k, v]) => n.setAttribute(k, String(v)));
  if (text !== undefined) n.textContent = text;
  return n;
}

/** A short number for an axis: 0.0123 → "0.012", 1234 → "1.2k". */
export function shortNumber(v) {
  const a = Math.abs(v);
  if (a >= 1000) return (v / 1000).toFixed(1) + "k";
  if (a >= 10 || v === 0) return v.toFixed(0);
  if (a >= 1) return v.toFixed(1);
  return v.toPrecision(2);
}

function clock(seconds) {
  const d = new Date(seconds * 1000);
  return d.toTimeString().slice(0, 5);
}

/** Which colour class an instance gets: stable by its place in the sorted list of all instances. */
export function colourOf(instances, instance) {
  return "series-" + (Math.max(0, instances.indexOf(instance)) % COLOURS);
}

/**
 * Draw one chart into `box` (emptied first).
 * chart: {title, unit, series: [{instance, points: [[t, v|null], …]}]}; window: {start, end}
 * instances: every instance of the view, sorted, so one instance has one colour everywhere.
 */
export function drawChart(box, chart, window, instances, emptyText) {
  box.textContent = "";
  const plot = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart-svg", role: "img", "aria-label": chart.title });
  const values = chart.series.flatMap((s) => s.points.map((p) => p[1]).filter((v) => v !== null));
  const top = Math.max(...values, 0) || 1;
  const x = (t) => PAD.left + ((t - window.start) / (window.end - window.start)) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);

  [0, 0.5, 1].forEach((f) => {
    const v = top * f;
    plot.append(
      svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: "chart-grid" }),
      svg("text", { x: PAD.left - 4, y: y(v) + 3, class: "chart-tick", "text-anchor": "end" }, shortNumber(v)),
    );
  });
  plot.append(
    svg("text", { x: PAD.left, y: H - 6, class: "chart-tick" }, clock(window.start)),
    svg("text", { x: W - PAD.right, y: H - 6, class: "chart-tick", "text-anchor": "end" }, clock(window.end)),
  );

  chart.series.forEach((s) => {
    // A gap (null: no requests, so no latency) breaks the line instead of drawing a false zero.
    let d = "";
    let pen = "M";
    s.points.forEach(([t, v]) => {
      if (v === null) {
        pen = "M";
        return;
      }
      d += `${pen}${x(t).toFixed(1)},${y(v).toFixed(1)} `;
      pen = "L";
    });
    if (d) plot.append(svg("path", { d, class: "chart-line " + colourOf(instances, s.instance), "data-instance": s.instance }));
  });
  box.append(plot);
  if (!values.length) {
    const empty = document.createElement("p");
    empty.className = "chart-empty muted";
    empty.textContent = emptyText;
    box.append(empty);
  }
}

/** The legend shared by every chart: one swatch and address per instance. */
export function drawLegend(list, instances) {
  list.textContent = "";
  instances.forEach((instance) => {
    const li = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "swatch " + colourOf(instances, instance);
    li.append(swatch, document.createTextNode(instance));
    list.append(li);
  });
}
