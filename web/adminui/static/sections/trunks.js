// ---- Trunks (PROTOCOL section 9: trunk.put/get/list/delete) ------------------
// A section file (README.md "Adding a section"): its markup, its polling of
// trunk.list every 2 s while authenticated (registration status is live).
(() => {
  const admin = window.sbAdmin;
  const $ = (sel, root = document) => root.querySelector(sel);
  admin.section({ id: 'trunks', title: 'Trunks', order: 50, html: `
  <h2>Trunks <span id="trunks-count" class="muted"></span></h2>
  <table id="trunks-table" data-testid="trunks-table">
    <thead><tr><th>ID</th><th>Host</th><th>Prefixes</th><th>Priority</th><th>Caller ID</th><th>Registration</th><th>Calls (active / in / out)</th><th></th></tr></thead>
    <tbody></tbody>
  </table>
  <form id="trunk-form" class="edit-form" novalidate data-testid="trunk-form">
    <label class="stack">ID <input name="id" required data-testid="trunk-id"></label>
    <label class="stack">Name <input name="name"></label>
    <label class="stack">Host <input name="host" required data-testid="trunk-host"></label>
    <label class="stack">Port <input name="port" type="number" min="1" max="65535"></label>
    <label class="stack">Transport <select name="transport"><option>udp</option><option>tcp</option><option>tls</option></select></label>
    <label class="stack">Username <input name="username" autocomplete="off"></label>
    <label class="stack">Password <input name="password" type="password" autocomplete="new-password" placeholder="unchanged"></label>
    <label><input name="register" type="checkbox"> Register</label>
    <label class="stack">Register expires (s) <input name="register_expires" type="number" min="10" max="86400"></label>
    <label class="stack">Caller ID <input name="caller_id"></label>
    <label class="stack">Prefixes (comma-separated) <input name="prefixes"></label>
    <label class="stack">Priority (lower first) <input name="priority" type="number" min="-1000" max="1000"></label>
    <label class="stack">Allow (CIDRs, comma-separated) <input name="allow"></label>
    <label class="stack">SRTP <select name="srtp"><option>off</option><option>optional</option><option>required</option></select></label>
    <label class="stack">Max calls (0 = no limit) <input name="max_calls" type="number" min="0"></label>
    <div class="actions">
      <button id="trunk-submit" type="submit" class="primary" data-testid="trunk-submit">Save trunk</button>
      <button id="trunk-new" type="button" data-testid="trunk-new">New</button>
    </div>
    <p class="form-error" data-form="trunk" data-testid="trunk-error"></p>
  </form>
` });
  const form = $('#trunk-form');
  const tbody = $('#trunks-table tbody');
  if (!admin || !form || !tbody) return;
  let trunks = [];
  let editing = null; // id being edited, or null for a new trunk

  const list = (s) => String(s || '').split(',').map((x) => x.trim()).filter(Boolean);
  const text = (v) => (v === undefined || v === null ? '' : String(v));

  function cell(...children) {
    const td = document.createElement('td');
    for (const c of children) td.append(c);
    return td;
  }

  function render() {
    tbody.replaceChildren(...trunks.map((t) => {
      const st = t.status || {};
      const tr = document.createElement('tr');
      tr.dataset.trunk = t.id;
      let reg = st.registration || 'disabled';
      if (st.registered_until) reg += ` until ${new Date(st.registered_until).toLocaleTimeString()}`;
      if (st.last_error) reg += ` (${st.last_error})`;
      const edit = document.createElement('button');
      edit.type = 'button';
      edit.textContent = 'Edit';
      edit.addEventListener('click', () => load(t));
      const del = document.createElement('button');
      del.type = 'button';
      del.textContent = 'Delete';
      del.dataset.testid = 'trunk-delete';
      del.addEventListener('click', async () => {
        if (!window.confirm(`Delete trunk ${t.id}?`)) return;
        try { await admin.rpc('trunk.delete', { id: t.id }); } catch (e) { showError(e); }
        poll();
      });
      tr.append(cell(t.id), cell(`${t.host}:${t.port || (t.transport === 'tls' ? 5061 : 5060)}/${t.transport}`),
        cell((t.prefixes || []).join(', ') || 'all'), cell(text(t.priority)), cell(text(t.caller_id)),
        cell(reg), cell(`${st.active_calls || 0} / ${st.calls_in || 0} / ${st.calls_out || 0}`), cell(edit, ' ', del));
      tr.children[5].dataset.registration = st.registration || 'disabled';
      return tr;
    }));
    $('#trunks-count').textContent = `(${trunks.length})`;
  }

  function load(t) {
    editing = t ? t.id : null;
    form.reset();
    if (!t) return;
    for (const k of ['id', 'name', 'host', 'port', 'username', 'register_expires', 'caller_id', 'priority', 'max_calls']) {
      form.elements[k].value = text(t[k] === 0 && k === 'port' ? '' : t[k]);
    }
    form.elements.transport.value = t.transport || 'udp';
    form.elements.srtp.value = t.srtp || 'off';
    form.elements.register.checked = !!t.register;
    form.elements.prefixes.value = (t.prefixes || []).join(', ');
    form.elements.allow.value = (t.allow || []).join(', ');
    form.elements.id.readOnly = true;
  }

  function showError(e) {
    const reason = e && e.reason ? e.reason : (e && e.message) || String(e);
    $('[data-form="trunk"]', form).textContent = reason;
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('[data-form="trunk"]', form).textContent = '';
    const f = form.elements;
    const p = {
      id: f.id.value.trim(), name: f.name.value, host: f.host.value.trim(), transport: f.transport.value,
      username: f.username.value, register: f.register.checked, caller_id: f.caller_id.value.trim(),
      prefixes: list(f.prefixes.value), allow: list(f.allow.value), srtp: f.srtp.value,
    };
    for (const k of ['port', 'register_expires', 'priority', 'max_calls']) if (f[k].value !== '') p[k] = Number(f[k].value);
    if (f.password.value !== '') p.password = f.password.value; // empty keeps the stored one
    try {
      await admin.rpc('trunk.put', p);
      load(null);
      form.elements.id.readOnly = false;
    } catch (e) {
      showError(e);
    }
    poll();
  });
  $('#trunk-new').addEventListener('click', () => { load(null); form.elements.id.readOnly = false; });

  let busy = false;
  async function poll() {
    if (busy || !admin.state.authed) return;
    busy = true;
    try {
      const got = await admin.rpc('trunk.list', {});
      if (Array.isArray(got)) {
        trunks = got;
        render();
      }
    } catch (e) {
      // the socket reconnects on its own; the next poll retries
    } finally {
      busy = false;
    }
  }
  setInterval(poll, 2000);
  window.sbAdmin.trunks = { poll, get list() { return trunks; }, editing: () => editing };
})();
