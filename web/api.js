/* OCR Mesh — talking to the gateway: fetch wrappers, the session token, error mapping.
 *
 * Every failure becomes an Api.ApiError {status, code, serverMessage, retryAfter}; the UI
 * turns it into words with Api.describe(err) -> {message, hint}.
 */
(function () {
  "use strict";

  var TOKEN_KEY = "ocrmesh.token";
  var USER_KEY = "ocrmesh.user";
  // Codes that mean "your session is gone": the UI goes back to the login form.
  var AUTH_CODES = ["token_expired", "invalid_token", "missing_token", "unauthorized"];

  function ApiError(status, code, serverMessage, retryAfter) {
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.serverMessage = serverMessage || "";
    this.retryAfter = retryAfter || 0;
    this.message = code + (serverMessage ? ": " + serverMessage : "");
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  /** Is this error a lost/expired session (as opposed to wrong credentials)? */
  ApiError.prototype.isAuth = function () {
    return this.status === 401 && AUTH_CODES.indexOf(this.code) >= 0;
  };

  /** A code for answers without our JSON error body (proxies, static servers, crashes). */
  function codeForStatus(status) {
    switch (status) {
      case 400: return "bad_request";
      case 401: return "unauthorized";
      case 404: return "not_found";
      case 409: return "conflict";
      case 413: return "payload_too_large";
      case 415: return "unsupported_media_type";
      case 422: return "validation_failed";
      case 429: return "rate_limited";
      case 502: return "no_instance";
      case 503: return "overloaded";
      case 504: return "upstream_timeout";
      case 500: return "internal_error";
      default: return "bad_response";
    }
  }

  /** Retry-After is seconds or an HTTP date; answer whole seconds (0 if absent). */
  function parseRetryAfter(value) {
    if (!value) return 0;
    var n = Number(value);
    if (isFinite(n)) return Math.max(1, Math.ceil(n));
    var when = Date.parse(value);
    if (!isNaN(when)) return Math.max(1, Math.ceil((when - Date.now()) / 1000));
    return 0;
  }

  // ---- the token -------------------------------------------------------------------

  /** The JWT payload (claims) or null; no signature check, only for exp/sub display. */
  function decodeJwt(token) {
    try {
      var part = String(token).split(".")[1];
      if (!part) return null;
      var b64 = part.replace(/-/g, "+").replace(/_/g, "/");
      while (b64.length % 4) b64 += "=";
      var bin = atob(b64);
      var bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      return null;
    }
  }

  /** Epoch milliseconds when the token expires, or null when it carries no exp. */
  function tokenExpiry(token) {
    var claims = decodeJwt(token);
    return claims && typeof claims.exp === "number" ? claims.exp * 1000 : null;
  }

  function tokenExpired(token, skewMs) {
    var exp = tokenExpiry(token);
    return exp !== null && Date.now() + (skewMs || 0) >= exp;
  }

  var session = {
    get token() {
      try { return window.sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
    },
    get user() {
      try { return window.sessionStorage.getItem(USER_KEY); } catch (e) { return null; }
    },
    save: function (token, user) {
      try {
        window.sessionStorage.setItem(TOKEN_KEY, token);
        if (user) window.sessionStorage.setItem(USER_KEY, user);
      } catch (e) { /* storage disabled: the token lives only in this page */ }
      memoryToken = token;
    },
    clear: function () {
      try {
        window.sessionStorage.removeItem(TOKEN_KEY);
        window.sessionStorage.removeItem(USER_KEY);
      } catch (e) { /* ignore */ }
      memoryToken = null;
    }
  };
  var memoryToken = null;

  function currentToken() {
    return session.token || memoryToken;
  }

  // ---- requests --------------------------------------------------------------------

  /**
   * request(method, path, {json, form, auth, signal}) -> Promise<{status, data, headers}>
   * Rejects with ApiError (or the AbortError when signal aborts).
   */
  function request(method, path, opts) {
    opts = opts || {};
    var headers = { Accept: "application/json" };
    var body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      body = opts.form; // the browser sets the multipart boundary
    }
    if (opts.auth) {
      var token = currentToken();
      if (!token) return Promise.reject(new ApiError(401, "missing_token"));
      if (tokenExpired(token, 0)) return Promise.reject(new ApiError(401, "token_expired"));
      headers.Authorization = "Bearer " + token;
    }

    return fetch(path, {
      method: method,
      headers: headers,
      body: body,
      signal: opts.signal,
      credentials: "same-origin",
      cache: "no-store"
    }).then(
      function (res) {
        return res.text().then(function (raw) {
          var data = null;
          if (raw) {
            try { data = JSON.parse(raw); } catch (e) { data = null; }
          }
          if (res.ok) {
            if (data === null && raw) throw new ApiError(res.status, "bad_response");
            return { status: res.status, data: data, headers: res.headers };
          }
          var err = data && data.error && typeof data.error === "object" ? data.error : null;
          throw new ApiError(
            res.status,
            err && err.code ? String(err.code) : codeForStatus(res.status),
            err && err.message ? String(err.message) : "",
            parseRetryAfter(res.headers.get("Retry-After"))
          );
        });
      },
      function (e) {
        if (e && e.name === "AbortError") throw e;
        throw new ApiError(0, "network_error", "");
      }
    );
  }

  // ---- the public API --------------------------------------------------------------

  var Api = {
    ApiError: ApiError,
    session: session,
    decodeJwt: decodeJwt,
    tokenExpiry: tokenExpiry,
    tokenExpired: tokenExpired,
    token: currentToken,

    register: function (username, password) {
      return request("POST", "/api/auth/register", { json: { username: username, password: password } })
        .then(function (r) { return r.data; });
    },

    login: function (username, password) {
      return request("POST", "/api/auth/login", { json: { username: username, password: password } })
        .then(function (r) {
          if (!r.data || !r.data.access_token) throw new ApiError(r.status, "bad_response");
          return r.data;
        });
    },

    me: function () {
      return request("GET", "/api/auth/me", { auth: true }).then(function (r) { return r.data; });
    },

    /** Upload one image; resolves {data, servedBy, rttMs}. */
    ocr: function (file, filename, signal) {
      var form = new FormData();
      form.append("image", file, filename || file.name || "image");
      var started = performance.now();
      return request("POST", "/api/ocr", { form: form, auth: true, signal: signal }).then(function (r) {
        if (!r.data || typeof r.data !== "object") throw new ApiError(r.status, "bad_response");
        return {
          data: r.data,
          servedBy: r.headers.get("X-Served-By") || r.data.instance || "",
          requestId: r.headers.get("X-Request-ID") || r.data.request_id || "",
          rttMs: Math.round(performance.now() - started)
        };
      });
    },

    instances: function (signal) {
      return request("GET", "/api/instances", { auth: true, signal: signal }).then(function (r) {
        return (r.data && r.data.services) || {};
      });
    },

    /**
     * Human words for an error: our own translation per code, else the server's message,
     * else a generic line with the HTTP status. Adds "try again in N s" when Retry-After.
     */
    describe: function (err) {
      var t = window.I18N.t;
      var has = window.I18N.has;
      var code = err && err.code ? err.code : "unknown";
      var status = err && err.status ? err.status : 0;
      var message;
      var hint = "";
      if (has("errors." + code)) {
        message = t("errors." + code, { status: status });
        hint = has("hints." + code) ? t("hints." + code) : "";
      } else if (err && err.serverMessage) {
        message = err.serverMessage;
        hint = t("hints.unknown");
      } else {
        message = t("errors.unknown", { status: status || "?" });
        hint = t("hints.unknown");
      }
      if (err && err.retryAfter) {
        var sep = window.I18N.lang === "zh" ? "" : " ";
        hint = (hint ? hint + sep : "") + t("errors.retry_in", { s: err.retryAfter });
      }
      return { message: message, hint: hint, code: code };
    }
  };

  window.Api = Api;
})();
