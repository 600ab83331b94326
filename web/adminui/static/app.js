// Switchboard admin console (PROTOCOL.md section 6, plus records.list and
// route.get). Plain browser JavaScript, no build step, no dependencies.
// window.sbAdmin exposes {ws, state, rpc} for tests and debugging.
'use strict';
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
  const TOKEN_KEY = 'switchboard.adminToken';
  const MAX_EVENTS = 200;

  const { h, errText, elapsed } = sbPage; // web/page/static/dom.js

  const state = {
    connection: 'idle',
    authed: false,
    auths: 0,
    agents: {}, // id -> Agent (config from agent.list, live fields from state)
    queues: {}, // id -> Queue (+ live fields)
    routes: {}, // number -> Route
    calls: {}, // callKey -> Call
    cluster: null, // state.cluster with -cluster (PROTOCOL §13): {node, leader, nodes, ...}
    events: 0,
    lastError: '',
  };
  const sbAdmin = { state, ws: null, rpc: (m, p) => client.request(m, p) };
  window.sbAdmin = sbAdmin;

  // ---- sections (see README.md "Adding a section") ---------------------------
  // Each section is a <section class="view"> of #console-view, shown alone
  // when the URL fragment names it (#agents); the first in order by default.

  const sections = []; // {id, title, order, el}, sorted by order
  const renderHooks = []; // fn(state) after every refresh of state

  function currentSection() {
    const id = decodeURIComponent(location.hash.slice(1));
    return sections.find((s) => s.id === id) || sections[0];
  }

  function showSection() {
    const cur = currentSection();
    for (const s of sections) s.el.hidden = s !== cur;
    for (const a of $$('#section-nav a')) {
      if (cur && a.dataset.section === cur.id) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    state.section = cur ? cur.id : '';
    document.title = cur ? `${cur.title} · Switchboard admin` : 'Switchboard admin';
  }

  function buildNav() {
    $('#section-nav ul').replaceChildren(...sections.map((s) =>
      h('li', {}, h('a', { href: '#' + encodeURIComponent(s.id), 'data-section': s.id, 'data-testid': 'nav-' + s.id }, s.title))));
  }

  // sbAdmin.section({id, title, order, el?, html?, mount?}) adds a section:
  // el (or the markup #section-ID of index.html, or a new <section> filled
  // with html, or else just its title) becomes the view; mount(el, sbAdmin)
  // runs once. Returns the element.
  sbAdmin.section = (def) => {
    if (!def || !def.id || sections.some((s) => s.id === def.id)) throw new Error(`section ${def && def.id}: missing or duplicate id`);
    let el = def.el || document.getElementById('section-' + def.id);
    if (!el) {
      el = h('section', { class: 'panel view', id: 'section-' + def.id });
      if (def.html) el.innerHTML = def.html;
      else el.append(h('h2', {}, def.title));
    }
    el.classList.add('view');
    el.dataset.section = def.id;
    const s = { id: def.id, title: def.title || def.id, order: def.order ?? 100, el };
    sections.push(s);
    sections.sort((a, b) => a.order - b.order);
    const next = sections[sections.indexOf(s) + 1];
    $('#console-view').insertBefore(el, next ? next.el : null);
    buildNav();
    showSection();
    if (def.mount) def.mount(el, sbAdmin);
    return el;
  };
  sbAdmin.sections = () => sections.map((s) => ({ id: s.id, title: s.title, order: s.order }));
  // sbAdmin.onRender(fn) calls fn(state) after each refresh of agents, queues, calls.
  sbAdmin.onRender = (fn) => renderHooks.push(fn);
  window.addEventListener('hashchange', showSection);
  // sbReveal(selector) opens the section holding the element (tests and deep links).
  window.sbReveal = (sel) => {
    const e = document.querySelector(sel);
    const v = e && e.closest('.view');
    if (v && v.hidden && v.dataset.section) {
      location.hash = v.dataset.section;
      showSection();
    }
  };

  // ---- status ---------------------------------------------------------------

  function showStatus(text, kind = 'info') {
    const box = $('#status');
    box.prepend(h('div', { class: `status-msg ${kind}` }, `${new Date().toLocaleTimeString()} ${text}`));
    while (box.children.length > 4) box.lastElementChild.remove();
    if (kind === 'error') state.lastError = text;
  }

  // ---- JSON-RPC over a reconnecting websocket -------------------------------

  const client = newRPCClient('/ws/admin', {
    connecting: () => setConnection(state.auths > 0 ? 'reconnecting' : 'connecting'),
    socket: (ws) => {
      sbAdmin.ws = ws;
    },
    opened: () => {
      setConnection('open');
      authenticate();
    },
    closed: () => {
      state.authed = false;
      return true;
    },
    connection: setConnection,
    notify: (method, params) => onEvent(method === 'event' ? params : Object.assign({ type: method }, params)),
    status: showStatus,
    // The gateway refuses this page's origin (issue 17 item 5): say what to
    // change instead of reconnecting forever.
    refused: (text) => {
      $('#refused-message').textContent = text;
      $('#refused').hidden = false;
      document.body.dataset.refused = 'yes';
      $('main').hidden = true;
    },
  });
  client.token = '';
  const startClient = client.start.bind(client);
  client.start = (token) => {
    client.token = token;
    startClient();
  };

  function setConnection(s) {
    state.connection = s;
    const pill = $('#conn-state');
    pill.dataset.state = s;
    pill.textContent = { idle: 'not connected', connecting: 'connecting…', open: state.authed ? 'live' : 'connected', reconnecting: 'reconnecting…', closed: 'disconnected', refused: 'refused by the gateway' }[s] || s;
  }

  async function authenticate() {
    try {
      await client.request('auth', { token: client.token });
    } catch (e) {
      if (!e.rpc) return; // dropped: onclose retries
      client.stop();
      sessionStorage.removeItem(TOKEN_KEY);
      state.authed = false;
      showConsole(false);
      $('#auth-error').textContent = 'Login refused: ' + (e.reason || e.message);
      $('#auth-submit').disabled = false;
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, client.token);
    state.authed = true;
    state.auths++;
    $('#auth-error').textContent = '';
    showConsole(true);
    setConnection('open');
    await refresh(true);
    try {
      await client.request('subscribe', {});
    } catch (e) {
      showStatus('subscribe: ' + errText(e), 'error');
    }
    // Catch what changed between the first snapshot and the subscription.
    scheduleRefresh(true);
  }

  function showConsole(on) {
    $('#login-view').hidden = on;
    $('#console-view').hidden = !on;
    $('#logout').hidden = !on;
  }

  // ---- snapshots ------------------------------------------------------------

  const refresher = { timer: 0, running: false, again: false, config: false };
  const CLUSTER_POLL_MS = 1000;
  let clusterPoll = 0; // the interval polling a cluster's whole floor

  // scheduleRefresh coalesces events into at most one refresh per 200 ms.
  function scheduleRefresh(config) {
    refresher.config = refresher.config || !!config;
    if (refresher.timer) return;
    refresher.timer = setTimeout(async () => {
      refresher.timer = 0;
      if (refresher.running) {
        refresher.again = true;
        return;
      }
      const cfg = refresher.config;
      refresher.config = false;
      await refresh(cfg);
      if (refresher.again) {
        refresher.again = false;
        scheduleRefresh(false);
      }
    }, 200);
  }

  async function refresh(config) {
    if (!state.authed) return;
    refresher.running = true;
    try {
      const calls = [client.request('state', {})];
      if (config) calls.push(client.request('agent.list', {}), client.request('queue.list', {}), client.request('route.list', {}));
      const [st, agents, queues, routes] = await Promise.allSettled(calls);
      if (config) {
        if (agents.status === 'fulfilled' && Array.isArray(agents.value)) replaceConfig(state.agents, agents.value, 'id');
        if (queues.status === 'fulfilled' && Array.isArray(queues.value)) replaceConfig(state.queues, queues.value, 'id');
        if (routes.status === 'fulfilled' && Array.isArray(routes.value)) replaceConfig(state.routes, routes.value, 'number');
        for (const r of [agents, queues, routes]) if (r.status === 'rejected' && r.reason.rpc) showStatus(errText(r.reason), 'error');
      }
      if (st.status === 'fulfilled' && st.value) applyState(st.value, config);
      else if (st.status === 'rejected' && st.reason.rpc) showStatus('state: ' + errText(st.reason), 'error');
      render();
    } finally {
      refresher.running = false;
    }
  }

  // replaceConfig makes map hold exactly list, keeping live fields of kept entries.
  function replaceConfig(map, list, key) {
    const keep = new Set();
    for (const item of list) {
      if (!item || item[key] === undefined) continue;
      const k = String(item[key]);
      keep.add(k);
      map[k] = Object.assign({}, map[k] || {}, item);
    }
    for (const k of Object.keys(map)) if (!keep.has(k)) delete map[k];
  }

  function applyState(st, configFresh) {
    const seenAgents = new Set();
    for (const a of st.agents || []) {
      if (!a || !a.id) continue;
      seenAgents.add(a.id);
      state.agents[a.id] = Object.assign({}, state.agents[a.id] || {}, a, { calls: Array.isArray(a.calls) ? a.calls : [], node: a.node || '' });
    }
    const seenQueues = new Set();
    for (const q of st.queues || []) {
      if (!q || !q.id) continue;
      seenQueues.add(q.id);
      state.queues[q.id] = Object.assign({}, state.queues[q.id] || {}, q);
    }
    // Without a fresh list, the state snapshot is the authority on who exists.
    if (!configFresh) {
      if (Array.isArray(st.agents)) for (const id of Object.keys(state.agents)) if (!seenAgents.has(id)) delete state.agents[id];
      if (Array.isArray(st.queues)) for (const id of Object.keys(state.queues)) if (!seenQueues.has(id)) delete state.queues[id];
    }
    state.cluster = st.cluster && typeof st.cluster === 'object' ? st.cluster : null;
    // Other nodes' changes publish no event on this node's stream: with
    // -cluster the page asks for the whole floor again every CLUSTER_POLL_MS.
    if (state.cluster && !clusterPoll) clusterPoll = setInterval(() => { if (state.authed && state.cluster) scheduleRefresh(false); }, CLUSTER_POLL_MS);
    state.calls = {};
    for (const c of st.calls || []) if (c && c.id) state.calls[callKey(c)] = c;
    state.parked = Array.isArray(st.parked) ? st.parked : []; // PROTOCOL §11 (sections/parked.js)
    state.tasks = Array.isArray(st.tasks) ? st.tasks : []; // PROTOCOL §10 live tasks (sections/tasks.js, floor.js)
    for (const a of Object.values(state.agents)) {
      for (const c of a.calls || []) {
        if (!c || !c.id) continue;
        const k = callKey(c);
        state.calls[k] = Object.assign({ agent: a.id }, c, state.calls[k] || {});
        if (!state.calls[k].agent) state.calls[k].agent = a.id;
      }
    }
  }

  // callKey names a call of the floor: on several nodes (PROTOCOL §13) call
  // ids are per node, and each call carries its node.
  function callKey(c) {
    return c.node ? c.node + '/' + c.id : c.id;
  }

  // nodeBadge marks what lives on a node of a cluster (nothing on one node).
  function nodeBadge(cls, node) {
    return node ? h('span', { class: 'badge node ' + cls, 'data-node': node, title: 'on node ' + node }, node) : null;
  }

  // ---- rendering ------------------------------------------------------------

  function timer(since) {
    return h('span', { class: 'timer', dataset: { since: since || '' } }, elapsed(since));
  }

  function stateBadge(s) {
    return h('span', { class: `state state-${s}` }, s);
  }

  // keyedRows updates tbody so it holds one row per key, in order; make
  // builds a new row, fill (re)writes its cells.
  function keyedRows(tbody, attr, items, keyOf, make, fill) {
    const rows = new Map($$('tr', tbody).map((tr) => [tr.getAttribute('data-' + attr), tr]));
    const keys = new Set(items.map(keyOf));
    for (const [k, tr] of rows) if (!keys.has(k)) tr.remove();
    items.forEach((item, i) => {
      const k = keyOf(item);
      let tr = rows.get(k);
      if (!tr) {
        tr = make(k, item);
        tr.setAttribute('data-' + attr, k);
      }
      fill(tr, item);
      if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null);
    });
  }

  function setCells(tr, cells) {
    cells.forEach((content, i) => {
      const td = tr.children[i];
      const nodes = Array.isArray(content) ? content : [content];
      td.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined && n !== false).map((n) => (n instanceof Node ? n : String(n))));
    });
  }

  // deleteButton asks for a second click within 3 s instead of a dialog.
  // armedButton: the first click arms it (text confirmText, class confirm,
  // for 3 s), the second runs run(); errors go to the status area.
  function armedButton(cls, testid, text, confirmText, run, onError) {
    const b = h('button', { type: 'button', class: cls, 'data-testid': testid }, text);
    let armed = 0;
    const disarm = () => {
      clearTimeout(armed);
      armed = 0;
      b.classList.remove('confirm');
      b.textContent = text;
    };
    b.addEventListener('click', async () => {
      if (!armed) {
        b.classList.add('confirm');
        b.textContent = confirmText;
        armed = setTimeout(disarm, 3000);
        return;
      }
      disarm();
      b.disabled = true;
      try {
        await run();
      } catch (e) {
        onError(e);
      }
      b.disabled = false;
    });
    return b;
  }

  function deleteButton(label, run) {
    return armedButton('delete', 'delete', 'Delete', 'Confirm delete', async () => {
      await run();
      showStatus(`${label} deleted`);
    }, (e) => showStatus(`delete ${label}: ${errText(e)}`, 'error'));
  }

  // configTable redraws the table of a configuration list (agents, queues,
  // routes): #LIST-count, and in #LIST-table a row per entry of state[list]
  // sorted by its key (the field param) with n cells that fill(tr, entry)
  // writes, then Edit (edit(key) loads the form) and Delete (two clicks:
  // KIND.delete {[param]: key}). It returns the sorted entries.
  function configTable(kind, list, param, n, edit, fill) {
    const keyOf = (o) => String(o[param]);
    const items = Object.values(state[list]).sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    $(`#${list}-count`).textContent = `(${items.length})`;
    keyedRows($(`#${list}-table tbody`), kind, items, keyOf, (key) => h('tr', { 'data-testid': kind + '-row' }, ...cells(n),
      h('td', { class: 'row-actions' },
        h('button', { type: 'button', class: 'edit', 'data-testid': 'edit', onclick: () => edit(key) }, 'Edit'), ' ',
        deleteButton(`${kind} ${key}`, async () => {
          await client.request(kind + '.delete', { [param]: key });
          delete state[list][key];
          render();
        }))), fill);
    return items;
  }

  // mmss is a length in seconds as m:ss (recordings, voicemail).
  const mmss = (secs) => {
    const n = Math.round(secs || 0);
    return `${Math.floor(n / 60)}:${String(n % 60).padStart(2, '0')}`;
  };

  // playWav fetches a WAV of the admin HTTP API with the admin token and
  // plays it in player (an <audio> the section owns); a refusal is written
  // to errEl. The last blob URL of each player is released.
  async function playWav(path, player, errEl) {
    errEl.textContent = '';
    const resp = await fetch(path, { headers: { Authorization: 'Bearer ' + (sessionStorage.getItem(TOKEN_KEY) || '') }, cache: 'no-store' });
    if (!resp.ok) {
      errEl.textContent = `play: ${resp.status} ${(await resp.text()).trim()}`;
      return false;
    }
    if (player.dataset.url) URL.revokeObjectURL(player.dataset.url);
    player.dataset.url = player.src = URL.createObjectURL(await resp.blob());
    player.hidden = false;
    try {
      await player.play();
    } catch (e) { /* the controls start it */ }
    return true;
  }

  // cells makes n empty table cells (a new row's, filled by setCells).
  function cells(n) {
    return Array.from({ length: n }, () => h('td'));
  }

  function count(v) {
    if (Array.isArray(v)) return v.length;
    if (typeof v === 'number') return v;
    return null;
  }

  // queueLive derives the live columns from whatever the state snapshot
  // gives: waiting as a number or a list of tasks, idle/busy agents as
  // numbers or lists, or computed from the agents of the queue.
  function queueLive(q) {
    const w = q.waiting;
    let waiting = count(w) ?? 0;
    let oldest = null;
    const consider = (t) => {
      const ms = Date.parse(t);
      if (!Number.isNaN(ms) && (oldest === null || ms < oldest)) oldest = ms;
    };
    if (Array.isArray(w)) for (const x of w) if (x && typeof x === 'object') consider(x.since || x.created_at || x.enqueued_at || x.started_at || x.at);
    if (q.oldest_waiting_at) consider(q.oldest_waiting_at);
    if (oldest === null && typeof q.longest_wait_seconds === 'number' && waiting > 0) oldest = Date.now() - q.longest_wait_seconds * 1000;
    let idle = count(q.idle_agents);
    let busy = count(q.busy_agents);
    if (idle === null || busy === null) {
      let i = 0;
      let b = 0;
      for (const a of Object.values(state.agents)) {
        if (!Array.isArray(a.queues) || !a.queues.includes(q.id) || !a.connected) continue;
        if ((a.load || 0) > 0) b++;
        else if (a.activity === 'available' && !a.wrapup) i++;
      }
      if (idle === null) idle = i;
      if (busy === null) busy = b;
    }
    return { waiting, oldest: oldest === null ? '' : new Date(oldest).toISOString(), idle, busy };
  }

  function renderCalls() {
    const calls = Object.values(state.calls).sort((a, b) => (Date.parse(a.started_at) || 0) - (Date.parse(b.started_at) || 0));
    $('#calls-count').textContent = `(${calls.length})`;
    const here = state.cluster ? state.cluster.node : '';
    keyedRows($('#calls-table tbody'), 'call', calls, callKey,
      (k, c) => {
        const id = c.id;
        const tr = h('tr', { 'data-testid': 'call-row' }, ...cells(7));
        // Hanging up a live call asks for a second click (issue 17 item 10);
        // a call on another node of a cluster names its node, which ends it
        // (PROTOCOL §13).
        const params = c.node ? { call: id, node: c.node } : { call: id };
        const b = armedButton('hangup danger', 'hangup', 'Hang up', 'Confirm hang up',
          () => client.request('call.hangup', params), (e) => showStatus(`hang up ${callKey(c)}: ${errText(e)}`, 'error'));
        if (c.node && here && c.node !== here) b.title = `on node ${c.node}: that node ends it`;
        tr.append(h('td', { class: 'row-actions' }, b));
        return tr;
      },
      (tr, c) => {
        tr.dataset.state = c.state || '';
        tr.dataset.node = c.node || '';
        setCells(tr, [[c.id, nodeBadge('call-node', c.node)], stateBadge(c.state || '?'), c.agent || '', c.kind || '', `${c.direction === 'outbound' ? '→' : '←'} ${c.remote || ''}`, c.queue || '', timer(c.started_at)]);
      });
  }

  // Filters above the agents, queues and routes tables: rows whose text
  // lacks the query (any case) are hidden; re-applied after each render.
  function applyFilters() {
    for (const f of $$('input.table-filter')) {
      const q = f.value.trim().toLowerCase();
      for (const tr of $$(`#${f.dataset.table} tbody tr`)) tr.hidden = !!q && !tr.textContent.toLowerCase().includes(q);
    }
  }
  for (const f of $$('input.table-filter')) f.addEventListener('input', applyFilters);

  // render redraws the live calls, then each section (onRender hooks: the
  // agents, queues and routes tables are sections/ files too), then applies
  // the table filters.
  function render() {
    renderCalls();
    for (const fn of renderHooks) {
      try {
        fn(state);
      } catch (e) {
        console.error('section render', e);
      }
    }
    applyFilters();
  }

  setInterval(() => {
    for (const el of $$('.timer[data-since]')) {
      const t = elapsed(el.dataset.since);
      if (el.textContent !== t) el.textContent = t;
    }
  }, 1000);

  // ---- events ---------------------------------------------------------------

  function onEvent(ev) {
    state.events++;
    const feed = $('#event-feed');
    const at = Date.parse(ev.at);
    const when = Number.isNaN(at) ? new Date() : new Date(at);
    const rest = Object.entries(ev).filter(([k]) => !['type', 'at', 'seq'].includes(k))
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ');
    feed.prepend(h('li', { class: 'event', dataset: { type: ev.type || '' } },
      `${when.toLocaleTimeString()} `, h('span', { class: 'event-type' }, ev.type || '?'), ' ', rest));
    while (feed.children.length > MAX_EVENTS) feed.lastElementChild.remove();
    $('#events-count').textContent = `(${feed.children.length}${state.events > MAX_EVENTS ? ` of ${state.events}` : ''})`;
    scheduleRefresh(ev.type === 'config.changed');
  }

  // ---- login ----------------------------------------------------------------

  $('#auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('#token').value.trim();
    if (!token) {
      $('#auth-error').textContent = 'Enter the admin token.';
      return;
    }
    $('#auth-error').textContent = '';
    $('#auth-submit').disabled = true;
    client.start(token);
  });

  $('#logout').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    client.stop();
    state.authed = false;
    state.auths = 0;
    showConsole(false);
    $('#auth-submit').disabled = false;
    $('#token').value = '';
    setConnection('idle');
  });

  setConnection('idle');
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) {
    $('#auth-submit').disabled = true;
    client.start(saved);
  }

  // Helpers for section files (sections/forms.js adds the form helpers).
  Object.assign(sbAdmin, { $, $$, h, errText, showStatus, timer, elapsed, stateBadge, queueLive, keyedRows, setCells, cells,
    deleteButton, armedButton, configTable, playWav, mmss, render, nodeBadge });

  // The events feed is app.js's; the other sections are files under
  // sections/ (adminui.go lists them).
  sbAdmin.section({ id: 'events', title: 'Events', order: 90 });
})();
