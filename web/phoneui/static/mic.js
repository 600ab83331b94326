// ---- Microphone gate (issues 12 and 17 item 1) -----------------------------
// No microphone, no queue calls: until getUserMedia has given a live audio
// track the agent cannot go available (the option is disabled, and an agent
// the server reports available is set unavailable), and a banner says why
// and what to do: open the page over HTTPS, allow the microphone, plug one
// in. A track that ends (device unplugged) does the same. app.js calls
// sb.mic.acquire() for its PeerConnection, sb.mic.enforce() on each agent
// update and sb.mic.allows(activity) before activity.set.
(() => {
  const sb = window.sb;
  const $ = (sel) => document.querySelector(sel);
  const state = sb.state;
  state.mic = 'unknown'; // unknown | checking | ok | insecure | denied | absent | lost | error
  let stream = null;

  const https = () => `https://${location.host}${location.pathname}`;
  const messages = {
    insecure: () => `The microphone only works on a secure page, and this one is not (${location.protocol}//${location.host}). ` +
      `Open the softphone over HTTPS: ${https()} . If that does not load, your administrator must enable HTTPS ` +
      '(-tls-cert and -tls-key, or -acme-domains; see docs/DEPLOY.md). Until then you cannot go available.',
    denied: () => 'The browser blocked the microphone for this page. Allow it (the icon at the left of the address bar, ' +
      'then Microphone: Allow) and press "Check microphone". Until then you cannot go available.',
    absent: () => 'No microphone was found. Plug one in and press "Check microphone". Until then you cannot go available.',
    lost: () => 'Your microphone stopped (unplugged or taken by another program). You were set to unavailable: ' +
      'plug it back in and press "Check microphone".',
    error: (d) => `The microphone could not be opened (${d}). Press "Check microphone" to try again. Until then you cannot go available.`,
  };

  function classify(err) {
    const name = err && err.name;
    if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return 'denied';
    if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') return 'absent';
    return 'error';
  }

  function set(kind, detail) {
    state.mic = kind;
    const bad = !['ok', 'unknown', 'checking'].includes(kind);
    const banner = $('#mic-banner');
    banner.hidden = !bad;
    banner.dataset.problem = bad ? kind : '';
    $('#mic-message').textContent = bad ? messages[kind](detail || '') : '';
    const opt = $('#activity option[value=available]');
    if (opt) opt.disabled = kind !== 'ok';
    document.body.dataset.mic = kind;
    sb.util.gateOffers(); // no microphone, no Accept
    if (kind === 'lost' && sb.setup) sb.setup.reset(); // the audio check is asked again
    if (bad) enforce();
  }

  // enforce sets an available agent unavailable while the microphone is not ok.
  function enforce() {
    if (['ok', 'unknown', 'checking'].includes(state.mic)) return;
    const ag = state.agent;
    if (!ag || !sb.takesCalls(ag.activity) || !state.loggedIn || enforce.pending) return;
    enforce.pending = true;
    sb.rpc('activity.set', { activity: 'unavailable' })
      .then((a) => sb.applyAgent(a && a.id ? a : { activity: 'unavailable' }))
      .catch(() => {})
      .finally(() => { enforce.pending = false; });
  }

  async function acquire() {
    const live = stream && stream.getAudioTracks().some((t) => t.readyState === 'live');
    if (live) return stream;
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      set('insecure');
      throw Object.assign(new Error('this page is not secure (HTTPS is needed for the microphone)'), { name: 'InsecureContext' });
    }
    set('checking');
    try {
      const id = sb.mic.deviceId; // devices.js: the chosen microphone
      stream = await navigator.mediaDevices.getUserMedia({ audio: id ? { deviceId: { exact: id } } : true, video: false });
    } catch (e) {
      set(classify(e), (e && e.message) || String(e));
      throw e;
    }
    const track = stream.getAudioTracks()[0];
    if (!track || track.readyState !== 'live') {
      set('absent');
      throw Object.assign(new Error('no live audio track'), { name: 'NotFoundError' });
    }
    track.addEventListener('ended', () => {
      if (stream && stream.getAudioTracks()[0] === track) set('lost');
    });
    set('ok');
    return stream;
  }

  function stop() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
  }

  sb.mic = {
    acquire,
    stop,
    enforce,
    get stream() { return stream; },
    allows: (activity) => !sb.takesCalls(activity) || state.mic === 'ok',
    message: () => (messages[state.mic] ? messages[state.mic]('') : 'the microphone is still being checked: try again in a moment'),
    // settled resolves once no check is under way (state not unknown or
    // checking), or after ms: app.js waits for it before it judges a change
    // to an activity that takes calls, so choosing one while the page (re)opens
    // the microphone is not refused for nothing.
    settled(ms = 5000) {
      const end = Date.now() + ms;
      return new Promise((done) => {
        const look = () => (!['unknown', 'checking'].includes(state.mic) || Date.now() >= end ? done(state.mic) : setTimeout(look, 50));
        look();
      });
    },
  };

  $('#mic-retry').addEventListener('click', () => {
    stop();
    sb.renegotiate();
  });
})();
