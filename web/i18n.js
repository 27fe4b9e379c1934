/* OCR Mesh — interface strings (Chinese default, English) and a tiny translator.
 *
 * Usage:  I18N.t("upload.start")            -> "开始识别"
 *         I18N.t("errors.retry_in", {s: 5})  -> "请 5 秒后再试。"
 *         I18N.apply(document)               -> fills [data-i18n], [data-i18n-placeholder],
 *                                               [data-i18n-aria-label], [data-i18n-title]
 */
(function () {
  "use strict";

  var STORAGE_KEY = "ocrmesh.lang";
  var SUPPORTED = ["zh", "en"];

  var STRINGS = {
    zh: {
      "app.title": "OCR Mesh · 文字识别",
      "app.skip": "跳到主要内容",
      "brand.tagline": "分布式文字识别",
      "lang.toggle": "English",
      "lang.toggle_label": "Switch to English",

      "auth.title": "登录 OCR Mesh",
      "auth.intro": "登录后即可上传图片识别文字。还没有账号？填好用户名和密码，点击“注册”。",
      "auth.username": "用户名",
      "auth.username_hint": "3–32 个字符：字母、数字、下划线、点或连字符。",
      "auth.password": "密码",
      "auth.password_hint": "至少 8 个字符，不要用常见密码或与用户名相同。",
      "auth.show_password": "显示",
      "auth.hide_password": "隐藏",
      "auth.show_password_label": "显示密码",
      "auth.login": "登录",
      "auth.register": "注册",
      "auth.logout": "退出登录",
      "auth.logging_in": "正在登录…",
      "auth.registering": "正在注册…",
      "auth.registered": "账号“{name}”已创建，正在为你登录…",
      "auth.logged_in": "已登录为 {name}。",
      "auth.logged_out": "你已退出登录。",
      "auth.session_expired": "登录已过期，请重新登录。",
      "auth.session_invalid": "登录状态无效，请重新登录。",
      "auth.missing_fields": "请填写用户名和密码。",
      "auth.signed_in_as": "当前用户",
      "auth.retry_countdown": "{s} 秒后可重试",

      "upload.title": "上传图片",
      "upload.file_label": "选择要识别的图片文件",
      "upload.drop_title": "拖放图片到这里，或点击选择文件",
      "upload.drop_help": "也可以直接粘贴截图（Ctrl+V / ⌘V）。支持 PNG、JPEG、WebP、BMP 等格式。",
      "upload.drop_active": "松开鼠标即可上传",
      "upload.preview_alt": "待识别图片预览：{name}",
      "upload.no_preview": "浏览器无法预览",
      "upload.start": "开始识别",
      "upload.reupload": "重新上传",
      "upload.cancel": "取消",
      "upload.selected": "已选择图片 {name}（{size}），点击“开始识别”。",
      "upload.pasted_name": "剪贴板图片",
      "upload.not_image": "“{name}”不是图片文件。请选择 PNG、JPEG、WebP 或 BMP 图片。",
      "upload.no_file": "请先选择一张图片。",
      "upload.working": "正在识别…",
      "upload.working_time": "已等待 {s} 秒",
      "upload.cancelled": "已取消本次识别。",
      "upload.done": "识别完成：共 {n} 行文字。",
      "upload.done_none": "识别完成，但没有找到文字。",
      "upload.retry_in": "{s} 秒后可重试",

      "result.title": "识别结果",
      "result.empty": "识别结果会显示在这里。",
      "result.no_text": "这张图片里没有识别到文字。",
      "result.lines": "逐行结果",
      "result.lines_help": "把鼠标移到某一行（或用 Tab 键聚焦）会在图片上高亮对应的文字框。",
      "result.full_text": "全部文字",
      "result.copy": "复制文字",
      "result.copied": "已复制到剪贴板。",
      "result.copy_failed": "无法自动复制，文字已选中，请按 Ctrl+C 复制。",
      "result.download": "下载 .txt",
      "result.downloaded": "已下载 {name}。",
      "result.elapsed": "识别耗时",
      "result.elapsed_value": "服务端 {server} ms · 往返 {rtt} ms",
      "result.served_by": "服务实例",
      "result.engine": "引擎",
      "result.score": "置信度",
      "result.qr": "二维码",
      "result.line_n": "第 {n} 行",
      "result.none": "—",

      "status.title": "服务网格状态",
      "status.subtitle": "来自注册中心的服务与实例，每 2 秒自动刷新。",
      "status.updated": "更新于 {time}",
      "status.paused": "页面不在前台，已暂停刷新",
      "status.loading": "正在加载…",
      "status.failed": "刷新失败：{msg}",
      "status.empty": "暂无实例",
      "status.col.service": "服务",
      "status.col.instance": "实例",
      "status.col.state": "状态",
      "status.col.weight": "权重",
      "status.col.in_flight": "处理中",
      "status.col.served": "已处理",
      "status.col.failures": "失败",
      "status.col.meta": "信息",
      "status.healthy": "健康",
      "status.unhealthy": "不健康",
      "status.ejected": "已摘除",
      "status.left": "已离开",
      "status.new": "新加入",
      "status.summary": "{healthy}/{total} 健康",
      "status.events": "最近变化",
      "status.no_events": "暂无变化。启动或停止实例后会显示在这里。",
      "status.event_joined": "{service} 新实例 {addr} 加入",
      "status.event_left": "{service} 实例 {addr} 离开",
      "status.event_health": "{service} 实例 {addr} 变为{state}",
      "status.meta_started": "启动于 {time}",

      "errors.username_taken": "这个用户名已被注册。",
      "hints.username_taken": "换一个用户名，或者直接用这个名字登录。",
      "errors.weak_password": "密码太弱。",
      "hints.weak_password": "请使用至少 8 个字符、不常见且与用户名不同的密码。",
      "errors.invalid_username": "用户名格式不正确。",
      "hints.invalid_username": "用户名需 3–32 个字符，只能包含字母、数字、下划线、点或连字符。",
      "errors.validation_failed": "提交的内容不完整或格式不正确。",
      "hints.validation_failed": "请检查后重新提交。",
      "errors.invalid_credentials": "用户名或密码错误。",
      "hints.invalid_credentials": "请检查大小写和输入法后重试；还没有账号可以先注册。",
      "errors.too_many_attempts": "登录尝试次数过多，已被暂时限制。",
      "hints.too_many_attempts": "请稍等片刻再登录。",
      "errors.token_expired": "登录已过期。",
      "hints.token_expired": "请重新登录后继续。",
      "errors.invalid_token": "登录状态无效。",
      "hints.invalid_token": "请重新登录后继续。",
      "errors.missing_token": "需要先登录。",
      "hints.missing_token": "请登录后继续。",
      "errors.unauthorized": "需要重新登录。",
      "hints.unauthorized": "请登录后继续。",
      "errors.payload_too_large": "文件太大，服务器拒绝接收。",
      "hints.payload_too_large": "请压缩图片或截取需要识别的部分后重新上传。",
      "errors.image_too_large": "图片尺寸太大。",
      "hints.image_too_large": "请缩小图片分辨率后重新上传。",
      "errors.unsupported_media_type": "不支持这种文件格式。",
      "hints.unsupported_media_type": "请上传 PNG、JPEG、WebP 或 BMP 图片。",
      "errors.corrupt_image": "图片已损坏，无法读取。",
      "hints.corrupt_image": "请重新导出或换一张图片再试。",
      "errors.empty_image": "上传的文件是空的。",
      "hints.empty_image": "请选择一张有内容的图片。",
      "errors.bad_request": "请求有误。",
      "hints.bad_request": "请检查图片后重试。",
      "errors.rate_limited": "请求太频繁了。",
      "hints.rate_limited": "请稍等一会儿再试。",
      "errors.overloaded": "识别服务当前繁忙。",
      "hints.overloaded": "请稍后重试；也可以在下方“服务网格状态”查看实例情况。",
      "errors.no_instance": "当前没有可用的识别服务实例。",
      "hints.no_instance": "请稍后重试，或启动一个 ocr-service 实例；可在下方查看服务网格状态。",
      "errors.upstream_timeout": "识别服务响应超时。",
      "hints.upstream_timeout": "可以换一张更小的图片，或稍后重试。",
      "errors.network_error": "无法连接到服务器。",
      "hints.network_error": "请检查网络或确认网关已启动，然后重试。",
      "errors.bad_response": "服务器返回了无法识别的响应（HTTP {status}）。",
      "hints.bad_response": "服务可能尚未完全启动，请稍后重试。",
      "errors.not_found": "请求的接口不存在（HTTP 404）。",
      "hints.not_found": "请确认页面是通过网关打开的。",
      "errors.conflict": "请求与当前状态冲突。",
      "hints.conflict": "请刷新页面后重试。",
      "errors.internal_error": "服务器内部错误。",
      "hints.internal_error": "请稍后重试。",
      "errors.unknown": "出错了（HTTP {status}）。",
      "hints.unknown": "请稍后重试。",
      "errors.retry_in": "请 {s} 秒后再试。"
    },

    en: {
      "app.title": "OCR Mesh · Text recognition",
      "app.skip": "Skip to main content",
      "brand.tagline": "Distributed text recognition",
      "lang.toggle": "中文",
      "lang.toggle_label": "切换到中文",

      "auth.title": "Sign in to OCR Mesh",
      "auth.intro": "Sign in to upload images and recognise their text. No account yet? Fill in a username and password and press “Register”.",
      "auth.username": "Username",
      "auth.username_hint": "3–32 characters: letters, digits, underscore, dot or hyphen.",
      "auth.password": "Password",
      "auth.password_hint": "At least 8 characters; not a common password and not your username.",
      "auth.show_password": "Show",
      "auth.hide_password": "Hide",
      "auth.show_password_label": "Show password",
      "auth.login": "Log in",
      "auth.register": "Register",
      "auth.logout": "Log out",
      "auth.logging_in": "Logging in…",
      "auth.registering": "Creating your account…",
      "auth.registered": "Account “{name}” created. Logging you in…",
      "auth.logged_in": "Logged in as {name}.",
      "auth.logged_out": "You have logged out.",
      "auth.session_expired": "Your session has expired. Please log in again.",
      "auth.session_invalid": "Your session is no longer valid. Please log in again.",
      "auth.missing_fields": "Please enter a username and a password.",
      "auth.signed_in_as": "Signed in as",
      "auth.retry_countdown": "Retry in {s} s",

      "upload.title": "Upload an image",
      "upload.file_label": "Choose an image file to recognise",
      "upload.drop_title": "Drop an image here, or click to choose a file",
      "upload.drop_help": "You can also paste a screenshot (Ctrl+V / ⌘V). PNG, JPEG, WebP, BMP and more.",
      "upload.drop_active": "Release to upload",
      "upload.preview_alt": "Preview of the image to recognise: {name}",
      "upload.no_preview": "no preview in this browser",
      "upload.start": "Start recognition",
      "upload.reupload": "Upload another",
      "upload.cancel": "Cancel",
      "upload.selected": "Selected {name} ({size}). Press “Start recognition”.",
      "upload.pasted_name": "pasted image",
      "upload.not_image": "“{name}” is not an image. Please choose a PNG, JPEG, WebP or BMP image.",
      "upload.no_file": "Please choose an image first.",
      "upload.working": "Recognising…",
      "upload.working_time": "waiting {s} s",
      "upload.cancelled": "Recognition cancelled.",
      "upload.done": "Done: {n} lines of text found.",
      "upload.done_none": "Done, but no text was found.",
      "upload.retry_in": "Retry in {s} s",

      "result.title": "Result",
      "result.empty": "The recognised text will appear here.",
      "result.no_text": "No text was found in this image.",
      "result.lines": "Lines",
      "result.lines_help": "Hover over a line (or focus it with Tab) to highlight its box on the image.",
      "result.full_text": "Full text",
      "result.copy": "Copy text",
      "result.copied": "Copied to the clipboard.",
      "result.copy_failed": "Could not copy automatically. The text is selected: press Ctrl+C to copy it.",
      "result.download": "Download .txt",
      "result.downloaded": "Downloaded {name}.",
      "result.elapsed": "Recognition time",
      "result.elapsed_value": "server {server} ms · round trip {rtt} ms",
      "result.served_by": "Served by",
      "result.engine": "Engine",
      "result.score": "Confidence",
      "result.qr": "QR codes",
      "result.line_n": "Line {n}",
      "result.none": "—",

      "status.title": "Mesh status",
      "status.subtitle": "Services and instances from the registry, refreshed every 2 seconds.",
      "status.updated": "Updated {time}",
      "status.paused": "Paused while the page is hidden",
      "status.loading": "Loading…",
      "status.failed": "Refresh failed: {msg}",
      "status.empty": "No instances",
      "status.col.service": "Service",
      "status.col.instance": "Instance",
      "status.col.state": "State",
      "status.col.weight": "Weight",
      "status.col.in_flight": "In flight",
      "status.col.served": "Served",
      "status.col.failures": "Failures",
      "status.col.meta": "Details",
      "status.healthy": "healthy",
      "status.unhealthy": "unhealthy",
      "status.ejected": "ejected",
      "status.left": "left",
      "status.new": "new",
      "status.summary": "{healthy}/{total} healthy",
      "status.events": "Recent changes",
      "status.no_events": "No changes yet. Start or stop an instance and it shows up here.",
      "status.event_joined": "{service}: instance {addr} joined",
      "status.event_left": "{service}: instance {addr} left",
      "status.event_health": "{service}: instance {addr} is now {state}",
      "status.meta_started": "started {time}",

      "errors.username_taken": "That username is already taken.",
      "hints.username_taken": "Pick another username, or log in if it is yours.",
      "errors.weak_password": "That password is too weak.",
      "hints.weak_password": "Use at least 8 characters, not a common password and not your username.",
      "errors.invalid_username": "That username is not allowed.",
      "hints.invalid_username": "Use 3–32 letters, digits, underscores, dots or hyphens.",
      "errors.validation_failed": "Some of the input is missing or malformed.",
      "hints.validation_failed": "Check the fields and try again.",
      "errors.invalid_credentials": "Wrong username or password.",
      "hints.invalid_credentials": "Check Caps Lock and try again, or register if you have no account yet.",
      "errors.too_many_attempts": "Too many login attempts.",
      "hints.too_many_attempts": "Logging in is paused for a little while.",
      "errors.token_expired": "Your session has expired.",
      "hints.token_expired": "Please log in again to continue.",
      "errors.invalid_token": "Your session is not valid.",
      "hints.invalid_token": "Please log in again to continue.",
      "errors.missing_token": "You need to log in first.",
      "hints.missing_token": "Please log in to continue.",
      "errors.unauthorized": "You need to log in again.",
      "hints.unauthorized": "Please log in to continue.",
      "errors.payload_too_large": "The file is too large for the server.",
      "hints.payload_too_large": "Compress the image or crop it to the part you need, then upload again.",
      "errors.image_too_large": "The image dimensions are too large.",
      "hints.image_too_large": "Scale the image down and upload it again.",
      "errors.unsupported_media_type": "This file type is not supported.",
      "hints.unsupported_media_type": "Upload a PNG, JPEG, WebP or BMP image.",
      "errors.corrupt_image": "The image is damaged and cannot be read.",
      "hints.corrupt_image": "Export it again or try another image.",
      "errors.empty_image": "The uploaded file is empty.",
      "hints.empty_image": "Choose an image that has content.",
      "errors.bad_request": "The request was not valid.",
      "hints.bad_request": "Check the image and try again.",
      "errors.rate_limited": "Too many requests.",
      "hints.rate_limited": "Wait a moment and try again.",
      "errors.overloaded": "The recognition service is busy.",
      "hints.overloaded": "Try again shortly; the mesh status below shows what the instances are doing.",
      "errors.no_instance": "No recognition instance is available right now.",
      "hints.no_instance": "Try again shortly or start an ocr-service instance; see the mesh status below.",
      "errors.upstream_timeout": "The recognition service took too long to answer.",
      "hints.upstream_timeout": "Try a smaller image, or try again later.",
      "errors.network_error": "Cannot reach the server.",
      "hints.network_error": "Check your connection or make sure the gateway is running, then try again.",
      "errors.bad_response": "The server sent an unexpected answer (HTTP {status}).",
      "hints.bad_response": "The service may still be starting; try again shortly.",
      "errors.not_found": "That API endpoint does not exist (HTTP 404).",
      "hints.not_found": "Make sure this page is opened through the gateway.",
      "errors.conflict": "The request conflicts with the current state.",
      "hints.conflict": "Reload the page and try again.",
      "errors.internal_error": "The server had an internal error.",
      "hints.internal_error": "Try again later.",
      "errors.unknown": "Something went wrong (HTTP {status}).",
      "hints.unknown": "Try again later.",
      "errors.retry_in": "Try again in {s} s."
    }
  };

  function storedLang() {
    try {
      var v = window.localStorage.getItem(STORAGE_KEY);
      return SUPPORTED.indexOf(v) >= 0 ? v : null;
    } catch (e) {
      return null;
    }
  }

  var I18N = {
    lang: storedLang() || "zh",
    listeners: [],

    has: function (key) {
      return Object.prototype.hasOwnProperty.call(STRINGS[I18N.lang], key);
    },

    /** Translate key, replacing {name} placeholders from params. Unknown key -> key. */
    t: function (key, params) {
      var table = STRINGS[I18N.lang];
      var s = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : STRINGS.zh[key];
      if (s === undefined) return key;
      if (params) {
        s = s.replace(/\{(\w+)\}/g, function (m, name) {
          return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : m;
        });
      }
      return s;
    },

    /** Fill every element carrying data-i18n* attributes below root. */
    apply: function (root) {
      root = root || document;
      var map = [
        ["data-i18n", function (el, v) { el.textContent = v; }],
        ["data-i18n-placeholder", function (el, v) { el.setAttribute("placeholder", v); }],
        ["data-i18n-aria-label", function (el, v) { el.setAttribute("aria-label", v); }],
        ["data-i18n-title", function (el, v) { el.setAttribute("title", v); }]
      ];
      map.forEach(function (pair) {
        var attr = pair[0];
        root.querySelectorAll("[" + attr + "]").forEach(function (el) {
          pair[1](el, I18N.t(el.getAttribute(attr)));
        });
      });
      document.documentElement.lang = I18N.lang === "zh" ? "zh-CN" : "en";
      document.title = I18N.t("app.title");
    },

    setLang: function (lang) {
      if (SUPPORTED.indexOf(lang) < 0) return;
      I18N.lang = lang;
      try {
        window.localStorage.setItem(STORAGE_KEY, lang);
      } catch (e) { /* private mode: not remembered, still switched */ }
      I18N.apply(document);
      I18N.listeners.forEach(function (fn) { fn(lang); });
    },

    toggle: function () {
      I18N.setLang(I18N.lang === "zh" ? "en" : "zh");
    },

    onChange: function (fn) {
      I18N.listeners.push(fn);
    },

    /** Locale-aware time, e.g. 14:03:07. */
    time: function (date) {
      try {
        return date.toLocaleTimeString(I18N.lang === "zh" ? "zh-CN" : "en-GB", { hour12: false });
      } catch (e) {
        return date.toISOString().slice(11, 19);
      }
    }
  };

  window.I18N = I18N;
})();
