/* OCR Mesh — a tiny translator over the string tables (Chinese default, English).
 *
 *   t("upload.start")              -> "开始识别"
 *   t("errors.retry_in", { s: 5 }) -> "请 5 秒后再试。"
 *   applyTo(document)              -> fills [data-i18n], [data-i18n-placeholder],
 *                                     [data-i18n-aria-label], [data-i18n-title]
 */
import zh from "./strings-zh.js";
import en from "./strings-en.js";

const STORAGE_KEY = "ocrmesh.lang";
const STRINGS = { zh, en };
const hasOwn = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
const listeners = [];

function storedLang() {
  try {
    const v = window.localStorage.getItem(STORAGE_KEY);
    return hasOwn(STRINGS, v) ? v : null;
  } catch {
    return null;
  }
}

let current = storedLang() || "zh";

/** The language shown now: "zh" or "en". */
export const lang = () => current;

export const has = (key) => hasOwn(STRINGS[current], key);

/** Translate key, replacing {name} placeholders from params. Unknown key -> key. */
export function t(key, params) {
  const table = STRINGS[current];
  let s = hasOwn(table, key) ? table[key] : STRINGS.zh[key];
  if (s === undefined) return key;
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, name) => (hasOwn(params, name) ? String(params[name]) : m));
  }
  return s;
}

const ATTRS = [
  ["data-i18n", (el, v) => { el.textContent = v; }],
  ["data-i18n-placeholder", (el, v) => el.setAttribute("placeholder", v)],
  ["data-i18n-aria-label", (el, v) => el.setAttribute("aria-label", v)],
  ["data-i18n-title", (el, v) => el.setAttribute("title", v)],
];

/** Fill every element carrying data-i18n* attributes below root. */
export function applyTo(root = document) {
  ATTRS.forEach(([attr, set]) => {
    root.querySelectorAll("[" + attr + "]").forEach((el) => set(el, t(el.getAttribute(attr))));
  });
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  document.title = t("app.title");
}

export function setLang(next) {
  if (!hasOwn(STRINGS, next)) return;
  current = next;
  try {
    window.localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* private mode: not remembered, still switched */
  }
  applyTo(document);
  listeners.forEach((fn) => fn(next));
}

export const toggleLang = () => setLang(current === "zh" ? "en" : "zh");

/** Call fn(lang) after every language switch (the static text is already swapped). */
export const onLangChange = (fn) => listeners.push(fn);

/** Locale-aware time, e.g. 14:03:07. */
export function time(date) {
  try {
    return date.toLocaleTimeString(current === "zh" ? "zh-CN" : "en-GB", { hour12: false });
  } catch {
    return date.toISOString().slice(11, 19);
  }
}
