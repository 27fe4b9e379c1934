/* OCR Mesh — the mesh view's table: one group per service, one row per instance, and a
 * warning on a service whose instances the gateway and Nacos disagree about (issue 13).
 *
 * /api/instances may carry, per instance, "in_nacos" (true, false, or null when the gateway
 * could not ask Nacos lately) and "in_gateway" (false: Nacos lists it, the gateway's view
 * lacks it). Both are optional: without them the table shows no comparison at all.
 */
import { describe } from "./api.js";
import { node } from "./dom.js";
import { t, time } from "./i18n.js";

const COLUMNS = 7;

export const addrOf = (inst) => inst.host + ":" + inst.port;
export const keyOf = (service, inst) => service + "|" + addrOf(inst);

/** The instance's health as a string key: healthy, unhealthy or ejected. */
export function stateKey(inst) {
  if (inst.ejected) return "status.ejected";
  return inst.healthy === false ? "status.unhealthy" : "status.healthy";
}

const notInNacos = (inst) => inst.in_nacos === false;
const notInGateway = (inst) => inst.in_gateway === false;

/** Does the gateway send requests to this instance? */
const serving = (inst) => inst.healthy !== false && !inst.ejected && !notInGateway(inst);

/** How the gateway's view and Nacos' differ for one service's instances. */
export function divergence(list) {
  const missing = list.filter(notInGateway).length; // in Nacos, not in the gateway's view
  const extra = list.filter(notInNacos).length; // in the gateway's view, not in Nacos
  const unknown = list.some((inst) => inst.in_nacos === null);
  return { missing, extra, diverged: missing + extra > 0, unknown };
}

function fmtNum(v) {
  return typeof v === "number" && Number.isFinite(v) ? String(v) : "—";
}

function fmtStarted(value) {
  if (value === undefined || value === null || value === "") return "";
  const n = Number(value);
  const d = Number.isFinite(n) ? new Date(n > 1e12 ? n : n * 1000) : new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : time(d);
}

function metaChips(meta) {
  if (!meta || typeof meta !== "object") return [];
  const order = ["version", "engine", "cpu_threads", "started_at"];
  const keys = order.filter((k) => k in meta).concat(Object.keys(meta).filter((k) => !order.includes(k)));
  return keys
    .filter((k) => meta[k] !== undefined && meta[k] !== null && meta[k] !== "")
    .map((k) => {
      if (k === "started_at") return t("status.meta_started", { time: fmtStarted(meta[k]) });
      if (k === "version") return "v" + String(meta[k]).replace(/^v/, "");
      return k + ": " + meta[k];
    });
}

function badge(key, cls, titleKey) {
  const b = node("span", t(key), "badge " + cls);
  if (titleKey) b.title = t(titleKey);
  return b;
}

/** A row spanning the table: a message in a tbody (loading, empty, warnings). */
function wideRow(text, cls, rowCls) {
  const tr = node("tr", undefined, rowCls);
  const td = node("td", text, cls);
  td.colSpan = COLUMNS;
  tr.appendChild(td);
  return tr;
}

function stateCell(inst, { gone, fresh }) {
  const st = node("td");
  if (gone) {
    st.appendChild(badge("status.left", "badge-gone"));
    return st;
  }
  const k = stateKey(inst);
  st.appendChild(badge(k, k === "status.healthy" ? "badge-ok" : k === "status.ejected" ? "badge-warn" : "badge-bad"));
  if (notInGateway(inst)) st.appendChild(badge("status.not_in_gateway", "badge-diverged", "status.not_in_gateway_title"));
  if (notInNacos(inst)) st.appendChild(badge("status.not_in_nacos", "badge-diverged", "status.not_in_nacos_title"));
  if (fresh) st.appendChild(badge("status.new", "badge-new"));
  if (inst.canary) st.appendChild(badge("status.canary", "badge-new", "status.canary_title"));
  return st;
}

