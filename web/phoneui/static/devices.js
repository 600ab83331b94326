// ---- Audio setup: device choice, level meter, test tone (issue 17 item 7) ---
// "Audio setup" (#setup-open, after login) opens dialog#setup: the
// microphone (enumerateDevices audioinput; the choice goes to sb.mic and
// onto the call's sender) with a live level meter, and the speaker
// (audiooutput, setSinkId on the call audio and the ring) with a test tone
// and "I heard the tone". sb.state.setup: '' | 'ok' once both were checked.
//
// Going available needs a passed check (issue 17, "agent setup check"):
// app.js asks sb.setup.allows(activity) before activity.set; when the
// check has not passed, sb.setup.require(activity) opens the dialog with
// the reason, and once microphone and speaker pass, the page goes on to the
// activity the agent chose. The pass is kept for this tab
// (sessionStorage, so a reload or a reconnect does not ask again) and is
// dropped when the agent picks another device or the microphone is lost.
(() => {
  const sb = window.sb;
  const state = sb.state;
  const $ = (sel) => document.querySelector(sel);
  const dlg = $('#setup');
  const micSel = $('#setup-mic');
  const spkSel = $('#setup-speaker');
  const meter = $('#setup-level');
  const test = { stream: null, ctx: null, timer: 0, micOK: false, spkOK: false, toneEl: null };
  const KEY = 'switchboard.audioSetup';
  const stored = () => { try { return sessionStorage.getItem(KEY) === 'ok'; } catch (e) { return false; } };
  const store = (ok) => { try { if (ok) sessionStorage.setItem(KEY, 'ok'); else sessionStorage.removeItem(KEY); } catch (e) { /* no storage: the check is asked again */ } };
  state.setup = stored() ? 'ok' : '';
  test.micOK = test.spkOK = state.setup === 'ok';
  document.body.dataset.setup = state.setup;
  let pending = ''; // the activity chosen before the check passed
  const canSink = typeof HTMLMediaElement.prototype.setSinkId === 'function';

  function fill(sel, devices, kind, chosen) {
    const list = devices.filter((d) => d.kind === kind);
    sel.replaceChildren(...list.map((d, i) => {
      const o = document.createElement('option');
      o.value = d.deviceId;
      o.textContent = d.label || `${kind === 'audioinput' ? 'Microphone' : 'Speaker'} ${i + 1}`;
      return o;
    }));
    if (chosen && list.some((d) => d.deviceId === chosen)) sel.value = chosen;
    return list.length;
  }

  function stopMeter() {
    clearInterval(test.timer);
    if (test.stream) test.stream.getTracks().forEach((t) => t.stop());
    if (test.ctx) test.ctx.close().catch(() => {});
    test.stream = test.ctx = null;
  }

  async function startMeter() {
    stopMeter();
    const id = micSel.value;
    try {
      test.stream = await navigator.mediaDevices.getUserMedia({ audio: id ? { deviceId: { exact: id } } : true });
    } catch (e) {
      $('#setup-mic-result').textContent = 'This microphone cannot be opened: ' + (e.message || e.name);
      return;
    }
    test.ctx = new AudioContext();
    const an = test.ctx.createAnalyser();
    an.fftSize = 1024;
    test.ctx.createMediaStreamSource(test.stream).connect(an);
    const buf = new Float32Array(an.fftSize);
    test.timer = setInterval(() => {
      an.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      const rms = Math.sqrt(sum / buf.length);
      meter.value = Math.min(1, rms * 4);
      if (rms > 0.005 && !test.micOK) {
        test.micOK = true;
        $('#setup-mic-result').textContent = 'Microphone works.';
        done();
      }
    }, 100);
  }

  async function tone() {
    // A 440 Hz tone for 1 s on the chosen speaker (an <audio> element fed by
    // WebAudio, so setSinkId applies).
    const ctx = new AudioContext();
    const dest = ctx.createMediaStreamDestination();
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.frequency.value = 440;
    g.gain.value = 0.15;
    o.connect(g).connect(dest);
    const el = test.toneEl || (test.toneEl = new Audio());
    el.srcObject = dest.stream;
    if (canSink) await el.setSinkId(spkSel.value || '').catch(() => {});
    await el.play().catch(() => {});
    o.start();
    o.stop(ctx.currentTime + 1);
    o.onended = () => ctx.close().catch(() => {});
    $('#setup-heard').disabled = false;
    $('#setup-speaker-result').textContent = 'Did you hear a tone?';
  }

  function done() {
    const ok = test.micOK && test.spkOK;
    state.setup = ok ? 'ok' : '';
    document.body.dataset.setup = state.setup;
    store(ok);
    if (ok && pending) {
      const want = pending;
      pending = '';
      $('#setup-status').textContent = `Microphone and speaker work: going ${want}.`;
      dlg.close();
      const sel = $('#activity');
      sel.value = want;
      sel.dispatchEvent(new Event('change')); // the same path as choosing it
      return;
    }
    $('#setup-status').textContent = ok ? 'Microphone and speaker work: you can go available.' : '';
  }

  // reset drops a passed check (a lost microphone, another device).
  function reset() {
    test.micOK = test.spkOK = false;
    state.setup = '';
    document.body.dataset.setup = '';
    store(false);
  }

  async function applySpeaker() {
    if (!canSink) return;
    const id = spkSel.value || '';
    await $('#remote-audio').setSinkId(id).catch((e) => sb.util.showStatus('speaker: ' + (e.message || e), 'error'));
    state.speaker = id;
  }

  async function open(why) {
    $('#setup-why').textContent = typeof why === 'string' && why ? why : 'Check your microphone and speaker before taking calls.';
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch (e) {
      // no device list: the selects stay empty
    }
    fill(micSel, devices, 'audioinput', sb.mic.deviceId);
    const speakers = fill(spkSel, devices, 'audiooutput', state.speaker);
    spkSel.closest('label').hidden = !canSink || speakers === 0;
    if (state.setup === 'ok') $('#setup-status').textContent = 'Checked in this tab: microphone and speaker work.';
    if (!dlg.open) dlg.showModal();
    startMeter();
  }

  micSel.addEventListener('change', () => {
    sb.mic.deviceId = micSel.value;
    test.micOK = false;
    done();
    store(false);
    startMeter();
    sb.mic.stop();
    sb.renegotiate(); // the call's sender gets the chosen microphone
  });
  spkSel.addEventListener('change', () => {
    test.spkOK = false;
    done();
    store(false);
    applySpeaker();
  });
  $('#setup-tone').addEventListener('click', tone);
  $('#setup-heard').addEventListener('click', () => {
    test.spkOK = true;
    $('#setup-speaker-result').textContent = 'Speaker works.';
    done();
  });
  $('#setup-open').addEventListener('click', open);
  $('#setup-close').addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => {
    stopMeter();
    if (pending) {
      pending = '';
      sb.util.showStatus('activity: check your microphone and speaker (Audio setup) before going available', 'error');
    }
  });
  sb.onLogin(() => {
    $('#setup-open').hidden = false;
  });
  sb.setup = {
    open,
    reset,
    allows: (activity) => !sb.takesCalls(activity) || state.setup === 'ok',
    // require opens the check for an activity that needs it; done() goes on to it.
    require(activity) {
      pending = activity;
      $('#setup-status').textContent = '';
      open(`Before you go ${activity}, check your microphone and speaker: speak until the bar moves, then play the test tone.`);
    },
  };
})();
