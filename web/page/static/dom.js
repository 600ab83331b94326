// DOM helpers shared by the gateway's pages (web/page inlines them after
// rpc.js, before each page's app.js): sbPage.h builds an element,
// sbPage.errText says what an error was, sbPage.elapsed a running time.
const sbPage = (() => {
  // h builds an element: h('button', {class: 'x', dataset: {a: 1}, onclick}, 'text', child).
  // Attributes that are undefined, null or false are left out, true ones
  // set empty; children that are null, undefined or false are skipped.
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
  }

  // errText is an error as text: an RPCError's message and reason.
  function errText(err) {
    if (!err) return 'unknown error';
    if (err.rpc) return err.reason ? `${err.message}: ${err.reason}` : err.message;
    return err.message || String(err);
  }

  // elapsed is the time since the ISO time since, as m:ss or h:mm:ss ('' if
  // since does not parse).
  function elapsed(since) {
    const t = Date.parse(since);
    if (Number.isNaN(t)) return '';
    const s = Math.max(0, Math.floor((Date.now() - t) / 1000));
    const hh = Math.floor(s / 3600);
    const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
    const ss = String(s % 60).padStart(2, '0');
    return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  return { h, errText, elapsed };
})();
