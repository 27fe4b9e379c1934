/* OCR Mesh — one job's pages: each page's text, its boxes drawn to the page's size, the
 * instance that read it or the page's own error; download everything as .txt or JSON.
 */
import { getJob } from "./api.js";
import { drawing, pointsOf, polygon } from "./boxes.js";
import { el, node, safeName, saveFile } from "./dom.js";
import { onLangChange, t } from "./i18n.js";
import { showNotice } from "./notices.js";

let shown = null; // the job as GET /api/jobs/{id} answered it, pages included

/** The id of the job on show, or null. */
export const openJobId = () => (shown ? shown.id : null);

function pageText(page) {
  if (typeof page.text === "string") return page.text;
  return (Array.isArray(page.lines) ? page.lines : []).map((l) => l.text).join("\n");
}

function pageBoxes(page) {
  const lines = Array.isArray(page.lines) ? page.lines : [];
  const size = page.image || {};
  if (!lines.length || !size.width || !size.height) return null;
  const svg = drawing(size.width, size.height, "page-boxes");
  svg.dataset.testid = "page-boxes";
  lines.forEach((line, i) => {
    const pts = pointsOf(line.box);
    if (pts) svg.appendChild(polygon(pts, "box", i, line.text));
  });
  return svg;
}

function pageItem(page) {
  const li = node("li", undefined, "job-page");
  li.dataset.testid = "job-page";
  li.dataset.page = String(page.page);
  const head = node("h4", t("jobs.page", { n: page.page }), "job-page-title");
  li.appendChild(head);
  if (page.error) {
    li.classList.add("is-error");
    li.appendChild(node("p", page.error.message || page.error.code, "job-page-error"));
    return li;
  }
  if (page.instance) head.appendChild(node("span", t("jobs.read_by", { instance: page.instance }), "muted"));
  const boxes = pageBoxes(page);
  if (boxes) li.appendChild(boxes);
  const text = node("pre", pageText(page) || t("jobs.page_blank"), "job-page-text");
  text.dataset.testid = "job-page-text";
  li.appendChild(text);
  return li;
}

function render() {
  el.jobDetail.hidden = !shown;
  if (!shown) {
    el.jobPages.textContent = "";
    return;
  }
  el.jobDetailTitle.textContent = t("jobs.detail_title", {
    name: shown.name || shown.id,
    done: shown.pages_done,
    total: shown.pages_total,
  });
  el.jobPages.replaceChildren(...(shown.pages || []).map(pageItem));
  const any = (shown.pages || []).length > 0;
  el.jobTxt.disabled = !any;
  el.jobJson.disabled = !any;
}

/** Show a job's pages (fetched now). */
export async function openJob(job) {
  shown = await getJob(job.id);
  render();
  el.jobDetail.scrollIntoView({ block: "nearest" });
}

/** Fetch the job on show again when the list says more of its pages are done. */
export async function refreshOpenJob(summary) {
  if (!shown || summary.id !== shown.id) return;
  if (summary.pages_done === shown.pages_done && summary.state === shown.state) return;
  shown = await getJob(summary.id);
  render();
}

export function closeJob() {
  shown = null;
  render();
}

function baseName() {
  return "ocr-" + (safeName(shown.name || "") || shown.id);
}

function downloadText() {
  if (!shown) return;
  const body = (shown.pages || [])
    .map((p) => "--- " + t("jobs.page", { n: p.page }) + " ---\n" + (p.error ? "" : pageText(p)))
    .join("\n\n");
  const name = baseName() + ".txt";
  saveFile(name, new Blob([body + "\n"], { type: "text/plain;charset=utf-8" }));
  showNotice("result.downloaded", { name });
}

function downloadJson() {
  if (!shown) return;
  const name = baseName() + ".json";
  saveFile(name, new Blob([JSON.stringify(shown, null, 2)], { type: "application/json" }));
  showNotice("result.downloaded", { name });
}

export function initJobView() {
  el.jobTxt.addEventListener("click", downloadText);
  el.jobJson.addEventListener("click", downloadJson);
  onLangChange(render);
  render();
}
