// ---- Tasks of any channel (PROTOCOL §10; issues 14 and 17) -------------------
// A task offer (reservation.created with kind "task") is an offer like a
// call's: a .toast in #toasts, so it rings, takes the focus and answers the
// A and R keys, with the task's channel, queue, blocking flag, age and
// attributes. Accept (reservation.accept answers the Task) puts the task as
// a li.task-card in ul#calls, after the call cards: the same card layout
// (who, what, timers, big primary actions) with the attributes as a
// key: value list, a running timer and Complete (task.complete). A task of a
// queue with wrap-up comes back "wrapping": the card says so, with the
// wrap-up timer, when it ends (the agent's wrapup_until) and "Wrap-up done"
// (wrapup.done); the gateway completes the task when the agent's wrap-up
// ends (wrapup.done or the timer) and sends
// task.updated. Every text is set with textContent (attributes come from
// integrations). README.md lists the selectors.
(() => {
  const sb = window.sb;
  const { h, elapsed, showStatus, errText, queueName } = sb.util;
  const state = sb.state;
  const $ = (sel, root = document) => root.querySelector(sel);
  const list = $('#calls');
  state.tasks = {}; // id -> Task, assigned or wrapping (offers are in state.reservations)

  const MAX_ATTRS = 24; // attributes shown on a card (an offer: MAX_OFFER_ATTRS); the rest are counted
  const MAX_OFFER_ATTRS = 8;
  const MAX_VALUE = 200; // characters of one value (the whole one is its title)

  const channelLabel = (ch) => {
    const s = String(ch || 'task').replace(/[_-]+/g, ' ');
    return s.charAt(0).toUpperCase() + s.slice(1);
  };
  const kindText = (t) => `${channelLabel(t.channel)} task`;
  const queueText = (t) => (t.queue ? 'Queue: ' + queueName(t.queue) : '');
  // The headline of a task: the first of these attributes it has, else its kind.
  const HEADLINE = ['subject', 'title', 'customer', 'name', 'from', 'email', 'topic'];
  function headline(t) {
    const a = t.attributes || {};
    for (const k of HEADLINE) if (typeof a[k] === 'string' && a[k].trim()) return a[k].trim();
    return kindText(t);
  }

  function valueText(v) {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'object') {
      try {
        return JSON.stringify(v);
      } catch (e) {
        return String(v);
      }
    }
    return String(v);
  }

  // attrList is the task's attributes as dl.task-attrs (channel is the kind
  // line already): "key: value" rows, keys as written, at most max of them
  // (a line counts the rest), values cut at maxValue characters.
  function attrList(t, max, maxValue = MAX_VALUE) {
    const entries = Object.entries(t.attributes || {}).filter(([k]) => k !== 'channel');
    if (!entries.length) return h('p', { class: 'task-attrs-none muted' }, 'No attributes.');
    const dl = h('dl', { class: 'task-attrs', 'data-testid': 'task-attrs' });
    for (const [k, v] of entries.slice(0, max)) {
      const text = valueText(v);
      const short = text.length > maxValue ? text.slice(0, maxValue) + '…' : text;
      dl.append(h('div', { class: 'task-attr', dataset: { key: k } },
        h('dt', {}, k), h('dd', { title: short !== text ? text : null }, short)));
    }
    if (entries.length <= max) return dl;
    return h('div', { class: 'task-attrs-box' }, dl, h('p', { class: 'task-attrs-more muted' }, `and ${entries.length - max} more attributes`));
  }

  // nonBlocking: the gateway's blocking (rule 1 of §10 in the task's queue)
  // when it sends one, else block_agent.
  const nonBlocking = (t) => (typeof t.blocking === 'boolean' ? !t.blocking : t.block_agent === false);
  function blockingBadge(t) {
    return nonBlocking(t)
      ? h('span', { class: 'badge badge-nonblocking', 'data-testid': 'badge-nonblocking', title: 'You can take calls and other work beside this task' }, 'Non-blocking')
      : h('span', { class: 'badge badge-blocking', 'data-testid': 'badge-blocking', title: 'You get no other queue work while you hold this task' }, 'Blocking');
  }

  // ---- the offer --------------------------------------------------------

  // makeOffer(r) builds the offer of a task reservation (app.js renderToasts).
  function makeOffer(r) {
    const t = r.task || { id: '', channel: (r.attributes || {}).channel, attributes: r.attributes, queue: r.queue, block_agent: true };
    if (!t.queue && r.queue) t.queue = r.queue;
    const accept = h('button', { type: 'button', class: 'accept', 'data-testid': 'accept' }, 'Accept');
    const reject = h('button', { type: 'button', class: 'reject', 'data-testid': 'reject' }, 'Reject');
    const titleId = `offer-${r.id}-title`;
    const el = h('div', { class: 'toast task-offer', role: 'alert', 'aria-labelledby': titleId,
      dataset: { reservation: r.id, kind: 'task', task: t.id || '', channel: t.channel || '' }, 'data-testid': 'toast' },
      h('span', { class: 'toast-countdown', 'data-testid': 'toast-countdown' }, sb.util.countdown(r).text),
      h('div', { class: 'toast-kind', 'data-testid': 'toast-kind' }, [kindText(t), queueText(t)].filter(Boolean).join(' · ')),
      h('div', { class: 'toast-from task-name', id: titleId, 'data-testid': 'toast-from' }, headline(t)),
      h('div', { class: 'task-badges' }, blockingBadge(t),
        h('span', { class: 'task-age muted', 'data-testid': 'task-age', dataset: { since: t.created_at || '' } }, t.created_at ? 'waited ' + elapsed(t.created_at) : '')),
      attrList(t, MAX_OFFER_ATTRS, 80),
      h('div', { class: 'toast-actions' }, accept, ' ', reject));
    sb.util.wireOffer(el, r.id, {
      what: 'task',
      accepted: (res) => upsert(res),
      focus: (kind, res) => {
        const c = kind === 'accept' && res && res.id && card(res.id);
        const b = c && $('button.task-complete', c);
        if (b && !b.hidden) b.focus();
        else if (sb.focusAfter) sb.focusAfter('reject');
      },
    });
    return el;
  }

  // ---- the cards --------------------------------------------------------

  const card = (id) => [...list.children].find((li) => li.dataset.task === id) || null;
  const btn = (cls, text, onclick, extra = {}) =>
    h('button', Object.assign({ type: 'button', class: cls, 'data-testid': cls.split(' ')[0], onclick }, extra), text);

  // busy runs one request of a card's button at a time. The button is not
  // disabled meanwhile: a disabled button drops the focus to <body>.
  async function busy(b, fn) {
    if (b.dataset.busy) return;
    b.dataset.busy = 'yes';
    b.setAttribute('aria-disabled', 'true');
    try {
      await fn();
    } finally {
      delete b.dataset.busy;
      b.removeAttribute('aria-disabled');
    }
  }

  const complete = (id, b) => busy(b, async () => {
    try {
      const res = await sb.rpc('task.complete', { task: id });
      if (res && res.id) upsert(res);
    } catch (e) {
      showStatus('complete task: ' + errText(e), 'error');
    }
  });

  const wrapupDone = (b) => busy(b, async () => {
    try {
      const a = await sb.rpc('wrapup.done', {});
      if (a && typeof a === 'object') sb.applyAgent(a);
    } catch (e) {
      showStatus('wrap-up: ' + errText(e), 'error');
    }
  });

  function make(t) {
    const nameId = `task-${t.id}-name`;
    // div(cls, attrs): a div with that class and its first class as data-testid.
    const div = (cls, attrs = {}, ...kids) => h('div', Object.assign({ class: cls, 'data-testid': cls.split(' ')[0] }, attrs), ...kids);
    const li = h('li', { class: 'task-card', dataset: { task: t.id }, 'data-testid': 'task-card', 'aria-labelledby': nameId },
      div('card-head', {},
        div('card-who', {}, div('task-name', { id: nameId }), div('task-channel'), div('task-queue')),
        div('card-time', {}, div('task-state'), div('task-timer', { 'aria-label': 'Time on this task' }), div('task-age muted'), div('task-badges'))),
      div('task-attrs-slot'),
      div('card-wrapup', { hidden: true }, h('p', { class: 'task-wrapup-text' }),
        h('span', { class: 'task-wrapup-timer', 'data-testid': 'task-wrapup-timer' }),
        h('span', { class: 'task-wrapup-end', 'data-testid': 'task-wrapup-end' })),
      div('card-primary'));
    const primary = $('.card-primary', li);
    primary.append(
      btn('task-complete primary', 'Complete', (e) => complete(t.id, e.currentTarget), { 'aria-keyshortcuts': 'C' }),
      btn('task-wrapup-done', 'Wrap-up done', (e) => wrapupDone(e.currentTarget)));
    return li;
  }

  // span is elapsed() up to end (ms) instead of now.
  function span(since, end) {
    const t = Date.parse(since);
    if (Number.isNaN(t)) return '';
    return elapsed(new Date(Date.now() - Math.max(0, end - t)).toISOString());
  }

  function set(root, sel, text) {
    const el = $(sel, root);
    if (el.textContent !== text) el.textContent = text;
  }

  function update(li, t) {
    const wrapping = t.state === 'wrapping';
    li.dataset.state = t.state;
    li.dataset.channel = t.channel || '';
    li.classList.toggle('wrapping', wrapping);
    li.classList.toggle('assigned', !wrapping);
    set(li, '.task-name', headline(t));
    set(li, '.task-channel', kindText(t));
    set(li, '.task-queue', queueText(t));
    set(li, '.task-state', wrapping ? 'Wrap-up' : 'Working');
    const attrs = JSON.stringify([t.attributes || {}, nonBlocking(t)]);
    if (li.dataset.attrs !== attrs) { // rebuilt only when they change (a tick keeps the nodes)
      li.dataset.attrs = attrs;
      $('.task-attrs-slot', li).replaceChildren(attrList(t, MAX_ATTRS));
      $('.task-badges', li).replaceChildren(blockingBadge(t));
    }
    $('.card-wrapup', li).hidden = !wrapping;
    if (wrapping) set(li, '.task-wrapup-text', 'Wrap-up: finish your notes. You get no queue work until you are done or the wrap-up time ends.');
    const done = $('button.task-complete', li);
    const moveFocus = wrapping && document.activeElement === done; // a hidden button would drop it to <body>
    done.hidden = wrapping;
    $('button.task-wrapup-done', li).hidden = !wrapping;
    if (moveFocus) $('button.task-wrapup-done', li).focus();
    tickCard(li, t);
  }

  function tickCard(li, t) {
    const wrapping = t.state === 'wrapping';
    // Wrapping, the time on the task stops at the completion; the wrap-up runs.
    const end = wrapping && Date.parse(t.completed_at || t.seen_wrapping);
    set(li, '.task-timer', end ? span(t.assigned_at || t.created_at, end) : elapsed(t.assigned_at || t.created_at));
    set(li, '.task-age', t.created_at ? 'age ' + elapsed(t.created_at) : '');
    set(li, '.task-wrapup-timer', wrapping ? 'wrap-up ' + elapsed(t.completed_at || t.seen_wrapping) : '');
    // The wrap-up's end: the agent's wrapup_until (docs/PROTOCOL.md; read on
    // every tick, so an agent.updated shows within 0.5 s).
    const until = wrapping && state.agent && state.agent.wrapup && Date.parse(state.agent.wrapup_until);
    const left = until ? Math.max(0, Math.ceil((until - Date.now()) / 1000)) : -1;
    $('.task-wrapup-end', li).hidden = left < 0;
    set(li, '.task-wrapup-end', left < 0 ? '' : left > 0 ? `ends in ${elapsed(new Date(Date.now() - left * 1000).toISOString())}` : 'ending…');
  }

  function render() {
    let lostFocus = false;
    for (const li of [...list.children]) {
      if (!li.dataset.task || state.tasks[li.dataset.task]) continue;
      lostFocus = lostFocus || li.contains(document.activeElement);
      li.remove();
    }
    const tasks = Object.values(state.tasks).sort((a, b) =>
      (Date.parse(a.assigned_at || a.created_at) || 0) - (Date.parse(b.assigned_at || b.created_at) || 0));
    // After the call cards (cards.js keeps those first).
    const calls = [...list.children].filter((li) => li.dataset.call).length;
    tasks.forEach((t, i) => {
      const li = card(t.id) || make(t);
      update(li, t);
      const at = list.children[calls + i] || null;
      if (at !== li) list.insertBefore(li, at);
    });
    $('#no-calls').hidden = calls + tasks.length > 0;
    if (lostFocus) {
      const next = [...list.querySelectorAll('.card-primary button')].find((b) => !b.hidden && !b.disabled);
      (next || $('#toasts .toast button.accept') || $('#calls-heading')).focus();
    }
  }

  // upsert keeps the agent's live tasks: assigned and wrapping ones get a
  // card; completed and canceled ones leave (with a line in #status).
  function upsert(t) {
    if (!t || !t.id) return;
    const had = state.tasks[t.id];
    if (t.state === 'assigned' || t.state === 'wrapping') {
      const v = Object.assign({}, t);
      if (t.state === 'wrapping') v.seen_wrapping = (had && had.seen_wrapping) || new Date().toISOString();
      state.tasks[t.id] = v;
    } else if (had && (t.state === 'completed' || t.state === 'canceled')) {
      delete state.tasks[t.id];
      const why = t.state === 'canceled' ? `canceled${t.reason ? ' (' + t.reason + ')' : ''}` : 'completed';
      showStatus(`${kindText(t)} ${headline(t) !== kindText(t) ? '“' + headline(t) + '” ' : ''}${why}`, t.state === 'canceled' ? 'error' : 'info');
    } else {
      delete state.tasks[t.id];
    }
    render();
  }

  sb.onLogin((res) => {
    state.tasks = {};
    for (const t of Array.isArray(res.tasks) ? res.tasks : []) {
      if (t && t.id && (t.state === 'assigned' || t.state === 'wrapping')) state.tasks[t.id] = t;
    }
    render();
  });
  sb.onNotify((method, p) => {
    if (method === 'task.updated') upsert(p && p.task && typeof p.task === 'object' ? p.task : p);
  });
  setInterval(() => {
    for (const li of list.children) {
      const t = li.dataset.task && state.tasks[li.dataset.task];
      if (t) tickCard(li, t);
    }
    for (const el of document.querySelectorAll('#toasts .task-offer .task-age[data-since]')) {
      if (el.dataset.since) el.textContent = 'waited ' + elapsed(el.dataset.since);
    }
  }, 500);

  // The C key completes the focused task card's task, else the only
  // assigned one (keys.js).
  function completeKey() {
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('#calls .task-card');
    const assigned = [...list.querySelectorAll('.task-card[data-state=assigned]')];
    const li = focused || (assigned.length === 1 ? assigned[0] : null);
    const b = li && $('button.task-complete', li);
    if (!b || b.hidden || b.disabled) return false;
    b.click();
    return true;
  }

  sb.tasks = {
    makeOffer, render, upsert, completeKey,
    count: () => Object.keys(state.tasks).length,
    clear: () => { state.tasks = {}; render(); },
  };
  render();
})();
