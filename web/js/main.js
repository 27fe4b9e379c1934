/* OCR Mesh — the page's entry point: wires the modules together and starts at the login form.
 *
 *   auth.js      log in / register / log out, the token's expiry   session.js  the token
 *   upload.js    choose an image, recognise it                     results.js  show the answer
 *   mesh-view.js poll /api/instances (table in mesh-table.js)      notices.js  #notice, #error
 *   jobs.js      documents and batches as jobs, their progress     job-view.js one job's pages
 *   monitor-view.js charts and alerts from Prometheus (charts.js)   poller.js the views' polling loop
 *   api.js       requests to the gateway, error words              i18n.js     strings zh/en
 */
import { checkExpiryNow, currentUser, expireSession, initAuth, showLogin } from "./auth.js";
import { el } from "./dom.js";
import { applyTo, toggleLang } from "./i18n.js";
import { initJobView } from "./job-view.js";
import { initJobs, startJobs, stopJobs } from "./jobs.js";
import { initMeshView, meshVisibilityChanged, startMeshView, stopMeshView } from "./mesh-view.js";
import { initMonitorView, monitorVisibilityChanged, startMonitorView, stopMonitorView } from "./monitor-view.js";
import { initResults } from "./results.js";
import { cancelRecognition, initUpload, resetWorkspace } from "./upload.js";

applyTo(document);
el.langToggle.addEventListener("click", toggleLang);
initResults();
initUpload();
initJobs();
initJobView();
initMeshView({ canPoll: checkExpiryNow, onAuthError: expireSession });
initMonitorView({ canPoll: checkExpiryNow, onAuthError: expireSession });
initAuth({
  onEnter() {
    startMeshView();
    startMonitorView();
    startJobs();
  },
  onLeave() {
    stopMeshView();
    stopMonitorView();
    stopJobs();
    cancelRecognition(true);
    resetWorkspace();
  },
});
document.addEventListener("visibilitychange", () => {
  if (currentUser() === null || !checkExpiryNow()) return;
  meshVisibilityChanged();
  monitorVisibilityChanged();
});
// The token lives only in memory (session.js), so a fresh page always starts logged out.
showLogin();
