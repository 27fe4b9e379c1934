/* OCR Mesh — the page's elements by role, and a small element builder. */

const $ = (id) => document.getElementById(id);

// Module scripts run after the document is parsed, so every element exists here.
export const el = {
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
  statusTable: $("status-view"),
  statusUpdated: $("status-updated"),
  statusUpdatedText: $("status-updated-text"),
  statusEvents: $("status-events"),
  monitorWindow: $("monitor-window"),
  monitorUpdated: $("monitor-updated"),
  monitorUpdatedText: $("monitor-updated-text"),
  monitorOff: $("monitor-off"),
  monitorAlerts: $("monitor-alerts"),
  monitorCharts: $("monitor-charts"),
  monitorLegend: $("monitor-legend"),
  jobFiles: $("job-files"),
  jobChoose: $("job-choose"),
  jobChosen: $("job-chosen"),
  jobSubmit: $("job-submit"),
  jobList: $("job-list"),
  jobsEmpty: $("jobs-empty"),
  jobDetail: $("job-detail"),
  jobDetailTitle: $("job-detail-title"),
  jobPages: $("job-pages"),
  jobTxt: $("job-txt"),
  jobJson: $("job-json"),
};

/** A new element: node("span", "text", "class names"); text and class are optional. */
export function node(tag, text, className) {
  const n = document.createElement(tag);
  if (text !== undefined) n.textContent = text;
  if (className) n.className = className;
  return n;
}

/** Offer blob to the user as a file called name (a temporary link, clicked and removed). */
export function saveFile(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** A file name made of safe characters (letters, digits, CJK, dot, hyphen). */
export const safeName = (text) => text.replace(/\.[^.]+$/, "").replace(/[^\w\u4e00-\u9fff.-]+/g, "_");
