// Render math with the KaTeX copy served by this site (no CDN).
// Markdown pages: pymdownx.arithmatex (generic) wraps each formula in
// .arithmatex as \( … \) or \[ … \]. Notebook pages: nbconvert leaves $…$ in
// the text of markdown cells; KaTeX's auto-render finds it there.
// Formulas are rendered as they come near the viewport, not all at load: a
// chapter holds a hundred of them, and rendering every one at once blocked a
// phone's main thread for over a second (Lighthouse, tests/lighthouse.py).
(() => {
  const options = { throwOnError: false };
  const delimiters = [
    { left: "$$", right: "$$", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
    { left: "\\[", right: "\\]", display: true },
  ];

  function render(el) {
    if (el.classList.contains("arithmatex")) {
      const tex = el.textContent.trim();
      const display = tex.startsWith("\\[");
      katex.render(tex.slice(2, -2), el, { ...options, displayMode: display });
    } else {
      renderMathInElement(el, {
        ...options,
        delimiters,
        ignoredClasses: ["highlight", "jp-CodeCell", "jp-OutputArea"],
      });
    }
  }

  // Render in slices of about 10 ms, yielding between them, so that no single
  // task keeps the page from answering the reader.
  const queue = [];
  let pumping = false;
  function pump() {
    const start = performance.now();
    while (queue.length && performance.now() - start < 10) render(queue.shift());
    pumping = queue.length > 0;
    if (pumping) setTimeout(pump, 0);
  }

  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        queue.push(entry.target);
      }
      if (!pumping && queue.length) {
        pumping = true;
        pump();
      }
    },
    { rootMargin: "50% 0px" },
  );

  document$.subscribe(({ body }) => {
    const targets = body.querySelectorAll(".arithmatex, .jp-MarkdownCell .jp-RenderedMarkdown");
    for (const el of targets) observer.observe(el);
  });
})();
