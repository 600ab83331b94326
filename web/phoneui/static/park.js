// ---- Parked calls panel (PROTOCOL §11; README.md "Parked calls") ---------
// Fills the "parked" side panel from sb.state.parked (login result and
// park.updated): one row per slot with the caller, who parked it and since
// when, and a one-click Pick up (call.pickup).
(() => {
  const sb = window.sb;
  const body = sb.panelBody('parked');
  const panel = document.querySelector('#panel-parked');
  const list = document.createElement('ul');
  list.className = 'parked-list';
  list.setAttribute('aria-label', 'Parked calls');
  const none = document.createElement('p');
  none.className = 'muted parked-empty';
  none.textContent = 'No parked calls.';
  body.replaceChildren(none, list);
  const summary = panel.querySelector('summary');

  function since(iso) {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function render(parked) {
    list.replaceChildren();
    for (const p of parked) {
      const li = document.createElement('li');
      li.className = 'parked';
      li.dataset.slot = p.slot;
      li.dataset.call = p.call;
      const text = (cls, t) => {
        const s = document.createElement('span');
        s.className = cls;
        s.textContent = t;
        return s;
      };
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'pickup';
      b.textContent = 'Pick up';
      b.title = `Pick up the call parked in ${p.slot}`;
      b.onclick = async () => {
        b.disabled = true;
        await sb.callMethod('call.pickup', { slot: p.slot }, 'pick up');
        b.disabled = false;
      };
      li.append(text('parked-slot', p.slot), ' ', text('parked-from', p.from || ''), ' ',
        text('parked-by', 'by ' + p.by), ' ', text('parked-since', since(p.since)), ' ', b);
      list.append(li);
    }
    none.hidden = parked.length > 0;
    summary.textContent = parked.length ? `Parked calls (${parked.length})` : 'Parked calls';
    if (parked.length) panel.open = true;
  }
  sb.onParked(render);
  render(sb.state.parked || []);
})();
