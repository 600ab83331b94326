// ---- Queues (queue.list, queue.put, queue.delete; live fields from state) ----
// The queues table (#section-queues of index.html) with each queue's live
// columns (admin.queueLive) and the queue form. Forms: sections/forms.js.
(() => {
  const admin = window.sbAdmin;
  const { $, h, configTable, setCells, timer, queueLive, wireForm, intField, localError, resetForm, editForm, saved } = admin;
  const state = admin.state;
  admin.section({ id: 'queues', title: 'Queues', order: 30 });

  function renderQueues() {
    configTable('queue', 'queues', 'id', 10, editQueue,
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
  }

  admin.onRender(renderQueues);

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
  }, 'queue.put', (q) => saved('queue', 'queues', q.id, q));

  function editQueue(id) {
    const q = state.queues[id];
    if (!q) return;
    const el = editForm(queueForm, 'queue', 'id', id);
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
    el.name.focus();
  }

  $('#queue-new').addEventListener('click', () => resetForm(queueForm));
})();
