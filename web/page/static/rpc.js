// JSON-RPC 2.0 over a reconnecting websocket, shared by the gateway's pages
// (web/page inlines it before each page's app.js).
'use strict';

class RPCError extends Error {
  constructor(e) {
    super(e && e.message ? e.message : 'error');
    this.rpc = true;
    this.code = e && e.code;
    this.data = (e && e.data) || {};
    this.reason = this.data.reason ? String(this.data.reason) : '';
  }
}

// newRPCClient returns a client of the websocket at path on this page's host.
// hooks: connecting() before each attempt; socket(ws) for a new socket;
// opened() once it is open; closed(ev) when it closes, returning whether to
// retry; connection(state) with 'reconnecting' or 'closed' after that;
// notify(method, params) for each notification; status(text, kind) for
// problems; refused(text) when the gateway refuses this page's origin (then
// it stops retrying until start()). Retries back off from 0.5 s to 15 s with
// jitter.
function newRPCClient(path, hooks) {
  return {
    ws: null,
    nextID: 1,
    pending: new Map(), // id -> {resolve, reject, timer}
    attempt: 0,
    retryTimer: 0,
    wanted: false, // keep a connection up
    openedAt: 0,

    start() {
      this.wanted = true;
      this.refused = '';
      this.attempt = 0;
      this.open();
    },

    stop() {
      this.wanted = false;
      clearTimeout(this.retryTimer);
      if (this.ws) this.ws.close(1000, 'logout');
    },

    open() {
      clearTimeout(this.retryTimer);
      const url = (location.protocol === 'https:' ? 'wss' : 'ws') + '://' + location.host + path;
      hooks.connecting();
      let ws;
      try {
        ws = new WebSocket(url);
      } catch (e) {
        hooks.status('websocket: ' + (e && e.message ? e.message : String(e)), 'error');
        this.scheduleRetry();
        return;
      }
      this.ws = ws;
      hooks.socket(ws);
      let opened = false;
      ws.onopen = () => {
        if (ws !== this.ws) return;
        opened = true;
        this.openedAt = Date.now();
        hooks.opened();
      };
      ws.onmessage = (ev) => {
        if (ws !== this.ws) return;
        let msg;
        try {
          msg = JSON.parse(ev.data);
        } catch (e) {
          hooks.status('bad message from gateway', 'error');
          return;
        }
        for (const m of Array.isArray(msg) ? msg : [msg]) this.dispatch(m);
      };
      ws.onclose = (ev) => {
        if (ws !== this.ws) return;
        this.ws = null;
        for (const [, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new Error('connection lost'));
        }
        this.pending.clear();
        if (!opened) this.probe();
        const retry = hooks.closed(ev);
        if (this.openedAt && Date.now() - this.openedAt > 10000) this.attempt = 0;
        this.openedAt = 0;
        if (this.wanted && retry) {
          hooks.connection('reconnecting');
          this.scheduleRetry();
        } else {
          hooks.connection('closed');
        }
      };
    },

    // probe asks the gateway (POST on the websocket's path, where Origin is
    // always sent) whether it refuses this page's origin: the browser hides
    // the 403 of a refused upgrade behind close code 1006.
    probe() {
      if (this.probing || !window.fetch) return;
      this.probing = true;
      fetch(path, { method: 'POST', cache: 'no-store', credentials: 'omit', referrerPolicy: 'strict-origin-when-cross-origin' })
        .then(async (res) => {
          if (res.status !== 403 || !this.wanted) return;
          let body = {};
          try {
            body = await res.json();
          } catch (e) {
            // not the gateway's answer
          }
          if (!/origin/i.test(body.reason || '')) return;
          this.wanted = false;
          clearTimeout(this.retryTimer);
          this.refused = body.origin || location.origin;
          const text = `The gateway refused this page's address (origin ${this.refused}), so it cannot connect. ` +
            `An administrator must add ${this.refused} to the gateway's -allowed-origins flag, or make the proxy in front ` +
            'of it pass the original Host header. Reload the page once that is done.';
          if (hooks.refused) hooks.refused(text);
          else hooks.status(text, 'error');
          hooks.connection('refused');
        })
        .catch(() => {})
        .finally(() => {
          this.probing = false;
        });
    },

    scheduleRetry() {
      clearTimeout(this.retryTimer);
      if (!this.wanted) return;
      const base = Math.min(15000, 500 * 2 ** this.attempt);
      this.attempt++;
      this.retryTimer = setTimeout(() => this.open(), Math.round(base * (0.8 + Math.random() * 0.4)));
    },

    request(method, params = {}, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const ws = this.ws;
        if (!ws || ws.readyState !== WebSocket.OPEN) {
          reject(new Error('not connected'));
          return;
        }
        const id = this.nextID++;
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new Error(`${method}: no answer in ${timeoutMs / 1000} s`));
        }, timeoutMs);
        this.pending.set(id, { resolve, reject, timer });
        ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      });
    },

    dispatch(m) {
      if (m && m.id !== undefined && m.id !== null && !m.method) {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.error) p.reject(new RPCError(m.error));
        else p.resolve(m.result === undefined ? null : m.result);
        return;
      }
      if (m && m.method) {
        try {
          hooks.notify(m.method, m.params || {});
        } catch (e) {
          hooks.status(`${m.method}: ${e && e.message ? e.message : String(e)}`, 'error');
        }
      }
    },
  };
}
