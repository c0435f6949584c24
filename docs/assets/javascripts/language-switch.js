// Keep the #anchor when switching language: heading ids are the same in both
// languages, so /activations/#xor and /en/activations/#xor are the same place.
document.addEventListener(
  "click",
  (event) => {
    const link = event.target.closest && event.target.closest("a.md-select__link[hreflang]");
    if (!link || !location.hash) return;
    const url = new URL(link.href, location.href);
    if (!url.hash) {
      url.hash = location.hash;
      link.href = url.toString();
    }
  },
  true,
);
