// ---- Workflows and activities (PROTOCOL section 10) --------------------------
// workflow.put/list/delete with a JSON editor for the filters, and custom
// activities (activity.put/list/delete; built-ins listed, not deletable).
// Lists are polled every 2 s while authenticated, as sections/trunks.js does.
// IVR menus and prompts are added to this section by sections/menus.js.
(() => {
  const admin = window.sbAdmin;
  const $ = (sel, root = document) => root.querySelector(sel);
  admin.section({ id: 'workflows', title: 'Workflows and menus', order: 60, html: `
  <h2>Workflows</h2>
  <table id="workflows-table" data-testid="workflows-table">
    <thead><tr><th>ID</th><th>Filters (name → targets)</th><th>Default queue</th><th></th></tr></thead>
    <tbody></tbody>
  </table>
  <form id="workflow-form" class="edit-form" novalidate data-testid="workflow-form">
    <label class="stack">Workflow (JSON: {id, name?, filters: [{name, expression?, targets: [{queue, timeout_seconds?, priority?}]}], default_queue?})
      <textarea name="doc" rows="8" cols="80" spellcheck="false" data-testid="workflow-doc"></textarea></label>
    <div class="actions"><button id="workflow-submit" type="submit" class="primary">Save workflow</button></div>
    <p class="form-error" data-form="workflow" data-testid="workflow-error"></p>
  </form>
  <h2>Activities</h2>
  <table id="activities-table" data-testid="activities-table">
    <thead><tr><th>ID</th><th>Name</th><th>Offered work</th><th></th></tr></thead>
    <tbody></tbody>
  </table>
  <form id="activity-form" class="edit-form" novalidate data-testid="activity-form">
    <label class="stack">ID <input name="id" required></label>
    <label class="stack">Name <input name="name"></label>
    <label><input name="available" type="checkbox"> Available (offered work)</label>
    <div class="actions"><button id="activity-submit" type="submit" class="primary">Save activity</button></div>
    <p class="form-error" data-form="activity" data-testid="activity-error"></p>
  </form>
` });
  const wfBody = $('#workflows-table tbody');
  const actBody = $('#activities-table tbody');
  const wfForm = $('#workflow-form');
  const actForm = $('#activity-form');
  if (!admin || !wfBody || !actBody) return;

  const td = (...kids) => { const c = document.createElement('td'); c.append(...kids); return c; };
  // Two clicks within 3 s (app.js deleteButton); the rows are kept while the
  // lists do not change, so a poll between the clicks keeps the button armed.
  const delButton = (method, id, after) => admin.deleteButton(`${method.split('.')[0]} ${id}`, async () => {
    await admin.rpc(method, { id });
    await after();
  });
  const describe = (f) => `${f.name || '(unnamed)'} → ` + (f.targets || []).map((t) =>
    t.queue + (t.timeout_seconds ? ` (${t.timeout_seconds} s)` : '')).join(', ');

  async function refresh() {
    if (!admin.state.authed) return;
    try {
      const [wfs, acts] = await Promise.all([admin.rpc('workflow.list', {}), admin.rpc('activity.list', {})]);
      const sig = JSON.stringify([wfs, acts]);
      if (sig === refresh.sig) return; // unchanged: the rows (and an armed Delete) stay
      refresh.sig = sig;
      wfBody.replaceChildren(...wfs.map((w) => {
        const tr = document.createElement('tr');
        tr.dataset.workflow = w.id;
        const filters = document.createElement('span');
        filters.className = 'workflow-filters';
        filters.textContent = (w.filters || []).map(describe).join('; ');
        const edit = document.createElement('button');
        edit.type = 'button';
        edit.className = 'edit';
        edit.textContent = 'Edit';
        edit.addEventListener('click', () => { wfForm.elements.doc.value = JSON.stringify(w, null, 2); });
        tr.append(td(w.id), td(filters), td(w.default_queue || ''), td(edit, delButton('workflow.delete', w.id, refresh)));
        return tr;
      }));
      actBody.replaceChildren(...acts.map((a) => {
        const tr = document.createElement('tr');
        tr.dataset.activity = a.id;
        tr.append(td(a.id), td(a.name || a.id), td(a.available ? 'yes' : 'no'),
          a.built_in ? td('built-in') : td(delButton('activity.delete', a.id, refresh)));
        return tr;
      }));
    } catch (e) { /* the connection status shows elsewhere */ }
  }

  wfForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = $('.form-error[data-form=workflow]');
    out.textContent = '';
    let doc;
    try { doc = JSON.parse(wfForm.elements.doc.value); } catch (e) { out.textContent = 'Not valid JSON: ' + e.message; return; }
    try { await admin.rpc('workflow.put', doc); await refresh(); } catch (e) { out.textContent = admin.errText(e); }
  });
  actForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = $('.form-error[data-form=activity]');
    out.textContent = '';
    const p = { id: actForm.elements.id.value.trim(), available: actForm.elements.available.checked };
    if (actForm.elements.name.value.trim()) p.name = actForm.elements.name.value.trim();
    try { await admin.rpc('activity.put', p); await refresh(); } catch (e) { out.textContent = admin.errText(e); }
  });
  admin.onRender(() => { if (!refresh.armed && admin.state.authed) { refresh.armed = true; refresh(); } });
  setInterval(refresh, 2000);
})();
