/* OCR Mesh — the two live regions: #notice (polite progress and success) and #error
 * (assertive, with a hint), plus the countdown that keeps a button disabled after a 429.
 */
import { ApiError, describe } from "./api.js";
import { el, node } from "./dom.js";
import { onLangChange, t } from "./i18n.js";

const NOTICE_MS = 8000;

let error = null; // what #error shows: {err} or {key, params, hintKey, code}
let notice = null; // {key, params}
let noticeTimer = null;
const cooldowns = new Map(); // button -> interval id

function renderError() {
  const box = el.error;
  box.textContent = "";
  box.classList.toggle("is-shown", !!error);
  if (!error) return;
  let message;
  let hint;
  if (error.err) {
    let code;
    ({ message, hint, code } = describe(error.err));
    box.dataset.code = code;
  } else {
    message = t(error.key, error.params);
    hint = error.hintKey ? t(error.hintKey, error.params) : "";
    box.dataset.code = error.code || "";
  }
  box.appendChild(node("p", message, "error-msg"));
  if (hint) box.appendChild(node("p", hint, "error-hint"));
}

/** Show an error: an ApiError, or {key, params, hintKey, code} from the strings. */
export function showError(what) {
  error = what instanceof ApiError ? { err: what } : what;
  renderError();
  // Make sure it is seen: scroll up to it when it is outside the viewport.
  const top = el.error.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight) el.error.scrollIntoView({ block: "nearest" });
}

export function clearError() {
  if (!error) return;
  error = null;
  renderError();
}

function renderNotice() {
  el.notice.textContent = notice ? t(notice.key, notice.params) : "";
  el.notice.classList.toggle("is-shown", !!notice);
}

/** Say something politely; it goes away after a while unless sticky. */
export function showNotice(key, params, sticky = false) {
  clearTimeout(noticeTimer);
  notice = { key, params };
  renderNotice();
  if (!sticky) noticeTimer = setTimeout(clearNotice, NOTICE_MS);
}

export function clearNotice() {
  clearTimeout(noticeTimer);
  notice = null;
  renderNotice();
}

/**
 * Disable a button for `seconds`, with a countdown after its label; at the end the button is
 * enabled again and onDone() may correct that (for example while a form is still busy).
 */
export function cooldown(button, seconds, onDone) {
  if (!seconds) return;
  clearInterval(cooldowns.get(button));
  const until = Date.now() + seconds * 1000;
  const label = button.querySelector(".btn-label") || button;
  const tick = () => {
    const left = Math.ceil((until - Date.now()) / 1000);
    const base = t(label.getAttribute("data-i18n"));
    if (left <= 0) {
      clearInterval(cooldowns.get(button));
      cooldowns.delete(button);
      label.textContent = base;
      button.disabled = false;
      if (onDone) onDone();
      return;
    }
    label.textContent = base + " (" + left + ")";
    button.disabled = true;
  };
  cooldowns.set(button, setInterval(tick, 250));
  tick();
}

export const coolingDown = (button) => cooldowns.has(button);

onLangChange(() => {
  renderError();
  renderNotice();
});
