// ---- Floor: the live wallboard and live calls (first section) -----------------
// A tile per queue (waiting, longest wait, idle and busy agents, tasks of other
// channels waiting and assigned from state.tasks; from `stats`:
// service level, answered, abandoned, average wait) in type large enough to read
// across a room, floor totals (offered, answered, abandoned, service level, calls
// by state) and agents by activity, then the live calls table of index.html
// (#calls-panel, filled by app.js). With -cluster (PROTOCOL §13) the state is
// the whole floor of every live node: a line names this node, the leader and
// the live nodes, and agents and calls carry their node (app.js nodeBadge).
//
// Live: the board is redrawn on every state refresh (which floor events trigger);
// `stats {}` (PROTOCOL §12) is asked again after each refresh, never more than
// once a second (STATS_MIN_MS), and only while authenticated. A queue passes a
// threshold (class wall-breach, data-breach "sl" and/or "wait") when its service
// level is under SL_TARGET with at least one call counted, or its longest wait is
// over its sl_seconds; the wait is re-checked every second on the page (no request).
(() => {
  const admin = window.sbAdmin;
  const { h } = admin;
  const SL_TARGET = 0.8;
  const STATS_MIN_MS = 1000;
  const el = admin.section({ id: 'floor', title: 'Floor', order: 10, html: `
<h2>Floor</h2>
<p id="cluster-info" class="muted" data-testid="cluster-info" hidden></p>
<div id="wallboard-totals" class="wall-totals" data-testid="wallboard-totals"></div>
<div id="wallboard-activities" class="wall-activities" role="group" aria-label="Agents by activity"></div>
<div id="wallboard" class="wallboard" data-testid="wallboard" aria-live="off"></div>` });
  const calls = document.getElementById('calls-panel');
  if (calls) el.append(calls);

  // stats: the last answer (admin.state.stats), its fetch throttle.
  const st = { last: 0, timer: 0, busy: false, again: false };
  function wantStats() {
    if (!admin.state.authed) return;
    if (st.busy) { st.again = true; return; }
    if (st.timer) return;
    const wait = Math.max(0, st.last + STATS_MIN_MS - Date.now());
    st.timer = setTimeout(fetchStats, wait);
  }
  async function fetchStats() {
    st.timer = 0;
    if (!admin.state.authed) return;
    st.busy = true;
    st.last = Date.now();
    try {
      admin.state.stats = await admin.rpc('stats', {});
      draw(admin.state);
    } catch (err) {
      admin.state.statsError = admin.errText(err);
    } finally {
      st.busy = false;
      if (st.again) { st.again = false; wantStats(); }
    }
  }

  function tile(label, value, cls, extra = {}) {
    return h('div', Object.assign({ class: 'wall-stat ' + cls }, extra), h('span', { class: 'wall-value' }, value), h('span', { class: 'wall-label' }, label));
  }
  const pct = (x) => (typeof x === 'number' ? Math.round(x * 100) + ' %' : '—');
  const secs = (x) => (typeof x === 'number' ? Math.round(x) + ' s' : '—');
  const num = (x) => (typeof x === 'number' ? String(x) : '—');

  // breaches of a queue now: its stats entry s (may be undefined) and live oldest.
  function breaches(s, live) {
    const out = [];
    if (s && s.answered + s.abandoned > 0 && s.service_level < SL_TARGET) out.push('sl');
    const sl = s && s.sl_seconds ? s.sl_seconds : 20;
    if (live.waiting > 0 && live.oldest && Date.now() - Date.parse(live.oldest) > sl * 1000) out.push('wait');
    return out;
  }

  function drawCluster(c) {
    const info = el.querySelector('#cluster-info');
    info.hidden = !c;
    if (!c) return;
    const nodes = (Array.isArray(c.nodes) ? c.nodes : []).map((n) => n.id);
    info.dataset.node = c.node || '';
    info.dataset.nodes = nodes.join(' ');
    info.textContent = `The whole floor of ${nodes.length} node${nodes.length === 1 ? '' : 's'} (${nodes.join(', ')}), served by ${c.node}; router leader ${c.leader || 'none'}.`;
  }

  function draw(state) {
    drawCluster(state.cluster);
    const stats = state.stats || null;
    const byQueue = new Map(((stats && stats.queues) || []).map((q) => [q.id, q]));
    const queues = Object.values(state.queues).sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id));
    const board = el.querySelector('#wallboard');
    board.replaceChildren(...queues.map((q) => {
      const live = admin.queueLive(q);
      const s = byQueue.get(q.id);
      const longest = live.waiting > 0 && live.oldest ? admin.timer(live.oldest) : '—';
      const br = breaches(s, live);
      const cls = 'wall-queue' + (live.waiting > 0 && live.idle === 0 ? ' wall-alert' : '') + (br.length ? ' wall-breach' : '');
      const qt = (state.tasks || []).filter((t) => t.queue === q.id); // PROTOCOL §10 tasks of other channels
      const tw = qt.filter((t) => t.state === 'pending' || t.state === 'reserved').length;
      const attrs = { class: cls, 'data-queue': q.id, 'data-waiting': String(live.waiting), 'data-breach': br.join(' '), 'aria-label': `Queue ${q.name || q.id}`,
        'data-tasks': String(qt.length), 'data-tasks-waiting': String(tw) };
      if (s) attrs['data-sl'] = String(Math.round(s.service_level * 100));
      return h('article', attrs,
        h('h3', { class: 'wall-name' }, q.name || q.id),
        h('div', { class: 'wall-stats' },
          tile('waiting', String(live.waiting), 'wall-waiting'),
          tile('longest wait', longest, 'wall-longest' + (br.includes('wait') ? ' wall-over' : '')),
          tile(`service level (${s ? s.sl_seconds : 20} s)`, s ? pct(s.service_level) : '—', 'wall-sl' + (br.includes('sl') ? ' wall-over' : '')),
          tile('answered', s ? num(s.answered) : '—', 'wall-answered'),
          tile('abandoned', s ? num(s.abandoned) : '—', 'wall-abandoned'),
          tile('avg wait', s ? secs(s.avg_wait_seconds) : '—', 'wall-avgwait'),
          tile('idle agents', String(live.idle), 'wall-idle'),
          tile('busy agents', String(live.busy), 'wall-busy'),
          tile('tasks waiting', String(tw), 'wall-tasks-waiting'),
          tile('tasks assigned', String(qt.length - tw), 'wall-tasks-assigned')));
    }));
    if (!queues.length) board.append(h('p', { class: 'muted' }, 'No queues yet.'));

    const agents = Object.values(state.agents);
    const count = (f) => String(agents.filter(f).length);
    const totals = [
      tile('agents available', count((a) => a.connected && a.activity === 'available'), 'wall-available'),
      tile('agents on calls', stats ? num(stats.agents.on_call) : count((a) => (a.calls || []).length > 0), 'wall-oncall'),
      tile('agents logged in', count((a) => a.connected), 'wall-connected'),
      tile('live calls', String(Object.keys(state.calls).length), 'wall-calls'),
      tile('live tasks', String((state.tasks || []).length), 'wall-tasks'),
    ];
    if (stats) {
      const qs = stats.queues || [];
      const sum = (k) => qs.reduce((n, q) => n + (q[k] || 0), 0);
      const within = sum('answered_within_sl');
      const div = sum('answered') + sum('abandoned');
      const sl = div > 0 ? within / div : 1;
      totals.push(
        tile('offered today', String(sum('offered')), 'wall-total-offered'),
        tile('answered', String(sum('answered')), 'wall-total-answered'),
        tile('abandoned', String(sum('abandoned')), 'wall-total-abandoned'),
        tile('service level', pct(sl), 'wall-total-sl' + (div > 0 && sl < SL_TARGET ? ' wall-over' : ''), { 'data-sl': String(Math.round(sl * 100)) }),
        tile('waiting', num(stats.calls.waiting), 'wall-total-waiting'),
        tile('held', num(stats.calls.held), 'wall-total-held'),
        tile('parked', num(stats.calls.parked), 'wall-total-parked'),
        tile('in wrap-up', num(stats.agents.in_wrapup), 'wall-wrapup'));
    }
    el.querySelector('#wallboard-totals').replaceChildren(...totals);
    const acts = Object.entries((stats && stats.agents.by_activity) || {}).sort((a, b) => a[0].localeCompare(b[0]));
    el.querySelector('#wallboard-activities').replaceChildren(...acts.map(([act, n]) =>
      h('span', { class: 'wall-activity', 'data-activity': act }, h('b', { class: 'wall-activity-n' }, String(n)), ' ' + act)));
  }

  admin.onRender((state) => {
    draw(state);
    wantStats();
  });
  // The longest-wait threshold moves with the clock: re-check it each second.
  setInterval(() => {
    if (!admin.state.authed || admin.state.section !== 'floor') return;
    for (const art of el.querySelectorAll('#wallboard .wall-queue')) {
      const q = admin.state.queues[art.dataset.queue];
      if (!q) continue;
      const s = ((admin.state.stats && admin.state.stats.queues) || []).find((x) => x.id === q.id);
      const br = breaches(s, admin.queueLive(q));
      if (art.dataset.breach !== br.join(' ')) { draw(admin.state); return; }
    }
  }, 1000);
})();
