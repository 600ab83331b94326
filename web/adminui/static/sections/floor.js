// ---- Floor: wallboard and live calls (first section) --------------------------
// A tile per queue (waiting, longest wait, idle and busy agents) in type large
// enough to read across a room, agent totals, then the live calls table of
// index.html (#calls-panel, filled by app.js). Redrawn on every state refresh.
(() => {
  const admin = window.sbAdmin;
  const { h } = admin;
  const el = admin.section({ id: 'floor', title: 'Floor', order: 10, html: `
<h2>Floor</h2>
<div id="wallboard-totals" class="wall-totals" data-testid="wallboard-totals"></div>
<div id="wallboard" class="wallboard" data-testid="wallboard" aria-live="off"></div>` });
  const calls = document.getElementById('calls-panel');
  if (calls) el.append(calls);

  function tile(label, value, cls, extra = {}) {
    return h('div', Object.assign({ class: 'wall-stat ' + cls }, extra), h('span', { class: 'wall-value' }, value), h('span', { class: 'wall-label' }, label));
  }

  admin.onRender((state) => {
    const queues = Object.values(state.queues).sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id));
    const board = el.querySelector('#wallboard');
    board.replaceChildren(...queues.map((q) => {
      const live = admin.queueLive(q);
      const longest = live.waiting > 0 && live.oldest ? admin.timer(live.oldest) : '—';
      return h('article', { class: 'wall-queue' + (live.waiting > 0 && live.idle === 0 ? ' wall-alert' : ''), 'data-queue': q.id, 'data-waiting': String(live.waiting), 'aria-label': `Queue ${q.name || q.id}` },
        h('h3', { class: 'wall-name' }, q.name || q.id),
        h('div', { class: 'wall-stats' },
          tile('waiting', String(live.waiting), 'wall-waiting'),
          tile('longest wait', longest, 'wall-longest'),
          tile('idle agents', String(live.idle), 'wall-idle'),
          tile('busy agents', String(live.busy), 'wall-busy')));
    }));
    if (!queues.length) board.append(h('p', { class: 'muted' }, 'No queues yet.'));
    const agents = Object.values(state.agents);
    const count = (f) => String(agents.filter(f).length);
    el.querySelector('#wallboard-totals').replaceChildren(
      tile('agents available', count((a) => a.connected && a.activity === 'available'), 'wall-available'),
      tile('agents on calls', count((a) => (a.calls || []).length > 0), 'wall-oncall'),
      tile('agents logged in', count((a) => a.connected), 'wall-connected'),
      tile('live calls', String(Object.keys(state.calls).length), 'wall-calls'));
  });
})();
