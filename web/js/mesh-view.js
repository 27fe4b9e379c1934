/* OCR Mesh — the live view of the mesh: services and instances from /api/instances, polled
 * while the page is visible, with joins, departures and health changes listed as events.
 * The table itself is drawn by mesh-table.js.
 */
import { describe, instances } from "./api.js";
import { el, node } from "./dom.js";
import { onLangChange, t, time } from "./i18n.js";
import { addrOf, instancesOf, keyOf, renderTable, stateKey } from "./mesh-table.js";
import { createPoller } from "./poller.js";

const POLL_MS = 2000;
const NEW_MS = 6000; // how long a joined instance is flagged "new"
const GONE_MS = 8000; // how long a departed instance stays visible as "left"
const MAX_EVENTS = 8;

const poll = {
  loaded: false,
  services: {},
  known: new Map(), // key -> {service, inst}
  fresh: new Map(), // key -> until (ms)
  gone: new Map(), // key -> {service, inst, until}
  events: [], // {key, params, at}
  lastOk: null,
  error: null,
};

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
  if (document.hidden && poller.active) {
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

const poller = createPoller({
  intervalMs: POLL_MS,
  fetch: (signal) => instances(signal),
  onResult(services) {
    applySnapshot(services && typeof services === "object" ? services : {});
    poll.error = null;
    poll.lastOk = new Date();
  },
  onError(err) {
    poll.error = err;
  },
  render,
  onHidden: renderUpdated,
});

export function stopMeshView() {
  poller.stop();
}

/** Start polling afresh (after logging in): no events, nothing known yet. */
export function startMeshView() {
  poller.stop();
  Object.assign(poll, { loaded: false, events: [], error: null, lastOk: null });
  poll.known.clear();
  poll.fresh.clear();
  poll.gone.clear();
  render();
  renderEvents();
  poller.start();
}

export function meshVisibilityChanged() {
  poller.visibilityChanged();
}

/** hooks: {canPoll(), onAuthError(code)}: may we poll now (false: the session has expired), and
 * what to do when the gateway says the session is gone. */
export function initMeshView(given) {
  poller.setHooks(given);
  onLangChange(() => {
    render();
    renderEvents();
  });
  renderEvents();
}
