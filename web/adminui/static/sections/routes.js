// ---- Routes (route.list, route.get, route.put, route.delete) -----------------
// The routes table (#section-routes of index.html), the targets offered
// while typing one (queues, extensions) and the route form. Forms:
// sections/forms.js.
(() => {
  const admin = window.sbAdmin;
  const { $, h, configTable, setCells, wireForm, localError, resetForm, editForm, saved } = admin;
  const state = admin.state;
  admin.section({ id: 'routes', title: 'Routes', order: 40 });

  function renderRoutes() {
    configTable('route', 'routes', 'number', 2, editRoute,
      (tr, r) => setCells(tr, [h('span', { class: 'route-number' }, String(r.number)), h('span', { class: 'route-target' }, r.target || '')]));
    const dl = $('#route-targets');
    const opts = ['ivr:extension', 'echo', ...Object.keys(state.queues).map((q) => 'queue:' + q),
      ...Object.values(state.agents).filter((a) => a.extension).map((a) => 'extension:' + a.extension)];
    if (dl.dataset.opts !== opts.join(',')) {
      dl.dataset.opts = opts.join(',');
      dl.replaceChildren(...opts.map((o) => h('option', { value: o })));
    }
  }

  admin.onRender(renderRoutes);

  const routeForm = $('#route-form');
  wireForm(routeForm, (f) => {
    const p = { number: f.elements.number.value.trim(), target: f.elements.target.value.trim() };
    if (!p.number) throw localError('number', 'required');
    if (!p.target) throw localError('target', 'required');
    return p;
  }, 'route.put', (r) => saved('route', 'routes', String(r.number), r));

  async function editRoute(number) {
    let r = state.routes[number];
    try {
      r = (await admin.rpc('route.get', { number })) || r;
    } catch (e) {
      // route.get is optional: the table's copy will do.
    }
    if (!r) return;
    const el = editForm(routeForm, 'route', 'number', String(r.number));
    el.target.value = r.target || '';
    el.target.focus();
  }

  $('#route-new').addEventListener('click', () => resetForm(routeForm));
})();
