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

// Material fetches `sitemap.xml` below every <link rel="alternate" hreflang>
// when the page loads, expecting language homes; ours name the same page in
// the other language (what search engines need), so every page load would
// request /en/<page>/sitemap.xml and log a 404. The language menu above
// already leads to the right page, so the links are hidden from that probe:
// Material looks for them on DOMContentLoaded, before this listener restores them.
(() => {
  const links = [...document.querySelectorAll('link[rel="alternate"][hreflang]')];
  for (const link of links) link.rel = "x-alternate";
  document.addEventListener("DOMContentLoaded", () => {
    for (const link of links) link.rel = "alternate";
  });
})();
