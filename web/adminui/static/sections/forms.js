// ---- Forms and validation errors (not a section) -----------------------------
// The helpers every section's form uses, on window.sbAdmin: formSubmit and
// wireForm (submit through JSON-RPC, errors shown by field), localError and
// intField (checks made on the page), clearErrors, showFormError, resetForm,
// flash (a saved row). A -32602 error names its field by data.field, the text
// before ':' of its reason, or the first field the reason names (ALIASES).
// Listed first in adminui.go: the sections wire their forms as they load.
(() => {
  const admin = window.sbAdmin;
  const { $, $$, errText } = admin;

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
      const res = await admin.rpc(method, params);
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

  // editForm puts form in edit mode for kind's key: reset, data-editing,
  // the key field (name) filled and read-only, the mode "Edit KIND KEY".
  // It returns the form's elements.
  function editForm(form, kind, name, key) {
    resetForm(form);
    form.dataset.editing = key;
    form.elements[name].value = key;
    form.elements[name].readOnly = true;
    $('.form-mode', form).textContent = `Edit ${kind} ${key}`;
    return form.elements;
  }

  // saved merges obj, just saved, into admin.state[list][key], redraws,
  // flashes its row (#LIST-table tr[data-KIND=KEY]) and says so.
  function saved(kind, list, key, obj) {
    const map = admin.state[list];
    map[key] = Object.assign({}, map[key] || {}, obj);
    admin.render();
    flash(`#${list}-table tr[data-${kind}="${CSS.escape(key)}"]`);
    admin.showStatus(`${kind} ${key} saved`);
  }

  Object.assign(admin, { editForm, saved, clearErrors, showFormError, localError, formSubmit, wireForm, intField, resetForm, flash });
})();
