// ---- Keyboard shortcuts and focus (issue 17 item 7) -------------------------
// A answer, R reject, E hang up, H hold or resume, M mute or unmute,
// T transfer, C complete a task (tasks.js), D dialpad, ? this help (dialog#keys-help, also the header's
// "Shortcuts" button). Shortcuts act only when no field has the focus and no
// Ctrl/Alt/Meta is held. Focus: the ringing offer's Accept (app.js), then the
// answered call's card after Accept, the next offer or the calls after
// Reject.
(() => {
  const sb = window.sb;
  const state = sb.state;
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
  const help = $('#keys-help');

  const calls = () => Object.values(state.calls);
  const active = () => calls().find((c) => c.state === 'active');
  const card = (id) => $(`#calls .call-card[data-call="${CSS.escape(id)}"]`);
  // The offer a key acts on: the focused one, else the oldest.
  const offer = () => (document.activeElement && document.activeElement.closest('#toasts .toast')) || $('#toasts .toast');

  function press(sel) {
    const b = typeof sel === 'string' ? $(sel) : sel;
    if (!b || b.disabled || b.hidden) return false;
    b.click();
    return true;
  }

  function inCard(id, cls) {
    const el = id && card(id);
    return el ? press($('button.' + cls, el)) : false;
  }

  const actions = {
    a: () => { const o = offer(); return o ? press($('button.accept', o)) : false; },
    r: () => { const o = offer(); return o ? press($('button.reject', o)) : false; },
    e: () => {
      const c = active() || (calls().length === 1 ? calls()[0] : null);
      return c ? inCard(c.id, 'hangup') : false;
    },
    h: () => {
      const c = active();
      if (c) return inCard(c.id, 'hold');
      const held = calls().filter((x) => x.state === 'held').sort((x, y) => Date.parse(y.held_at || 0) - Date.parse(x.held_at || 0));
      return held.length ? inCard(held[0].id, 'resume') : false;
    },
    m: () => { const c = active(); return c ? inCard(c.id, c.muted ? 'unmute' : 'mute') : false; },
    t: () => {
      const c = active();
      if (!c) return false;
      sb.util.openTransfer(c.id);
      return true;
    },
    c: () => !!sb.tasks && sb.tasks.completeKey(),
    d: () => {
      const d = $('#dialpad-panel');
      d.open = true;
      $('#dial-to').focus();
      return true;
    },
    '?': () => {
      if (!help.open) help.showModal();
      return true;
    },
  };

  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.altKey || e.metaKey || e.repeat || e.defaultPrevented) return;
    const t = e.target;
    if (t && t.closest && t.closest('input, select, textarea, [contenteditable], dialog[open]')) return;
    if (!state.loggedIn && e.key !== '?') return;
    const fn = actions[e.key.length === 1 ? e.key.toLowerCase() : ''];
    if (fn && fn()) e.preventDefault();
  });

  $('#keys-open').addEventListener('click', () => help.showModal());
  $('#keys-close').addEventListener('click', () => help.close());

  // focusAfter(kind, id) (app.js, after an offer is acted on): Accept moves
  // the focus to the answered call's card, Reject to the next offer or the
  // calls, never to <body>.
  sb.focusAfter = (kind, id) => {
    const next = $('#toasts .toast button.accept');
    if (kind === 'accept' && id) {
      const el = card(id);
      const b = el && $$('.card-primary button', el).find((x) => !x.hidden && !x.disabled);
      if (b) {
        b.focus();
        return;
      }
    }
    // The first primary button that shows (a hidden box's buttons take no focus).
    const first = $$('#calls .card-primary button').find((b) => !b.hidden && !b.disabled && b.checkVisibility());
    (next || first || $('#calls-heading')).focus();
  };
})();
