/* OCR Mesh — logging in and out: the form (log in or register), entering the workspace,
 * and leaving it on logout or when the token expires or is refused.
 */
import { ApiError, asApiError, login, register } from "./api.js";
import { el } from "./dom.js";
import { onLangChange, t } from "./i18n.js";
import { clearError, clearNotice, coolingDown, cooldown, showError, showNotice } from "./notices.js";
import { clearSession, currentToken, rememberedUser, saveSession, tokenExpired, tokenExpiry } from "./session.js";

let user = null;
let expiryTimer = null;
// What the rest of the page does when the workspace opens or closes (set by initAuth).
let hooks = { onEnter() {}, onLeave() {} };

/** The user name while logged in, else null. */
export const currentUser = () => user;

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
  const onName = ["username_taken", "invalid_username"].includes(err.code);
  const onPassword = ["weak_password", "invalid_credentials"].includes(err.code);
  markInvalid(el.username, onName || err.code === "invalid_credentials");
  markInvalid(el.password, onPassword);
  if (onName) el.username.focus();
  else if (onPassword) {
    el.password.focus();
    el.password.select();
  }
}

async function doLogin(creds) {
  const answer = await login(creds.username, creds.password);
  saveSession(answer.access_token, creds.username);
  el.password.value = "";
  enterApp(creds.username);
}

function handleAuthFailure(thrown) {
  clearNotice();
  const err = asApiError(thrown);
  showError(err);
  focusForAuthError(err);
  if (err.code === "too_many_attempts" || err.status === 429) {
    cooldown(el.loginBtn, err.retryAfter || 5, () => {
      el.loginBtn.disabled = el.authForm.getAttribute("aria-busy") === "true";
    });
  }
}

/** Run one form action (log in, or register then log in) with the form marked busy. */
async function submit(busyKey, action) {
  const creds = readCredentials();
  if (!creds) return;
  clearError();
  setAuthBusy(busyKey);
  try {
    await action(creds);
  } catch (err) {
    handleAuthFailure(err);
  } finally {
    setAuthBusy(null);
  }
}

function onLogin(event) {
  event.preventDefault();
  if (coolingDown(el.loginBtn)) return;
  submit("auth.logging_in", doLogin);
}

function onRegister() {
  submit("auth.registering", async (creds) => {
    await register(creds.username, creds.password);
    showNotice("auth.registered", { name: creds.username }, true);
    await doLogin(creds);
  });
}

function enterApp(username) {
  user = username;
  el.userName.textContent = user;
  el.userBox.hidden = !user;
  el.logoutBtn.hidden = false;
  el.authView.hidden = true;
  el.appView.hidden = false;
  scheduleExpiry();
  hooks.onEnter();
  clearError();
  showNotice("auth.logged_in", { name: user });
  el.dropZone.focus();
}

/** Show the login form (the workspace is closed and cleared). */
export function showLogin() {
  hooks.onLeave();
  clearTimeout(expiryTimer);
  user = null;
  el.userBox.hidden = true;
  el.logoutBtn.hidden = true;
  el.appView.hidden = true;
  el.authView.hidden = false;
  el.password.value = "";
  if (!el.username.value) el.username.value = rememberedUser();
  (el.username.value ? el.password : el.username).focus();
}

function logout() {
  clearSession();
  clearError();
  showLogin();
  showNotice("auth.logged_out");
}

/** The session is gone (expired, invalid): back to the login form, with the reason. */
export function expireSession(code = "token_expired") {
  const name = user || rememberedUser();
  clearSession();
  if (name) el.username.value = name;
  showLogin();
  clearNotice();
  showError(new ApiError(401, code));
}

/** Leave on our own when the token's exp passes, rather than fail on the next click. */
function scheduleExpiry() {
  clearTimeout(expiryTimer);
  const token = currentToken();
  const exp = token ? tokenExpiry(token) : null;
  if (exp === null) return;
  const wait = exp - Date.now();
  if (wait <= 0) expireSession("token_expired");
  else expiryTimer = setTimeout(() => expireSession("token_expired"), Math.min(wait, 2147483000));
}

/** False (and back to the login form) when the token has expired meanwhile. */
export function checkExpiryNow() {
  const token = currentToken();
  if (user && token && tokenExpired(token)) {
    expireSession("token_expired");
    return false;
  }
  return true;
}

function togglePassword() {
  const show = el.password.type === "password";
  el.password.type = show ? "text" : "password";
  el.showPassword.setAttribute("aria-pressed", String(show));
  el.showPassword.textContent = t(show ? "auth.hide_password" : "auth.show_password");
}

/** Wire the form; onEnter/onLeave open and close the rest of the workspace. */
export function initAuth({ onEnter, onLeave }) {
  hooks = { onEnter, onLeave };
  el.authForm.addEventListener("submit", onLogin);
  el.registerBtn.addEventListener("click", onRegister);
  el.logoutBtn.addEventListener("click", logout);
  [el.username, el.password].forEach((input) => input.addEventListener("input", () => markInvalid(input, false)));
  el.showPassword.addEventListener("click", togglePassword);
  onLangChange(() => {
    el.showPassword.textContent = t(el.password.type === "password" ? "auth.show_password" : "auth.hide_password");
  });
}