function instanceRow(service, inst, flags) {
  const tr = node("tr");
  tr.dataset.testid = "instance-row";
  tr.dataset.service = service;
  tr.dataset.addr = addrOf(inst);
  tr.dataset.healthy = String(serving(inst) && !flags.gone);
  if (flags.gone) tr.classList.add("is-gone");
  if (flags.fresh) tr.classList.add("is-fresh");
  if (!flags.gone && (notInGateway(inst) || notInNacos(inst))) {
    tr.classList.add("is-diverged");
    tr.dataset.diverged = notInGateway(inst) ? "not-in-gateway" : "not-in-nacos";
  }

  const th = node("th", undefined, "addr");
  th.scope = "row";
  th.appendChild(node("span", addrOf(inst), "mono"));
  tr.append(th, stateCell(inst, flags));
  ["weight", "in_flight", "served", "failures"].forEach((k) => tr.appendChild(node("td", fmtNum(inst[k]), "num")));
  const meta = node("td", undefined, "meta");
  metaChips(inst.metadata).forEach((m) => meta.appendChild(node("span", m, "chip")));
  tr.appendChild(meta);
  return tr;
}

function headRow(service, list) {
  const head = node("tr", undefined, "service-row");
  const th = node("th");
  th.scope = "rowgroup";
  th.colSpan = COLUMNS;
  th.appendChild(node("span", service, "service-name"));
  const up = list.filter(serving).length;
  const cls = up === 0 ? "is-bad" : up < list.length ? "is-warn" : "is-ok";
  th.appendChild(node("span", t("status.summary", { healthy: up, total: list.length }), "service-summary " + cls));
  head.appendChild(th);
  return head;
}

/** The warning under a service's heading when the gateway and Nacos disagree. */
function divergenceRow(d) {
  const tr = wideRow(undefined, "alert-cell", "service-alert");
  tr.dataset.testid = "mesh-divergence";
  const td = tr.firstChild;
  td.appendChild(node("strong", t("status.diverged"), "alert-title"));
  const plural = (key, n) => t(n === 1 ? key + "_one" : key, { n });
  if (d.missing) td.appendChild(node("span", plural("status.diverged_missing", d.missing), "alert-detail"));
  if (d.extra) td.appendChild(node("span", plural("status.diverged_extra", d.extra), "alert-detail"));
  return tr;
}

function serviceGroup(service, list, view) {
  const tb = node("tbody");
  tb.dataset.service = service;
  tb.appendChild(headRow(service, list));
  const d = divergence(list);
  tb.dataset.diverged = String(d.diverged);
  if (d.diverged) tb.appendChild(divergenceRow(d));
  else if (d.unknown) {
    const note = wideRow(t("status.nacos_unknown"), "muted note-cell", "service-note");
    note.dataset.testid = "mesh-nacos-unknown";
    tb.appendChild(note);
  }
  list.forEach((inst) => {
    const fresh = (view.fresh.get(keyOf(service, inst)) || 0) > view.now;
    tb.appendChild(instanceRow(service, inst, { fresh }));
  });
  let shown = list.length;
  view.gone.forEach((g) => {
    if (g.service !== service || g.until <= view.now) return;
    tb.appendChild(instanceRow(service, g.inst, { gone: true }));
    shown += 1;
  });
  if (!shown) tb.appendChild(wideRow(t("status.empty"), "muted"));
  return tb;
}

/** Instances of one service from a snapshot, valid entries only, sorted by address. */
export function instancesOf(services, service) {
  const list = Array.isArray(services[service]) ? services[service] : [];
  return list
    .filter((inst) => inst && typeof inst === "object")
    .sort((a, b) => String(a.host).localeCompare(String(b.host)) || Number(a.port) - Number(b.port));
}

/** view: {loaded, error, services, fresh: Map key->until, gone: Map key->{service, inst, until}, now} */
export function renderTable(table, view) {
  table.querySelectorAll("tbody").forEach((tb) => tb.remove());
  if (!view.loaded) {
    const tb = node("tbody");
    tb.appendChild(wideRow(view.error ? describe(view.error).message : t("status.loading"), "muted", "placeholder"));
    table.appendChild(tb);
    return;
  }
  const names = new Set(Object.keys(view.services));
  view.gone.forEach((g) => names.add(g.service));
  // the OCR nodes first: that is what people come to watch
  const rank = (name) => (name === "ocr-service" ? 0 : 1);
  const sorted = Array.from(names).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  if (!sorted.length) {
    const tb = node("tbody");
    tb.appendChild(wideRow(t("status.empty"), "muted"));
    table.appendChild(tb);
  }
  sorted.forEach((service) => table.appendChild(serviceGroup(service, instancesOf(view.services, service), view)));
}
