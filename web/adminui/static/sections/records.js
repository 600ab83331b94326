// ---- Records (records.list; PROTOCOL §12 recordings) ------------------------
// The call records of a time range (default: the last 24 hours), filtered by
// agent or queue, with the start in the browser's local time and its zone
// (issue 17 item 10). A record with a recording ({id, seconds}) has Play
// (GET /api/recordings/<id>.wav with the admin token, played in the page)
// and Delete (recording.delete {id}, two clicks). The markup is
// #section-records of index.html.
(() => {
  const admin = window.sbAdmin;
  const { h, errText, armedButton, showStatus } = admin;
  const el = admin.section({ id: 'records', title: 'Records', order: 80 });
  const form = el.querySelector('#records-form');
  const tbody = el.querySelector('#records-table tbody');
  const player = el.querySelector('#recording-player');
  const errEl = form.querySelector('.form-error');
  const localTime = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZoneName: 'short' });
  el.querySelector('#records-zone').textContent = `(${Intl.DateTimeFormat().resolvedOptions().timeZone})`;

  const num = (v) => (typeof v === 'number' ? v.toFixed(1) : '');
  const len = admin.mmss;
  const when = (iso) => {
    const d = new Date(iso);
    return isNaN(d) ? String(iso || '') : h('time', { datetime: d.toISOString() }, localTime.format(d));
  };

  // recordingCell: the recording's length, Play and Delete; after a delete
  // it says so (the record stays, its file is gone).
  function recordingCell(r) {
    const rec = r.recording;
    const td = h('td', { class: 'rec-recording' });
    if (!rec || !rec.id) return td;
    td.dataset.recording = rec.id;
    const play = h('button', { type: 'button', class: 'recording-play', 'data-testid': 'recording-play', title: `Play the recording of call ${r.call || ''}` }, 'Play');
    play.addEventListener('click', async () => {
      if (await admin.playWav(`/api/recordings/${encodeURIComponent(rec.id)}.wav`, player, errEl)) player.dataset.id = rec.id;
    });
    const del = armedButton('recording-delete delete', 'recording-delete', 'Delete', 'Confirm delete', async () => {
      await admin.rpc('recording.delete', { id: rec.id });
      td.replaceChildren(h('span', { class: 'muted' }, 'deleted'));
      td.dataset.deleted = 'yes';
      if (player.dataset.id === rec.id) { player.pause(); player.hidden = true; }
      showStatus(`recording ${rec.id} deleted`);
    }, (e) => showStatus(`delete recording ${rec.id}: ${errText(e)}`, 'error'));
    del.setAttribute('aria-label', `Delete the recording of call ${r.call || ''}`);
    td.append(h('span', { class: 'recording-seconds' }, len(rec.seconds)), ' ', play, ' ', del);
    return td;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errEl.textContent = '';
    const f = form.elements;
    const iso = (v) => (v ? new Date(v).toISOString() : undefined);
    const p = {
      since: iso(f.since.value) || new Date(Date.now() - 24 * 3600 * 1000).toISOString(),
      until: iso(f.until.value) || new Date().toISOString(),
    };
    if (f.agent.value.trim()) p.agent = f.agent.value.trim();
    if (f.queue.value.trim()) p.queue = f.queue.value.trim();
    if (f.limit.value) p.limit = Number(f.limit.value);
    try {
      const res = await admin.rpc('records.list', p);
      const list = Array.isArray(res) ? res : (res && res.records) || [];
      tbody.replaceChildren(...list.map((r) => h('tr', { dataset: { call: r.call || r.id || '' } },
        ...[when(r.started_at || r.at), r.call || r.id || '', r.from || '', r.to || '', r.agent || '', r.queue || '', r.kind || '', r.outcome || r.reason || '',
          num(r.wait_seconds), num(r.ring_seconds), num(r.talk_seconds), num(r.hold_seconds)].map((v, i) =>
          h('td', { class: ['rec-started', 'rec-call', 'rec-from', 'rec-to'][i] }, typeof v === 'object' ? v : String(v))),
        recordingCell(r))));
    } catch (e2) {
      errEl.textContent = errText(e2);
    }
  });
})();
