/* OCR Mesh — choosing an image (picker, drop zone, drag and drop, paste), its preview, and
 * one recognition request at a time with progress, cancel and the answer handed to results.
 */
import { asApiError, recognise } from "./api.js";
import { checkExpiryNow, expireSession } from "./auth.js";
import { el } from "./dom.js";
import { onLangChange, t } from "./i18n.js";
import { clearError, clearNotice, coolingDown, cooldown, showError, showNotice } from "./notices.js";
import { clearResult, showResult } from "./results.js";

const IMAGE_EXT = /\.(png|jpe?g|jfif|gif|bmp|dib|webp|tiff?|pbm|pgm|ppm|pnm|jp2|ico)$/i;

const state = {
  file: null,
  fileName: "",
  objectUrl: null,
  busy: false,
  abort: null, // the AbortController of the request in flight (.silent: no "cancelled" notice)
  progressTimer: null,
};

function looksLikeImage(file) {
  if (file.type) return file.type.startsWith("image/");
  return IMAGE_EXT.test(file.name || "");
}

function formatSize(bytes) {
  if (bytes < 1024) return bytes + " B";
  if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
  return (bytes / 1024 / 1024).toFixed(2) + " MB";
}

function updateButtons() {
  if (!coolingDown(el.startBtn)) el.startBtn.disabled = !state.file || state.busy;
  el.startBtn.setAttribute("aria-busy", String(state.busy));
  el.startBtn.classList.toggle("is-busy", state.busy);
  el.reuploadBtn.hidden = !state.file;
  el.cancelBtn.hidden = !state.busy;
}

function setFile(file, name) {
  if (state.busy) return;
  const fileName = name || file.name || t("upload.pasted_name");
  if (!looksLikeImage(file)) {
    showError({ key: "upload.not_image", params: { name: fileName }, hintKey: "hints.unsupported_media_type", code: "not_image" });
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

/** Forget the image and its result; show the drop zone again. */
export function resetWorkspace() {
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

function showProgress(on) {
  clearInterval(state.progressTimer);
  el.progress.hidden = !on;
  if (!on) return;
  const started = performance.now();
  const tick = () => {
    el.progressTime.textContent = t("upload.working_time", { s: ((performance.now() - started) / 1000).toFixed(1) });
  };
  tick();
  state.progressTimer = setInterval(tick, 100);
}

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
    const answer = await recognise(state.file, state.fileName, ctrl.signal);
    showResult(answer, state.fileName);
    const n = (answer.data.lines || []).length;
    showNotice(n ? "upload.done" : "upload.done_none", { n });
  } catch (thrown) {
    if (thrown && thrown.name === "AbortError") {
      if (!ctrl.silent) showNotice("upload.cancelled");
    } else if (asApiError(thrown).isAuth()) {
      expireSession(thrown.code);
    } else {
      clearNotice();
      const err = asApiError(thrown);
      showError(err);
      if (err.retryAfter) cooldown(el.startBtn, err.retryAfter, updateButtons);
    }
  } finally {
    state.busy = false;
    if (state.abort === ctrl) state.abort = null;
    showProgress(false);
    updateButtons();
  }
}

/** Abort the request in flight, if any; silent: without the "cancelled" notice. */
export function cancelRecognition(silent) {
  if (!state.abort) return;
  state.abort.silent = !!silent;
  state.abort.abort();
}

function wireDragAndDrop() {
  let dragDepth = 0;
  const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files");
  const card = el.uploadCard;
  card.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth += 1;
    card.classList.add("is-dragging");
  });
  card.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = state.busy ? "none" : "copy";
  });
  card.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) card.classList.remove("is-dragging");
  });
  card.addEventListener("drop", (e) => {
    e.preventDefault();
    dragDepth = 0;
    card.classList.remove("is-dragging");
    const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (f) setFile(f);
  });
  // A file dropped elsewhere must not navigate away from the page.
  window.addEventListener("dragover", (e) => { if (hasFiles(e)) e.preventDefault(); });
  window.addEventListener("drop", (e) => { if (hasFiles(e)) e.preventDefault(); });
}

function onPaste(e) {
  if (el.appView.hidden || state.busy || !e.clipboardData) return;
  const items = Array.from(e.clipboardData.items || []);
  const item = items.find((it) => it.kind === "file" && it.type.startsWith("image/"));
  const f = item && item.getAsFile();
  if (!f) return;
  e.preventDefault();
  const ext = (item.type.split("/")[1] || "png").replace("jpeg", "jpg").replace(/[^a-z0-9]/g, "");
  const generic = !f.name || f.name === "image." + ext || f.name === "image.png";
  setFile(f, generic ? "clipboard-" + Date.now() + "." + ext : f.name);
}

export function initUpload() {
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
  wireDragAndDrop();
  document.addEventListener("paste", onPaste);

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
  onLangChange(() => {
    if (state.file) el.previewImg.alt = t("upload.preview_alt", { name: state.fileName });
    renderFileMeta();
  });
  updateButtons();
}
