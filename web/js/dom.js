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
};

/** A new element: node("span", "text", "class names"); text and class are optional. */
export function node(tag, text, className) {
  const n = document.createElement(tag);
  if (text !== undefined) n.textContent = text;
  if (className) n.className = className;
  return n;
}
