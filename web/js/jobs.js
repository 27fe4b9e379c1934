/* OCR Mesh — documents and batches as jobs: choose a PDF, a TIFF or several images, submit,
 * follow each job's progress bar, cancel it, open its pages (job-view.js). The list comes
 * from the server (GET /api/jobs), so the user's recent jobs are back after a reload.
 */
import { asApiError, cancelJob, listJobs, submitJob } from "./api.js";
import { checkExpiryNow, expireSession } from "./auth.js";
import { el, node } from "./dom.js";
import { onLangChange, t } from "./i18n.js";
import { clearError, showError, showNotice } from "./notices.js";
import { closeJob, openJob, openJobId, refreshOpenJob } from "./job-view.js";

const POLL_MS = 1000;
const PENDING = ["queued", "running"];
const DOCUMENT_EXT = /\.(pdf|tiff?|png|jpe?g|jfif|gif|bmp|dib|webp|pbm|pgm|ppm|pnm|jp2)$/i;

const state = { files: [], jobs: [], timer: null, active: false, busy: false };

const pending = (job) => PENDING.includes(job.state);

function looksLikeDocument(file) {
  const type = file.type || "";
  return type === "application/pdf" || type.startsWith("image/") || DOCUMENT_EXT.test(file.name || "");
}

function updateButtons() {
  el.jobSubmit.disabled = !state.files.length || state.busy;
  el.jobSubmit.setAttribute("aria-busy", String(state.busy));
}

function chooseFiles(files) {
  const list = Array.from(files || []);
  const bad = list.find((f) => !looksLikeDocument(f));
  if (bad) {
    showError({ key: "jobs.not_document", params: { name: bad.name }, code: "unsupported_media_type" });
    state.files = [];
  } else {
    clearError();
    state.files = list;
  }
  el.jobChosen.textContent = state.files.length
    ? t("jobs.chosen", { n: state.files.length, names: state.files.map((f) => f.name).join(", ") })
    : "";
  updateButtons();
}

function failed(thrown) {
  if (asApiError(thrown).isAuth()) {
    expireSession(thrown.code);
    return;
  }
  showError(asApiError(thrown));
}

async function submit() {
  if (!state.files.length || state.busy || !checkExpiryNow()) return;
  state.busy = true;
  updateButtons();
  try {
    const job = await submitJob(state.files);
    showNotice("jobs.submitted", { name: job.name || job.id, n: job.pages_total });
    state.files = [];
    el.jobFiles.value = "";
    el.jobChosen.textContent = "";
    state.jobs = [job, ...state.jobs.filter((j) => j.id !== job.id)];
    renderList();
    schedule();
  } catch (thrown) {
    failed(thrown);
  } finally {
    state.busy = false;
    updateButtons();
  }
}

function jobRow(job) {
  const li = node("li", undefined, "job-row");
  li.dataset.testid = "job-row";
  li.dataset.jobId = job.id;
  li.dataset.state = job.state;
  const name = node("span", job.name || job.id, "job-name");
  const stateText = node("span", t("jobs.state." + job.state), "job-state state-" + job.state);
  const bar = node("progress", undefined, "job-progress");
  bar.dataset.testid = "job-progress";
  bar.max = Math.max(1, job.pages_total);
  bar.value = job.pages_done;
  bar.setAttribute("aria-label", t("jobs.progress_label", { name: job.name || job.id }));
  const count = node("span", job.pages_done + " / " + job.pages_total, "job-count");
  count.dataset.testid = "job-count";
  const open = node("button", t("jobs.open"), "btn btn-secondary btn-sm");
  open.type = "button";
  open.dataset.testid = "job-open";
  open.addEventListener("click", () => openJob(job).catch(failed));
  li.append(name, stateText, bar, count, open);
  if (pending(job)) {
    const cancel = node("button", t("jobs.cancel"), "btn btn-ghost btn-sm");
    cancel.type = "button";
    cancel.dataset.testid = "job-cancel";
    cancel.addEventListener("click", () => cancelOne(job));
    li.appendChild(cancel);
  }
  return li;
}

async function cancelOne(job) {
  try {
    await cancelJob(job.id);
    showNotice("jobs.cancelled", { name: job.name || job.id });
    await refresh();
  } catch (thrown) {
    failed(thrown);
  }
}

function renderList() {
  el.jobList.replaceChildren(...state.jobs.map(jobRow));
  el.jobsEmpty.hidden = state.jobs.length > 0;
}

async function refresh() {
  if (!state.active || !checkExpiryNow()) return;
  try {
    state.jobs = await listJobs();
    renderList();
    const open = state.jobs.find((j) => j.id === openJobId());
    if (open) await refreshOpenJob(open);
  } catch (thrown) {
    failed(thrown);
  }
}

/** Poll while a job is still queued or running; stop when all have ended. */
function schedule() {
  clearTimeout(state.timer);
  if (!state.active || !state.jobs.some(pending)) return;
  state.timer = setTimeout(async () => {
    await refresh();
    schedule();
  }, POLL_MS);
}

/** After login: the user's recent jobs, followed while any runs. */
export async function startJobs() {
  state.active = true;
  await refresh();
  schedule();
}

/** After logout: stop polling and forget what was shown. */
export function stopJobs() {
  state.active = false;
  clearTimeout(state.timer);
  state.jobs = [];
  state.files = [];
  el.jobFiles.value = "";
  el.jobChosen.textContent = "";
  renderList();
  closeJob();
  updateButtons();
}

export function initJobs() {
  el.jobChoose.addEventListener("click", () => {
    el.jobFiles.value = "";
    el.jobFiles.click();
  });
  el.jobFiles.addEventListener("change", () => chooseFiles(el.jobFiles.files));
  el.jobSubmit.addEventListener("click", submit);
  onLangChange(renderList);
  renderList();
  updateButtons();
}
