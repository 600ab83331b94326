// ---- Activities: the built-ins and the console's custom ones (PROTOCOL §10) --
// The activity control (select#activity) lists the four built-ins and then
// every custom activity by name (the login and state results' activities,
// kept current by activities.updated). Choosing one sends activity.set with
// its id, through app.js's change handler (microphone gate, audio check for
// an activity that takes calls: sb.takesCalls). An agent left in an
// activity the console deleted shows what the gateway says (unavailable).
(() => {
  const sb = window.sb;
  const sel = document.querySelector('#activity');
  const BUILT_IN = ['available', 'unavailable', 'break', 'offline'];
  let custom = []; // [{id, name, available}]

  function set(list) {
    custom = (Array.isArray(list) ? list : []).filter((a) => a && a.id && !BUILT_IN.includes(a.id));
    const current = (sb.state.agent && sb.state.agent.activity) || sel.value;
    for (const o of [...sel.options]) if (!BUILT_IN.includes(o.value)) o.remove();
    for (const a of custom) {
      const o = document.createElement('option');
      o.value = a.id;
      o.textContent = a.name || a.id;
      o.dataset.custom = a.available ? 'available' : 'unavailable';
      sel.append(o);
    }
    if (!sel.dataset.pending && [...sel.options].some((o) => o.value === current)) sel.value = current;
  }

  sb.activities = {
    available: (id) => custom.some((a) => a.id === id && a.available),
    list: () => custom.slice(),
  };
  sb.onLogin((res) => set(res && res.activities));
  sb.onNotify((method, p) => {
    if (method === 'activities.updated') set(p && p.activities);
  });
})();
