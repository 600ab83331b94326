// ---- Supervisor floor panel (PROTOCOL §12; README.md "Supervisor floor") ----
// Fills the "floor" side panel (shown to supervisors only, panels.js): the
// queues (waiting, longest wait, idle and busy agents) and the agents grouped
// by activity with their calls; every live call of another agent has Listen,
// Whisper and Barge (call.monitor {call, mode}, switchable on the fly) and,
// while monitored, Stop (call.monitor.stop). What this supervisor monitors
// (which call, which mode) is shown on top (#sup-monitoring) and on <body>.
//
// Live: floor.subscribe answers the admin state and then streams the floor's
// events as `event` notifications; each event asks floor.subscribe again for
// the state (coalesced: at most one request per REFRESH_MIN_MS), and
// call.monitored of this supervisor updates the monitoring at once. Timers
// tick on the page each second without a request. After a re-login the
// stream is subscribed again and a monitoring in progress is asked again in
// the same mode (the gateway ends it with the old session).
(() => {
  const sb = window.sb;
  const { h, elapsed } = sb.util;
  const REFRESH_MIN_MS = 500;
  const MODES = [['listen', 'Listen'], ['whisper', 'Whisper'], ['barge', 'Barge']];
  const DOING = { listen: 'Listening to', whisper: 'Whispering to', barge: 'Barged into' };
  const panel = document.querySelector('#panel-floor');
  const summary = panel.querySelector('summary');
  const body = sb.panelBody('floor');

  // fl is the panel's state (sb.floor, for tests and debugging).
  const fl = {
    state: null, // the last floor.subscribe answer
    monitoring: null, // {call, mode} this supervisor monitors
    error: '',
    busy: false, // a call.monitor / stop in flight
    refresh: { timer: 0, last: 0, running: false, again: false },
    subscribed: false, // on this login
    refreshes: 0, // floor.subscribe answers received
  };
  sb.floor = fl;

  const monBox = h('div', { id: 'sup-monitoring', class: 'sup-monitoring', role: 'status', 'aria-live': 'polite', 'data-testid': 'sup-monitoring' });
  const queuesList = h('ul', { id: 'sup-queues', class: 'sup-queues', 'aria-labelledby': 'sup-queues-heading', 'data-testid': 'sup-queues' });
  const agentsBox = h('div', { id: 'sup-agents', class: 'sup-agents', 'data-testid': 'sup-agents' });
  const errBox = h('p', { id: 'sup-error', class: 'sup-error', role: 'alert', hidden: true });
  body.replaceChildren(monBox, errBox,
    h('h3', { id: 'sup-queues-heading', class: 'sup-heading' }, 'Queues'), queuesList,
    h('h3', { id: 'sup-agents-heading', class: 'sup-heading' }, 'Agents'), agentsBox);

  const me = () => (sb.state.agent && sb.state.agent.id) || '';
  const isSupervisor = () => !!(sb.state.agent && sb.state.agent.role === 'supervisor');

  // ---- data ------------------------------------------------------------------

  function scheduleRefresh() {
    const r = fl.refresh;
    if (!isSupervisor() || r.timer) return;
    if (r.running) { r.again = true; return; }
    r.timer = setTimeout(refresh, Math.max(50, r.last + REFRESH_MIN_MS - Date.now()));
  }

  async function refresh() {
    const r = fl.refresh;
    r.timer = 0;
    if (!isSupervisor()) return;
    r.running = true;
    r.last = Date.now();
    try {
      const st = await sb.rpc('floor.subscribe', {});
      fl.state = st && typeof st === 'object' ? st : null;
      fl.subscribed = true;
      fl.refreshes++;
      fl.error = '';
    } catch (e) {
      if (e.rpc) fl.error = 'Floor: ' + sb.util.errText(e);
    } finally {
      r.running = false;
    }
    if (fl.monitoring && fl.state && !liveCall(fl.monitoring.call)) setMonitoring(null); // the call ended or left its agent
    render();
    if (r.again) { r.again = false; scheduleRefresh(); }
  }

  // elsewhere says the node of c when another node of a cluster holds it
  // (PROTOCOL §13): its media is there, so it is monitored from there.
  function elsewhere(c) {
    const here = fl.state && fl.state.cluster ? fl.state.cluster.node : '';
    return c.node && here && c.node !== here ? c.node : '';
  }

  // liveCall finds an active or held call of another agent on this node:
  // {call, agent}.
  function liveCall(id) {
    for (const a of (fl.state && fl.state.agents) || []) {
      for (const c of a.calls || []) if (c.id === id && !elsewhere(c) && (c.state === 'active' || c.state === 'held')) return { call: c, agent: a };
    }
    return null;
  }

  function setMonitoring(m) {
    fl.monitoring = m && m.call && m.mode && m.mode !== 'off' ? { call: m.call, mode: m.mode } : null;
    document.body.dataset.monitoring = fl.monitoring ? fl.monitoring.call : '';
    document.body.dataset.monitorMode = fl.monitoring ? fl.monitoring.mode : '';
  }

  async function monitor(call, mode) {
    if (fl.busy) return;
    fl.busy = true;
    render();
    try {
      // One call at a time: moving to another call stops the first.
      if (fl.monitoring && fl.monitoring.call !== call) await stopOn(fl.monitoring.call);
      const res = await sb.rpc('call.monitor', { call, mode });
      setMonitoring({ call: res.call || call, mode: res.mode || mode });
    } catch (e) {
      sb.util.showStatus(`${MODES.find((m) => m[0] === mode)?.[1] || mode}: ${sb.util.errText(e)}`, 'error');
    } finally {
      fl.busy = false;
      render();
    }
  }

  // stopOn ends the monitoring of call; a call no longer monitored (it
  // ended meanwhile) counts as stopped.
  async function stopOn(call) {
    try {
      await sb.rpc('call.monitor.stop', { call });
    } catch (e) {
      if (!e.rpc || e.code !== -32002) throw e;
    }
    if (fl.monitoring && fl.monitoring.call === call) setMonitoring(null);
  }

  async function stop() {
    if (fl.busy || !fl.monitoring) return;
    fl.busy = true;
    render();
    try {
      await stopOn(fl.monitoring.call);
    } catch (e) {
      sb.util.showStatus('Stop monitoring: ' + sb.util.errText(e), 'error');
    } finally {
      fl.busy = false;
      render();
    }
  }

  // ---- view ------------------------------------------------------------------

  const timer = (since, cls) => h('span', { class: 'sup-timer ' + (cls || ''), 'data-since': since }, elapsed(since));
  const who = (c) => c.caller_name || c.remote || c.id;
  const queueName = (id) => {
    const q = ((fl.state && fl.state.queues) || []).find((x) => x.id === id);
    return (q && q.name) || (sb.state.queueNames && sb.state.queueNames[id]) || id;
  };

  // group is where an agent is listed: on a call, wrap-up, its activity,
  // or offline (not connected).
  function group(a) {
    if ((a.calls || []).some((c) => c.state !== 'ended')) return 'on-call';
    if (!a.connected) return 'offline';
    if (a.wrapup) return 'wrapup';
    return a.activity || 'unknown';
  }
  const GROUP_ORDER = ['on-call', 'wrapup', 'available', 'unavailable', 'break'];
  const groupRank = (g) => (g === 'offline' ? 99 : GROUP_ORDER.indexOf(g) >= 0 ? GROUP_ORDER.indexOf(g) : 50);
  const groupTitle = (g) => ({ 'on-call': 'On a call', wrapup: 'Wrap-up', available: 'Available', unavailable: 'Unavailable', break: 'On a break', offline: 'Offline' }[g] || g);

  function renderMonitoring() {
    const m = fl.monitoring;
    document.body.dataset.monitoring = m ? m.call : '';
    document.body.dataset.monitorMode = m ? m.mode : '';
    monBox.dataset.call = m ? m.call : '';
    monBox.dataset.mode = m ? m.mode : '';
    if (!m) {
      patchChildren(monBox, [h('span', { class: 'muted' }, 'You are not monitoring a call.')]);
      return;
    }
    const lc = liveCall(m.call);
    const whose = lc ? `${lc.agent.name || lc.agent.id}'s call with ${who(lc.call)}` : `call ${m.call}`;
    patchChildren(monBox, [
      h('div', { class: 'sup-mon-text' }, h('span', { class: 'sup-mode-badge', 'data-mode': m.mode }, m.mode), ' ', `${DOING[m.mode] || m.mode} ${whose}`,
        lc && lc.call.answered_at ? h('span', { class: 'muted' }, ' · ', timer(lc.call.answered_at, 'sup-mon-timer')) : ''),
      actions(m.call, lc ? lc.agent.name || lc.agent.id : '')]);
  }

  // actions are the monitor buttons of one call; a click on any of them is
  // handled once for the panel (onClick), so a redraw that updates a button
  // in place keeps it working.
  // A call of another node (node set) gets them disabled: it is monitored
  // from that node.
  function actions(call, agentName, node) {
    const m = !node && fl.monitoring && fl.monitoring.call === call ? fl.monitoring.mode : '';
    const box = h('div', { class: 'sup-actions', role: 'group', 'aria-label': `Monitor ${agentName ? agentName + "'s" : 'the'} call` });
    for (const [mode, label] of MODES) {
      box.append(h('button', {
        type: 'button', class: 'monitor-' + mode + (m === mode ? ' on' : ''), dataset: { mode, act: 'monitor', call },
        'aria-pressed': m === mode ? 'true' : 'false', disabled: fl.busy || !!node,
        title: node ? `On node ${node}: log in on ${node} to monitor it` : { listen: 'Hear the caller and the agent; nobody hears you', whisper: 'The agent hears you too; the caller does not', barge: 'Caller and agent both hear you' }[mode],
      }, label));
    }
    if (m) box.append(h('button', { type: 'button', class: 'monitor-stop', dataset: { act: 'stop', call }, disabled: fl.busy }, 'Stop'));
    return box;
  }

  function onClick(e) {
    const b = e.target.closest('button[data-act]');
    if (!b || b.disabled || !body.contains(b)) return;
    if (b.dataset.act === 'monitor') monitor(b.dataset.call, b.dataset.mode);
    else if (b.dataset.act === 'stop') stop();
  }

  // patch makes el look like fresh (its attributes, text and children) in
  // place, so nodes that stay on the floor stay the same nodes: a button
  // under the supervisor's pointer or focus is not swapped for a copy while a
  // refresh lands. Children pair by position when tag and key (data-call,
  // data-agent, data-group, data-queue) match; others are replaced.
  const keyOf = (n) => (n.nodeType === 1 ? n.tagName + (n.dataset.call || n.dataset.agent || n.dataset.group || n.dataset.queue || '') : '#' + n.nodeType);
  function patch(el, fresh) {
    if (el.nodeType !== 1) {
      if (el.nodeValue !== fresh.nodeValue) el.nodeValue = fresh.nodeValue;
      return;
    }
    for (const a of [...el.attributes]) if (!fresh.hasAttribute(a.name)) el.removeAttribute(a.name);
    for (const a of fresh.attributes) if (el.getAttribute(a.name) !== a.value) el.setAttribute(a.name, a.value);
    patchChildren(el, [...fresh.childNodes]);
  }
  function patchChildren(el, fresh) {
    fresh.forEach((f, i) => {
      const old = el.childNodes[i];
      if (old && keyOf(old) === keyOf(f)) patch(old, f);
      else if (old) el.replaceChild(f, old);
      else el.append(f);
    });
    while (el.childNodes.length > fresh.length) el.lastChild.remove();
  }

  function renderQueues(st) {
    const qs = [...(st.queues || [])].sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id));
    const items = qs.map((q) => {
      const waiting = q.waiting || 0;
      const li = h('li', { class: 'sup-queue' + (waiting > 0 ? ' waiting' : '') + (waiting > 0 && !q.idle_agents ? ' alert' : ''), dataset: { queue: q.id, waiting: String(waiting) } },
        h('span', { class: 'sup-queue-name' }, q.name || q.id),
        h('span', { class: 'sup-queue-waiting' }, `${waiting} waiting`),
        waiting > 0 && q.longest_wait_since ? h('span', { class: 'sup-queue-longest' }, 'longest ', timer(q.longest_wait_since)) : h('span', { class: 'sup-queue-longest muted' }, 'no wait'),
        h('span', { class: 'sup-queue-agents muted' }, `${q.idle_agents || 0} idle · ${q.busy_agents || 0} busy`));
      return li;
    });
    if (!qs.length) items.push(h('li', { class: 'muted' }, 'No queues.'));
    patchChildren(queuesList, items);
  }

  function callRow(c, a, mine) {
    const live = c.state === 'active' || c.state === 'held';
    const mon = fl.monitoring && fl.monitoring.call === c.id && !elsewhere(c) ? fl.monitoring.mode : '';
    const stateText = { active: 'talking', held: 'on hold', ringing: 'ringing' }[c.state] || c.state;
    return h('li', { class: 'sup-call' + (mon ? ' monitored' : ''), dataset: { call: c.id, state: c.state, monitor: mon } },
      h('div', { class: 'sup-call-head' },
        h('span', { class: 'sup-call-who' }, who(c)),
        c.queue ? h('span', { class: 'sup-call-queue muted' }, queueName(c.queue)) : '',
        h('span', { class: 'sup-call-state', 'data-state': c.state }, stateText),
        c.answered_at ? timer(c.answered_at, 'sup-call-timer') : ''),
      live && !mine ? actions(c.id, a.name || a.id, elsewhere(c)) : '');
  }

  function renderAgents(st) {
    const groups = new Map();
    for (const a of st.agents || []) {
      const g = group(a);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push(a);
    }
    const keys = [...groups.keys()].sort((x, y) => groupRank(x) - groupRank(y) || x.localeCompare(y));
    const items = keys.map((g) => {
      const list = groups.get(g).sort((x, y) => (x.name || x.id).localeCompare(y.name || y.id));
      const hid = 'sup-group-' + g.replace(/[^a-z0-9_-]/gi, '_');
      return h('section', { class: 'sup-group', dataset: { group: g }, 'aria-labelledby': hid },
        h('h4', { id: hid, class: 'sup-group-title' }, `${groupTitle(g)} (${list.length})`),
        h('ul', { class: 'sup-agent-list' }, ...list.map((a) => {
          const mine = a.id === me();
          const calls = (a.calls || []).filter((c) => c.state !== 'ended');
          return h('li', { class: 'sup-agent' + (mine ? ' me' : ''), dataset: { agent: a.id, activity: a.activity || '', connected: a.connected ? 'yes' : 'no' } },
            h('div', { class: 'sup-agent-head' },
              h('span', { class: 'sup-agent-name' }, (a.name || a.id) + (mine ? ' (you)' : '')),
              a.extension ? h('span', { class: 'sup-agent-ext muted' }, 'ext ' + a.extension) : '',
              h('span', { class: 'sup-agent-activity' }, a.wrapup ? 'wrap-up' : a.activity || '')),
            calls.length ? h('ul', { class: 'sup-calls', 'aria-label': `Calls of ${a.name || a.id}` }, ...calls.map((c) => callRow(c, a, mine))) : '');
        })));
    });
    if (!keys.length) items.push(h('p', { class: 'muted' }, 'No agents.'));
    patchChildren(agentsBox, items);
  }

  // render redraws the panel in place (patch): a focused button that stays
  // keeps the focus; one that a redraw replaced gives it to its twin (same
  // call, same action).
  function render() {
    const f = document.activeElement;
    const row = f && body.contains(f) ? f.closest('[data-call]') : null;
    const keep = row && f.tagName === 'BUTTON' ? { call: row.dataset.call, cls: f.className.split(' ')[0], mon: monBox.contains(f) } : null;
    draw();
    if (!keep || document.activeElement === f) return;
    const scope = keep.mon ? monBox : body.querySelector(`.sup-call[data-call="${CSS.escape(keep.call)}"]`);
    const again = scope && scope.querySelector('button.' + keep.cls);
    if (again) again.focus();
  }

  function draw() {
    errBox.hidden = !fl.error;
    errBox.textContent = fl.error;
    renderMonitoring();
    const st = fl.state;
    if (!st) {
      queuesList.replaceChildren(h('li', { class: 'muted' }, isSupervisor() ? 'Loading the floor…' : ''));
      agentsBox.replaceChildren();
      return;
    }
    renderQueues(st);
    renderAgents(st);
    const waiting = (st.queues || []).reduce((n, q) => n + (q.waiting || 0), 0);
    summary.textContent = waiting ? `Floor (${waiting} waiting)` : 'Floor';
    panel.dataset.waiting = String(waiting);
  }

  // ---- hooks -----------------------------------------------------------------

  function onSupervisor() {
    document.body.dataset.role = (sb.state.agent && sb.state.agent.role) || '';
    if (!isSupervisor()) {
      fl.state = null;
      fl.subscribed = false;
      setMonitoring(null);
      return;
    }
    if (!fl.subscribed) {
      panel.open = true;
      scheduleRefresh();
    }
  }

  sb.onLogin(() => {
    fl.subscribed = false; // the stream ended with the old socket
    onSupervisor();
    const m = fl.monitoring;
    if (m && isSupervisor()) { // a re-login: monitoring ended with the old session; ask again
      setMonitoring(null);
      monitor(m.call, m.mode);
    }
  });
  sb.onAgent(onSupervisor);
  body.addEventListener('click', onClick);
  sb.onNotify((method, p) => {
    if (method !== 'event' || !p || !isSupervisor()) return;
    if (p.type === 'call.monitored' && p.detail && p.detail.supervisor === me()) {
      if (p.detail.mode === 'off') {
        if (fl.monitoring && fl.monitoring.call === p.call) setMonitoring(null);
      } else if (!fl.busy) {
        setMonitoring({ call: p.call, mode: p.detail.mode });
      }
      render();
    }
    scheduleRefresh();
  });
  setInterval(() => {
    for (const el of body.querySelectorAll('.sup-timer[data-since]')) {
      const t = elapsed(el.dataset.since);
      if (el.textContent !== t) el.textContent = t;
    }
  }, 1000);
  render();
})();
