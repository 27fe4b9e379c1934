/* OCR Mesh — the monitoring view: charts per OCR instance and the alerts, from Prometheus
 * through /api/monitoring, polled every 10 s (Prometheus' scrape interval) while visible.
 * Charts are drawn by charts.js.
 */
import { describe, monitoringAlerts, monitoringCharts } from "./api.js";
import { drawChart, drawLegend } from "./charts.js";
import { el, node } from "./dom.js";
import { onLangChange, t, time } from "./i18n.js";
import { createPoller } from "./poller.js";

const POLL_MS = 10000;

const view = { data: null, alerts: [], error: null, lastOk: null };

function renderAlerts() {
  const list = el.monitorAlerts;
  list.textContent = "";
  if (!view.alerts.length) {
    list.append(node("li", t("monitor.no_alerts"), "muted"));
    return;
  }
  view.alerts.forEach((a) => {
    const li = node("li", undefined, "alert alert-" + a.state + " sev-" + (a.severity || "none"));
    li.append(
      node("strong", a.name),
      node("span", " " + t("monitor.alert_" + a.state) + " ", "alert-state"),
      node("span", a.summary || a.instance, ""),
    );
    list.append(li);
  });
}

function renderCharts() {
  const box = el.monitorCharts;
  const data = view.data;
  if (!data) return;
  const instances = [...new Set(data.charts.flatMap((c) => c.series.map((s) => s.instance)))].sort();
  const window = { start: data.end - { "5m": 300, "15m": 900, "1h": 3600, "6h": 21600 }[data.window], end: data.end };
  box.textContent = "";
  data.charts.forEach((chart) => {
    const figure = node("figure", undefined, "chart");
    figure.dataset.chart = chart.id;
    const caption = node("figcaption", t("monitor.chart." + chart.id));
    const plot = node("div", undefined, "chart-plot");
    figure.append(caption, plot);
    box.append(figure);
    drawChart(plot, chart, window, instances, t("monitor.no_data"));
  });
  drawLegend(el.monitorLegend, instances);
}

function renderState() {
  const off = view.error && ["monitoring_off", "monitoring_unavailable"].includes(view.error.code);
  el.monitorOff.hidden = !off;
  if (off) el.monitorOff.textContent = t(view.error.code === "monitoring_off" ? "monitor.off" : "monitor.unavailable");
  let text = t("status.loading");
  let cls = "";
  if (view.error && !off) {
    text = t("status.failed", { msg: describe(view.error).message });
    cls = "is-failed";
  } else if (view.lastOk) {
    text = t("status.updated", { time: time(view.lastOk) });
    cls = "is-live";
  }
  el.monitorUpdatedText.textContent = text;
  el.monitorUpdated.className = "status-updated muted " + cls;
}

function render() {
  renderCharts();
  renderAlerts();
  renderState();
}

const poller = createPoller({
  intervalMs: POLL_MS,
  fetch: (signal) => Promise.all([monitoringCharts(el.monitorWindow.value, signal), monitoringAlerts(signal)]),
  onResult([data, alerts]) {
    Object.assign(view, { data, alerts, error: null, lastOk: new Date() });
  },
  onError(err) {
    view.error = err;
  },
  render,
});

export function stopMonitorView() {
  poller.stop();
}

export function startMonitorView() {
  Object.assign(view, { data: null, alerts: [], error: null, lastOk: null });
  el.monitorCharts.textContent = "";
  renderAlerts();
  renderState();
  poller.start();
}

export function monitorVisibilityChanged() {
  poller.visibilityChanged();
}

/** hooks: {canPoll(), onAuthError(code)} */
export function initMonitorView(given) {
  poller.setHooks(given);
  el.monitorWindow.addEventListener("change", () => poller.now());
  onLangChange(render);
}
