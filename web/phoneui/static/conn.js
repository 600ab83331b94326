// ---- Connection states (issue 17 item 3) -----------------------------------
// Explicit and honest: while the websocket is down after a session, the
// banner says "reconnecting", counts down the gateway's grace period
// (login result reconnect_grace_seconds) and says the calls are on hold
// meanwhile; the cards show it too (cards.js reads sb.conn.down()). After the
// re-login, a call of before that the gateway no longer has is listed as
// lost, with the reason; calls that came back held say why; an activity that
// changed while away (a gateway restart makes the agent offline) is said,
// with one button to set it back.
(() => {
  const sb = window.sb;
  const state = sb.state;
  const { h, elapsed, callerName, kindLabel } = sb.util;
  const $ = (sel, root = document) => root.querySelector(sel);
  const banner = $('#conn-banner');
  const msg = $('#conn-message');
  const actions = $('#conn-actions');
  const lostList = $('#lost-calls');
  // droppedAt: when the session's socket went (0 while up); calls: the calls
  // then; activity: the agent's activity then.
  const away = { droppedAt: 0, calls: {}, activity: '', timer: 0 };

  const down = () => away.droppedAt > 0;
  const graceLeft = () => Math.max(0, state.graceSeconds - Math.floor((Date.now() - away.droppedAt) / 1000));

  function callLabel(c) {
    const name = callerName(c);
    return `${name ? name + ' (' + (c.remote || '?') + ')' : c.remote || c.id}, ${kindLabel(c)}`;
  }

  function show(kind, text, buttons = []) {
    banner.hidden = false;
    banner.dataset.kind = kind;
    banner.className = 'banner ' + kind;
    if (msg.textContent !== text) msg.textContent = text;
    if (actions.dataset.for !== kind) {
      actions.replaceChildren(...buttons);
      actions.dataset.for = kind;
    }
  }

  function hide() {
    banner.hidden = true;
    banner.dataset.kind = '';
    actions.replaceChildren();
    actions.dataset.for = '';
  }

  function renderDown() {
    const n = Object.keys(away.calls).length;
    const secs = Math.floor((Date.now() - away.droppedAt) / 1000);
    const now = h('button', { type: 'button', class: 'reconnect-now', 'data-testid': 'reconnect-now', onclick: () => sb.client.open() }, 'Reconnect now');
    let text = `Connection to the gateway lost. Reconnecting… (down ${elapsed(new Date(away.droppedAt).toISOString())})`;
    if (n > 0 && state.graceSeconds > 0) {
      const left = graceLeft();
      text += left > 0
        ? ` Your ${n === 1 ? 'call is' : n + ' calls are'} on hold while we reconnect; the gateway keeps ${n === 1 ? 'it' : 'them'} for ${left} s more.`
        : ` The gateway kept your ${n === 1 ? 'call' : 'calls'} on hold for ${state.graceSeconds} s and has let ${n === 1 ? 'it' : 'them'} go: the talking call returns to its queue, the others are ended.`;
    } else if (n > 0) {
      text += ` Your ${n === 1 ? 'call is' : n + ' calls are'} on hold while we reconnect.`;
    } else {
      text += ' You get no calls until the connection is back.';
    }
    show('reconnecting', text, [now]);
    banner.dataset.graceLeft = String(n > 0 ? graceLeft() : '');
    banner.dataset.downFor = String(secs);
  }

  function onConnection(s) {
    if (!state.hadSession || state.takenOver) {
      if (down()) stop();
      if (s === 'idle') hide();
      return;
    }
    if ((s === 'reconnecting' || s === 'connecting' || s === 'closed') && !down()) {
      away.droppedAt = Date.now();
      away.calls = Object.assign({}, state.calls);
      away.activity = (state.agent && state.agent.activity) || '';
      clearInterval(away.timer);
      away.timer = setInterval(renderDown, 500);
      renderDown();
      sb.util.renderCalls();
    }
  }

  function stop() {
    away.droppedAt = 0;
    clearInterval(away.timer);
  }

  function lostItem(text, reason, extra) {
    const li = h('li', { class: 'lost-call', 'data-testid': 'lost-call' },
      h('strong', {}, text), ' ', h('span', { class: 'lost-reason', 'data-testid': 'lost-reason' }, reason), ' ', extra || null,
      h('button', { type: 'button', class: 'lost-dismiss', 'aria-label': 'Dismiss', onclick: () => li.remove() }, 'Dismiss'));
    lostList.append(li);
    while (lostList.children.length > 6) lostList.firstElementChild.remove();
  }

  // relogin(res) runs in app.js applyLogin before the calls are replaced.
  function relogin(res) {
    if (!down()) return;
    const downSecs = Math.round((Date.now() - away.droppedAt) / 1000);
    const back = new Set((res.calls || []).filter((c) => c && c.state !== 'ended').map((c) => c.id));
    const before = Object.values(away.calls);
    const graceOver = state.graceSeconds > 0 && downSecs >= state.graceSeconds;
    for (const c of before) {
      if (back.has(c.id)) continue;
      let reason;
      if (graceOver) {
        reason = `The connection was down ${downSecs} s, longer than the gateway's ${state.graceSeconds} s grace: ` +
          (c.state === 'active' ? 'the caller went back to the queue.' : 'the caller heard an announcement and was disconnected.');
      } else {
        reason = `The gateway no longer had this call when the connection came back after ${downSecs} s (it may have restarted).`;
      }
      lostItem('Call lost: ' + callLabel(c) + '.', reason);
    }
    const was = away.activity;
    const now = res.agent && res.agent.activity;
    if (was && now && was !== now) {
      const restore = h('button', { type: 'button', class: 'restore-activity', 'data-testid': 'restore-activity', onclick: (e) => {
        const sel = $('#activity');
        sel.value = was;
        sel.dispatchEvent(new Event('change'));
        e.target.closest('li').remove();
      } }, `Set ${was} again`);
      lostItem(`Your activity is now ${now}, not ${was}.`, 'It changed while the connection was down (the gateway may have restarted).', restore);
    }
    const held = (res.calls || []).filter((c) => c && before.some((b) => b.id === c.id) && c.state === 'held');
    stop();
    if (held.length) {
      const dismiss = h('button', { type: 'button', class: 'conn-dismiss', onclick: hide }, 'OK');
      show('info', `Reconnected after ${downSecs} s. The gateway put your ${held.length === 1 ? 'call' : 'calls'} on hold while the connection was down: press Resume to talk again.`, [dismiss]);
    } else {
      hide();
    }
    sb.util.showStatus(`reconnected after ${downSecs} s`);
  }

  // rendered(calls) (cards.js): the "calls back on hold" notice goes once a
  // call is talking again.
  function rendered(calls) {
    if (banner.dataset.kind === 'info' && calls.some((c) => c.state === 'active')) hide();
  }

  sb.onConnection(onConnection);
  sb.conn = { relogin, down, rendered };
})();
