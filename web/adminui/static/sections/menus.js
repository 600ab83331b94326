// ---- IVR menus and prompts (PROTOCOL §10; docs §K "IVR menus and prompts") ---
// In the "Workflows and menus" section (sections/workflows.js makes it):
// menu.list/put/delete with a form of one row per digit (target and the
// attributes the choice adds), timeout, retries and fallback; prompt.list,
// prompt.delete and the upload of a WAV with PUT /api/prompts/<id> and the
// admin token. There is no GET of a prompt's audio, so prompts are not
// played here. A refusal is shown by the field it names (options.<digit>.target,
// fallback, ...), as app.js does for the other forms. Lists are asked after
// state refreshes (at most once a second) and every 5 s while shown.
(() => {
  const admin = window.sbAdmin;
  const { h } = admin;
  const host = document.getElementById('section-workflows');
  if (!host) return;
  const DIGITS = '1234567890*#'.split(''); // keypad order: next free digit, display
  const TOKEN_KEY = 'switchboard.adminToken';
  const wrap = h('div', { id: 'menus-panel', class: 'menus' });
  wrap.innerHTML = `
  <h2>IVR menus <span id="menus-count" class="muted"></span></h2>
  <table id="menus-table" data-testid="menus-table">
    <thead><tr><th scope="col">ID</th><th scope="col">Name</th><th scope="col">Prompt</th><th scope="col">Options (digit → target)</th><th scope="col">Tries</th><th scope="col">Fallback</th><th scope="col">Actions</th></tr></thead>
    <tbody></tbody>
  </table>
  <p class="muted menus-none">No menus yet.</p>
  <p class="form-error" data-form="menus" role="alert" data-testid="menus-error"></p>
  <form id="menu-form" class="edit-form" novalidate data-testid="menu-form">
    <h3><span class="form-mode">Add menu</span></h3>
    <div class="field" data-field="id"><label>Id <input name="id" required autocomplete="off" placeholder="main"></label><span class="field-error" data-field="id"></span></div>
    <div class="field" data-field="name"><label>Name <input name="name" autocomplete="off"></label><span class="field-error" data-field="name"></span></div>
    <div class="field" data-field="prompt"><label>Prompt <select name="prompt"><option value="">choose a prompt</option></select></label><span class="field-error" data-field="prompt"></span></div>
    <div class="field" data-field="timeout_seconds"><label>Digit timeout (s) <input name="timeout_seconds" type="number" min="1" max="60" placeholder="5"></label><span class="field-error" data-field="timeout_seconds"></span></div>
    <div class="field" data-field="retries"><label>Tries <input name="retries" type="number" min="1" max="10" placeholder="3"></label><span class="field-error" data-field="retries"></span></div>
    <div class="field" data-field="fallback"><label>Fallback target <input name="fallback" list="menu-targets" autocomplete="off" placeholder="queue:sales (empty: goodbye)"></label><span class="field-error" data-field="fallback"></span></div>
    <fieldset class="field menu-options-field" data-field="options">
      <legend>Options</legend>
      <div id="menu-options"></div>
      <button id="menu-add-option" type="button">Add option</button>
      <span class="field-error" data-field="options"></span>
    </fieldset>
    <datalist id="menu-targets"></datalist>
    <div class="actions">
      <button id="menu-submit" type="submit" class="primary" data-testid="menu-submit">Save menu</button>
      <button id="menu-new" type="button">New</button>
      <span class="form-error" data-form="menu"></span>
    </div>
  </form>
  <h2>Prompts <span id="prompts-count" class="muted"></span></h2>
  <table id="prompts-table" data-testid="prompts-table">
    <thead><tr><th scope="col">ID</th><th scope="col">Length</th><th scope="col">Used by</th><th scope="col">Actions</th></tr></thead>
    <tbody></tbody>
  </table>
  <p class="muted prompts-none">No prompts uploaded.</p>
  <p class="form-error" data-form="prompts" role="alert" data-testid="prompts-error"></p>
  <form id="prompt-form" class="edit-form" novalidate data-testid="prompt-form">
    <h3>Upload a prompt</h3>
    <div class="field" data-field="id"><label>Id <input name="id" required autocomplete="off" placeholder="welcome"></label><span class="field-error" data-field="id"></span></div>
    <div class="field" data-field="file"><label>WAV file (any rate, mono or stereo, 0.2 s to 2 min) <input name="file" type="file" accept=".wav,audio/wav,audio/x-wav"></label><span class="field-error" data-field="file"></span></div>
    <div class="actions">
      <button id="prompt-upload" type="submit" class="primary" data-testid="prompt-upload">Upload prompt</button>
      <span class="form-error" data-form="prompt"></span>
    </div>
  </form>`;
  host.append(wrap);

  const $ = (sel) => wrap.querySelector(sel);
  const menuForm = $('#menu-form');
  const promptForm = $('#prompt-form');
  const optionsBox = $('#menu-options');
  let menus = [];
  let prompts = [];

  // ---- option rows: one per digit; names carry the digit so that a
  // refusal's field (options.1.target) finds its input.
  function optionRow(digit, opt = {}) {
    const sel = h('select', { class: 'menu-digit', 'aria-label': 'Digit' }, ...DIGITS.map((d) => h('option', { value: d }, d)));
    sel.value = digit;
    const attrs = opt.attributes && Object.keys(opt.attributes).length ? JSON.stringify(opt.attributes) : '';
    const row = h('div', { class: 'menu-option' },
      h('div', { class: 'field menu-digit-field' }, h('label', {}, 'Digit ', sel)),
      h('div', { class: 'field', 'data-field': 'target' }, h('label', {}, 'Target ', h('input', { class: 'menu-target', list: 'menu-targets', autocomplete: 'off', placeholder: 'queue:sales', value: opt.target || '' })),
        h('span', { class: 'field-error', 'data-field': 'target' })),
      h('div', { class: 'field', 'data-field': 'attributes' }, h('label', {}, 'Attributes (JSON) ', h('input', { class: 'menu-attrs', autocomplete: 'off', spellcheck: 'false', placeholder: '{"dept": "sales"}', value: attrs })),
        h('span', { class: 'field-error', 'data-field': 'attributes' })),
      h('button', { type: 'button', class: 'menu-option-remove', onclick: () => { row.remove(); relabel(); } }, 'Remove'));
    sel.addEventListener('change', relabel);
    optionsBox.append(row);
    relabel();
    return row;
  }

  function relabel() {
    for (const row of optionsBox.querySelectorAll('.menu-option')) {
      const d = row.querySelector('.menu-digit').value;
      row.dataset.digit = d;
      for (const [cls, key] of [['.menu-target', 'target'], ['.menu-attrs', 'attributes']]) {
        const name = `options.${d}.${key}`;
        const input = row.querySelector(cls);
        input.name = name;
        input.closest('.field').dataset.field = name;
        input.closest('.field').querySelector('.field-error').dataset.field = name;
      }
    }
  }

  function nextDigit() {
    const used = new Set([...optionsBox.querySelectorAll('.menu-digit')].map((s) => s.value));
    return DIGITS.find((d) => !used.has(d)) || '0';
  }

  function intField(form, name) {
    const v = form.elements[name].value.trim();
    if (v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw admin.localError(name, 'must be a whole number');
    return n;
  }

  function buildMenu() {
    relabel();
    const f = menuForm.elements;
    const p = { id: f.id.value.trim(), prompt: f.prompt.value, options: {} };
    if (!p.id) throw admin.localError('id', 'required');
    if (f.name.value.trim()) p.name = f.name.value.trim();
    if (!p.prompt) throw admin.localError('prompt', 'required (upload one below first)');
    for (const k of ['timeout_seconds', 'retries']) {
      const n = intField(menuForm, k);
      if (n !== undefined) p[k] = n;
    }
    if (f.fallback.value.trim()) p.fallback = f.fallback.value.trim();
    const rows = [...optionsBox.querySelectorAll('.menu-option')];
    if (!rows.length) throw admin.localError('options', 'at least one option');
    for (const row of rows) {
      const d = row.dataset.digit;
      if (p.options[d]) throw admin.localError('options', `digit ${d} is given twice`);
      const o = { target: row.querySelector('.menu-target').value.trim() };
      if (!o.target) throw admin.localError(`options.${d}.target`, 'required');
      const raw = row.querySelector('.menu-attrs').value.trim();
      if (raw) {
        let v;
        try { v = JSON.parse(raw); } catch (e) { throw admin.localError(`options.${d}.attributes`, 'not valid JSON: ' + e.message); }
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw admin.localError(`options.${d}.attributes`, 'must be a JSON object');
        o.attributes = v;
      }
      p.options[d] = o;
    }
    return p;
  }

  function resetMenuForm() {
    menuForm.reset();
    admin.clearErrors(menuForm);
    delete menuForm.dataset.editing;
    menuForm.elements.id.readOnly = false;
    $('#menu-form .form-mode').textContent = 'Add menu';
    optionsBox.replaceChildren();
    optionRow('1');
  }

  function editMenu(m) {
    resetMenuForm();
    menuForm.dataset.editing = m.id;
    $('#menu-form .form-mode').textContent = `Edit menu ${m.id}`;
    const f = menuForm.elements;
    f.id.value = m.id;
    f.id.readOnly = true;
    f.name.value = m.name && m.name !== m.id ? m.name : '';
    fillPromptSelect(m.prompt);
    f.prompt.value = m.prompt || '';
    f.timeout_seconds.value = m.timeout_seconds || '';
    f.retries.value = m.retries || '';
    f.fallback.value = m.fallback || '';
    optionsBox.replaceChildren();
    const digits = Object.keys(m.options || {}).sort((a, b) => DIGITS.indexOf(a) - DIGITS.indexOf(b));
    for (const d of digits) optionRow(d, m.options[d]);
    if (!digits.length) optionRow('1');
    f.name.focus();
  }

  admin.formSubmit(menuForm, buildMenu, async (p) => {
    await admin.rpc('menu.put', p);
    admin.showStatus(`menu ${p.id} saved`);
    resetMenuForm();
    await refresh(true);
  });
  $('#menu-add-option').addEventListener('click', () => optionRow(nextDigit()).querySelector('.menu-target').focus());
  $('#menu-new').addEventListener('click', resetMenuForm);

  // ---- prompt upload: PUT /api/prompts/<id>, the file as the body.
  function uploadError(status, reason) {
    if (status === 413) return admin.localError('file', reason || 'larger than 32 MiB');
    if (status === 400) return admin.localError(/\bid\b/.test(reason) && !/wav/i.test(reason) ? 'id' : 'file', reason);
    if (status === 401) return Object.assign(new Error('not authorised: log in again'), { rpc: false });
    return Object.assign(new Error(`upload: ${status} ${reason}`), { rpc: false });
  }

  admin.formSubmit(promptForm, (form) => {
    const id = form.elements.id.value.trim();
    const file = form.elements.file.files && form.elements.file.files[0];
    if (!id) throw admin.localError('id', 'required');
    if (!file) throw admin.localError('file', 'choose a WAV file');
    return { id, file };
  }, async ({ id, file }) => {
    const resp = await fetch(`/api/prompts/${encodeURIComponent(id)}`, {
      method: 'PUT', body: file, cache: 'no-store',
      headers: { Authorization: 'Bearer ' + (sessionStorage.getItem(TOKEN_KEY) || ''), 'Content-Type': 'audio/wav' },
    });
    const text = await resp.text();
    let body = {};
    try { body = JSON.parse(text); } catch (e) { /* not JSON: shown as text */ }
    if (!resp.ok) {
      const reason = (body.error && body.error.data && body.error.data.reason) || text.trim() || resp.statusText;
      throw uploadError(resp.status, reason);
    }
    admin.showStatus(`prompt ${body.id || id} uploaded (${(body.seconds || 0).toFixed(1)} s)`);
    promptForm.reset();
    await refresh(true);
  });

  // ---- lists
  const td = (cls, ...kids) => h('td', { class: cls }, ...kids);
  const targetText = (m) => DIGITS.filter((d) => m.options && m.options[d]).map((d) => `${d} → ${m.options[d].target}`).join(', ');

  function fillPromptSelect(keep) {
    const sel = menuForm.elements.prompt;
    const cur = keep !== undefined ? keep : sel.value;
    const ids = prompts.map((p) => p.id);
    if (cur && !ids.includes(cur)) ids.push(cur);
    sel.replaceChildren(h('option', { value: '' }, 'choose a prompt'), ...ids.sort().map((id) => h('option', { value: id }, id)));
    sel.value = cur || '';
  }

  function fillTargets() {
    const list = [];
    for (const q of Object.values(admin.state.queues || {})) list.push(`queue:${q.id}`);
    for (const m of menus) list.push(`ivr:menu:${m.id}`);
    for (const a of Object.values(admin.state.agents || {})) if (a.extension) list.push(`extension:${a.extension}`);
    list.push('ivr:extension');
    $('#menu-targets').replaceChildren(...list.sort().map((t) => h('option', { value: t })));
  }

  function listError(form, err) {
    const out = wrap.querySelector(`.form-error[data-form=${form}]`);
    out.textContent = admin.errText(err);
  }

  function render() {
    const usedBy = new Map();
    for (const m of menus) if (m.prompt) usedBy.set(m.prompt, [...(usedBy.get(m.prompt) || []), m.id]);
    admin.keyedRows($('#menus-table tbody'), 'menu', menus, (m) => m.id,
      () => h('tr', {}, td('menu-id'), td('menu-name'), td('menu-prompt'), td('menu-options'), td('menu-tries'), td('menu-fallback'), td('menu-actions')),
      (tr, m) => {
        const sig = JSON.stringify(m); // unchanged rows keep their cells (an armed button stays armed)
        if (tr.dataset.sig === sig) return;
        tr.dataset.sig = sig;
        const edit = h('button', { type: 'button', class: 'edit', onclick: () => editMenu(m) }, 'Edit');
        const del = admin.armedButton('delete', 'delete', 'Delete', 'Confirm delete', async () => {
          wrap.querySelector('.form-error[data-form=menus]').textContent = '';
          await admin.rpc('menu.delete', { id: m.id });
          admin.showStatus(`menu ${m.id} deleted`);
          await refresh(true);
        }, (e) => listError('menus', e));
        admin.setCells(tr, [m.id, m.name || m.id, m.prompt, targetText(m), `${m.retries} × ${m.timeout_seconds} s`, m.fallback || 'goodbye', [edit, ' ', del]]);
      });
    admin.keyedRows($('#prompts-table tbody'), 'prompt', prompts, (p) => p.id,
      () => h('tr', {}, td('prompt-id'), td('prompt-seconds'), td('prompt-used'), td('prompt-actions')),
      (tr, p) => {
        const sig = JSON.stringify([p, usedBy.get(p.id)]);
        if (tr.dataset.sig === sig) return;
        tr.dataset.sig = sig;
        const del = admin.armedButton('delete', 'delete', 'Delete', 'Confirm delete', async () => {
          wrap.querySelector('.form-error[data-form=prompts]').textContent = '';
          await admin.rpc('prompt.delete', { id: p.id });
          admin.showStatus(`prompt ${p.id} deleted`);
          await refresh(true);
        }, (e) => listError('prompts', e));
        admin.setCells(tr, [p.id, `${Number(p.seconds || 0).toFixed(1)} s`, (usedBy.get(p.id) || []).join(', ') || '—', del]);
      });
    $('#menus-table').hidden = menus.length === 0;
    wrap.querySelector('.menus-none').hidden = menus.length > 0;
    $('#prompts-table').hidden = prompts.length === 0;
    wrap.querySelector('.prompts-none').hidden = prompts.length > 0;
    $('#menus-count').textContent = `(${menus.length})`;
    $('#prompts-count').textContent = `(${prompts.length})`;
    fillPromptSelect();
    fillTargets();
  }

  let last = 0;
  let busy = null; // the running refresh
  let again = false; // a forced refresh came while one ran
  async function refresh(force) {
    if (!admin.state.authed || (!force && Date.now() - last < 1000)) return;
    if (busy) {
      again = again || force;
      return busy;
    }
    last = Date.now();
    busy = (async () => {
      try {
        const [ms, ps] = await Promise.all([admin.rpc('menu.list', {}), admin.rpc('prompt.list', {})]);
        menus = Array.isArray(ms) ? ms : [];
        prompts = Array.isArray(ps) ? ps : [];
        render();
      } catch (e) {
        // the socket reconnects on its own; the next refresh retries
      }
    })();
    await busy;
    busy = null;
    if (again) {
      again = false;
      await refresh(true);
    }
  }
  admin.onRender(() => refresh(false));
  setInterval(() => { if (!host.hidden) refresh(true); }, 5000);
  resetMenuForm();
  render();
  admin.menus = { refresh: () => refresh(true), get menus() { return menus; }, get prompts() { return prompts; } };
})();
