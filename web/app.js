/* OCR Mesh — the page: log in / register, upload and recognise, results with boxes,
 * and a live view of the mesh. Depends on i18n.js (window.I18N) and api.js (window.Api).
 */
(function () {
  "use strict";

  const I18N = window.I18N;
  const Api = window.Api;
  const t = (key, params) => I18N.t(key, params);
  const $ = (id) => document.getElementById(id);

  const NOTICE_MS = 8000;
  const IMAGE_EXT = /\.(png|jpe?g|jfif|gif|bmp|dib|webp|tiff?|pbm|pgm|ppm|pnm|jp2|ico)$/i;

  const el = {
    authView: $("auth-view"),
    appView: $("app-view"),
    authForm: $("auth-form"),
    username: $("username"),
    password: $("password"),
    showPassword: $("show-password"),
    loginBtn: $("login-btn"),
    registerBtn: $("register-btn"),
    logoutBtn: $("logout-btn"),
    userBox: $("user-box"),
    userName: $("user-name"),
    langToggle: $("lang-toggle"),
    notice: $("notice"),
    error: $("error"),
    uploadCard: $("upload-card"),
    fileInput: $("file-input"),
    dropZone: $("drop-zone"),
    preview: $("preview"),
    previewImg: $("preview-img"),
    boxes: $("boxes"),
    fileMeta: $("file-meta"),
    startBtn: $("start-btn"),
    reuploadBtn: $("reupload-btn"),
    cancelBtn: $("cancel-btn"),
    progress: $("progress"),
    progressTime: $("progress-time"),
    elapsed: $("elapsed"),
    servedBy: $("served-by"),
    resultEmpty: $("result-empty"),
    linesBlock: $("lines-block"),
    lineList: $("line-list"),
    qrBlock: $("qr-block"),
    qrList: $("qr-list"),
    resultText: $("result-text"),
    copyBtn: $("copy-btn"),
    downloadBtn: $("download-btn"),
    statusBody: $("status-body"),
    statusTable: $("status-view"),
    statusUpdated: $("status-updated"),
    statusUpdatedText: $("status-updated-text"),
    statusEvents: $("status-events")
  };

  const state = {
    user: null,
    file: null,
    fileName: "",
    objectUrl: null,
    busy: false,
    abort: null,
    progressTimer: null,
    result: null, // {data, servedBy, rttMs, requestId}
    error: null, // what #error shows: {err} or {key, params, hintKey}
    notice: null, // {key, params}
    noticeTimer: null,
    expiryTimer: null,
    cooldowns: new Map() // button -> {until, timer}
  };


  const status = window.StatusView.create({
    table: el.statusTable,
    updated: el.statusUpdated,
    updatedText: el.statusUpdatedText,
    events: el.statusEvents,
    canPoll: () => checkExpiryNow(),
    onAuthError: (code) => expireSession(code)
  });

  // ---------------------------------------------------------------- messages

  function renderError() {
    const box = el.error;
    box.textContent = "";
    box.classList.toggle("is-shown", !!state.error);
    if (!state.error) return;
    let message;
    let hint;
    if (state.error.err) {
      const d = Api.describe(state.error.err);
      message = d.message;
      hint = d.hint;
      box.dataset.code = d.code;
    } else {
      message = t(state.error.key, state.error.params);
      hint = state.error.hintKey ? t(state.error.hintKey, state.error.params) : "";
      box.dataset.code = state.error.code || "";
    }
    const p = document.createElement("p");
    p.className = "error-msg";
    p.textContent = message;
    box.appendChild(p);
    if (hint) {
      const h = document.createElement("p");
      h.className = "error-hint";
      h.textContent = hint;
      box.appendChild(h);
    }
  }

  /** Show an error: an ApiError, or {key, params, hintKey} from the strings. */
  function showError(what) {
    state.error = what instanceof Api.ApiError ? { err: what } : what;
    renderError();
    // Make sure it is seen: scroll up to it when it is above the viewport.
    const top = el.error.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight) el.error.scrollIntoView({ block: "nearest" });
  }

  function clearError() {
    if (!state.error) return;
    state.error = null;
    renderError();
  }

  function renderNotice() {
    el.notice.textContent = state.notice ? t(state.notice.key, state.notice.params) : "";
    el.notice.classList.toggle("is-shown", !!state.notice);
  }

  function showNotice(key, params, sticky) {
    clearTimeout(state.noticeTimer);
    state.notice = { key, params };
    renderNotice();
    if (!sticky) {
      state.noticeTimer = setTimeout(() => {
        state.notice = null;
        renderNotice();
      }, NOTICE_MS);
    }
  }

  function clearNotice() {
    clearTimeout(state.noticeTimer);
    state.notice = null;
    renderNotice();
  }

  // ------------------------------------------------------------ cooldowns

  /** Disable a button for `seconds`, showing a countdown after its label. */
  function cooldown(button, seconds) {
    if (!seconds) return;
    const prev = state.cooldowns.get(button);
    if (prev) clearInterval(prev.timer);
    const until = Date.now() + seconds * 1000;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      const label = button.querySelector(".btn-label") || button;
      const base = t(label.getAttribute("data-i18n"));
      if (left <= 0) {
        clearInterval(entry.timer);
        state.cooldowns.delete(button);
        label.textContent = base;
        button.disabled = button === el.loginBtn ? el.authForm.getAttribute("aria-busy") === "true" : false;
        updateButtons();
        return;
      }
      label.textContent = base + " (" + left + ")";
      button.disabled = true;
    };
    const entry = { until, timer: setInterval(tick, 250) };
    state.cooldowns.set(button, entry);
    tick();
  }

  const coolingDown = (button) => state.cooldowns.has(button);

  // ------------------------------------------------------------- auth

  function setAuthBusy(busyKey) {
    const busy = !!busyKey;
    el.loginBtn.disabled = busy || coolingDown(el.loginBtn);
    el.registerBtn.disabled = busy;
    el.authForm.setAttribute("aria-busy", String(busy));
    if (busy) showNotice(busyKey, null, true);
  }

  function markInvalid(input, invalid) {
    if (invalid) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function readCredentials() {
    const username = el.username.value.trim();
    const password = el.password.value;
    markInvalid(el.username, !username);
    markInvalid(el.password, !password);
    if (!username || !password) {
      showError({ key: "auth.missing_fields", code: "missing_fields" });
      (username ? el.password : el.username).focus();
      return null;
    }
    return { username, password };
  }

  /** Point at the field an auth error is about. */
  function focusForAuthError(err) {
    const onName = ["username_taken", "invalid_username"].indexOf(err.code) >= 0;
    const onPassword = ["weak_password", "invalid_credentials"].indexOf(err.code) >= 0;
    markInvalid(el.username, onName || err.code === "invalid_credentials");
    markInvalid(el.password, onPassword);
    if (onName) el.username.focus();
    else if (onPassword) {
      el.password.focus();
      el.password.select();
    }
  }

  async function doLogin(creds) {
    const tokenInfo = await Api.login(creds.username, creds.password);
    Api.session.save(tokenInfo.access_token, creds.username);
    el.password.value = "";
    enterApp(creds.username, true);
  }

  async function onLogin(event) {
    event.preventDefault();
    if (coolingDown(el.loginBtn)) return;
    const creds = readCredentials();
    if (!creds) return;
    clearError();
    setAuthBusy("auth.logging_in");
    try {
      await doLogin(creds);
    } catch (err) {
      handleAuthFailure(err);
    } finally {
      setAuthBusy(null);
    }
  }

  async function onRegister() {
    const creds = readCredentials();
    if (!creds) return;
    clearError();
    setAuthBusy("auth.registering");
    try {
      await Api.register(creds.username, creds.password);
      showNotice("auth.registered", { name: creds.username }, true);
      await doLogin(creds);
    } catch (err) {
      handleAuthFailure(err);
    } finally {
      setAuthBusy(null);
    }
  }

  function handleAuthFailure(err) {
    clearNotice();
    if (!(err instanceof Api.ApiError)) err = new Api.ApiError(0, "network_error");
    showError(err);
    focusForAuthError(err);
    if (err.code === "too_many_attempts" || err.status === 429) cooldown(el.loginBtn, err.retryAfter || 5);
  }

  function enterApp(username, justLoggedIn) {
    state.user = username || Api.session.user || "";
    el.userName.textContent = state.user;
    el.userBox.hidden = !state.user;
    el.logoutBtn.hidden = false;
    el.authView.hidden = true;
    el.appView.hidden = false;
    scheduleExpiry();
    status.start();
    if (justLoggedIn) {
      clearError();
      showNotice("auth.logged_in", { name: state.user });
      el.dropZone.focus();
    }
  }

  function showLogin() {
    status.stop();
    cancelRecognition(true);
    resetWorkspace();
    clearTimeout(state.expiryTimer);
    state.user = null;
    el.userBox.hidden = true;
    el.logoutBtn.hidden = true;
    el.appView.hidden = true;
    el.authView.hidden = false;
    el.password.value = "";
    if (!el.username.value && Api.session.user) el.username.value = Api.session.user;
    (el.username.value ? el.password : el.username).focus();
  }

  function logout() {
    Api.session.clear();
    clearError();
    showLogin();
    showNotice("auth.logged_out");
  }

  /** The session is gone (expired, invalid): back to the login form, with the reason. */
  function expireSession(code) {
    const name = state.user || Api.session.user;
    Api.session.clear();
    if (name) el.username.value = name;
    showLogin();
    clearNotice();
    showError(new Api.ApiError(401, code || "token_expired"));
  }

  /** Leave on our own when the token's exp passes, rather than fail on the next click. */
  function scheduleExpiry() {
    clearTimeout(state.expiryTimer);
    const token = Api.token();
    const exp = token ? Api.tokenExpiry(token) : null;
    if (exp === null) return;
    const wait = exp - Date.now();
    if (wait <= 0) {
      expireSession("token_expired");
      return;
    }
    state.expiryTimer = setTimeout(() => expireSession("token_expired"), Math.min(wait, 2147483000));
  }

  function checkExpiryNow() {
    const token = Api.token();
    if (state.user && token && Api.tokenExpired(token)) {
      expireSession("token_expired");
      return false;
    }
    return true;
  }

  // ---------------------------------------------------------- file choice

  function looksLikeImage(file) {
    if (file.type) return file.type.startsWith("image/");
    return IMAGE_EXT.test(file.name || "");
  }

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(2) + " MB";
  }

  function setFile(file, name) {
    if (state.busy) return;
    const fileName = name || file.name || t("upload.pasted_name");
    if (!looksLikeImage(file)) {
      showError({
        key: "upload.not_image",
        params: { name: fileName },
        hintKey: "hints.unsupported_media_type",
        code: "not_image"
      });
      return;
    }
    clearError();
    clearResult();
    if (state.objectUrl) URL.revokeObjectURL(state.objectUrl);
    state.file = file;
    state.fileName = fileName;
    state.objectUrl = URL.createObjectURL(file);
    el.preview.classList.remove("is-broken");
    el.previewImg.src = state.objectUrl;
    el.previewImg.alt = t("upload.preview_alt", { name: fileName });
    el.preview.hidden = false;
    el.dropZone.hidden = true;
    renderFileMeta();
    updateButtons();
    showNotice("upload.selected", { name: fileName, size: formatSize(file.size) });
    el.startBtn.focus();
  }

  function renderFileMeta() {
    if (!state.file) {
      el.fileMeta.textContent = "";
      return;
    }
    const parts = [state.fileName, formatSize(state.file.size)];
    if (el.previewImg.naturalWidth) parts.push(el.previewImg.naturalWidth + " × " + el.previewImg.naturalHeight);
    else if (el.preview.classList.contains("is-broken")) parts.push(t("upload.no_preview"));
    el.fileMeta.textContent = parts.join(" · ");
  }

  function resetWorkspace() {
    clearResult();
    if (state.objectUrl) URL.revokeObjectURL(state.objectUrl);
    state.objectUrl = null;
    state.file = null;
    state.fileName = "";
    el.previewImg.removeAttribute("src");
    el.previewImg.alt = "";
    el.preview.classList.remove("is-broken");
    el.preview.hidden = true;
    el.dropZone.hidden = false;
    el.fileInput.value = "";
    renderFileMeta();
    updateButtons();
  }

  function openPicker() {
    if (state.busy) return;
    el.fileInput.value = "";
    el.fileInput.click();
  }

  function updateButtons() {
    const hasFile = !!state.file;
    if (!coolingDown(el.startBtn)) el.startBtn.disabled = !hasFile || state.busy;
    el.startBtn.setAttribute("aria-busy", String(state.busy));
    el.startBtn.classList.toggle("is-busy", state.busy);
    el.reuploadBtn.hidden = !hasFile;
    el.cancelBtn.hidden = !state.busy;
    const hasText = !!(state.result && state.result.data.text);
    el.copyBtn.disabled = !hasText;
    el.downloadBtn.disabled = !hasText;
  }

  // ----------------------------------------------------------- recognition

  async function startRecognition() {
    if (state.busy || coolingDown(el.startBtn)) return;
    if (!state.file) {
      showError({ key: "upload.no_file", code: "no_file" });
      return;
    }
    if (!checkExpiryNow()) return;
    clearError();
    clearResult();
    const ctrl = new AbortController();
    state.busy = true;
    state.abort = ctrl;
    updateButtons();
    showProgress(true);
    showNotice("upload.working", null, true);
    try {
      const result = await Api.ocr(state.file, state.fileName, ctrl.signal);
      state.result = result;
      renderResult();
      const n = (result.data.lines || []).length;
      showNotice(n ? "upload.done" : "upload.done_none", { n });
    } catch (err) {
      if (err && err.name === "AbortError") {
        if (!ctrl.signal.silent) showNotice("upload.cancelled");
      } else if (err instanceof Api.ApiError && err.isAuth()) {
        expireSession(err.code);
      } else {
        clearNotice();
        const e = err instanceof Api.ApiError ? err : new Api.ApiError(0, "network_error");
        showError(e);
        if (e.retryAfter) cooldown(el.startBtn, e.retryAfter);
      }
    } finally {
      state.busy = false;
      if (state.abort === ctrl) state.abort = null;
      showProgress(false);
      updateButtons();
    }
  }

  function cancelRecognition(silent) {
    if (state.abort) {
      if (silent) state.abort.signal.silent = true;
      state.abort.abort();
    }
  }

  function showProgress(on) {
    clearInterval(state.progressTimer);
    el.progress.hidden = !on;
    if (!on) return;
    const started = performance.now();
    const tick = () => {
      el.progressTime.textContent = t("upload.working_time", {
        s: ((performance.now() - started) / 1000).toFixed(1)
      });
    };
    tick();
    state.progressTimer = setInterval(tick, 100);
  }

  // ---------------------------------------------------------------- results

  function clearResult() {
    state.result = null;
    el.resultText.textContent = "";
    el.resultText.value = "";
    el.lineList.textContent = "";
    el.qrList.textContent = "";
    el.boxes.textContent = "";
    el.linesBlock.hidden = true;
    el.qrBlock.hidden = true;
    el.resultEmpty.hidden = false;
    el.resultEmpty.textContent = t("result.empty");
    el.elapsed.textContent = t("result.none");
    el.servedBy.textContent = t("result.none");
    el.servedBy.removeAttribute("title");
    updateButtons();
  }

  const SVG_NS = "http://www.w3.org/2000/svg";

  function pointsOf(box) {
    if (!Array.isArray(box)) return "";
    return box
      .filter((p) => Array.isArray(p) && p.length >= 2)
      .map((p) => Number(p[0]) + "," + Number(p[1]))
      .join(" ");
  }

  function renderResult() {
    const r = state.result;
    if (!r) return;
    const data = r.data;
    const lines = Array.isArray(data.lines) ? data.lines : [];
    const qrs = Array.isArray(data.qr_codes) ? data.qr_codes : [];
    const text = typeof data.text === "string" ? data.text : lines.map((l) => l.text).join("\n");
    data.text = text;

    // Full text: textContent keeps the DOM text in step for tests; value for the control.
    el.resultText.textContent = text;
    el.resultText.value = text;

    el.resultEmpty.hidden = !!(lines.length || qrs.length);
    el.resultEmpty.textContent = t("result.no_text");

    // Lines
    el.lineList.textContent = "";
    lines.forEach((line, i) => {
      const li = document.createElement("li");
      li.className = "line";
      li.tabIndex = 0;
      li.dataset.index = String(i);
      li.dataset.testid = "result-line";
      const no = document.createElement("span");
      no.className = "line-no";
      no.textContent = String(i + 1);
      no.setAttribute("aria-hidden", "true");
      const txt = document.createElement("span");
      txt.className = "line-text";
      txt.textContent = line.text;
      li.append(no, txt);
      if (typeof line.score === "number") {
        const sc = document.createElement("span");
        sc.className = "line-score";
        sc.textContent = Math.round(line.score * 100) + "%";
        sc.title = t("result.score");
        sc.setAttribute("aria-label", t("result.score") + " " + sc.textContent);
        li.appendChild(sc);
      }
      el.lineList.appendChild(li);
    });
    el.linesBlock.hidden = !lines.length;

    // QR codes
    el.qrList.textContent = "";
    qrs.forEach((qr) => {
      const li = document.createElement("li");
      li.textContent = qr.data;
      el.qrList.appendChild(li);
    });
    el.qrBlock.hidden = !qrs.length;

    // Boxes over the preview, in the image's own pixel coordinates.
    const w = (data.image && data.image.width) || el.previewImg.naturalWidth || 1;
    const h = (data.image && data.image.height) || el.previewImg.naturalHeight || 1;
    el.boxes.setAttribute("viewBox", "0 0 " + w + " " + h);
    el.boxes.textContent = "";
    lines.forEach((line, i) => {
      const pts = pointsOf(line.box);
      if (!pts) return;
      const poly = document.createElementNS(SVG_NS, "polygon");
      poly.setAttribute("points", pts);
      poly.setAttribute("class", "box");
      poly.setAttribute("data-index", String(i));
      const title = document.createElementNS(SVG_NS, "title");
      title.textContent = line.text;
      poly.appendChild(title);
      el.boxes.appendChild(poly);
    });
    qrs.forEach((qr) => {
      const pts = pointsOf(qr.box);
      if (!pts) return;
      const poly = document.createElementNS(SVG_NS, "polygon");
      poly.setAttribute("points", pts);
      poly.setAttribute("class", "box box-qr");
      el.boxes.appendChild(poly);
    });

    renderResultMeta();
    updateButtons();
  }

  function renderResultMeta() {
    const r = state.result;
    if (!r) return;
    const timings = r.data.timings_ms || {};
    const server = typeof timings.total === "number" ? Math.round(timings.total) : "?";
    el.elapsed.textContent = t("result.elapsed_value", { server, rtt: r.rttMs });
    const parts = [];
    if (typeof timings.queue === "number") parts.push("queue " + Math.round(timings.queue) + " ms");
    if (typeof timings.decode === "number") parts.push("decode " + Math.round(timings.decode) + " ms");
    if (typeof timings.ocr === "number") parts.push("ocr " + Math.round(timings.ocr) + " ms");
    el.elapsed.title = parts.join(" · ");
    el.servedBy.textContent = r.servedBy || t("result.none");
    el.servedBy.title = r.data.engine ? t("result.engine") + ": " + r.data.engine : "";
  }

  /** Highlight line i in the list and its box on the image (null clears). */
  function highlight(index, scrollList) {
    el.lineList.querySelectorAll(".line.is-active").forEach((n) => n.classList.remove("is-active"));
    el.boxes.querySelectorAll(".box.is-active").forEach((n) => n.classList.remove("is-active"));
    if (index === null || index === undefined) return;
    const li = el.lineList.querySelector('.line[data-index="' + index + '"]');
    const poly = el.boxes.querySelector('.box[data-index="' + index + '"]');
    if (li) {
      li.classList.add("is-active");
      if (scrollList) {
        const list = el.lineList;
        if (li.offsetTop < list.scrollTop) list.scrollTop = li.offsetTop;
        else if (li.offsetTop + li.offsetHeight > list.scrollTop + list.clientHeight) {
          list.scrollTop = li.offsetTop + li.offsetHeight - list.clientHeight;
        }
      }
    }
    if (poly) {
      poly.classList.add("is-active");
      poly.parentNode.appendChild(poly); // draw on top
    }
  }

  function indexFrom(target) {
    const node = target && target.closest ? target.closest("[data-index]") : null;
    return node ? node.getAttribute("data-index") : null;
  }

  async function copyText() {
    const text = el.resultText.value;
    if (!text) return;
    try {
      if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard api");
      await navigator.clipboard.writeText(text);
      showNotice("result.copied");
    } catch (e) {
      el.resultText.focus();
      el.resultText.select();
      let ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e2) {
        ok = false;
      }
      showNotice(ok ? "result.copied" : "result.copy_failed");
    }
  }

  function downloadText() {
    const r = state.result;
    if (!r || !r.data.text) return;
    const base = (state.fileName || "").replace(/\.[^.]+$/, "").replace(/[^\w\u4e00-\u9fff.-]+/g, "_");
    const name = "ocr-" + (base || r.requestId || Date.now()) + ".txt";
    const blob = new Blob([r.data.text], { type: "text/plain;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    showNotice("result.downloaded", { name });
  }

  // -------------------------------------------------------------- wiring

  function onLanguageChange() {
    renderError();
    renderNotice();
    if (state.file) el.previewImg.alt = t("upload.preview_alt", { name: state.fileName });
    renderFileMeta();
    if (state.result) renderResult();
    else clearResult();
    status.render();
    status.renderEvents();
    el.showPassword.textContent = t(el.password.type === "password" ? "auth.show_password" : "auth.hide_password");
  }

  function wire() {
    el.langToggle.addEventListener("click", () => I18N.toggle());
    I18N.onChange(onLanguageChange);

    el.authForm.addEventListener("submit", onLogin);
    el.registerBtn.addEventListener("click", onRegister);
    el.logoutBtn.addEventListener("click", logout);
    [el.username, el.password].forEach((input) =>
      input.addEventListener("input", () => markInvalid(input, false))
    );
    el.showPassword.addEventListener("click", () => {
      const show = el.password.type === "password";
      el.password.type = show ? "text" : "password";
      el.showPassword.setAttribute("aria-pressed", String(show));
      el.showPassword.textContent = t(show ? "auth.hide_password" : "auth.show_password");
    });

    // File picker, drop zone (click / Enter / Space), drag and drop, paste.
    el.fileInput.addEventListener("change", () => {
      const f = el.fileInput.files && el.fileInput.files[0];
      if (f) setFile(f);
    });
    el.dropZone.addEventListener("click", openPicker);
    el.dropZone.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " " || e.key === "Spacebar") {
        e.preventDefault();
        openPicker();
      }
    });

    let dragDepth = 0;
    const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).indexOf("Files") >= 0;
    el.uploadCard.addEventListener("dragenter", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      dragDepth += 1;
      el.uploadCard.classList.add("is-dragging");
    });
    el.uploadCard.addEventListener("dragover", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = state.busy ? "none" : "copy";
    });
    el.uploadCard.addEventListener("dragleave", () => {
      dragDepth = Math.max(0, dragDepth - 1);
      if (!dragDepth) el.uploadCard.classList.remove("is-dragging");
    });
    el.uploadCard.addEventListener("drop", (e) => {
      e.preventDefault();
      dragDepth = 0;
      el.uploadCard.classList.remove("is-dragging");
      const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
      if (f) setFile(f);
    });
    // A file dropped elsewhere must not navigate away from the page.
    window.addEventListener("dragover", (e) => { if (hasFiles(e)) e.preventDefault(); });
    window.addEventListener("drop", (e) => { if (hasFiles(e)) e.preventDefault(); });

    document.addEventListener("paste", (e) => {
      if (el.appView.hidden || state.busy || !e.clipboardData) return;
      const items = Array.from(e.clipboardData.items || []);
      const item = items.find((it) => it.kind === "file" && it.type.startsWith("image/"));
      if (!item) return;
      const f = item.getAsFile();
      if (!f) return;
      e.preventDefault();
      const ext = (item.type.split("/")[1] || "png").replace("jpeg", "jpg").replace(/[^a-z0-9]/g, "");
      const name = f.name && f.name !== "image." + ext && f.name !== "image.png" ? f.name : "clipboard-" + Date.now() + "." + ext;
      setFile(f, name);
    });

    el.previewImg.addEventListener("load", renderFileMeta);
    // A file the browser cannot draw (damaged, or a format it lacks): no broken-image icon,
    // say so under the name; the server still decides whether it can read it.
    el.previewImg.addEventListener("error", () => {
      if (!state.file || !el.previewImg.getAttribute("src")) return;
      el.preview.classList.add("is-broken");
      renderFileMeta();
    });
    el.startBtn.addEventListener("click", startRecognition);
    el.cancelBtn.addEventListener("click", () => cancelRecognition(false));
    el.reuploadBtn.addEventListener("click", () => {
      cancelRecognition(true);
      clearError();
      clearNotice();
      resetWorkspace();
      el.dropZone.focus();
      el.fileInput.click();
    });

    // Line <-> box highlighting, by mouse and by keyboard focus.
    el.lineList.addEventListener("mouseover", (e) => highlight(indexFrom(e.target)));
    el.lineList.addEventListener("mouseleave", () => highlight(null));
    el.lineList.addEventListener("focusin", (e) => highlight(indexFrom(e.target)));
    el.lineList.addEventListener("focusout", () => highlight(null));
    el.boxes.addEventListener("mouseover", (e) => {
      const i = indexFrom(e.target);
      if (i !== null) highlight(i, true);
    });
    el.boxes.addEventListener("mouseleave", () => highlight(null));

    el.copyBtn.addEventListener("click", copyText);
    el.downloadBtn.addEventListener("click", downloadText);

    document.addEventListener("visibilitychange", () => {
      if (!state.user) return;
      if (!checkExpiryNow()) return;
      status.onVisibilityChange();
    });
  }

  function init() {
    I18N.apply(document);
    wire();
    clearResult();
    status.renderEvents();

    const token = Api.token();
    if (!token) {
      showLogin();
      return;
    }
    if (Api.tokenExpired(token)) {
      const name = Api.session.user;
      Api.session.clear();
      if (name) el.username.value = name;
      showLogin();
      showError(new Api.ApiError(401, "token_expired"));
      return;
    }
    enterApp(Api.session.user, false);
    // Confirm the stored token with the server; a network hiccup keeps the session.
    Api.me().then(
      (me) => {
        if (me && me.username && state.user !== me.username) {
          state.user = me.username;
          el.userName.textContent = me.username;
          el.userBox.hidden = false;
        }
      },
      (err) => {
        if (err instanceof Api.ApiError && err.isAuth()) expireSession(err.code);
      }
    );
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
