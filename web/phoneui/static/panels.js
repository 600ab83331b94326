// ---- Side panels: extension points (README.md "Side panels") -----------------
// sb.panel({id, title, order, html, supervisor, mount}) adds a collapsible
// panel to #side-panels, sorted by order; supervisor panels show only while
// the agent's role is "supervisor". Voicemail, parked calls and the floor
// are registered here empty; the helpers who build them fill them from
// their own files (mount(el, sb), or sb.panelBody(id)).
(() => {
  const sb = window.sb;
  const host = document.querySelector('#side-panels');
  const panels = []; // {id, order, el, supervisor}

  function applyRole() {
    const sup = !!(sb.state.agent && sb.state.agent.role === 'supervisor');
    for (const p of panels) p.el.hidden = p.supervisor && !sup;
  }

  sb.panel = (def) => {
    if (!def || !def.id || panels.some((p) => p.id === def.id)) throw new Error(`panel ${def && def.id}: missing or duplicate id`);
    const el = document.createElement('details');
    el.className = 'side-panel';
    el.id = 'panel-' + def.id;
    el.dataset.panel = def.id;
    const summary = document.createElement('summary');
    summary.textContent = def.title || def.id;
    const body = document.createElement('div');
    body.className = 'panel-body';
    if (def.html) body.innerHTML = def.html;
    el.append(summary, body);
    const p = { id: def.id, order: def.order ?? 100, el, supervisor: !!def.supervisor };
    panels.push(p);
    panels.sort((a, b) => a.order - b.order);
    const next = panels[panels.indexOf(p) + 1];
    host.insertBefore(el, next ? next.el : null);
    applyRole();
    if (def.mount) def.mount(body, sb);
    return body;
  };
  sb.panelBody = (id) => document.querySelector(`#panel-${id} .panel-body`);
  sb.onAgent = (fn) => (sb.onAgent.hooks = sb.onAgent.hooks || []).push(fn);
  sb.onAgent(applyRole);

  const empty = (what) => `<p class="muted">${what}</p>`;
  sb.panel({ id: 'voicemail', title: 'Voicemail', order: 10, html: empty('No voicemail.') });
  sb.panel({ id: 'parked', title: 'Parked calls', order: 20, html: empty('No parked calls.') });
  sb.panel({ id: 'floor', title: 'Floor', order: 30, supervisor: true, html: empty('Floor view for supervisors.') });
})();
