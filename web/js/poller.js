/* OCR Mesh — the polling loop the live views share (mesh-view.js, monitor-view.js): fetch, then
 * wait intervalMs, only while the page is visible; a new poll aborts the one in flight, and an
 * expired session goes to hooks.onAuthError instead of the view.
 */
import { ApiError, asApiError } from "./api.js";

/**
 * fetch(signal) → result; onResult(result) or onError(apiError), then render().
 * onHidden() runs when a poll is skipped or paused because the page is hidden.
 */
export function createPoller({ intervalMs, fetch, onResult, onError, render, onHidden = () => {} }) {
  const state = { active: false, timer: null, abort: null };
  let hooks = { canPoll: () => true, onAuthError() {} };

  function halt() {
    clearTimeout(state.timer);
    state.timer = null;
    if (state.abort) state.abort.abort();
    state.abort = null;
  }

  async function pollOnce() {
    clearTimeout(state.timer);
    state.timer = null;
    if (!state.active) return;
    if (document.hidden) {
      onHidden(); // visibilityChanged resumes
      return;
    }
    if (!hooks.canPoll()) return;
    if (state.abort) state.abort.abort();
    const ctrl = new AbortController();
    state.abort = ctrl;
    try {
      const result = await fetch(ctrl.signal);
      if (ctrl.signal.aborted || !state.active) return;
      onResult(result);
    } catch (err) {
      if (ctrl.signal.aborted || (err && err.name === "AbortError") || !state.active) return;
      if (err instanceof ApiError && err.isAuth()) {
        hooks.onAuthError(err.code);
        return;
      }
      onError(asApiError(err));
    } finally {
      if (state.abort === ctrl) state.abort = null;
    }
    render();
    if (state.active && !document.hidden) state.timer = setTimeout(pollOnce, intervalMs);
  }

  return {
    get active() {
      return state.active;
    },
    /** hooks: {canPoll(), onAuthError(code)} */
    setHooks(given) {
      hooks = given;
    },
    start() {
      halt();
      state.active = true;
      pollOnce();
    },
    stop() {
      state.active = false;
      halt();
    },
    /** Poll at once (a changed setting), if started. */
    now() {
      if (state.active) pollOnce();
    },
    /** Pause while the page is hidden, poll at once when it shows again. */
    visibilityChanged() {
      if (document.hidden) {
        halt();
        onHidden();
      } else if (state.active) {
        pollOnce();
      }
    },
  };
}
