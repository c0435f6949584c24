// Search intent: tells the search worker (worker.js) that the reader is about
// to search, so it fetches and builds the full index before the first query.
//
// Material's bundle fetches search/search_index.json on every page load;
// hooks/search.py makes that file a stub, and the worker loads the full index
// only when this script says so (or at the first query at the latest). The
// signals: focus on the search box (also what the / s f shortcuts do), and a
// pointer or touch on the search box or its header icon.
//
// This script runs before Material's bundle (hooks/search.py puts it there): it
// wraps the Worker constructor until Material has created the search worker,
// to keep a handle on it, then puts the constructor back.
"use strict";

(() => {
  const INTENT = "search-intent"; // the message worker.js listens for
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
        if (wanted) this.postMessage({ type: INTENT });
      }
    }
  };

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
