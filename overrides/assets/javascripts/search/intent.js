// Search intent: tells the search worker (worker.js) that the reader is about
// to search, so it fetches and builds the full index before the first query;
// and, when the page is idle after loading, that it may load the small titles
// index that answers while the full one builds.
//
// Material's bundle fetches search/search_index.json on every page load;
// hooks/search.py makes that file a stub, and the worker loads the full index
// only when this script says so (or at the first query at the latest). The
// signals: focus on the search box (also what the / s f shortcuts do), and a
// pointer or touch on the search box or its header icon.
//
// It also shows which index answers queries, as the searchIndex property of its
// own <script> element: "titles" while the full index builds, then "full".
//
// This script runs before Material's bundle (hooks/search.py puts it there): it
// wraps the Worker constructor until Material has created the search worker,
// to keep a handle on it, then puts the constructor back.
"use strict";

(() => {
  const INTENT = "search-intent"; // the message worker.js listens for
  const INDEX = "search-index"; // the message worker.js posts when an index is built
  const script = document.currentScript;
  const NativeWorker = window.Worker;
  if (typeof NativeWorker !== "function") return;

  let worker = null;
  let wanted = false;

  window.Worker = class extends NativeWorker {
    constructor(url, options) {
      super(url, options);
      if (worker === null && /\/search\/worker\.js$/.test(new URL(url, location.href).pathname)) {
        worker = this;
        window.Worker = NativeWorker;
        // which index answers: "titles" at first, then "full" (worker.js)
        this.addEventListener("message", (event) => {
          const message = event.data;
          // a property of this script's element, not an attribute: an attribute change
          // makes the browser restyle the page (half a second on a long one, on a phone)
          if (message && message.type === INDEX && script) script.searchIndex = message.data;
        });
        if (wanted) this.postMessage({ type: INTENT });
      }
    }
  };

  // When the page is idle after loading, the worker loads the small titles index
  // (not the full one), unless the reader asked the browser to save data.
  const PREPARE = "search-prepare";
  const connection = navigator.connection || {};
  if (!connection.saveData && !/(^|-)2g$/.test(connection.effectiveType || "")) {
    const idle = window.requestIdleCallback || ((callback) => setTimeout(callback, 1000));
    const prepare = () => idle(() => worker && worker.postMessage({ type: PREPARE }), { timeout: 5000 });
    if (document.readyState === "complete") prepare();
    else window.addEventListener("load", prepare, { once: true });
  }

  const EVENTS = ["focusin", "pointerover", "touchstart", "keydown"];
  const intent = () => {
    wanted = true;
    if (worker) worker.postMessage({ type: INTENT });
    for (const type of EVENTS) document.removeEventListener(type, onEvent, true);
  };
  function onEvent(event) {
    const target = event.target;
    if (event.type === "keydown") {
      if (event.ctrlKey || event.metaKey || event.altKey || !["/", "s", "f"].includes(event.key)) return;
      const editing =
        target instanceof HTMLElement &&
        (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      if (!editing) intent();
    } else if (target instanceof Element && target.closest(".md-search, label[for='__search']")) {
      intent();
    }
  }
  for (const type of EVENTS) document.addEventListener(type, onEvent, { capture: true, passive: true });
})();
