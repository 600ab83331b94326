// ---- Parked calls in the live view (PROTOCOL §11) -------------------------
// A table under the Floor section's live calls: one row per park slot with
// the caller, who parked it and for how long, from the state's `parked`.
(() => {
  const admin = window.sbAdmin;
  const { h } = admin;
  const floor = document.getElementById('section-floor');
  if (!floor) return;
  const panel = h('div', { id: 'parked-panel', class: 'parked-panel', 'data-testid': 'parked-panel' },
    h('h3', {}, 'Parked calls ', h('span', { id: 'parked-count' }, '(0)')),
    h('table', { id: 'parked-table', class: 'data' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Slot'), h('th', { scope: 'col' }, 'Caller'),
        h('th', { scope: 'col' }, 'Parked by'), h('th', { scope: 'col' }, 'Parked for'), h('th', { scope: 'col' }, 'Call'))),
      h('tbody', {})),
    h('p', { class: 'muted parked-none' }, 'No parked calls.'));
  floor.append(panel);

  admin.onRender((state) => {
    const parked = Array.isArray(state.parked) ? state.parked : [];
    panel.querySelector('tbody').replaceChildren(...parked.map((p) => h('tr', { dataset: { slot: p.slot, call: p.call } },
      h('td', { class: 'parked-slot' }, p.slot), h('td', { class: 'parked-from' }, p.from || ''),
      h('td', { class: 'parked-by' }, p.by || ''), h('td', { class: 'parked-since' }, admin.timer(p.since)),
      h('td', { class: 'parked-call' }, p.call))));
    panel.querySelector('#parked-table').hidden = parked.length === 0;
    panel.querySelector('.parked-none').hidden = parked.length > 0;
    panel.querySelector('#parked-count').textContent = `(${parked.length})`;
  });
})();
