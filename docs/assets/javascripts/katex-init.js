// Render math with the KaTeX copy served by this site (no CDN).
// Markdown pages: pymdownx.arithmatex (generic) wraps math in .arithmatex.
// Notebook pages: nbconvert leaves $...$ in the text; auto-render finds it.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    ignoredClasses: ["highlight", "jp-CodeCell", "jp-OutputArea"],
    throwOnError: false,
  });
});
