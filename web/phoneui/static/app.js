// Switchboard agent softphone (PROTOCOL.md section 4). Plain browser
// JavaScript, no build step, no dependencies. window.sb exposes {pc, ws,
// state, rpc} for tests and for debugging from the console.
'use strict';
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

  const { h, errText, elapsed } = sbPage; // web/page/static/dom.js

  const state = {
    connection: 'idle', // idle | connecting | open | reconnecting | closed
    loggedIn: false,
    hadSession: false, // a login succeeded since the form was submitted
    parked: [], // the floor's parked calls [{slot, call, by, since, from}] (PROTOCOL §11)
    takenOver: false,
    agent: null,
    calls: {}, // id -> Call
    reservations: {}, // id -> Reservation
    rtc: 'new', // RTCPeerConnection.connectionState, or 'error'
    queueNames: {}, // queue id -> name (login result queue_names)
    graceSeconds: 0, // login result reconnect_grace_seconds
    rtcNegotiated: false,
    ringing: false,
    wrapupCall: '', // the last call that ended, for wrapup.done
    mergeSelection: [],
    heldSince: {}, // call id -> ISO time it was seen held
    lastError: '',
    logins: 0,
  };
  const sb = { state, pc: null, ws: null, rpc: (method, params) => client.request(method, params) };
  window.sb = sb;
  // sb.takesCalls(activity): does the router offer work in it? available,
  // or a custom activity that is available (activities.js keeps the list).
  sb.takesCalls = (id) => id === 'available' || !!(sb.activities && sb.activities.available(id));
  // sb.onConnection(fn(state)) runs on every connection state change.
  sb.onConnection = (fn) => (sb.onConnection.hooks = sb.onConnection.hooks || []).push(fn);

  // ---- status area ------------------------------------------------------

  function showStatus(text, kind = 'info') {
    const box = $('#status');
    const at = new Date().toLocaleTimeString();
    box.prepend(h('div', { class: `status-msg ${kind}`, dataset: { kind } }, `${at} ${text}`));
    while (box.children.length > 5) box.lastElementChild.remove();
    if (kind === 'error') state.lastError = text;
  }

  // ---- JSON-RPC over a reconnecting websocket ---------------------------

  const TAKEOVER = /takeover|taken_over|replaced|session\.(ended|closed)|logged_?out|kicked/i;

  const client = newRPCClient('/ws/agent', {
    connecting: () => setConnection(state.hadSession ? 'reconnecting' : 'connecting'),
    socket: (ws) => {
      sb.ws = ws;
    },
    opened: () => {
      setConnection('open');
      login();
    },
    closed: (ev) => {
      state.loggedIn = false;
      // Offers die with the socket; the re-login lists the live ones.
      state.reservations = {};
      renderToasts();
      if (TAKEOVER.test(ev.reason || '')) takenOver(ev.reason);
      return !state.takenOver;
    },
    connection: setConnection,
    notify: onNotification,
    status: showStatus,
    refused: (text) => refusedPage(text),
  });
  client.creds = null; // {agent, password}, in memory only
  sb.client = client; // conn.js "Reconnect now"; tests
  const startClient = client.start.bind(client);
  client.start = (creds) => {
    client.creds = creds;
    state.takenOver = false;
    startClient();
  };

  function setConnection(s) {
    state.connection = s;
    const pill = $('#conn-state');
    pill.dataset.state = s;
    const who = state.agent ? ` as ${state.agent.id}` : '';
    pill.textContent = {
      idle: 'not connected',
      connecting: 'connecting…',
      open: state.loggedIn ? `online${who}` : 'connected',
      reconnecting: 'reconnecting…',
      closed: 'disconnected',
      refused: 'refused by the gateway',
    }[s] || s;
    for (const fn of sb.onConnection.hooks || []) fn(s); // conn.js
  }

  // refusedPage replaces the page with the reason when the gateway refuses
  // this page's origin (issue 17 item 5): retrying would never succeed.
  function refusedPage(text) {
    $('#refused-message').textContent = text;
    $('#refused').hidden = false;
    document.body.dataset.refused = 'yes';
    $('main').hidden = true;
    $('#login-submit').disabled = false;
  }

  function takenOver(why) {
    state.takenOver = true;
    client.wanted = false;
    showStatus('This agent logged in somewhere else; this page stopped. ' + (why || ''), 'error');
  }

  // ---- login and session ------------------------------------------------

  async function login() {
    const creds = client.creds;
    try {
      const res = await client.request('login', { agent: creds.agent, password: creds.password });
      state.loggedIn = true;
      state.hadSession = true;
      // A refused login's error is answered now (issue 17 item 6).
      for (const m of $$('#status .status-msg[data-kind=error]')) if (m.dataset.login) m.remove();
      state.logins++;
      applyLogin(res || {});
      setConnection('open');
      showPhone(true);
      ensurePC();
    } catch (e) {
      if (!e.rpc) return; // the socket dropped: onclose retries
      showStatus('login: ' + errText(e), 'error');
      $('#status .status-msg').dataset.login = 'yes';
      // Wrong credentials (or the agent is gone): stop and ask again.
      client.stop();
      state.hadSession = false;
      showPhone(false);
      $('#login-submit').disabled = false;
    }
  }

  function applyLogin(res) {
    // STUN/TURN servers of the login result (PROTOCOL §8 ice_servers).
    state.iceServers = Array.isArray(res.ice_servers) ? res.ice_servers.filter((s) => s && s.urls) : [];
    if (res.queue_names && typeof res.queue_names === 'object') state.queueNames = res.queue_names;
    if (res.reconnect_grace_seconds > 0) state.graceSeconds = res.reconnect_grace_seconds;
    if (sb.conn) sb.conn.relogin(res); // conn.js: calls lost while away, activity changes
    if (res.agent) setAgent(res.agent);
    state.calls = {};
    for (const c of res.calls || []) if (c && c.id && c.state !== 'ended') state.calls[c.id] = c;
    state.reservations = {};
    for (const r of res.reservations || []) if (r && r.id) state.reservations[r.id] = r;
    setParked(res.parked); // PROTOCOL §11 (park.js renders it)
    state.httpToken = res.http_token || ''; // PROTOCOL §11: GET /voicemail/<id>.wav (voicemail.js)
    for (const fn of sb.onLogin.hooks || []) fn(res);
    renderCalls();
    renderToasts();
  }

  function showPhone(on) {
    $('#login-view').hidden = on;
    $('#phone-view').hidden = !on;
    $('#toasts').hidden = !on;
    $('#side-panels').hidden = !on;
    $('#activity-label').hidden = !on;
    $('#logout').hidden = !on;
  }

  // A missed offer makes the gateway set the agent unavailable (issue 17
  // item 4): say so, with one button to become available again.
  function showMissed() {
    const ag = state.agent || {};
    const on = !!state.missedOffer && ag.activity === 'unavailable';
    // Once shown, the prompt ends when the agent leaves unavailable.
    if (!on && state.missedShown) state.missedOffer = false;
    state.missedShown = on;
    $('#missed-bar').hidden = !on;
  }

  function setAgent(a) {
    if (!a || typeof a !== 'object') return;
    state.agent = Object.assign({}, state.agent || {}, a);
    const ag = state.agent;
    $('#agent-name').textContent = `${ag.name || ag.id || ''}${ag.extension ? ' · ext ' + ag.extension : ''}`;
    const sel = $('#activity');
    if (ag.activity && !sel.dataset.pending) sel.value = ag.activity;
    document.body.dataset.activity = ag.activity || '';
    $('#wrapup-bar').hidden = !ag.wrapup;
    setConnection(state.connection);
    if (sb.mic) sb.mic.enforce();
    showMissed();
    for (const fn of (sb.onAgent && sb.onAgent.hooks) || []) fn(ag); // panels.js and later files
  }

  function unwrap(p, key) {
    // Notifications carry the object itself as params; accept {key: obj} too.
    return p && p[key] && typeof p[key] === 'object' && !Array.isArray(p[key]) ? p[key] : p;
  }

  function onNotification(method, p) {
    for (const fn of sb.onNotify.hooks || []) fn(method, p); // later files (voicemail.js)
    switch (method) {
      case 'agent.updated':
        setAgent(unwrap(p, 'agent'));
        return;
      case 'reservation.created': {
        const r = unwrap(p, 'reservation');
        if (r && r.id) state.reservations[r.id] = r;
        renderToasts();
        return;
      }
      case 'reservation.ended':
        delete state.reservations[p.id];
        renderToasts();
        if (p.reason && p.reason !== 'accepted' && p.reason !== 'rejected') showStatus(`offer ${p.reason}`);
        if (p.reason === 'timeout' || p.reason === 'missed') state.missedOffer = true;
        showMissed();
        return;
      case 'call.updated':
        upsertCall(unwrap(p, 'call'));
        return;
      case 'call.ended':
        endCall(p.id, p.reason);
        return;
      case 'park.updated':
        setParked(p && p.parked);
        return;
      default:
        if (TAKEOVER.test(method)) takenOver(p && (p.reason || p.message));
    }
  }

  // ---- WebRTC: one PeerConnection for the whole session ------------------

  const media = { stream: null, busy: false, retryTimer: 0 };

  function setRTC(s) {
    state.rtc = s;
    const pill = $('#rtc-state');
    pill.dataset.state = s;
    pill.textContent = 'audio: ' + s;
  }

  function gatheringComplete(pc, timeoutMs) {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (pc.iceGatheringState !== 'complete') return;
        pc.removeEventListener('icegatheringstatechange', done);
        clearTimeout(timer);
        resolve();
      };
      // Send what was gathered if gathering never ends (no interface at all).
      const timer = setTimeout(() => {
        pc.removeEventListener('icegatheringstatechange', done);
        resolve();
      }, timeoutMs);
      pc.addEventListener('icegatheringstatechange', done);
    });
  }

  async function microphone() {
    media.stream = await sb.mic.acquire(); // mic.js: the gate on going available
    return media.stream;
  }

  // ensurePC keeps one negotiated PeerConnection: it builds a new one only
  // when there is none, it failed or closed, or its offer never got an answer.
  async function ensurePC() {
    const cur = sb.pc;
    const healthy = cur && state.rtcNegotiated && !['failed', 'closed'].includes(cur.connectionState);
    if (healthy || media.busy || !state.loggedIn) return;
    media.busy = true;
    clearTimeout(media.retryTimer);
    let pc;
    try {
      if (cur) cur.close();
      state.rtcNegotiated = false;
      pc = new RTCPeerConnection({ iceServers: state.iceServers || [] });
      sb.pc = pc;
      setRTC('new');
      pc.ontrack = (e) => {
        const audio = $('#remote-audio');
        audio.srcObject = e.streams && e.streams[0] ? e.streams[0] : new MediaStream([e.track]);
        audio.play().catch(() => {});
      };
      pc.onconnectionstatechange = () => {
        if (pc !== sb.pc) return;
        setRTC(pc.connectionState);
        if (pc.connectionState === 'failed') {
          showStatus('audio connection failed; reconnecting audio', 'error');
          state.rtcNegotiated = false;
          clearTimeout(media.retryTimer);
          media.retryTimer = setTimeout(ensurePC, 1000);
        }
      };
      let stream = null;
      try {
        stream = await microphone();
      } catch (e) {
        // mic.js shows the problem and what to do in #mic-banner.
      }
      const track = stream && stream.getAudioTracks()[0];
      if (track) pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
      else pc.addTransceiver('audio', { direction: 'sendrecv' });
      await pc.setLocalDescription(await pc.createOffer());
      setRTC('gathering');
      await gatheringComplete(pc, 5000);
      const res = await client.request('webrtc.offer', { sdp: pc.localDescription.sdp });
      if (pc !== sb.pc) return;
      await pc.setRemoteDescription({ type: 'answer', sdp: res.sdp });
      state.rtcNegotiated = true;
      setRTC(pc.connectionState);
    } catch (e) {
      if (pc === sb.pc) setRTC('error');
      showStatus('audio: ' + errText(e), 'error');
    } finally {
      media.busy = false;
      if (media.again) {
        media.again = false;
        if (sb.pc) sb.pc.close();
        ensurePC();
      }
    }
  }

  sb.applyAgent = setAgent; // for mic.js and later files

  // sb.renegotiate (mic.js "Check microphone"): a fresh microphone track
  // goes onto the current PeerConnection's sender, or a new PC is built.
  sb.renegotiate = async () => {
    let stream;
    try {
      stream = await microphone();
    } catch (e) {
      return; // mic.js shows why
    }
    const pc = sb.pc;
    const sender = pc && state.rtcNegotiated && !['failed', 'closed'].includes(pc.connectionState) &&
      pc.getTransceivers().map((t) => t.sender).find((s) => !s.track || s.track.kind === 'audio');
    if (sender) await sender.replaceTrack(stream.getAudioTracks()[0]).catch(() => {});
    else if (media.busy) media.again = true; // the PC being built gets a new one with this track
    else ensurePC();
  };

  function closeMedia() {
    clearTimeout(media.retryTimer);
    if (sb.pc) sb.pc.close();
    sb.pc = null;
    state.rtcNegotiated = false;
    sb.mic.stop();
    media.stream = null;
    setRTC('new');
  }

  // ---- offers (toasts) ----------------------------------------------------

  // queueName is the queue's name from the login result's queue_names (the
  // id when unknown: then the names are asked for again, issue 17 item 6).
  function queueName(id) {
    if (!id) return '';
    const n = state.queueNames[id];
    if (n) return n;
    if (state.loggedIn && Date.now() - (queueName.asked || 0) > 10000) {
      queueName.asked = Date.now();
      client.request('state').then((res) => {
        if (res && res.queue_names) {
          state.queueNames = res.queue_names;
          renderCalls();
        }
      }).catch(() => {});
    }
    return id;
  }

  function kindLabel(r) {
    const tr = r.attributes && r.attributes.transfer;
    if (tr) return `Warm transfer from ${tr.agent_name || tr.agent}`;
    switch (r.kind) {
      case 'queue':
        return 'Queue: ' + (r.queue_name || queueName(r.queue) || '?');
      case 'direct':
        return r.direction === 'outbound' ? 'Internal call' : 'Direct call';
      case 'outbound':
        return 'Outbound call';
      case 'park_return':
        return 'Parked call back';
      case 'transfer':
        return 'Transferred call' + (r.queue ? ' via ' + (r.queue_name || queueName(r.queue)) : '');
      default:
        return (r.kind || 'call').replace(/^./, (x) => x.toUpperCase()) + (r.queue ? ` (${r.queue_name || queueName(r.queue)})` : '');
    }
  }

  function callerName(r) {
    const n = (r.attributes && r.attributes.caller_name) || r.caller_name;
    return typeof n === 'string' ? n.trim() : '';
  }

  // A consult offer says whom the other agent transfers (issue 17 item 2).
  function transferLine(r) {
    const tr = r.attributes && r.attributes.transfer;
    if (!tr) return null;
    const who = [tr.caller_name, tr.caller].filter(Boolean).join(' ');
    return h('div', { class: 'toast-transfer', 'data-testid': 'toast-transfer' },
      `Caller: ${who || 'unknown'}${tr.queue ? ' · queue ' + queueName(tr.queue) : ''}`);
  }

  function countdown(r) {
    const t = Date.parse(r.expires_at);
    if (Number.isNaN(t)) return { text: '', secs: Infinity };
    const secs = Math.max(0, Math.ceil((t - Date.now()) / 1000));
    return { text: `${secs}s`, secs, stale: Date.now() > t + 5000 };
  }

  function makeToast(r) {
    const id = r.id;
    const accept = h('button', { type: 'button', class: 'accept', 'data-testid': 'accept' }, 'Accept');
    const reject = h('button', { type: 'button', class: 'reject', 'data-testid': 'reject' }, 'Reject');
    const el = h('div', { class: 'toast', role: 'alert', dataset: { reservation: id, kind: r.kind || '' }, 'data-testid': 'toast' },
      h('span', { class: 'toast-countdown', 'data-testid': 'toast-countdown' }, countdown(r).text),
      h('div', { class: 'toast-kind', 'data-testid': 'toast-kind' }, kindLabel(r)),
      h('div', { class: 'toast-from', 'data-testid': 'toast-from' },
        callerName(r) ? h('span', { class: 'toast-name' }, callerName(r) + ' ') : null, r.from || 'unknown caller'),
      transferLine(r),
      r.to ? h('div', { class: 'toast-to muted' }, 'to ' + r.to) : null,
      h('div', { class: 'toast-nomic', 'data-testid': 'toast-nomic', hidden: true },
        'Your microphone is not working, so this call cannot be answered: the caller would hear silence. Reject it, or fix the microphone.'),
      h('div', { class: 'toast-actions' }, accept, ' ', reject));
    wireOffer(el, id, {
      gate: micWorks, // gateOffers says why
      accepted: (res) => res && res.id && upsertCall(res),
      focus: (kind, res) => sb.focusAfter && sb.focusAfter(kind, res && res.id),
    });
    return el;
  }

  // wireOffer makes an offer's button.accept and button.reject send
  // reservation.accept / reject: while one is asked both are disabled; on
  // success the offer goes, accepted(result) runs on an accept, and the
  // focus moves (focus('accept'|'reject', result)) when it was on the offer
  // (or dropped to <body>). what names the offer in an error ("accept task").
  function wireOffer(el, id, { gate = () => true, accepted = () => {}, focus = () => {}, what = '' } = {}) {
    const accept = $('button.accept', el);
    const reject = $('button.reject', el);
    const act = async (method) => {
      if (method === 'reservation.accept' && !gate()) return;
      const focused = el.contains(document.activeElement); // before disabling drops it
      accept.disabled = reject.disabled = true;
      const kind = method === 'reservation.accept' ? 'accept' : 'reject';
      try {
        const res = await client.request(method, { reservation: id });
        delete state.reservations[id];
        if (kind === 'accept') accepted(res);
        renderToasts();
        if (focused || document.activeElement === document.body) focus(kind, res);
      } catch (e) {
        showStatus(`${kind}${what ? ' ' + what : ''}: ${errText(e)}`, 'error');
        accept.disabled = reject.disabled = false;
      }
    };
    accept.addEventListener('click', () => act('reservation.accept'));
    reject.addEventListener('click', () => act('reservation.reject'));
  }

  function renderToasts() {
    const box = $('#toasts');
    for (const el of $$('.toast', box)) if (!state.reservations[el.dataset.reservation]) el.remove();
    for (const r of Object.values(state.reservations)) {
      if ($$('.toast', box).some((el) => el.dataset.reservation === r.id)) continue;
      const el = r.kind === 'task' && sb.tasks ? sb.tasks.makeOffer(r) : makeToast(r); // tasks.js: a task offer
      box.append(el);
      // Focus goes to the offer when it rings (issue 17 item 7), unless the
      // agent is typing somewhere.
      const typing = document.activeElement && document.activeElement.matches('input, select, textarea');
      if (!typing) $('button.accept', el).focus();
    }
    sb.ring?.set(Object.keys(state.reservations).length > 0); // ring.js (loads after this file)
    gateOffers();
  }

  // No microphone, no answer (issue 17 item 1): the caller would hear
  // silence. Accept is disabled and says why until the microphone works.
  const micWorks = () => !sb.mic || ['ok', 'unknown', 'checking'].includes(state.mic);
  function gateOffers() {
    const ok = micWorks();
    for (const el of $$('#toasts .toast:not([data-kind=task])')) { // a task needs no microphone
      $('button.accept', el).disabled = !ok;
      $('.toast-nomic', el).hidden = ok;
    }
  }

  // ---- calls --------------------------------------------------------------

  function upsertCall(c) {
    if (!c || !c.id) return;
    if (c.state === 'ended') {
      endCall(c.id);
      return;
    }
    const merged = Object.assign({}, state.calls[c.id] || {}, c);
    // Fields the gateway omits when unset (a Call is sent whole) go.
    for (const k of ['consult', 'consult_for', 'held_at']) if (!(k in c)) delete merged[k];
    state.calls[c.id] = merged;
    renderCalls();
  }

  function endCall(id, reason) {
    if (!id) return;
    if (state.calls[id]) state.wrapupCall = id;
    delete state.calls[id];
    state.mergeSelection = state.mergeSelection.filter((x) => x !== id);
    const form = $('#transfer-form');
    if (form.dataset.call === id) form.hidden = true;
    if (reason) showStatus(`call ended (${reason})`);
    renderCalls();
  }

  function activeCall() {
    return Object.values(state.calls).find((c) => c.state === 'active');
  }

  // The talk timer runs from the answer (issue 17 item 6), the hold timer
  // from the call's held_at if the server gives it, else from when this page
  // saw it held.
  function talkSince(c) {
    return c.answered_at || c.started_at;
  }

  function trackHold(c) {
    if (c.state === 'held') {
      if (!state.heldSince[c.id]) state.heldSince[c.id] = c.held_at || new Date().toISOString();
    } else {
      delete state.heldSince[c.id];
    }
  }

  // Parked calls of the floor (PROTOCOL §11): state.parked, rendered by the
  // hooks of sb.onParked (park.js).
  function setParked(list) {
    state.parked = Array.isArray(list) ? list : [];
    for (const fn of sb.onParked.hooks || []) fn(state.parked);
  }
  sb.onParked = (fn) => (sb.onParked.hooks = sb.onParked.hooks || []).push(fn);
  // Hooks for later files: sb.onLogin(fn(loginResult)) after each (re-)login,
  // sb.onNotify(fn(method, params)) for every notification.
  sb.onLogin = (fn) => (sb.onLogin.hooks = sb.onLogin.hooks || []).push(fn);
  sb.onNotify = (fn) => (sb.onNotify.hooks = sb.onNotify.hooks || []).push(fn);
  sb.callMethod = (method, params, label) => callMethod(method, params, label);
  // For cards.js, conn.js, keys.js and devices.js.
  sb.util = { gateOffers, h, elapsed, talkSince, queueName, kindLabel, callerName, openTransfer, showStatus, errText, renderCalls, activeCall, countdown, renderToasts, wireOffer };

  async function callMethod(method, params, label) {
    try {
      const res = await client.request(method, params);
      if (Array.isArray(res)) res.forEach(upsertCall);
      else if (res && res.id) upsertCall(res);
      return res;
    } catch (e) {
      showStatus(`${label || method}: ${errText(e)}`, 'error');
      return null;
    }
  }

  function renderCalls() {
    sb.ring?.back(Object.values(state.calls).some((c) => c.direction === 'outbound' && c.state === 'ringing')); // ring.js
    const calls = Object.values(state.calls).sort((a, b) => (Date.parse(a.started_at) || 0) - (Date.parse(b.started_at) || 0));
    state.mergeSelection = state.mergeSelection.filter((id) => state.calls[id]);
    for (const c of calls) trackHold(c);
    const active = calls.filter((c) => c.state === 'active');
    if (sb.cards) sb.cards.render(calls); // cards.js: one card per call
    if (sb.tasks) sb.tasks.render(); // tasks.js: the task cards, after the calls
    $('#no-calls').hidden = calls.length > 0 || !!(sb.tasks && sb.tasks.count());
    $('#merge-submit').disabled = state.mergeSelection.length !== 2;
    $('#merge-submit').hidden = state.mergeSelection.length === 0; // shown once a call is selected for merge
    document.body.dataset.activeCall = active.length ? active[0].id : '';
  }

  function openTransfer(id) {
    const form = $('#transfer-form');
    form.dataset.call = id;
    const c = state.calls[id];
    $('#transfer-call-label').textContent = c ? `call with ${c.remote || id}` : id;
    form.hidden = false;
    $('#transfer-to').focus();
  }

  // ---- ticking timers -----------------------------------------------------

  function tick() {
    if (sb.cards) sb.cards.tick();
    for (const el of $$('#toasts .toast')) {
      const r = state.reservations[el.dataset.reservation];
      if (!r) continue;
      const cd = countdown(r);
      $('.toast-countdown', el).textContent = cd.text;
      if (cd.stale) {
        // The gateway should have sent reservation.ended; do not ring forever.
        delete state.reservations[r.id];
        renderToasts();
      }
    }
  }
  setInterval(tick, 500);

  // ---- wiring -------------------------------------------------------------

  $('#login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const agent = $('#login-agent').value.trim();
    const password = $('#login-password').value;
    if (!agent) {
      showStatus('enter your agent id', 'error');
      return;
    }
    $('#login-submit').disabled = true;
    sb.ring.unlock(); // audio may start only within a click (ring.js)
    client.start({ agent, password });
  });

  $('#logout').addEventListener('click', () => {
    client.stop();
    closeMedia();
    state.loggedIn = false;
    state.hadSession = false;
    state.agent = null;
    state.calls = {};
    state.reservations = {};
    if (sb.tasks) sb.tasks.clear();
    renderCalls();
    renderToasts();
    showPhone(false);
    $('#login-submit').disabled = false;
    $('#login-password').value = '';
    setConnection('idle');
  });

  $('#activity').addEventListener('change', async (e) => {
    const sel = e.target;
    const want = sel.value;
    if (sb.takesCalls(want)) await sb.mic.settled(); // a microphone check under way decides first
    if (!sb.mic.allows(want)) {
      showStatus('activity: ' + sb.mic.message(), 'error');
      sel.value = (state.agent && state.agent.activity) || 'unavailable';
      return;
    }
    if (!sb.setup.allows(want)) { // devices.js: the audio check first, then this change again
      sel.value = (state.agent && state.agent.activity) || 'unavailable';
      sb.setup.require(want);
      return;
    }
    sel.dataset.pending = want;
    try {
      const a = await client.request('activity.set', { activity: want });
      delete sel.dataset.pending;
      setAgent(a && a.id ? a : { activity: want });
    } catch (err) {
      delete sel.dataset.pending;
      showStatus('activity: ' + errText(err), 'error');
      if (state.agent && state.agent.activity) sel.value = state.agent.activity;
    }
  });

  $('#missed-available').addEventListener('click', () => {
    const sel = $('#activity');
    sel.value = 'available';
    sel.dispatchEvent(new Event('change')); // the same path as choosing it: microphone gate, errors
  });

  $('#wrapup-done').addEventListener('click', async () => {
    try {
      const a = await client.request('wrapup.done', { call: state.wrapupCall });
      if (a && typeof a === 'object') setAgent(a);
    } catch (e) {
      showStatus('wrap-up: ' + errText(e), 'error');
    }
  });

  $('#merge-submit').addEventListener('click', async () => {
    if (state.mergeSelection.length !== 2) return;
    const calls = state.mergeSelection.slice();
    const res = await callMethod('call.merge', { calls }, 'merge');
    if (res) state.mergeSelection = [];
    renderCalls();
  });

  $('#transfer-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.target;
    const to = $('#transfer-to').value.trim();
    if (!to) {
      showStatus('transfer: enter a destination', 'error');
      return;
    }
    const res = await callMethod('call.transfer', { call: form.dataset.call, to, mode: $('#transfer-mode').value }, 'transfer');
    if (res) {
      form.hidden = true;
      $('#transfer-to').value = '';
    }
  });
  $('#transfer-cancel').addEventListener('click', () => {
    $('#transfer-form').hidden = true;
  });

  $('#dial-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const to = $('#dial-to').value.trim();
    if (!to) return;
    const res = await callMethod('call.dial', { to }, 'dial');
    if (res) $('#dial-to').value = '';
  });
  $('#dial-clear').addEventListener('click', () => {
    $('#dial-to').value = '';
  });

  $('#dialpad').addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-digit]');
    if (!b) return;
    const digit = b.dataset.digit;
    const c = activeCall();
    if (!c) {
      $('#dial-to').value += digit;
      return;
    }
    try {
      await client.request('call.dtmf', { call: c.id, digits: digit });
      const out = $('#dtmf-sent');
      out.dataset.call = c.id;
      out.textContent = ((out.textContent.startsWith('DTMF') ? out.textContent : 'DTMF sent: ') + digit).slice(-40);
    } catch (err) {
      showStatus('DTMF: ' + errText(err), 'error');
    }
  });

  setConnection('idle');
  setRTC('new');
  renderCalls();
})();
