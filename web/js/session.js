/* OCR Mesh — the session: the access token and who it belongs to.
 *
 * The token lives only in this module's variable, never in sessionStorage or localStorage,
 * so a script injected into the page cannot read it from storage; the price is that a reload
 * asks to log in again. Only the user name (not a secret, it is shown on the page) is kept in
 * sessionStorage, to fill the login form after a reload.
 */

const USER_KEY = "ocrmesh.user";
const LEGACY_TOKEN_KEY = "ocrmesh.token"; // where older versions of the page kept the token

let token = null;

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the name is not remembered
  }
}

// A token an older version of the page left behind must not stay readable.
storage()?.removeItem(LEGACY_TOKEN_KEY);

/** The access token, or null when logged out. */
export const currentToken = () => token;

/** The user name of this tab's session (remembered across reloads for the login form). */
export const rememberedUser = () => storage()?.getItem(USER_KEY) || "";

export function saveSession(accessToken, user) {
  token = accessToken;
  if (user) storage()?.setItem(USER_KEY, user);
}

export function clearSession() {
  token = null;
  storage()?.removeItem(USER_KEY);
}

/** The JWT payload (claims) or null; no signature check, only for exp display. */
export function decodeJwt(jwt) {
  try {
    const part = String(jwt).split(".")[1];
    if (!part) return null;
    let b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** Epoch milliseconds when the token expires, or null when it carries no exp. */
export function tokenExpiry(jwt) {
  const claims = decodeJwt(jwt);
  return claims && typeof claims.exp === "number" ? claims.exp * 1000 : null;
}

export function tokenExpired(jwt, skewMs = 0) {
  const exp = tokenExpiry(jwt);
  return exp !== null && Date.now() + skewMs >= exp;
}
