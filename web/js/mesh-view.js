/* OCR Mesh — the live view of the mesh: services and instances from /api/instances, polled
 * while the page is visible, with joins, departures and health changes listed as events.
 * The table itself is drawn by mesh-table.js.
 */
import { ApiError, asApiError, describe, instances } from "./api.js";
import { el, node } from "./dom.js";
import { onLangChange, t, time } from "./i18n.js";
import { addrOf, instancesOf, keyOf, renderTable, stateKey } from "./mesh-table.js";

const POLL_MS = 2000;
const NEW_MS = 6000; // how long a joined instance is flagged "new"
const GONE_MS = 8000; // how long a departed instance stays visible as "left"
const MAX_EVENTS = 8;

const poll = {
  active: false,
  timer: null,
  abort: null,
  loaded: false,
  services: {},
  known: new Map(), // key -> {service, inst}
  fresh: new Map(), // key -> until (ms)
  gone: new Map(), // key -> {service, inst, until}
  events: [], // {key, params, at}
  lastOk: null,
  error: null,
};

// Set by initMeshView: may we poll now (false: the session has expired), and what to do
// when the gateway says the session is gone.
let hooks = { canPoll: () => true, onAuthError() {} };

function addEvent(key, params) {
  poll.events.unshift({ key, params, at: new Date() });
  poll.events.length = Math.min(poll.events.length, MAX_EVENTS);
}

/** Compare with what we knew: record joins, departures and health changes. */
function applySnapshot(services) {
  const now = Date.now();
  const seen = new Map();
  Object.keys(services).forEach((service) => {
    instancesOf(services, service).forEach((inst) => seen.set(keyOf(service, inst), { service, inst }));
  });
  if (poll.loaded) {
    seen.forEach((entry, key) => {
      const before = poll.known.get(key);
      const params = { service: entry.service, addr: addrOf(entry.inst) };
      if (!before) {
        poll.fresh.set(key, now + NEW_MS);
        poll.gone.delete(key);
        addEvent("status.event_joined", params);
      } else if (stateKey(before.inst) !== stateKey(entry.inst)) {
        addEvent("status.event_health", { stateKey: stateKey(entry.inst), ...params });
      }
    });
    poll.known.forEach((entry, key) => {
      if (seen.has(key)) return;
      poll.gone.set(key, { service: entry.service, inst: entry.inst, until: now + GONE_MS });
      addEvent("status.event_left", { service: entry.service, addr: addrOf(entry.inst) });
    });
    renderEvents();
  }
  poll.fresh.forEach((until, key) => { if (until < now) poll.fresh.delete(key); });
  poll.gone.forEach((g, key) => { if (g.until < now) poll.gone.delete(key); });
  poll.known = seen;
  poll.services = services;
  poll.loaded = true;
}

function render() {
  renderTable(el.statusTable, { ...poll, now: Date.now() });
  renderUpdated();
}

function renderUpdated() {
  let text;
  let cls = "";
  if (document.hidden && poll.active) {
    text = t("status.paused");
    cls = "is-paused";
  } else if (poll.error) {
    text = t("status.failed", { msg: describe(poll.error).message });
    cls = "is-failed";
  } else if (poll.lastOk) {
    text = t("status.updated", { time: time(poll.lastOk) });
    cls = "is-live";
  } else {
    text = t("status.loading");
  }
  el.statusUpdatedText.textContent = text;
  el.statusUpdated.className = "status-updated muted " + cls;
}

function renderEvents() {
  const list = el.statusEvents;
  list.textContent = "";
  if (!poll.events.length) {
    list.appendChild(node("li", t("status.no_events"), "muted"));
    return;
  }
  poll.events.forEach((ev) => {
    const params = { ...ev.params };
    if (params.stateKey) params.state = t(params.stateKey);
    const li = node("li", undefined, ev.key === "status.event_left" ? "ev-left" : ev.key === "status.event_joined" ? "ev-joined" : "ev-change");
    li.append(node("time", time(ev.at), "mono muted"), document.createTextNode(" " + t(ev.key, params)));
    list.appendChild(li);
  });
}

async function pollOnce() {
  clearTimeout(poll.timer);
  poll.timer = null;
  if (!poll.active) return;
  if (document.hidden) {
    renderUpdated();
    return; // visibilitychange resumes
  }
  if (!hooks.canPoll()) return;
  if (poll.abort) poll.abort.abort();
  const ctrl = new AbortController();
  poll.abort = ctrl;
  try {
    const services = await instances(ctrl.signal);
    if (ctrl.signal.aborted || !poll.active) return;
    applySnapshot(services && typeof services === "object" ? services : {});
    poll.error = null;
    poll.lastOk = new Date();
  } catch (err) {
    if (ctrl.signal.aborted || (err && err.name === "AbortError") || !poll.active) return;
    if (err instanceof ApiError && err.isAuth()) {
      hooks.onAuthError(err.code);
      return;
    }
    poll.error = asApiError(err);
  } finally {
    if (poll.abort === ctrl) poll.abort = null;
  }
  render();
  if (poll.active && !document.hidden) poll.timer = setTimeout(pollOnce, POLL_MS);
}

export function stopMeshView() {
  poll.active = false;
  clearTimeout(poll.timer);
  poll.timer = null;
  if (poll.abort) poll.abort.abort();
  poll.abort = null;
}

/** Start polling afresh (after logging in): no events, nothing known yet. */
export function startMeshView() {
  stopMeshView();
  Object.assign(poll, { active: true, loaded: false, events: [], error: null, lastOk: null });
  poll.known.clear();
  poll.fresh.clear();
  poll.gone.clear();
  render();
  renderEvents();
  pollOnce();
}

/** Pause while the page is hidden, poll at once when it shows again. */
export function meshVisibilityChanged() {
  if (document.hidden) {
    clearTimeout(poll.timer);
    if (poll.abort) poll.abort.abort();
    renderUpdated();
  } else if (poll.active) {
    pollOnce();
  }
}

/** hooks: {canPoll(), onAuthError(code)} */
export function initMeshView(given) {
  hooks = given;
  onLangChange(() => {
    render();
    renderEvents();
  });
  renderEvents();
}
