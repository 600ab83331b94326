// ---- Call cards (issue 17: "each call as a card") ---------------------------
// One li.call-card per call in ul#calls: who (caller name, number), what
// (queue name or kind), the talk timer from the answer and the hold timer,
// big primary actions (Hold/Resume, Mute/Unmute, Hang up), the warm-transfer
// Complete/Cancel controls while a consult is up, and the secondary actions
// (Transfer, Park, Keypad, select for merge) behind one "More" click.
// app.js calls sb.cards.render(calls) on every change and sb.cards.tick()
// twice a second. README.md lists the selectors.
(() => {
  const sb = window.sb;
  const { h, elapsed, talkSince, openTransfer } = sb.util;
  const state = sb.state;
  const $ = (sel, root = document) => root.querySelector(sel);
  const list = $('#calls');

  // sbReveal(selector) opens the <details> holding an element (a card's
  // "More" actions, the dialpad), as a click on its summary would; webtest
  // Click and WaitVisible call it.
  window.sbReveal = (sel) => {
    const el = document.querySelector(sel);
    for (let d = el && el.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) d.open = true;
  };

  // The kind line of a card: as an offer's (app.js), a consult says so.
  const kindLabel = (c) => (c.consult_for ? 'Consult call' : sb.util.kindLabel(c));

  function stateLabel(c) {
    switch (c.state) {
      case 'active':
        return 'Talking';
      case 'held':
        return 'On hold';
      case 'ringing':
        return c.direction === 'outbound' ? 'Ringing out' : 'Ringing';
      default:
        return c.state || '';
    }
  }

  const btn = (cls, text, onclick, extra = {}) =>
    h('button', Object.assign({ type: 'button', class: cls, 'data-testid': cls.split(' ')[0], onclick }, extra), text);

  function make(id) {
    const call = (method, label, params = {}) => sb.callMethod(method, Object.assign({ call: id }, params), label);
    const merge = h('input', { type: 'checkbox', class: 'merge-select', 'data-testid': 'merge-select', 'aria-label': 'Select for merge' });
    merge.addEventListener('change', () => {
      const sel = state.mergeSelection.filter((x) => x !== id);
      if (merge.checked) sel.push(id);
      state.mergeSelection = sel;
      sb.util.renderCalls();
    });
    const nameId = `call-${id}-name`;
    return h('li', { class: 'call-card', dataset: { call: id }, 'data-testid': 'call-card', 'aria-labelledby': nameId },
      h('div', { class: 'card-head' },
        h('div', { class: 'card-who' },
          h('div', { class: 'call-name', id: nameId, 'data-testid': 'call-name' }),
          h('div', { class: 'call-remote', 'data-testid': 'call-remote' }),
          h('div', { class: 'call-kind', 'data-testid': 'call-kind' })),
        h('div', { class: 'card-time' },
          h('div', { class: 'call-state', 'data-testid': 'call-state' }),
          h('div', { class: 'call-timer', 'data-testid': 'call-timer', 'aria-label': 'Talk time' }),
          h('div', { class: 'call-hold-timer', 'data-testid': 'call-hold-timer', hidden: true }),
          h('div', { class: 'call-badges' },
            h('span', { class: 'badge badge-muted', 'data-testid': 'badge-muted', hidden: true }, 'Muted'),
            h('span', { class: 'badge badge-merged', 'data-testid': 'badge-merged', hidden: true }, 'Merged'),
            h('span', { class: 'badge badge-recording', 'data-testid': 'badge-recording', role: 'status', hidden: true })))),
      h('div', { class: 'card-consult', 'data-testid': 'card-consult', hidden: true },
        h('p', { class: 'consult-text', 'data-testid': 'consult-text' }),
        btn('transfer-complete primary', 'Complete transfer', () => call('call.transfer', 'complete transfer', { mode: 'complete' })),
        btn('transfer-abort', 'Cancel transfer', () => call('call.transfer', 'cancel transfer', { mode: 'cancel' }))),
      h('div', { class: 'card-primary' },
        btn('hold', 'Hold', () => call('call.hold', 'hold'), { 'aria-keyshortcuts': 'H' }),
        btn('resume', 'Resume', () => call('call.resume', 'resume'), { title: 'Resume this call (the other active call is held)', 'aria-keyshortcuts': 'H' }),
        btn('mute', 'Mute', () => call('call.mute', 'mute'), { 'aria-keyshortcuts': 'M' }),
        btn('unmute', 'Unmute', () => call('call.unmute', 'unmute'), { 'aria-keyshortcuts': 'M' }),
        btn('hangup', 'Hang up', () => call('call.hangup', 'hang up'), { 'aria-keyshortcuts': 'E' }),
        // PROTOCOL §12: pause for card numbers; both channels are silent meanwhile.
        btn('record-pause', 'Pause recording', () => call('call.record.pause', 'pause recording'), { title: 'Pause the recording (for card numbers)' }),
        btn('record-resume', 'Resume recording', () => call('call.record.resume', 'resume recording'))),
      h('details', { class: 'card-more', 'data-testid': 'card-more' },
        h('summary', {}, 'More actions'),
        h('div', { class: 'card-secondary' },
          btn('transfer', 'Transfer…', () => openTransfer(id), { 'aria-keyshortcuts': 'T' }),
          btn('park', 'Park', () => call('call.park', 'park'), { title: 'Park this call: it leaves you, the caller hears music, anyone can pick it up' }),
          btn('keypad', 'Keypad', () => {
            const d = $('#dialpad-panel');
            d.open = true;
            $('#dialpad button', d).focus();
          }),
          h('label', { class: 'merge-label' }, merge, 'Select for merge'))));
  }

  function set(root, sel, text) {
    const el = $(sel, root);
    if (el.textContent !== text) el.textContent = text;
  }

  function update(li, c, otherActive) {
    const st = c.state || 'ringing';
    li.dataset.state = st;
    // While the connection is down the gateway holds every call (conn.js).
    const down = !!(sb.conn && sb.conn.down());
    li.dataset.conn = down ? 'down' : 'up';
    li.classList.toggle('conn-down', down);
    for (const b of li.querySelectorAll('button')) b.disabled = down;
    li.dataset.muted = c.muted ? 'yes' : 'no';
    for (const k of ['active', 'held', 'ringing']) li.classList.toggle(k, st === k);
    const arrow = c.direction === 'outbound' ? '→ ' : '← ';
    const name = (c.caller_name || '').trim();
    set(li, '.call-name', name || c.remote || 'Unknown caller');
    set(li, '.call-remote', name ? arrow + (c.remote || '') : (c.direction === 'outbound' ? 'Outgoing' : 'Incoming'));
    set(li, '.call-kind', kindLabel(c));
    set(li, '.call-state', down ? 'On hold: reconnecting' : stateLabel(c));
    set(li, '.call-timer', elapsed(talkSince(c)));
    const held = st === 'held';
    $('.call-hold-timer', li).hidden = !held;
    set(li, '.call-hold-timer', held ? 'on hold ' + elapsed(state.heldSince[c.id]) : '');
    $('.badge-muted', li).hidden = !c.muted;
    $('.badge-merged', li).hidden = !(Array.isArray(c.merged_with) && c.merged_with.length > 0);
    const rec = c.recording === 'on' || c.recording === 'paused' ? c.recording : '';
    li.dataset.recording = rec || 'off';
    $('.badge-recording', li).hidden = !rec;
    set(li, '.badge-recording', rec === 'paused' ? 'Recording paused' : rec ? 'Recording' : '');

    // Warm transfer (issue 17 item 2): both the caller's card and the
    // consult's card offer Complete and Cancel.
    // A link counts while the other call is still on this page.
    const consult = c.consult_for ? state.calls[c.consult_for] : null;
    const target = c.consult ? state.calls[c.consult] : null;
    const inTransfer = !!(consult || target);
    $('.card-consult', li).hidden = !inTransfer;
    li.classList.toggle('in-transfer', inTransfer);
    if (inTransfer) {
      const who = (x) => (x ? (x.caller_name ? `${x.caller_name} (${x.remote})` : x.remote) : '');
      set(li, '.consult-text', consult
        ? `Consulting ${c.remote || ''} about ${who(consult) || 'the held caller'}. Complete connects them; Cancel returns you to the caller.`
        : `Transferring to ${who(target) || 'the consulted party'}: this caller is on hold.`);
    }

    const live = st === 'active' || held;
    $('button.hold', li).hidden = st !== 'active';
    const resume = $('button.resume', li);
    resume.hidden = !held;
    const label = otherActive ? 'Resume (swap)' : 'Resume';
    if (resume.textContent !== label) resume.textContent = label;
    $('button.mute', li).hidden = !(st === 'active' && !c.muted);
    $('button.unmute', li).hidden = !(st === 'active' && c.muted);
    $('button.transfer', li).hidden = !live || inTransfer;
    $('button.park', li).hidden = !live || inTransfer;
    $('button.keypad', li).hidden = st !== 'active';
    $('button.record-pause', li).hidden = !live || rec !== 'on';
    $('button.record-resume', li).hidden = !live || rec !== 'paused';
    const merge = $('input.merge-select', li);
    merge.disabled = !live;
    merge.checked = live && state.mergeSelection.includes(c.id);
    $('.card-more', li).hidden = !live;
  }

  function render(calls) {
    // Only call cards: other items (another file's task cards) are left alone.
    const cards = new Map([...list.children].filter((li) => li.dataset.call).map((li) => [li.dataset.call, li]));
    let lostFocus = false;
    for (const [id, li] of cards) {
      if (state.calls[id]) continue;
      lostFocus = lostFocus || li.contains(document.activeElement);
      li.remove();
    }
    const active = calls.filter((c) => c.state === 'active');
    calls.forEach((c, i) => {
      let li = cards.get(c.id);
      if (!li) li = make(c.id);
      update(li, c, active.some((a) => a.id !== c.id));
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
    });
    if (sb.conn) sb.conn.rendered(calls);
    // A card that goes (hung up) does not drop the focus to <body>.
    if (lostFocus) {
      const next = [...list.querySelectorAll('.card-primary button')].find((b) => !b.hidden && !b.disabled);
      (next || $('#toasts .toast button.accept') || $('#calls-heading')).focus();
    }
  }

  function tick() {
    for (const li of list.children) {
      const c = li.dataset.call && state.calls[li.dataset.call];
      if (!c) continue;
      set(li, '.call-timer', elapsed(talkSince(c)));
      if (state.heldSince[c.id]) set(li, '.call-hold-timer', 'on hold ' + elapsed(state.heldSince[c.id]));
    }
  }

  sb.cards = { render, tick };
  sb.util.renderCalls();
})();
