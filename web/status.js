/* OCR Mesh — the live view of the mesh: services and instances from /api/instances,
 * polled while the page is visible, with joins, departures and health changes flagged.
 * Depends on i18n.js (window.I18N) and api.js (window.Api); app.js creates one.
 */
(function () {
  "use strict";

  const I18N = window.I18N;
  const Api = window.Api;
  const t = (key, params) => I18N.t(key, params);

  const POLL_MS = 2000;
  const NEW_MS = 6000; // how long a joined instance is flagged "new"
  const GONE_MS = 8000; // how long a departed instance stays visible as "left"
  const MAX_EVENTS = 8;

  /** opts: {table, updated, updatedText, events, canPoll(), onAuthError(code)} */
  function create(opts) {
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
      error: null
    };


    const keyOf = (service, inst) => service + "|" + inst.host + ":" + inst.port;
    const addrOf = (inst) => inst.host + ":" + inst.port;

    function startPolling() {
      stopPolling();
      poll.active = true;
      poll.loaded = false;
      poll.known.clear();
      poll.fresh.clear();
      poll.gone.clear();
      poll.events = [];
      poll.error = null;
      poll.lastOk = null;
      renderStatus();
      renderEvents();
      pollOnce();
    }

    function stopPolling() {
      poll.active = false;
      clearTimeout(poll.timer);
      poll.timer = null;
      if (poll.abort) poll.abort.abort();
      poll.abort = null;
    }

    async function pollOnce() {
      clearTimeout(poll.timer);
      poll.timer = null;
      if (!poll.active) return;
      if (document.hidden) {
        renderStatusUpdated();
        return; // visibilitychange resumes
      }
      if (!opts.canPoll()) return;
      if (poll.abort) poll.abort.abort();
      const ctrl = new AbortController();
      poll.abort = ctrl;
      try {
        const services = await Api.instances(ctrl.signal);
        if (ctrl.signal.aborted || !poll.active) return;
        applySnapshot(services);
        poll.error = null;
        poll.lastOk = new Date();
      } catch (err) {
        if (ctrl.signal.aborted || (err && err.name === "AbortError") || !poll.active) return;
        if (err instanceof Api.ApiError && err.isAuth()) {
          opts.onAuthError(err.code);
          return;
        }
        poll.error = err instanceof Api.ApiError ? err : new Api.ApiError(0, "network_error");
      } finally {
        if (poll.abort === ctrl) poll.abort = null;
      }
      renderStatus();
      if (poll.active && !document.hidden) poll.timer = setTimeout(pollOnce, POLL_MS);
    }

    function addEvent(key, params) {
      poll.events.unshift({ key, params, at: new Date() });
      poll.events.length = Math.min(poll.events.length, MAX_EVENTS);
    }

    /** Compare with what we knew: record joins, departures and health changes. */
    function applySnapshot(services) {
      const now = Date.now();
      const seen = new Map();
      Object.keys(services || {}).forEach((service) => {
        const list = Array.isArray(services[service]) ? services[service] : [];
        list.forEach((inst) => seen.set(keyOf(service, inst), { service, inst }));
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
            addEvent("status.event_health", Object.assign({ stateKey: stateKey(entry.inst) }, params));
          }
        });
        poll.known.forEach((entry, key) => {
          if (!seen.has(key)) {
            poll.gone.set(key, { service: entry.service, inst: entry.inst, until: now + GONE_MS });
            addEvent("status.event_left", { service: entry.service, addr: addrOf(entry.inst) });
          }
        });
        renderEvents();
      }
      poll.fresh.forEach((until, key) => { if (until < now) poll.fresh.delete(key); });
      poll.gone.forEach((g, key) => { if (g.until < now) poll.gone.delete(key); });
      poll.known = seen;
      poll.services = services || {};
      poll.loaded = true;
    }

    function stateKey(inst) {
      if (inst.ejected) return "status.ejected";
      return inst.healthy === false ? "status.unhealthy" : "status.healthy";
    }

    function fmtNum(v) {
      return typeof v === "number" && isFinite(v) ? String(v) : "—";
    }

    function fmtStarted(value) {
      if (value === undefined || value === null || value === "") return "";
      let d;
      const n = Number(value);
      if (isFinite(n)) d = new Date(n > 1e12 ? n : n * 1000);
      else d = new Date(value);
      return isNaN(d.getTime()) ? String(value) : I18N.time(d);
    }

    function metaChips(meta) {
      const out = [];
      if (!meta || typeof meta !== "object") return out;
      const order = ["version", "engine", "cpu_threads", "started_at"];
      const keys = order.filter((k) => k in meta).concat(Object.keys(meta).filter((k) => order.indexOf(k) < 0));
      keys.forEach((k) => {
        const v = meta[k];
        if (v === undefined || v === null || v === "") return;
        if (k === "started_at") out.push(t("status.meta_started", { time: fmtStarted(v) }));
        else if (k === "version") out.push("v" + String(v).replace(/^v/, ""));
        else out.push(k + ": " + v);
      });
      return out;
    }

    function cell(tag, text, cls) {
      const c = document.createElement(tag);
      if (text !== undefined) c.textContent = text;
      if (cls) c.className = cls;
      return c;
    }

    function badge(key, cls) {
      const b = cell("span", t(key), "badge " + cls);
      return b;
    }

    function instanceRow(service, inst, opts) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "instance-row";
      tr.dataset.service = service;
      tr.dataset.addr = addrOf(inst);
      tr.dataset.healthy = String(inst.healthy !== false && !inst.ejected && !opts.gone);
      if (opts.gone) tr.classList.add("is-gone");
      if (opts.fresh) tr.classList.add("is-fresh");

      const th = cell("th", undefined, "addr");
      th.scope = "row";
      th.appendChild(cell("span", addrOf(inst), "mono"));
      tr.appendChild(th);

      const st = cell("td");
      if (opts.gone) st.appendChild(badge("status.left", "badge-gone"));
      else {
        const k = stateKey(inst);
        st.appendChild(badge(k, k === "status.healthy" ? "badge-ok" : k === "status.ejected" ? "badge-warn" : "badge-bad"));
        if (opts.fresh) st.appendChild(badge("status.new", "badge-new"));
      }
      tr.appendChild(st);

      tr.appendChild(cell("td", fmtNum(inst.weight), "num"));
      tr.appendChild(cell("td", fmtNum(inst.in_flight), "num"));
      tr.appendChild(cell("td", fmtNum(inst.served), "num"));
      tr.appendChild(cell("td", fmtNum(inst.failures), "num"));

      const meta = cell("td", undefined, "meta");
      metaChips(inst.metadata).forEach((m) => meta.appendChild(cell("span", m, "chip")));
      tr.appendChild(meta);
      return tr;
    }

    function renderStatus() {
      const table = opts.table;
      table.querySelectorAll("tbody").forEach((tb) => tb.remove());
      const now = Date.now();

      if (!poll.loaded) {
        const tb = document.createElement("tbody");
        const tr = document.createElement("tr");
        tr.className = "placeholder";
        const td = cell("td", poll.error ? Api.describe(poll.error).message : t("status.loading"), "muted");
        td.colSpan = 7;
        tr.appendChild(td);
        tb.appendChild(tr);
        table.appendChild(tb);
        renderStatusUpdated();
        return;
      }

      const names = new Set(Object.keys(poll.services));
      poll.gone.forEach((g) => names.add(g.service));
      const sorted = Array.from(names).sort((a, b) => {
        // the OCR nodes first: that is what people come to watch
        const ra = a === "ocr-service" ? 0 : 1;
        const rb = b === "ocr-service" ? 0 : 1;
        return ra - rb || a.localeCompare(b);
      });

      if (!sorted.length) {
        const tb = document.createElement("tbody");
        const tr = document.createElement("tr");
        const td = cell("td", t("status.empty"), "muted");
        td.colSpan = 7;
        tr.appendChild(td);
        tb.appendChild(tr);
        table.appendChild(tb);
      }

      sorted.forEach((service) => {
        const list = (Array.isArray(poll.services[service]) ? poll.services[service] : [])
          .slice()
          .sort((a, b) => String(a.host).localeCompare(String(b.host)) || Number(a.port) - Number(b.port));
        const tb = document.createElement("tbody");
        tb.dataset.service = service;

        const head = document.createElement("tr");
        head.className = "service-row";
        const th = cell("th");
        th.scope = "rowgroup";
        th.colSpan = 7;
        th.appendChild(cell("span", service, "service-name"));
        const healthy = list.filter((i) => i.healthy !== false && !i.ejected).length;
        th.appendChild(
          cell("span", t("status.summary", { healthy, total: list.length }),
            "service-summary " + (healthy === 0 ? "is-bad" : healthy < list.length ? "is-warn" : "is-ok"))
        );
        head.appendChild(th);
        tb.appendChild(head);

        list.forEach((inst) => {
          const key = keyOf(service, inst);
          const fresh = (poll.fresh.get(key) || 0) > now;
          tb.appendChild(instanceRow(service, inst, { fresh }));
        });
        poll.gone.forEach((g) => {
          if (g.service === service && g.until > now) tb.appendChild(instanceRow(service, g.inst, { gone: true }));
        });
        if (!list.length && !tb.querySelector("[data-testid=instance-row]")) {
          const tr = document.createElement("tr");
          const td = cell("td", t("status.empty"), "muted");
          td.colSpan = 7;
          tr.appendChild(td);
          tb.appendChild(tr);
        }
        table.appendChild(tb);
      });
      renderStatusUpdated();
    }

    function renderStatusUpdated() {
      let text;
      let cls = "";
      if (document.hidden && poll.active) {
        text = t("status.paused");
        cls = "is-paused";
      } else if (poll.error) {
        text = t("status.failed", { msg: Api.describe(poll.error).message });
        cls = "is-failed";
      } else if (poll.lastOk) {
        text = t("status.updated", { time: I18N.time(poll.lastOk) });
        cls = "is-live";
      } else {
        text = t("status.loading");
      }
      opts.updatedText.textContent = text;
      opts.updated.className = "status-updated muted " + cls;
    }

    function renderEvents() {
      opts.events.textContent = "";
      if (!poll.events.length) {
        opts.events.appendChild(cell("li", t("status.no_events"), "muted"));
        return;
      }
      poll.events.forEach((ev) => {
        const li = document.createElement("li");
        const params = Object.assign({}, ev.params);
        if (params.stateKey) params.state = t(params.stateKey);
        li.appendChild(cell("time", I18N.time(ev.at), "mono muted"));
        li.appendChild(document.createTextNode(" " + t(ev.key, params)));
        li.className = ev.key === "status.event_left" ? "ev-left" : ev.key === "status.event_joined" ? "ev-joined" : "ev-change";
        opts.events.appendChild(li);
      });
    }


    function onVisibilityChange() {
      if (document.hidden) {
        clearTimeout(poll.timer);
        if (poll.abort) poll.abort.abort();
        renderStatusUpdated();
      } else if (poll.active) {
        pollOnce();
      }
    }

    return {
      start: startPolling,
      stop: stopPolling,
      render: renderStatus,
      renderEvents,
      onVisibilityChange
    };
  }

  window.StatusView = { create };
})();
