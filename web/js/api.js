/* OCR Mesh — talking to the gateway: fetch wrappers and error mapping.
 *
 * Every failure becomes an ApiError {status, code, serverMessage, retryAfter}; the UI turns
 * it into words with describe(err) -> {message, hint, code}.
 */
import { has, lang, t } from "./i18n.js";
import { currentToken, tokenExpired } from "./session.js";

// Codes that mean "your session is gone": the UI goes back to the login form.
const AUTH_CODES = ["token_expired", "invalid_token", "missing_token", "unauthorized"];

// A code for answers without our JSON error body (proxies, static servers, crashes).
const STATUS_CODES = {
  400: "bad_request",
  401: "unauthorized",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "validation_failed",
  429: "rate_limited",
  500: "internal_error",
  502: "no_instance",
  503: "overloaded",
  504: "upstream_timeout",
};

export class ApiError extends Error {
  constructor(status, code, serverMessage = "", retryAfter = 0) {
    super(code + (serverMessage ? ": " + serverMessage : ""));
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.serverMessage = serverMessage || "";
    this.retryAfter = retryAfter || 0;
  }

  /** Is this error a lost/expired session (as opposed to wrong credentials)? */
  isAuth() {
    return this.status === 401 && AUTH_CODES.includes(this.code);
  }
}

/** Retry-After is seconds or an HTTP date; answer whole seconds (0 if absent). */
function parseRetryAfter(value) {
  if (!value) return 0;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(1, Math.ceil(n));
  const when = Date.parse(value);
  if (!Number.isNaN(when)) return Math.max(1, Math.ceil((when - Date.now()) / 1000));
  return 0;
}

/**
 * request(method, path, {json, form, auth, signal}) -> {status, data, headers}
 * Throws ApiError (or the AbortError when signal aborts).
 */
async function request(method, path, { json, form, auth = false, signal } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form; // the browser sets the multipart boundary
  }
  if (auth) {
    const token = currentToken();
    if (!token) throw new ApiError(401, "missing_token");
    if (tokenExpired(token)) throw new ApiError(401, "token_expired");
    headers.Authorization = "Bearer " + token;
  }

  let res;
  let raw;
  try {
    res = await fetch(path, { method, headers, body, signal, credentials: "same-origin", cache: "no-store" });
    raw = await res.text();
  } catch (e) {
    if (e && e.name === "AbortError") throw e;
    throw new ApiError(0, "network_error");
  }
  let data = null;
  if (raw) {
    try {
      data = JSON.parse(raw);
    } catch {
      data = null;
    }
  }
  if (res.ok) {
    if (data === null && raw) throw new ApiError(res.status, "bad_response");
    return { status: res.status, data, headers: res.headers };
  }
  const err = data && data.error && typeof data.error === "object" ? data.error : null;
  throw new ApiError(
    res.status,
    err && err.code ? String(err.code) : STATUS_CODES[res.status] || "bad_response",
    err && err.message ? String(err.message) : "",
    parseRetryAfter(res.headers.get("Retry-After")),
  );
}

export async function register(username, password) {
  const r = await request("POST", "/api/auth/register", { json: { username, password } });
  return r.data;
}

/** Resolves the token answer {access_token, ...}. */
export async function login(username, password) {
  const r = await request("POST", "/api/auth/login", { json: { username, password } });
  if (!r.data || !r.data.access_token) throw new ApiError(r.status, "bad_response");
  return r.data;
}

/** Upload one image; resolves {data, servedBy, requestId, rttMs}. */
export async function recognise(file, filename, signal) {
  const form = new FormData();
  form.append("image", file, filename || file.name || "image");
  const started = performance.now();
  const r = await request("POST", "/api/ocr", { form, auth: true, signal });
  if (!r.data || typeof r.data !== "object") throw new ApiError(r.status, "bad_response");
  return {
    data: r.data,
    servedBy: r.headers.get("X-Served-By") || r.data.instance || "",
    requestId: r.headers.get("X-Request-ID") || r.data.request_id || "",
    rttMs: Math.round(performance.now() - started),
  };
}

/** Submit a document (one PDF/TIFF/image as `file`) or several images as a job: resolves its summary. */
export async function submitJob(files, signal) {
  const form = new FormData();
  const field = files.length === 1 ? "file" : "image";
  files.forEach((f) => form.append(field, f, f.name || "page"));
  const r = await request("POST", "/api/jobs", { form, auth: true, signal });
  if (!r.data || !r.data.id) throw new ApiError(r.status, "bad_response");
  return r.data;
}

/** The user's recent jobs, newest first, without their pages. */
export async function listJobs(signal) {
  const r = await request("GET", "/api/jobs", { auth: true, signal });
  return (r.data && r.data.jobs) || [];
}

/** One job with the pages read so far, in page order. */
export async function getJob(id, signal) {
  const r = await request("GET", "/api/jobs/" + encodeURIComponent(id), { auth: true, signal });
  return r.data;
}

export async function cancelJob(id) {
  await request("DELETE", "/api/jobs/" + encodeURIComponent(id), { auth: true });
}

/** The gateway's view of the mesh: {service: [instance, ...]}. */
export async function instances(signal) {
  const r = await request("GET", "/api/instances", { auth: true, signal });
  return (r.data && r.data.services) || {};
}

/** Charts per OCR instance over a window ("5m", "15m", "1h", "6h"), from Prometheus. */
export async function monitoringCharts(window, signal) {
  const r = await request("GET", "/api/monitoring/charts?window=" + encodeURIComponent(window), { auth: true, signal });
  return r.data;
}

/** Prometheus' pending and firing alerts, firing first. */
export async function monitoringAlerts(signal) {
  const r = await request("GET", "/api/monitoring/alerts", { auth: true, signal });
  return (r.data && r.data.alerts) || [];
}

/**
 * Human words for an error: our own translation per code, else the server's message,
 * else a generic line with the HTTP status. Adds "try again in N s" when Retry-After.
 */
export function describe(err) {
  const code = err && err.code ? err.code : "unknown";
  const status = err && err.status ? err.status : 0;
  let message;
  let hint;
  if (has("errors." + code)) {
    message = t("errors." + code, { status });
    hint = has("hints." + code) ? t("hints." + code) : "";
  } else if (err && err.serverMessage) {
    message = err.serverMessage;
    hint = t("hints.unknown");
  } else {
    message = t("errors.unknown", { status: status || "?" });
    hint = t("hints.unknown");
  }
  if (err && err.retryAfter) {
    const sep = lang() === "zh" ? "" : " ";
    hint = (hint ? hint + sep : "") + t("errors.retry_in", { s: err.retryAfter });
  }
  return { message, hint, code };
}

/** Any thrown value as an ApiError (a bug or a lost connection becomes network_error). */
export const asApiError = (err) => (err instanceof ApiError ? err : new ApiError(0, "network_error"));
