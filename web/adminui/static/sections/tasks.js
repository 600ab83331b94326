// ---- Tasks of any channel (PROTOCOL §10: task.create/list/cancel) -------------
// The live tasks (a chat, an e-mail, a CRM case) with channel, attributes,
// state, queue, agent and age; a form to create one (channel, queue or
// workflow, attributes JSON, priority, timeout, blocking); and a button to
// end one: task.cancel, which completes a task in wrap-up. The list is
// task.list {}, asked after state refreshes (at most once a second) and
// every 2 s while the section is shown; the Floor's per-queue task counts
// come from state.tasks (sections/floor.js).
(() => {
  const admin = window.sbAdmin;
  const { h } = admin;
  const LIVE = ['pending', 'reserved', 'assigned', 'wrapping'];
  const el = admin.section({ id: 'tasks', title: 'Tasks', order: 70, html: `
  <h2>Tasks <span id="tasks-count" class="muted"></span></h2>
  <label class="tasks-show">Show <select id="tasks-filter" data-testid="tasks-filter">
    <option value="live">live tasks</option><option value="all">all, finished too</option>
    <option value="pending">pending</option><option value="reserved">reserved</option><option value="assigned">assigned</option>
    <option value="wrapping">wrapping</option><option value="completed">completed</option><option value="canceled">canceled</option>
  </select></label>
  <table id="tasks-table" data-testid="tasks-table">
    <thead><tr><th scope="col">Task</th><th scope="col">Channel</th><th scope="col">State</th><th scope="col">Queue</th><th scope="col">Agent</th><th scope="col">Age</th><th scope="col">Blocking</th><th scope="col">Attributes</th><th scope="col">Actions</th></tr></thead>
    <tbody></tbody>
  </table>
  <p class="muted tasks-none">No tasks.</p>
  <p class="form-error" data-form="tasks" role="alert" data-testid="tasks-error"></p>
  <form id="task-form" class="edit-form" novalidate data-testid="task-form">
    <h3>Create a task</h3>
    <div class="field" data-field="channel"><label>Channel <input name="channel" required autocomplete="off" placeholder="chat" value="chat"></label><span class="field-error" data-field="channel"></span></div>
    <div class="field" data-field="queue"><label>Queue <select name="queue"><option value="">none (workflow)</option></select></label><span class="field-error" data-field="queue"></span></div>
    <div class="field" data-field="workflow"><label>or workflow <select name="workflow"><option value="">none (queue)</option></select></label><span class="field-error" data-field="workflow"></span></div>
    <div class="field" data-field="attributes"><label>Attributes (JSON object) <textarea name="attributes" rows="2" spellcheck="false" placeholder='{"customer": "ACME", "lang": "es"}'></textarea></label><span class="field-error" data-field="attributes"></span></div>
    <div class="field" data-field="priority"><label>Priority <input name="priority" type="number" min="-1000" max="1000" placeholder="0"></label><span class="field-error" data-field="priority"></span></div>
    <div class="field" data-field="timeout_seconds"><label>Timeout (s, 0 = none) <input name="timeout_seconds" type="number" min="0" placeholder="0"></label><span class="field-error" data-field="timeout_seconds"></span></div>
    <div class="field" data-field="block_agent"><label><input name="block_agent" type="checkbox" checked> Blocking (the agent takes no other queue work)</label><span class="field-error" data-field="block_agent"></span></div>
    <div class="actions">
      <button id="task-submit" type="submit" class="primary" data-testid="task-submit">Create task</button>
      <span class="form-error" data-form="task"></span>
    </div>
  </form>` });
  const form = el.querySelector('#task-form');
  const tbody = el.querySelector('#tasks-table tbody');
  const filter = el.querySelector('#tasks-filter');
  let tasks = [];
  let workflows = [];

  const shown = () => tasks.filter((t) => (filter.value === 'live' ? LIVE.includes(t.state) : filter.value === 'all' || t.state === filter.value));
  const attrText = (a) => Object.entries(a || {}).filter(([k]) => k !== 'channel')
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
  const td = (cls) => h('td', { class: cls });

  function render() {
    const list = shown();
    admin.keyedRows(tbody, 'task', list, (t) => t.id,
      () => h('tr', {}, td('task-id'), td('task-channel'), td('task-state'), td('task-queue'), td('task-agent'), td('task-age'), td('task-blocking'), td('task-attributes'), td('task-actions')),
      (tr, t) => {
        // Unchanged rows keep their cells (an armed button stays armed; the age runs on its own).
        const sig = JSON.stringify([t, admin.state.queues[t.queue] && admin.state.queues[t.queue].name]);
        if (tr.dataset.sig === sig) return;
        tr.dataset.sig = sig;
        tr.dataset.state = t.state;
        tr.dataset.channel = t.channel;
        const q = admin.state.queues[t.queue];
        const live = LIVE.includes(t.state);
        const end = live ? admin.armedButton('task-cancel', 'task-cancel', t.state === 'wrapping' ? 'Complete' : 'Cancel',
          t.state === 'wrapping' ? 'Confirm complete' : 'Confirm cancel', async () => {
            el.querySelector('.form-error[data-form=tasks]').textContent = '';
            const got = await admin.rpc('task.cancel', { task: t.id });
            admin.showStatus(`task ${t.id} ${got && got.state ? got.state : 'ended'}`);
            await poll(true);
          }, (e) => { el.querySelector('.form-error[data-form=tasks]').textContent = `task ${t.id}: ${admin.errText(e)}`; }) : '';
        if (end) end.setAttribute('aria-label', `${end.textContent} task ${t.id}`);
        const since = t.state === 'assigned' && t.assigned_at ? t.assigned_at : t.created_at;
        admin.setCells(tr, [t.id, t.channel, admin.stateBadge(t.state), q ? (q.name || q.id) : (t.queue || t.workflow || ''),
          t.agent || '—', live ? admin.timer(t.created_at) : admin.elapsed(t.created_at), t.block_agent ? 'yes' : 'no', attrText(t.attributes), end]);
        tr.querySelector('.task-age').title = since ? `since ${new Date(since).toLocaleString()}` : '';
      });
    el.querySelector('#tasks-table').hidden = list.length === 0;
    el.querySelector('.tasks-none').hidden = list.length > 0;
    const live = tasks.filter((t) => LIVE.includes(t.state)).length;
    el.querySelector('#tasks-count').textContent = `(${live} live)`;
  }

  function fillSelect(sel, ids, none) {
    const cur = sel.value;
    sel.replaceChildren(h('option', { value: '' }, none), ...ids.map(([id, name]) => h('option', { value: id }, name && name !== id ? `${name} (${id})` : id)));
    sel.value = ids.some(([id]) => id === cur) ? cur : '';
  }

  function fillChoices() {
    fillSelect(form.elements.queue, Object.values(admin.state.queues).map((q) => [q.id, q.name]).sort(), 'none (workflow)');
    fillSelect(form.elements.workflow, workflows.map((w) => [w.id, w.name]).sort(), 'none (queue)');
  }

  function build() {
    const f = form.elements;
    const p = { channel: f.channel.value.trim(), block_agent: f.block_agent.checked };
    if (!p.channel) throw admin.localError('channel', 'required');
    if (f.queue.value && f.workflow.value) throw admin.localError('queue', 'give exactly one of queue and workflow');
    if (!f.queue.value && !f.workflow.value) throw admin.localError('queue', 'choose a queue or a workflow');
    if (f.queue.value) p.queue = f.queue.value;
    else p.workflow = f.workflow.value;
    const raw = f.attributes.value.trim();
    if (raw) {
      let v;
      try { v = JSON.parse(raw); } catch (e) { throw admin.localError('attributes', 'not valid JSON: ' + e.message); }
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw admin.localError('attributes', 'must be a JSON object');
      p.attributes = v;
    }
    for (const k of ['priority', 'timeout_seconds']) {
      const v = f[k].value.trim();
      if (v === '') continue;
      const n = Number(v);
      if (!Number.isInteger(n)) throw admin.localError(k, 'must be a whole number');
      p[k] = n;
    }
    return p;
  }

  admin.formSubmit(form, build, async (p) => {
    const t = await admin.rpc('task.create', p);
    admin.showStatus(`task ${t.id} created (${t.state})`);
    form.elements.attributes.value = '';
    await poll(true);
  });
  filter.addEventListener('change', render);

  let last = 0;
  let busy = false;
  let again = false;
  async function poll(force) {
    if (!admin.state.authed || (!force && Date.now() - last < 1000)) return;
    if (busy) { again = true; return; }
    busy = true;
    last = Date.now();
    try {
      const [ts, wfs] = await Promise.allSettled([admin.rpc('task.list', {}), admin.rpc('workflow.list', {})]);
      if (ts.status === 'fulfilled' && Array.isArray(ts.value)) tasks = ts.value;
      if (wfs.status === 'fulfilled' && Array.isArray(wfs.value)) workflows = wfs.value;
      fillChoices();
      render();
    } finally {
      busy = false;
      if (again) { again = false; poll(true); }
    }
  }
  admin.onRender(() => { if (!el.hidden) poll(false); else fillChoices(); });
  setInterval(() => { if (!el.hidden) poll(true); }, 2000);
  window.addEventListener('hashchange', () => { if (!el.hidden) poll(true); });
  admin.tasks = { poll: () => poll(true), get list() { return tasks; } };
  render();
})();
