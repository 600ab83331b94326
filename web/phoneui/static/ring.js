// ---- Ring and ringback (WebAudio, no file) ----------------------------------
// sb.ring.set(on): the offer ring while any offer is up (two 0.4 s rings of
// 440 + 480 Hz, 0.2 s apart, every 3 s; body[data-ringing=yes|no]).
// sb.ring.back(on): ringback in the agent's ear while one of its outbound
// calls rings and the far end sends no early media (North American 440 +
// 480 Hz, 2 s on, 4 s off; body[data-ringback=yes|no]): the gateway sends
// nothing before the answer unless the far end has early media, and this
// fills the gap the way a desk phone does. sb.ring.unlock() makes the
// AudioContext within the login click, where browsers allow audio to start.
(() => {
  const sb = window.sb;
  let ctx = null;

  function audio() {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    ctx = ctx || new AC();
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    return ctx;
  }

  // play sounds 440 + 480 Hz at level for each [start, length] in seconds.
  function play(level, bursts) {
    try {
      const ac = audio();
      if (!ac) return;
      const t = ac.currentTime + 0.02;
      const gain = ac.createGain();
      gain.gain.setValueAtTime(0, t);
      let end = 0;
      for (const [start, len] of bursts) {
        gain.gain.setValueAtTime(0, t + start);
        gain.gain.linearRampToValueAtTime(level, t + start + 0.02);
        gain.gain.setValueAtTime(level, t + start + len - 0.02);
        gain.gain.linearRampToValueAtTime(0, t + start + len);
        end = Math.max(end, start + len);
      }
      gain.connect(ac.destination);
      for (const f of [440, 480]) {
        const o = ac.createOscillator();
        o.frequency.value = f;
        o.connect(gain);
        o.start(t);
        o.stop(t + end + 0.05);
      }
    } catch (e) {
      // No audio output: the toast (or the card) still shows it.
    }
  }

  // repeater turns a sound on and off, repeating it every ms.
  function repeater(flag, ms, sound) {
    let on = false;
    let timer = 0;
    return (want) => {
      want = !!want;
      if (want === on) return;
      on = want;
      document.body.dataset[flag] = on ? 'yes' : 'no';
      clearInterval(timer);
      if (on) {
        sound();
        timer = setInterval(sound, ms);
      }
    };
  }

  const ringing = repeater('ringing', 3000, () => play(0.08, [[0, 0.4], [0.6, 0.4]]));
  sb.ring = {
    set(on) {
      sb.state.ringing = !!on;
      ringing(on);
    },
    back: repeater('ringback', 6000, () => play(0.05, [[0, 2]])),
    unlock: () => { try { audio(); } catch (e) { /* no audio */ } },
  };
})();
