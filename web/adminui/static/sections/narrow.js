// ---- Narrow screens (issue 17 item 9): tables without sideways scrolling ----
// Not a section: below 700 px style.css shows each table row as a block of
// "Header: value" lines; this labels every cell with its column's header
// (td[data-label]), for every table of the console, as rows come and go.
(() => {
  const root = document.querySelector('#console-view');
  let pending = 0;
  function label() {
    pending = 0;
    for (const table of root.querySelectorAll('table')) {
      const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
      for (const tr of table.querySelectorAll('tbody tr')) {
        [...tr.children].forEach((td, i) => {
          const want = heads[i] || '';
          if (td.dataset.label !== want) td.dataset.label = want;
        });
      }
    }
  }
  new MutationObserver(() => {
    if (!pending) pending = requestAnimationFrame(label);
  }).observe(root, { childList: true, subtree: true });
  label();
})();
