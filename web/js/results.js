/* OCR Mesh — the result: lines with their scores, QR codes, the full text, boxes drawn over
 * the preview (highlighted with their line), timing and serving instance; copy and download.
 */
import { pointsOf, polygon } from "./boxes.js";
import { el, node, safeName, saveFile } from "./dom.js";
import { onLangChange, t } from "./i18n.js";
import { showNotice } from "./notices.js";

let result = null; // {data, servedBy, rttMs, requestId}
let fileName = "";

const hasText = () => !!(result && result.data.text);

function updateResultButtons() {
  el.copyBtn.disabled = !hasText();
  el.downloadBtn.disabled = !hasText();
}

export function clearResult() {
  result = null;
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
  updateResultButtons();
}


function lineItem(line, i) {
  const li = node("li", undefined, "line");
  li.tabIndex = 0;
  li.dataset.index = String(i);
  li.dataset.testid = "result-line";
  const no = node("span", String(i + 1), "line-no");
  no.setAttribute("aria-hidden", "true");
  li.append(no, node("span", line.text, "line-text"));
  if (typeof line.score === "number") {
    const sc = node("span", Math.round(line.score * 100) + "%", "line-score");
    sc.title = t("result.score");
    sc.setAttribute("aria-label", t("result.score") + " " + sc.textContent);
    li.appendChild(sc);
  }
  return li;
}


/** Show a recognition result for the image named name. */
export function showResult(answer, name) {
  result = answer;
  fileName = name || "";
  renderResult();
}

function renderResult() {
  const data = result.data;
  const lines = Array.isArray(data.lines) ? data.lines : [];
  const qrs = Array.isArray(data.qr_codes) ? data.qr_codes : [];
  const text = typeof data.text === "string" ? data.text : lines.map((l) => l.text).join("\n");
  data.text = text;

  // Full text: textContent keeps the DOM text in step for tests; value for the control.
  el.resultText.textContent = text;
  el.resultText.value = text;
  el.resultEmpty.hidden = !!(lines.length || qrs.length);
  el.resultEmpty.textContent = t("result.no_text");

  el.lineList.replaceChildren(...lines.map(lineItem));
  el.linesBlock.hidden = !lines.length;
  el.qrList.replaceChildren(...qrs.map((qr) => node("li", qr.data)));
  el.qrBlock.hidden = !qrs.length;

  // Boxes over the preview, in the image's own pixel coordinates.
  const w = (data.image && data.image.width) || el.previewImg.naturalWidth || 1;
  const h = (data.image && data.image.height) || el.previewImg.naturalHeight || 1;
  el.boxes.setAttribute("viewBox", "0 0 " + w + " " + h);
  el.boxes.textContent = "";
  lines.forEach((line, i) => {
    const pts = pointsOf(line.box);
    if (pts) el.boxes.appendChild(polygon(pts, "box", i, line.text));
  });
  qrs.forEach((qr) => {
    const pts = pointsOf(qr.box);
    if (pts) el.boxes.appendChild(polygon(pts, "box box-qr"));
  });

  renderResultMeta();
  updateResultButtons();
}

function renderResultMeta() {
  const timings = result.data.timings_ms || {};
  const server = typeof timings.total === "number" ? Math.round(timings.total) : "?";
  el.elapsed.textContent = t("result.elapsed_value", { server, rtt: result.rttMs });
  el.elapsed.title = ["queue", "decode", "ocr"]
    .filter((k) => typeof timings[k] === "number")
    .map((k) => k + " " + Math.round(timings[k]) + " ms")
    .join(" · ");
  el.servedBy.textContent = result.servedBy || t("result.none");
  el.servedBy.title = result.data.engine ? t("result.engine") + ": " + result.data.engine : "";
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
    const list = el.lineList;
    if (scrollList && li.offsetTop < list.scrollTop) list.scrollTop = li.offsetTop;
    else if (scrollList && li.offsetTop + li.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = li.offsetTop + li.offsetHeight - list.clientHeight;
    }
  }
  if (poly) {
    poly.classList.add("is-active");
    poly.parentNode.appendChild(poly); // draw on top
  }
}

function indexFrom(target) {
  const found = target && target.closest ? target.closest("[data-index]") : null;
  return found ? found.getAttribute("data-index") : null;
}

async function copyText() {
  const text = el.resultText.value;
  if (!text) return;
  try {
    if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard api");
    await navigator.clipboard.writeText(text);
    showNotice("result.copied");
  } catch {
    el.resultText.focus();
    el.resultText.select();
    let ok;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    showNotice(ok ? "result.copied" : "result.copy_failed");
  }
}

function downloadText() {
  if (!hasText()) return;
  const name = "ocr-" + (safeName(fileName) || result.requestId || Date.now()) + ".txt";
  saveFile(name, new Blob([result.data.text], { type: "text/plain;charset=utf-8" }));
  showNotice("result.downloaded", { name });
}

export function initResults() {
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
  onLangChange(() => (result ? renderResult() : clearResult()));
  clearResult();
}
