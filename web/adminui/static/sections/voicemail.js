// ---- Voicemail (PROTOCOL §11: voicemail.list, GET /api/voicemail/<id>.wav) ---
// A section listing every box's messages (newest first) with who they are
// for, and a Play button that fetches the WAV with the admin token and plays
// it in the page. The list is asked again after events (a voicemail.new
// event among them), at most every 2 s, and every 10 s while shown.
(() => {
  const admin = window.sbAdmin;
  const { h } = admin;
  const el = admin.section({ id: 'voicemail', title: 'Voicemail', order: 65, html: `
  <h2>Voicemail <span id="voicemail-count" class="muted"></span></h2>
  <table id="voicemail-table" class="data" data-testid="voicemail-table">
    <thead><tr><th scope="col">Received</th><th scope="col">From</th><th scope="col">Box</th><th scope="col">Length</th><th scope="col">Heard</th><th scope="col"></th></tr></thead>
    <tbody></tbody>
  </table>
  <p class="muted voicemail-none">No voicemail.</p>
  <audio id="voicemail-player" controls preload="metadata" hidden></audio>
  <p class="form-error" data-form="voicemail" role="alert"></p>` });
  const tbody = el.querySelector('#voicemail-table tbody');
  const player = el.querySelector('#voicemail-player');
  const errEl = el.querySelector('.form-error[data-form=voicemail]');
  let list = [];
  let last = 0;

  const len = admin.mmss;

  async function play(m) {
    if (await admin.playWav(`/api/voicemail/${encodeURIComponent(m.id)}.wav`, player, errEl)) player.dataset.id = m.id;
  }

  function render() {
    tbody.replaceChildren(...list.map((m) => {
      const b = h('button', { type: 'button', class: 'voicemail-play', title: `Play the message from ${m.from || 'unknown'}` }, 'Play');
      b.onclick = () => play(m);
      return h('tr', { dataset: { voicemail: m.id, heard: m.heard ? 'yes' : 'no' } },
        h('td', { class: 'voicemail-at' }, new Date(m.at).toLocaleString()),
        h('td', { class: 'voicemail-from' }, m.from || ''),
        h('td', { class: 'voicemail-box' }, m.agent ? `agent ${m.agent}` : `queue ${m.queue}`),
        h('td', { class: 'voicemail-seconds' }, len(m.seconds)),
        h('td', { class: 'voicemail-heard' }, m.heard ? 'yes' : 'no'),
        h('td', {}, b));
    }));
    el.querySelector('#voicemail-table').hidden = list.length === 0;
    el.querySelector('.voicemail-none').hidden = list.length > 0;
    el.querySelector('#voicemail-count').textContent = `(${list.length}, ${list.filter((m) => !m.heard).length} unheard)`;
  }

  async function poll(force) {
    if (!admin.state.authed || (!force && Date.now() - last < 2000)) return;
    last = Date.now();
    try {
      const l = await admin.rpc('voicemail.list', {});
      list = Array.isArray(l) ? l : [];
      render();
    } catch (e) { /* the socket reconnects; the next poll retries */ }
  }
  admin.onRender(() => poll(false));
  setInterval(() => { if (!el.hidden) poll(true); }, 10000);
  admin.voicemail = { poll: () => poll(true), get list() { return list; } };
  render();
})();
