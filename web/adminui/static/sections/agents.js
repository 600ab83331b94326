// ---- Agents (agent.list, agent.put, agent.delete; live fields from state) ----
// The agents table (#section-agents of index.html) with each agent's live
// calls, and the agent form (add, edit; queues as checkboxes that follow the
// queue list). Forms: sections/forms.js.
(() => {
  const admin = window.sbAdmin;
  const { $, $$, h, configTable, setCells, stateBadge, timer, wireForm, intField, localError, resetForm, editForm, saved, nodeBadge } = admin;
  const state = admin.state;
  admin.section({ id: 'agents', title: 'Agents', order: 20 });

  function renderAgents() {
    configTable('agent', 'agents', 'id', 8, editAgent,
      (tr, a) => {
        const calls = Array.isArray(a.calls) ? a.calls : [];
        const queues = Array.isArray(a.queues) ? a.queues : [];
        tr.dataset.activity = a.activity || '';
        tr.dataset.connected = a.connected ? 'yes' : 'no';
        tr.dataset.calls = String(calls.length);
        tr.dataset.node = a.node || ''; // PROTOCOL §13: the node it is logged in on
        setCells(tr, [
          h('span', { class: 'agent-id' }, a.id),
          h('span', { class: 'agent-name' }, a.name || ''),
          h('span', { class: 'agent-extension' }, a.extension || ''),
          h('span', { class: 'agent-queues' }, queues.join(', ')),
          [h('span', { class: `agent-activity activity-${a.activity || 'unknown'}` }, a.activity || '?'), a.wrapup ? h('span', { class: 'badge agent-wrapup' }, 'wrap-up') : null],
          [h('span', { class: 'agent-connected' }, a.connected ? 'yes' : 'no'), nodeBadge('agent-node', a.node)],
          h('span', { class: 'agent-load' }, `${a.load ?? 0}/${a.capacity ?? '?'}`),
          h('ul', { class: 'agent-calls' }, ...calls.map((c) =>
            h('li', { class: 'agent-call', dataset: { call: c.id, state: c.state || '', node: c.node || '' } },
              stateBadge(c.state || '?'), ' ', c.remote || '', c.kind ? ` (${c.kind}${c.queue ? ' ' + c.queue : ''})` : '', nodeBadge('call-node', c.node), ' ',
              timer(c.started_at), c.muted ? h('span', { class: 'badge' }, 'muted') : null,
              Array.isArray(c.merged_with) && c.merged_with.length ? h('span', { class: 'badge' }, 'merged') : null))),
        ]);
      });
  }

  // The agent form's queue checkboxes follow the queue list.
  function renderQueueBoxes() {
    const queues = Object.values(state.queues).sort((a, b) => a.id.localeCompare(b.id));
    const box = $('#agent-queues');
    const checked = new Set($$('input[name=queues]:checked', box).map((i) => i.value));
    const have = $$('input[name=queues]', box).map((i) => i.value).join(',');
    if (have !== queues.map((q) => q.id).join(',')) {
      box.replaceChildren(...(queues.length ? queues.map((q) =>
        h('label', {}, h('input', { type: 'checkbox', name: 'queues', value: q.id, checked: checked.has(q.id) }), ' ', q.id)) : [h('span', { class: 'muted' }, 'no queues yet')]));
    }
  }

  admin.onRender(() => {
    renderAgents();
    renderQueueBoxes();
  });

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
  }, 'agent.put', (a) => saved('agent', 'agents', a.id, a));

  function editAgent(id) {
    const a = state.agents[id];
    if (!a) return;
    const el = editForm(agentForm, 'agent', 'id', id);
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
    el.name.focus();
  }

  $('#agent-new').addEventListener('click', () => resetForm(agentForm));
})();
