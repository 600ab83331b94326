// ---- Voicemail panel (PROTOCOL §11; README.md "Voicemail") ----------------
// Fills the "voicemail" side panel: the agent's messages (its box and its
// queues') from voicemail.list, refreshed on voicemail.new; the summary
// shows the unheard count. Play fetches GET /voicemail/<id>.wav with the
// login's http_token (Authorization: Bearer) and plays it in the page's
// audio element (marking it heard); Mark heard / unheard (voicemail.mark)
// and Delete (voicemail.delete). The agent's greeting: upload a WAV file or
// record one from the microphone (PUT /voicemail/greeting).
(() => {
  const sb = window.sb;
  const body = sb.panelBody('voicemail');
  const panel = document.querySelector('#panel-voicemail');
  const summary = panel.querySelector('summary');
  body.innerHTML = `
    <p class="muted vm-empty">No voicemail.</p>
    <ul class="vm-list" aria-label="Voicemail messages"></ul>
    <audio id="vm-player" controls preload="metadata" hidden></audio>
    <details class="vm-greeting">
      <summary>My greeting</summary>
      <label>WAV file <input type="file" id="vm-greeting-file" accept="audio/wav,.wav"></label>
      <button type="button" id="vm-greeting-upload">Upload greeting</button>
      <button type="button" id="vm-greeting-record" aria-pressed="false">Record greeting</button>
      <button type="button" id="vm-greeting-reset">Use the built-in greeting</button>
      <p class="muted" id="vm-greeting-status" role="status"></p>
    </details>`;
  const list = body.querySelector('.vm-list');
  const none = body.querySelector('.vm-empty');
  const player = body.querySelector('#vm-player');
  const gStatus = body.querySelector('#vm-greeting-status');
  let messages = [];
  let playURL = '';

  sb.state.voicemail = messages;

  function fmtAt(iso) {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }

  function fmtLen(s) {
    const n = Math.round(s || 0);
    return `${Math.floor(n / 60)}:${String(n % 60).padStart(2, '0')}`;
  }

  function error(what, e) {
    const msg = e && e.rpc ? (e.reason ? `${e.message}: ${e.reason}` : e.message) : String(e && e.message || e);
    gStatus.textContent = '';
    const st = document.querySelector('#status');
    if (st) {
      const m = document.createElement('div');
      m.className = 'status-msg error';
      m.dataset.kind = 'error';
      m.textContent = `${what}: ${msg}`;
      st.append(m);
    }
  }

  function render() {
    list.replaceChildren();
    const unheard = messages.filter((m) => !m.heard).length;
    for (const m of messages) {
      const li = document.createElement('li');
      li.className = 'voicemail';
      li.dataset.id = m.id;
      li.dataset.heard = m.heard ? 'yes' : 'no';
      const text = (cls, t) => {
        const s = document.createElement('span');
        s.className = cls;
        s.textContent = t;
        return s;
      };
      const btn = (cls, label, title, fn) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = cls;
        b.textContent = label;
        b.title = title;
        b.onclick = async () => {
          b.disabled = true;
          try {
            await fn();
          } finally {
            b.disabled = false;
          }
        };
        return b;
      };
      const from = m.from || 'unknown caller';
      li.append(
        text('vm-from', from), ' ',
        text('vm-box', m.queue ? `(queue ${m.queue})` : ''), ' ',
        text('vm-at', fmtAt(m.at)), ' ',
        text('vm-seconds', fmtLen(m.seconds)), ' ',
        btn('vm-play', 'Play', `Play the message from ${from}`, () => play(m)),
        btn('vm-mark', m.heard ? 'Mark unheard' : 'Mark heard', 'Mark this message', () => mark(m, !m.heard)),
        btn('vm-delete', 'Delete', `Delete the message from ${from}`, () => remove(m)),
      );
      list.append(li);
    }
    none.hidden = messages.length > 0;
    summary.textContent = unheard ? `Voicemail (${unheard} new)` : 'Voicemail';
    panel.dataset.unheard = String(unheard);
    document.body.dataset.voicemailUnheard = String(unheard);
    if (unheard) panel.open = true;
  }

  async function refresh() {
    try {
      const l = await sb.rpc('voicemail.list', {});
      messages = Array.isArray(l) ? l : [];
      sb.state.voicemail = messages;
      render();
    } catch (e) {
      // A gateway without voicemail (-32601) just has none to show.
      if (e && e.rpc && e.code !== -32601) error('voicemail', e);
    }
  }

  function auth() {
    return { Authorization: 'Bearer ' + (sb.state.httpToken || '') };
  }

  async function play(m) {
    const resp = await fetch(`/voicemail/${encodeURIComponent(m.id)}.wav`, { headers: auth(), cache: 'no-store' });
    if (!resp.ok) {
      error('play', new Error(`${resp.status} ${(await resp.text()).trim()}`));
      return;
    }
    const blob = await resp.blob();
    if (playURL) URL.revokeObjectURL(playURL);
    playURL = URL.createObjectURL(blob);
    player.src = playURL;
    player.dataset.id = m.id;
    player.hidden = false;
    try {
      await player.play();
    } catch (e) {
      // Autoplay refused: the controls are there to start it.
    }
    if (!m.heard) await mark(m, true);
  }

  async function mark(m, heard) {
    try {
      const v = await sb.rpc('voicemail.mark', { id: m.id, heard });
      Object.assign(m, v || { heard });
      render();
    } catch (e) {
      error('mark', e);
    }
  }

  async function remove(m) {
    try {
      await sb.rpc('voicemail.delete', { id: m.id });
      messages = messages.filter((o) => o.id !== m.id);
      sb.state.voicemail = messages;
      if (player.dataset.id === m.id) {
        player.pause();
        player.removeAttribute('src');
        player.hidden = true;
      }
      render();
    } catch (e) {
      error('delete', e);
    }
  }

  // ---- greeting ------------------------------------------------------------

  async function putGreeting(blob) {
    gStatus.textContent = 'Saving…';
    const resp = await fetch('/voicemail/greeting', { method: 'PUT', headers: Object.assign({ 'Content-Type': 'audio/wav' }, auth()), body: blob });
    const text = (await resp.text()).trim();
    if (!resp.ok) {
      gStatus.textContent = `Not saved: ${text}`;
      return;
    }
    let secs = 0;
    try {
      secs = JSON.parse(text).seconds || 0;
    } catch (e) { /* an empty answer */ }
    gStatus.textContent = blob.size ? `Greeting saved (${secs.toFixed(1)} s).` : 'The built-in greeting plays again.';
  }

  body.querySelector('#vm-greeting-upload').onclick = async () => {
    const f = body.querySelector('#vm-greeting-file').files[0];
    if (!f) {
      gStatus.textContent = 'Choose a WAV file first.';
      return;
    }
    await putGreeting(f);
  };
  body.querySelector('#vm-greeting-reset').onclick = () => putGreeting(new Blob([]));

  // Recording: the microphone's samples through an AudioContext, encoded as
  // a 16-bit mono WAV at the context's rate (the gateway resamples).
  const rec = { ctx: null, node: null, src: null, stream: null, chunks: [], timer: 0 };
  const recBtn = body.querySelector('#vm-greeting-record');

  function wav(chunks, rate) {
    const n = chunks.reduce((a, c) => a + c.length, 0);
    const buf = new ArrayBuffer(44 + 2 * n);
    const v = new DataView(buf);
    const str = (o, s) => [...s].forEach((ch, i) => v.setUint8(o + i, ch.charCodeAt(0)));
    str(0, 'RIFF'); v.setUint32(4, 36 + 2 * n, true); str(8, 'WAVEfmt ');
    v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
    v.setUint32(24, rate, true); v.setUint32(28, rate * 2, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true);
    str(36, 'data'); v.setUint32(40, 2 * n, true);
    let o = 44;
    for (const c of chunks) {
      for (let i = 0; i < c.length; i++, o += 2) v.setInt16(o, Math.max(-1, Math.min(1, c[i])) * 0x7fff, true);
    }
    return new Blob([buf], { type: 'audio/wav' });
  }

  async function stopRecording(save) {
    clearTimeout(rec.timer);
    if (rec.node) rec.node.disconnect();
    if (rec.src) rec.src.disconnect();
    if (rec.stream) rec.stream.getTracks().forEach((t) => t.stop());
    const rate = rec.ctx ? rec.ctx.sampleRate : 48000;
    if (rec.ctx) await rec.ctx.close();
    const chunks = rec.chunks;
    Object.assign(rec, { ctx: null, node: null, src: null, stream: null, chunks: [] });
    recBtn.textContent = 'Record greeting';
    recBtn.setAttribute('aria-pressed', 'false');
    if (save && chunks.length) await putGreeting(wav(chunks, rate));
  }

  recBtn.onclick = async () => {
    if (rec.ctx) {
      await stopRecording(true);
      return;
    }
    try {
      rec.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      rec.ctx = new AudioContext();
      rec.src = rec.ctx.createMediaStreamSource(rec.stream);
      rec.node = rec.ctx.createScriptProcessor(4096, 1, 1);
      rec.node.onaudioprocess = (ev) => rec.chunks.push(new Float32Array(ev.inputBuffer.getChannelData(0)));
      rec.src.connect(rec.node);
      rec.node.connect(rec.ctx.destination);
      recBtn.textContent = 'Stop and save';
      recBtn.setAttribute('aria-pressed', 'true');
      gStatus.textContent = 'Recording… (60 s at most)';
      rec.timer = setTimeout(() => stopRecording(true), 59000);
    } catch (e) {
      await stopRecording(false);
      gStatus.textContent = `Cannot record: ${e.message || e}`;
    }
  };

  sb.onLogin(() => refresh());
  sb.onNotify((method, p) => {
    if (!p || !p.id) return;
    switch (method) {
      case 'voicemail.new':
        if (!messages.some((m) => m.id === p.id)) messages.unshift(p);
        break;
      case 'voicemail.updated': // marked (here or on another page, or by another member of its queue)
        for (const m of messages) if (m.id === p.id) Object.assign(m, p);
        break;
      case 'voicemail.deleted':
        messages = messages.filter((m) => m.id !== p.id);
        break;
      default:
        return;
    }
    sb.state.voicemail = messages;
    render();
  });
  sb.voicemail = { refresh, messages: () => messages };
  render();
})();
