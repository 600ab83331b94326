// Switchboard admin console (PROTOCOL.md section 6, plus records.list and
// route.get). Plain browser JavaScript, no build step, no dependencies.
// window.sbAdmin exposes {ws, state, rpc} for tests and debugging.
'use strict';
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
  const TOKEN_KEY = 'switchboard.adminToken';
  const MAX_EVENTS = 200;

  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
  }

  const state = {
    connection: 'idle',
    authed: false,
    auths: 0,
    agents: {}, // id -> Agent (config from agent.list, live fields from state)
    queues: {}, // id -> Queue (+ live fields)
    routes: {}, // number -> Route
    calls: {}, // id -> Call
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

  function errText(err) {
    if (!err) return 'unknown error';
    if (err.rpc) return err.reason ? `${err.message}: ${err.reason}` : err.message;
    return err.message || String(err);
  }

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
      state.agents[a.id] = Object.assign({}, state.agents[a.id] || {}, a, { calls: Array.isArray(a.calls) ? a.calls : [] });
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
    state.calls = {};
    for (const c of st.calls || []) if (c && c.id) state.calls[c.id] = c;
    state.parked = Array.isArray(st.parked) ? st.parked : []; // PROTOCOL §11 (sections/parked.js)
    state.tasks = Array.isArray(st.tasks) ? st.tasks : []; // PROTOCOL §10 live tasks (sections/tasks.js, floor.js)
    for (const a of Object.values(state.agents)) {
      for (const c of a.calls || []) {
        if (!c || !c.id) continue;
        state.calls[c.id] = Object.assign({ agent: a.id }, c, state.calls[c.id] || {});
        if (!state.calls[c.id].agent) state.calls[c.id].agent = a.id;
      }
    }
  }

  // ---- rendering ------------------------------------------------------------

  function elapsed(since) {
    const t = Date.parse(since);
    if (Number.isNaN(t)) return '';
    const s = Math.max(0, Math.floor((Date.now() - t) / 1000));
    const hh = Math.floor(s / 3600);
    const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
    const ss = String(s % 60).padStart(2, '0');
    return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
  }

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

  function agentRowCells(n) {
    return Array.from({ length: n }, () => h('td'));
  }

  function renderAgents() {
    const agents = Object.values(state.agents).sort((a, b) => a.id.localeCompare(b.id));
    $('#agents-count').textContent = `(${agents.length})`;
    keyedRows($('#agents-table tbody'), 'agent', agents, (a) => a.id,
      (id) => {
        const tr = h('tr', { 'data-testid': 'agent-row' }, ...agentRowCells(8));
        tr.append(h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'edit', 'data-testid': 'edit', onclick: () => editAgent(id) }, 'Edit'), ' ',
          deleteButton(`agent ${id}`, async () => {
            await client.request('agent.delete', { id });
            delete state.agents[id];
            render();
          })));
        return tr;
      },
      (tr, a) => {
        const calls = Array.isArray(a.calls) ? a.calls : [];
        const queues = Array.isArray(a.queues) ? a.queues : [];
        tr.dataset.activity = a.activity || '';
        tr.dataset.connected = a.connected ? 'yes' : 'no';
        tr.dataset.calls = String(calls.length);
        setCells(tr, [
          h('span', { class: 'agent-id' }, a.id),
          h('span', { class: 'agent-name' }, a.name || ''),
          h('span', { class: 'agent-extension' }, a.extension || ''),
          h('span', { class: 'agent-queues' }, queues.join(', ')),
          [h('span', { class: `agent-activity activity-${a.activity || 'unknown'}` }, a.activity || '?'), a.wrapup ? h('span', { class: 'badge agent-wrapup' }, 'wrap-up') : null],
          h('span', { class: 'agent-connected' }, a.connected ? 'yes' : 'no'),
          h('span', { class: 'agent-load' }, `${a.load ?? 0}/${a.capacity ?? '?'}`),
          h('ul', { class: 'agent-calls' }, ...calls.map((c) =>
            h('li', { class: 'agent-call', dataset: { call: c.id, state: c.state || '' } },
              stateBadge(c.state || '?'), ' ', c.remote || '', c.kind ? ` (${c.kind}${c.queue ? ' ' + c.queue : ''})` : '', ' ',
              timer(c.started_at), c.muted ? h('span', { class: 'badge' }, 'muted') : null,
              Array.isArray(c.merged_with) && c.merged_with.length ? h('span', { class: 'badge' }, 'merged') : null))),
        ]);
      });
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

  function renderQueues() {
    const queues = Object.values(state.queues).sort((a, b) => a.id.localeCompare(b.id));
    $('#queues-count').textContent = `(${queues.length})`;
    keyedRows($('#queues-table tbody'), 'queue', queues, (q) => q.id,
      (id) => {
        const tr = h('tr', { 'data-testid': 'queue-row' }, ...agentRowCells(10));
        tr.append(h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'edit', 'data-testid': 'edit', onclick: () => editQueue(id) }, 'Edit'), ' ',
          deleteButton(`queue ${id}`, async () => {
            await client.request('queue.delete', { id });
            delete state.queues[id];
            render();
          })));
        return tr;
      },
      (tr, q) => {
        const live = queueLive(q);
        tr.dataset.waiting = String(live.waiting);
        setCells(tr, [
          h('span', { class: 'queue-id' }, q.id),
          h('span', { class: 'queue-name' }, q.name || ''),
          h('span', { class: 'queue-timeout' }, q.timeout_seconds ? `${q.timeout_seconds} s` : 'default'),
          h('span', { class: 'queue-wrapup' }, q.wrapup_seconds ? `${q.wrapup_seconds} s` : '—'),
          h('span', { class: 'queue-allow-busy' }, q.allow_busy_agents ? 'allowed' : 'no'),
          h('span', { class: 'queue-priority' }, String(q.priority ?? 0)),
          h('span', { class: 'queue-waiting' }, String(live.waiting)),
          live.waiting > 0 && live.oldest ? h('span', { class: 'queue-longest' }, timer(live.oldest)) : h('span', { class: 'queue-longest' }, '—'),
          h('span', { class: 'queue-idle' }, String(live.idle)),
          h('span', { class: 'queue-busy' }, String(live.busy)),
        ]);
      });
    // The agent form's queue checkboxes follow the queue list.
    const box = $('#agent-queues');
    const checked = new Set($$('input[name=queues]:checked', box).map((i) => i.value));
    const have = $$('input[name=queues]', box).map((i) => i.value).join(',');
    if (have !== queues.map((q) => q.id).join(',')) {
      box.replaceChildren(...(queues.length ? queues.map((q) =>
        h('label', {}, h('input', { type: 'checkbox', name: 'queues', value: q.id, checked: checked.has(q.id) }), ' ', q.id)) : [h('span', { class: 'muted' }, 'no queues yet')]));
    }
  }

  function renderRoutes() {
    const routes = Object.values(state.routes).sort((a, b) => String(a.number).localeCompare(String(b.number)));
    $('#routes-count').textContent = `(${routes.length})`;
    keyedRows($('#routes-table tbody'), 'route', routes, (r) => String(r.number),
      (number) => h('tr', { 'data-testid': 'route-row' }, h('td'), h('td'), h('td', { class: 'row-actions' },
        h('button', { type: 'button', class: 'edit', 'data-testid': 'edit', onclick: () => editRoute(number) }, 'Edit'), ' ',
        deleteButton(`route ${number}`, async () => {
          await client.request('route.delete', { number });
          delete state.routes[number];
          render();
        }))),
      (tr, r) => setCells(tr, [h('span', { class: 'route-number' }, String(r.number)), h('span', { class: 'route-target' }, r.target || '')]));
    const dl = $('#route-targets');
    const opts = ['ivr:extension', 'echo', ...Object.keys(state.queues).map((q) => 'queue:' + q),
      ...Object.values(state.agents).filter((a) => a.extension).map((a) => 'extension:' + a.extension)];
    if (dl.dataset.opts !== opts.join(',')) {
      dl.dataset.opts = opts.join(',');
      dl.replaceChildren(...opts.map((o) => h('option', { value: o })));
    }
  }

  function renderCalls() {
    const calls = Object.values(state.calls).sort((a, b) => (Date.parse(a.started_at) || 0) - (Date.parse(b.started_at) || 0));
    $('#calls-count').textContent = `(${calls.length})`;
    keyedRows($('#calls-table tbody'), 'call', calls, (c) => c.id,
      (id) => {
        const tr = h('tr', { 'data-testid': 'call-row' }, ...agentRowCells(7));
        // Hanging up a live call asks for a second click (issue 17 item 10).
        const b = armedButton('hangup danger', 'hangup', 'Hang up', 'Confirm hang up',
          () => client.request('call.hangup', { call: id }), (e) => showStatus(`hang up ${id}: ${errText(e)}`, 'error'));
        tr.append(h('td', { class: 'row-actions' }, b));
        return tr;
      },
      (tr, c) => {
        tr.dataset.state = c.state || '';
        setCells(tr, [c.id, stateBadge(c.state || '?'), c.agent || '', c.kind || '', `${c.direction === 'outbound' ? '→' : '←'} ${c.remote || ''}`, c.queue || '', timer(c.started_at)]);
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

  function render() {
    renderQueues();
    renderAgents();
    renderRoutes();
    renderCalls();
    applyFilters();
    for (const fn of renderHooks) {
      try {
        fn(state);
      } catch (e) {
        console.error('section render', e);
      }
    }
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

  // ---- forms and validation errors ------------------------------------------

  const ALIASES = {
    queue: 'queues', queue_ids: 'queues', queueids: 'queues',
    timeout: 'timeout_seconds', offer_timeout: 'timeout_seconds', wrapup: 'wrapup_seconds', wrap_up: 'wrapup_seconds',
    allow_busy: 'allow_busy_agents', busy: 'allow_busy_agents', ext: 'extension', agent: 'id', route: 'number', dialled: 'number',
  };

  function fieldNames(form) {
    return [...new Set($$('.field[data-field]', form).map((f) => f.dataset.field))];
  }

  // fieldFor finds which field of form a validation reason is about: data.field,
  // then the text before ':' ("extension: 1001 already used"), then the first
  // field named in the reason.
  function fieldFor(form, err) {
    const names = fieldNames(form);
    const pick = (w) => {
      if (!w) return '';
      const k = String(w).toLowerCase().trim().replace(/\[.*$/, '').replace(/\s+/g, '_');
      if (names.includes(k)) return k;
      if (ALIASES[k] && names.includes(ALIASES[k])) return ALIASES[k];
      return '';
    };
    let f = pick(err.data && err.data.field);
    if (f) return f;
    const reason = err.reason || err.message || '';
    const colon = reason.indexOf(':');
    if (colon > 0) f = pick(reason.slice(0, colon));
    if (f) return f;
    const words = reason.toLowerCase().split(/[^a-z0-9_]+/).filter(Boolean);
    for (const w of words) {
      f = pick(w);
      if (f) return f;
    }
    return '';
  }

  function clearErrors(form) {
    for (const el of $$('.field-error', form)) el.textContent = '';
    for (const el of $$('[aria-invalid]', form)) el.removeAttribute('aria-invalid');
    const fe = $('.form-error', form);
    if (fe) fe.textContent = '';
  }

  function showFormError(form, err) {
    const f = err.rpc && (err.code === -32602 || err.reason) ? fieldFor(form, err) : '';
    if (f) {
      $(`.field-error[data-field="${f}"]`, form).textContent = err.reason || err.message;
      const input = $(`[name="${f}"]`, form);
      if (input) {
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      }
      return;
    }
    $('.form-error', form).textContent = errText(err);
  }

  function wireForm(form, build, method, after) {
    formSubmit(form, build, async (params) => {
      const res = await client.request(method, params);
      after(res || params);
      resetForm(form);
    });
  }

  // formSubmit wires a section's form: typing clears that field's error;
  // submit clears all, build(form) (may throw localError), then await
  // run(params); errors are shown by field (showFormError) and the submit
  // button is disabled meanwhile.
  function formSubmit(form, build, run) {
    form.addEventListener('input', (e) => {
      const field = e.target.closest('.field');
      const err = field && field.querySelector(':scope > .field-error');
      if (err) err.textContent = '';
      if (e.target.removeAttribute) e.target.removeAttribute('aria-invalid');
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      let params;
      try { params = build(form); } catch (err) { showFormError(form, err); return; }
      const submit = $('button[type=submit]', form);
      submit.disabled = true;
      try { await run(params); } catch (err) { showFormError(form, err); } finally { submit.disabled = false; }
    });
  }

  function localError(field, reason) {
    return Object.assign(new Error(reason), { rpc: true, code: -32602, reason: `${field}: ${reason}`, data: { field } });
  }

  function intField(form, name, min) {
    const v = form.elements[name].value.trim();
    if (v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || (min !== undefined && n < min)) throw localError(name, `must be a whole number${min !== undefined ? ` ≥ ${min}` : ''}`);
    return n;
  }

  function resetForm(form) {
    form.reset();
    clearErrors(form);
    delete form.dataset.editing;
    const id = form.elements.id || form.elements.number;
    if (id) id.readOnly = false;
    const mode = $('.form-mode', form);
    // getAttribute: form.id is the form's <input name="id"> (issue 17 item 10).
    const formID = form.getAttribute('id');
    mode.textContent = { 'agent-form': 'Add agent', 'queue-form': 'Add queue', 'route-form': 'Add route' }[formID];
    if (formID === 'agent-form') form.elements.password.placeholder = '';
  }

  function flash(sel) {
    const tr = $(sel);
    if (!tr) return;
    tr.classList.remove('flash');
    void tr.offsetWidth;
    tr.classList.add('flash');
  }

  const agentForm = $('#agent-form');
  wireForm(agentForm, (f) => {
    const p = { id: f.elements.id.value.trim(), name: f.elements.name.value.trim(), extension: f.elements.extension.value.trim() };
    if (!p.id) throw localError('id', 'required');
    const pw = f.elements.password.value;
    if (pw) p.password = pw;
    const cap = intField(f, 'capacity', 1);
    if (cap !== undefined) p.capacity = cap;
    p.queues = $$('input[name=queues]:checked', f).map((i) => i.value);
    for (const name of ['attributes', 'channels']) { // PROTOCOL §10, JSON objects
      const v = f.elements[name].value.trim();
      if (v === '') { // omitted keeps the stored value; a field emptied on edit clears it
        if (f.dataset.editing) p[name] = {};
        continue;
      }
      try { p[name] = JSON.parse(v); } catch (e) { throw localError(name, 'not valid JSON'); }
      if (!p[name] || typeof p[name] !== 'object' || Array.isArray(p[name])) throw localError(name, 'must be a JSON object');
    }
    const mnb = intField(f, 'max_nonblocking', 1);
    if (mnb !== undefined) p.max_nonblocking = mnb;
    p.caller_id = f.elements.caller_id.value.trim(); // PROTOCOL §9-§12
    p.role = f.elements.role.value;
    p.voicemail = f.elements.voicemail.checked;
    p.record = f.elements.record.checked;
    return p;
  }, 'agent.put', (a) => {
    state.agents[a.id] = Object.assign({}, state.agents[a.id] || {}, a);
    render();
    flash(`#agents-table tr[data-agent="${CSS.escape(a.id)}"]`);
    showStatus(`agent ${a.id} saved`);
  });

  function editAgent(id) {
    const a = state.agents[id];
    if (!a) return;
    resetForm(agentForm);
    agentForm.dataset.editing = id;
    const el = agentForm.elements;
    el.id.value = a.id;
    el.id.readOnly = true;
    el.name.value = a.name || '';
    el.extension.value = a.extension || '';
    el.capacity.value = a.capacity ?? '';
    el.password.placeholder = 'unchanged';
    const qs = new Set(a.queues || []);
    for (const cb of $$('input[name=queues]', agentForm)) cb.checked = qs.has(cb.value);
    el.attributes.value = a.attributes && Object.keys(a.attributes).length ? JSON.stringify(a.attributes) : '';
    el.channels.value = a.channels && Object.keys(a.channels).length ? JSON.stringify(a.channels) : '';
    el.max_nonblocking.value = a.max_nonblocking ?? '';
    el.caller_id.value = a.caller_id || '';
    el.role.value = a.role === 'supervisor' ? 'supervisor' : 'agent';
    el.voicemail.checked = a.voicemail !== false; // default true
    el.record.checked = !!a.record;
    $('.form-mode', agentForm).textContent = `Edit agent ${id}`;
    el.name.focus();
  }

  const queueForm = $('#queue-form');
  wireForm(queueForm, (f) => {
    const p = { id: f.elements.id.value.trim(), name: f.elements.name.value.trim() };
    if (!p.id) throw localError('id', 'required');
    const t = intField(f, 'timeout_seconds', 1);
    if (t !== undefined) p.timeout_seconds = t;
    const w = intField(f, 'wrapup_seconds', 0);
    if (w !== undefined) p.wrapup_seconds = w;
    const pr = intField(f, 'priority');
    if (pr !== undefined) p.priority = pr;
    const mw = intField(f, 'max_wait_seconds', 1);
    if (mw !== undefined) p.max_wait_seconds = mw;
    p.allow_busy_agents = f.elements.allow_busy_agents.checked;
    p.target_workers = f.elements.target_workers.value.trim(); // PROTOCOL §10
    p.order = f.elements.order.value;
    p.simultaneous_tasks = f.elements.simultaneous_tasks.checked;
    const sl = intField(f, 'sl_seconds', 1); // PROTOCOL §12
    if (sl !== undefined) p.sl_seconds = sl;
    p.record = f.elements.record.checked;
    p.voicemail = f.elements.voicemail.checked;
    return p;
  }, 'queue.put', (q) => {
    state.queues[q.id] = Object.assign({}, state.queues[q.id] || {}, q);
    render();
    flash(`#queues-table tr[data-queue="${CSS.escape(q.id)}"]`);
    showStatus(`queue ${q.id} saved`);
  });

  function editQueue(id) {
    const q = state.queues[id];
    if (!q) return;
    resetForm(queueForm);
    queueForm.dataset.editing = id;
    const el = queueForm.elements;
    el.id.value = q.id;
    el.id.readOnly = true;
    el.name.value = q.name || '';
    el.timeout_seconds.value = q.timeout_seconds ?? '';
    el.wrapup_seconds.value = q.wrapup_seconds ?? '';
    el.priority.value = q.priority ?? '';
    el.max_wait_seconds.value = q.max_wait_seconds ?? '';
    el.allow_busy_agents.checked = !!q.allow_busy_agents;
    el.target_workers.value = q.target_workers || '';
    el.order.value = q.order || 'fifo';
    el.simultaneous_tasks.checked = !!q.simultaneous_tasks;
    el.sl_seconds.value = q.sl_seconds ?? '';
    el.record.checked = !!q.record;
    el.voicemail.checked = !!q.voicemail;
    $('.form-mode', queueForm).textContent = `Edit queue ${id}`;
    el.name.focus();
  }

  const routeForm = $('#route-form');
  wireForm(routeForm, (f) => {
    const p = { number: f.elements.number.value.trim(), target: f.elements.target.value.trim() };
    if (!p.number) throw localError('number', 'required');
    if (!p.target) throw localError('target', 'required');
    return p;
  }, 'route.put', (r) => {
    state.routes[String(r.number)] = r;
    render();
    flash(`#routes-table tr[data-route="${CSS.escape(String(r.number))}"]`);
    showStatus(`route ${r.number} saved`);
  });

  async function editRoute(number) {
    let r = state.routes[number];
    try {
      r = (await client.request('route.get', { number })) || r;
    } catch (e) {
      // route.get is optional: the table's copy will do.
    }
    if (!r) return;
    resetForm(routeForm);
    routeForm.elements.number.value = r.number;
    routeForm.elements.number.readOnly = true;
    routeForm.elements.target.value = r.target || '';
    $('.form-mode', routeForm).textContent = `Edit route ${number}`;
    routeForm.elements.target.focus();
  }

  $('#agent-new').addEventListener('click', () => resetForm(agentForm));
  $('#queue-new').addEventListener('click', () => resetForm(queueForm));
  $('#route-new').addEventListener('click', () => resetForm(routeForm));

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

  // Helpers for section files.
  Object.assign(sbAdmin, { h, errText, showStatus, timer, elapsed, stateBadge, queueLive, keyedRows, setCells,
    deleteButton, armedButton, playWav, mmss, clearErrors, showFormError, localError, formSubmit });

  // Core sections; the others are files under sections/ (adminui.go lists them).
  sbAdmin.section({ id: 'agents', title: 'Agents', order: 20 });
  sbAdmin.section({ id: 'queues', title: 'Queues', order: 30 });
  sbAdmin.section({ id: 'routes', title: 'Routes', order: 40 });
  sbAdmin.section({ id: 'events', title: 'Events', order: 90 });
})();
