// herald.js: the browser client of the Herald gateway. A dependency-free ES module, served by
// herald-server itself at /herald.js.
//
//   import { Herald } from 'http://127.0.0.1:8080/herald.js';
//
//   const h = new Herald({
//     url: 'http://127.0.0.1:8080',              // default: location.origin
//     transports: ['websocket', 'sse', 'poll'],  // default; the order is the fallback order
//   });
//   const off = h.subscribe('chat', (m) => console.log(m.channel, m.data, m.id));
//   h.psubscribe('news.*', (m) => console.log(m.pattern, m.channel, m.data, m.id));
//   const { receivers, id } = await h.publish('chat', 'hello');
//   h.on('state', (s) => console.log(s.state, s.transport)); // connecting|open|reconnecting|closed
//   h.on('gap', (g) => console.warn('missed messages between', g.since, 'and', g.last_id));
//   h.on('error', (e) => console.warn(e.message));
//   off();                       // or h.unsubscribe('chat', cb) / h.unsubscribe('chat')
//   h.close();
//
// API
//   new Herald(options)
//     url          the gateway's base URL (http: or https:); default location.origin.
//     transports   any of 'websocket' (/ws, JSON protocol), 'sse' (EventSource on /sse) and
//                  'poll' (long-polling /poll), tried in this order.
//     token        a browser token (a JWT your application signed, see the README), or the
//                  gateway-publish-token. Sent as ?token= on /ws, /sse and /poll and as
//                  "Authorization: Bearer" on publishes.
//     getToken     async () => token: called before the first connection, again before the
//                  token expires (its "exp", less 30 s or a fifth of its life) and after a
//                  connection was refused or dropped. A fresh token goes to an open WebSocket as
//                  ["AUTH", token]; an event stream is reopened with it (resuming, so nothing is
//                  lost).
//     lastEventId  resume from this id at the first connect (default: live only); 'start':
//                  everything the server's history still holds.
//     backoff      { initialMs: 500, maxMs: 15000 }: reconnect delays, see below.
//     paths        { websocket: '/ws', sse: '/sse', poll: '/poll', publish: '/publish/' }, for a
//                  gateway mounted under another prefix by a reverse proxy.
//   h.subscribe(channel, cb) / h.psubscribe(pattern, cb)
//     cb receives { channel, pattern (psubscribe only), data, id }: data is the payload as a
//     string, id the message id as the server sent it (an opaque string). Returns a function
//     that removes this callback.
//   h.unsubscribe(channel[, cb]) / h.punsubscribe(pattern[, cb])
//     Removes cb (or every callback) from that channel or pattern; the server subscription ends
//     with the last callback. h.unsubscribe() with no argument removes everything.
//   h.publish(channel, data) -> Promise<{ receivers, id }>
//     data is sent as is when it is a string, else as JSON.stringify(data). Goes over the
//     WebSocket when one is open, else POST /publish/<channel>; while a connection is being
//     opened it waits for that first, so a message published right after subscribe() comes
//     back to this client too. Rejects on an error reply or if the connection is lost before
//     the reply (the message may or may not have been published then).
//   h.on('state' | 'gap' | 'error', cb) -> a function that removes cb (also h.off(event, cb)).
//     state: { state, transport, delay? }; state is 'connecting' (trying transports), 'open',
//            'reconnecting' (waiting `delay` ms before the next try) or 'closed'.
//     gap:   { since, last_id, transport }: the server's history did not reach back to `since`,
//            so messages may have been missed; delivery goes on.
//     error: an Error with `transport` set when it concerns one (a transport that failed to
//            open, an error reply from the server, an exception thrown by a callback).
//   h.state, h.transport, h.lastEventId: the current values.
//   h.close(): closes the connection for good.
//
// Behaviour
//   - Reconnects by itself, with jittered exponential backoff ("full jitter": a random delay
//     between 0 and min(maxMs, initialMs * 2^attempt)); the attempt count goes back to 0 once a
//     connection has stayed open for 10 s.
//   - Resumes from the last id it saw: a reconnect asks for what was published after it
//     (`lastEventId` on /ws and /sse, `since` on /poll) and drops messages it already
//     delivered, so callbacks see each message once and in order. When the server's history
//     does not reach back that far a 'gap' event comes first.
//   - Falls back: a transport that fails to open is followed at once by the next one; when all
//     failed the backoff delay applies. The transport that last opened is tried first from
//     then on (and remembered in sessionStorage for this tab). While on a fallback, the first
//     of `transports` is tried again in the background (after about 2 s, then 4 times less
//     often each time, at least every 5 min) and takes over as soon as it opens.
//   - Over SSE and long-polling, changing the subscriptions reopens the stream (resuming from
//     the last id, so nothing is lost).

const TRANSPORT_NAMES = ['websocket', 'sse', 'poll'];
const DEFAULT_PATHS = { websocket: '/ws', sse: '/sse', poll: '/poll', publish: '/publish/' };
const OPEN_TIMEOUT_MS = 10000;   // a transport that has not opened by then has failed
const STABLE_MS = 10000;         // open this long: the backoff starts over
const UPGRADE_FIRST_MS = 2000;   // on a fallback transport: first try of the preferred one
const UPGRADE_MAX_MS = 300000;   // ... and the longest wait between tries
const POLL_TIMEOUT_S = 25;       // long-poll duration asked of the server
const POLL_GRACE_MS = 20000;     // ... and how much longer we wait for its answer
const SEEN_LIMIT = 2048;         // delivered message keys kept for dropping replays
const TOKEN_LEAD_MS = 30000;     // ask getToken() for a new token this long before "exp"

// The "exp" of a JWT in ms since the epoch, or null (not a JWT, or no exp). Not verified: the
// server does that; this only says when to ask for a new one.
function tokenExpiry(token) {
  try {
    const part = String(token).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const exp = JSON.parse(atob(part)).exp;
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}

// JSON.parse, except that the id fields are kept as the exact text the server sent: ids are
// opaque, and a JSON number above 2^53 would not survive as a double. Outside string literals
// `"id":` can only be a key (a quote inside a string is escaped), so the rewrite is safe.
function parseJson(text) {
  return JSON.parse(text.replace(/"(id|last_id|since)":(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
                                 '"$1":"$2"'));
}

function idString(id) {
  return id === undefined || id === null ? null : String(id);
}

function heraldError(message, transport) {
  const err = new Error(message);
  if (transport) err.transport = transport;
  return err;
}

function storage() {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // blocked by the browser's privacy settings
  }
}

export class Herald {
  constructor(options = {}) {
    const base = options.url ?? globalThis.location?.origin;
    if (!base) throw new TypeError('Herald: options.url is required outside a web page');
    this._base = new URL(base).href.replace(/\/+$/, '');
    this._transports = (options.transports ?? TRANSPORT_NAMES).map(String);
    for (const name of this._transports) {
      if (!TRANSPORT_NAMES.includes(name)) {
        throw new TypeError(`Herald: unknown transport '${name}' (use ${TRANSPORT_NAMES})`);
      }
    }
    if (this._transports.length === 0) throw new TypeError('Herald: no transport given');
    this._paths = { ...DEFAULT_PATHS, ...options.paths };
    this._token = options.token ?? null;
    this._getToken = typeof options.getToken === 'function' ? options.getToken : null;
    this._tokenStale = this._getToken !== null && this._token === null;
    this._tokenTimer = null;
    this._tokenPromise = null;
    if (this._getToken && this._token) queueMicrotask(() => this._scheduleTokenRefresh());
    this._backoffInitial = options.backoff?.initialMs ?? 500;
    this._backoffMax = options.backoff?.maxMs ?? 15000;
    this._lastId = idString(options.lastEventId);

    this._channels = new Map(); // name -> Set of callbacks
    this._patterns = new Map();
    this._listeners = { state: new Set(), gap: new Set(), error: new Set() };
    this._seen = new Set();
    this._state = 'connecting';
    this._transport = null;
    this._conn = null;
    this._closed = false;
    this._timer = null;
    this._attempt = 0;
    this._round = null; // { start, step }: the transports tried in this connect round
    this._settleWaiters = []; // publishes waiting for the connection attempt's outcome
    this._probe = null;       // the preferred transport, being tried while on a fallback
    this._probeTimer = null;
    this._probeDelay = UPGRADE_FIRST_MS;
    this._pollLegacy = false; // the server only has /poll/<channel>
    this._storageKey = `herald.transport ${this._base}`;
    this._working = this._transports.indexOf(storage()?.getItem(this._storageKey) ?? '');
    if (this._working < 0) this._working = null;

    this._onOnline = () => {
      if (this._timer !== null) this._connectNow();
    };
    globalThis.addEventListener?.('online', this._onOnline);
    // Connect after the current task, so that subscriptions made right after the constructor
    // go out with the first connection.
    queueMicrotask(() => this._connect());
  }

  get state() { return this._state; }
  get transport() { return this._transport; }
  get lastEventId() { return this._lastId; }

  subscribe(channel, cb) { return this._add(this._channels, 'channel', channel, cb); }
  psubscribe(pattern, cb) { return this._add(this._patterns, 'pattern', pattern, cb); }

  unsubscribe(channel, cb) {
    if (channel === undefined) {
      for (const name of [...this._channels.keys()]) this._remove(this._channels, 'channel', name);
      for (const name of [...this._patterns.keys()]) this._remove(this._patterns, 'pattern', name);
      return;
    }
    this._remove(this._channels, 'channel', channel, cb);
  }

  punsubscribe(pattern, cb) {
    if (pattern === undefined) {
      for (const name of [...this._patterns.keys()]) this._remove(this._patterns, 'pattern', name);
      return;
    }
    this._remove(this._patterns, 'pattern', pattern, cb);
  }

  publish(channel, data) {
    if (typeof channel !== 'string' || channel === '') {
      return Promise.reject(new TypeError('Herald.publish: channel must be a non-empty string'));
    }
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    if (this._state !== 'connecting') return this._publishNow(channel, text);
    // A connection attempt is under way: wait for its outcome, so that a publish made right
    // after subscribe() reaches this client's own subscription too.
    return new Promise((resolve) => this._settleWaiters.push(resolve))
      .then(() => this._publishNow(channel, text));
  }

  _publishNow(channel, text) {
    if (this._closed) return Promise.reject(heraldError('Herald: closed'));
    const conn = this._conn;
    if (conn && conn.opened && conn.publish) return conn.publish(channel, text);
    return this._httpPublish(channel, text);
  }

  on(event, cb) {
    const set = this._listeners[event];
    if (!set) throw new TypeError(`Herald.on: unknown event '${event}' (state, gap, error)`);
    if (typeof cb !== 'function') throw new TypeError('Herald.on: callback must be a function');
    set.add(cb);
    return () => set.delete(cb);
  }

  off(event, cb) { this._listeners[event]?.delete(cb); }

  close() {
    if (this._closed) return;
    this._closed = true;
    clearTimeout(this._timer);
    this._timer = null;
    clearTimeout(this._tokenTimer);
    this._tokenTimer = null;
    this._stopProbe();
    globalThis.removeEventListener?.('online', this._onOnline);
    const conn = this._conn;
    this._conn = null;
    conn?.close(heraldError('Herald: closed'));
    this._setState('closed', null);
  }

  // -- subscriptions --------------------------------------------------------------------------

  _add(map, kind, name, cb) {
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(`Herald: the ${kind} must be a non-empty string`);
    }
    if (typeof cb !== 'function') throw new TypeError('Herald: callback must be a function');
    let set = map.get(name);
    const fresh = !set;
    if (fresh) {
      set = new Set();
      map.set(name, set);
    }
    set.add(cb);
    if (fresh && !this._closed) {
      this._conn?.changed(kind, name, true);
      this._probe?.changed(kind, name, true);
    }
    return () => this._remove(map, kind, name, cb);
  }

  _remove(map, kind, name, cb) {
    const set = map.get(name);
    if (!set) return;
    if (cb) set.delete(cb); else set.clear();
    if (set.size > 0) return;
    map.delete(name);
    if (!this._closed) {
      this._conn?.changed(kind, name, false);
      this._probe?.changed(kind, name, false);
    }
  }

  // -- events ---------------------------------------------------------------------------------

  _emit(event, value) {
    for (const cb of [...this._listeners[event]]) {
      try {
        cb(value);
      } catch (err) {
        if (event === 'error') setTimeout(() => { throw err; }); // report, do not loop
        else this._emit('error', err);
      }
    }
  }

  _error(message, transport) {
    this._emit('error', heraldError(message, transport));
  }

  _setState(state, transport, extra = {}) {
    if (state === this._state && transport === this._transport && !('delay' in extra)) return;
    this._state = state;
    this._transport = transport;
    if (state !== 'connecting') {
      for (const resume of this._settleWaiters.splice(0)) resume();
    }
    this._emit('state', { state, transport, ...extra });
  }

  // A message from any transport. Replays after a reconnect may repeat messages already
  // delivered: they are recognised by id (and channel or pattern, since one publish reaches a
  // subscriber once per matching subscription, all with the same id).
  _deliver(message) {
    const id = idString(message.id);
    const pattern = message.pattern ?? null;
    const channel = String(message.channel);
    if (id !== null) {
      const key = pattern === null ? `c ${channel} ${id}` : `p ${pattern} ${id}`;
      if (this._seen.has(key)) return;
      this._seen.add(key);
      if (this._seen.size > SEEN_LIMIT) this._seen.delete(this._seen.values().next().value);
      this._lastId = id;
    }
    const set = pattern === null ? this._channels.get(channel) : this._patterns.get(pattern);
    if (!set) return; // unsubscribed while the message was on its way
    const out = { channel, data: String(message.data ?? ''), id };
    if (pattern !== null) out.pattern = pattern;
    for (const cb of [...set]) {
      try {
        cb(out);
      } catch (err) {
        this._emit('error', err);
      }
    }
  }

  // The server's history does not reach back to the id we resumed from (or it restarted and
  // counts ids anew): what follows is a new sequence, so forget the ids seen so far.
  _gap(since, lastId, transport) {
    this._seen.clear();
    const last = idString(lastId);
    if (last !== null) this._lastId = last;
    this._emit('gap', { since: idString(since), last_id: last, transport });
  }

  // -- connecting -----------------------------------------------------------------------------

  _connect() {
    this._timer = null;
    if (this._closed || this._conn) return;
    const expiry = tokenExpiry(this._token);
    if (this._getToken && (this._tokenStale || (expiry !== null && expiry <= Date.now()))) {
      this._fetchToken().then(() => {
        if (!this._closed && !this._conn && this._timer === null) this._startRound();
      }, (err) => {
        this._error(`getToken failed: ${err?.message ?? err}`);
        this._scheduleReconnect();
      });
      return;
    }
    this._startRound();
  }

  _startRound() {
    this._round = { start: this._working ?? 0, step: 0 };
    this._tryNext();
  }

  // Asks getToken() for a token (one call at a time) and plans the next call before it expires.
  _fetchToken() {
    this._tokenPromise ??= (async () => {
      try {
        const token = await this._getToken();
        this._token = token === null || token === undefined ? null : String(token);
        this._tokenStale = false;
        this._scheduleTokenRefresh();
      } finally {
        this._tokenPromise = null;
      }
    })();
    return this._tokenPromise;
  }

  _scheduleTokenRefresh() {
    clearTimeout(this._tokenTimer);
    this._tokenTimer = null;
    const expiry = tokenExpiry(this._token);
    if (!this._getToken || expiry === null || this._closed) return;
    const left = expiry - Date.now();
    const delay = Math.max(0, left - Math.min(TOKEN_LEAD_MS, left / 5));
    this._tokenTimer = setTimeout(() => {
      this._tokenTimer = null;
      this._fetchToken().then(() => this._conn?.tokenChanged?.(),
                              (err) => this._error(`getToken failed: ${err?.message ?? err}`));
    }, delay);
  }

  // The query parameter that carries the token on /ws, /sse and /poll.
  _tokenParams() {
    return this._token ? [['token', this._token]] : [];
  }

  _connectNow() {
    clearTimeout(this._timer);
    this._connect();
  }

  // Opens the next transport of this round, or waits for the backoff delay when every
  // transport failed to open.
  _tryNext() {
    const n = this._transports.length;
    if (this._round.step >= n) {
      this._scheduleReconnect();
      return;
    }
    const index = (this._round.start + this._round.step) % n;
    this._round.step += 1;
    const name = this._transports[index];
    this._setState('connecting', name);
    const conn = new TRANSPORTS[name](this, index);
    this._conn = conn;
    conn.open();
  }

  _scheduleReconnect() {
    const ceiling = Math.min(this._backoffMax, this._backoffInitial * 2 ** this._attempt);
    const delay = Math.round(Math.random() * ceiling);
    this._attempt = Math.min(this._attempt + 1, 30);
    this._setState('reconnecting', this._transport, { delay });
    this._timer = setTimeout(() => this._connect(), delay);
  }

  // Transport callbacks; `conn` is checked so that a closed transport's late events are ignored.
  _opened(conn) {
    if (conn === this._probe) {
      // The preferred transport works again: switch to it. The old one closes only now, so
      // nothing is missed; what both delivered is dropped as already seen.
      this._probe = null;
      this._probeDelay = UPGRADE_FIRST_MS;
      const old = this._conn;
      this._conn = conn;
      old?.close(heraldError(`replaced by ${conn.name}`, old.name));
    }
    if (conn !== this._conn) return;
    this._working = conn.index;
    conn.openedAt = Date.now();
    try {
      storage()?.setItem(this._storageKey, conn.name);
    } catch { /* quota or privacy settings: remembering is optional */ }
    this._setState('open', conn.name);
    this._scheduleUpgrade();
  }

  _failed(conn, message) {
    if (conn === this._probe) {
      this._stopProbe();
      this._error(`${conn.name} still fails to open: ${message}`, conn.name);
      this._probeDelay = Math.min(this._probeDelay * 4, UPGRADE_MAX_MS);
      this._scheduleUpgrade();
      return;
    }
    if (conn !== this._conn) return;
    this._conn = null;
    if (this._getToken) this._tokenStale = true; // refused: maybe for the token
    conn.close(heraldError(message, conn.name));
    this._error(`${conn.name} failed to open: ${message}`, conn.name);
    this._tryNext();
  }

  _dropped(conn, message) {
    if (conn !== this._conn) return;
    this._conn = null;
    this._stopProbe();
    if (this._getToken && /code 4001\b/.test(message)) this._tokenStale = true; // expired
    conn.close(heraldError(`connection lost: ${message}`, conn.name));
    if (Date.now() - conn.openedAt >= STABLE_MS) this._attempt = 0;
    this._scheduleReconnect();
  }

  // On a fallback transport, the preferred one (the first of `transports`) is tried again now
  // and then in the background: what failed may have been a passing outage (the server
  // restarting while the transports were tried in turn) rather than a network that breaks it.
  _scheduleUpgrade() {
    clearTimeout(this._probeTimer);
    this._probeTimer = null;
    if (this._closed || !this._conn || this._conn.index === 0 || this._probe) return;
    const delay = Math.round(this._probeDelay * (0.5 + Math.random()));
    this._probeTimer = setTimeout(() => {
      this._probeTimer = null;
      if (this._closed || !this._conn?.opened || this._conn.index === 0) return;
      const Transport = TRANSPORTS[this._transports[0]];
      this._probe = new Transport(this, 0);
      this._probe.open();
    }, delay);
  }

  _stopProbe() {
    clearTimeout(this._probeTimer);
    this._probeTimer = null;
    const probe = this._probe;
    this._probe = null;
    probe?.close(heraldError('upgrade abandoned', probe.name));
  }

  // -- HTTP helpers ---------------------------------------------------------------------------

  _url(path, params = [], scheme = null) {
    const url = new URL(this._base + path);
    for (const [name, value] of params) {
      if (value !== null && value !== undefined) url.searchParams.append(name, value);
    }
    if (scheme) url.protocol = url.protocol === 'https:' ? `${scheme}s:` : `${scheme}:`;
    return url.href;
  }

  // Query parameters naming every subscription, as /sse and /poll take them.
  _subscriptionParams() {
    return [
      ...[...this._channels.keys()].map((name) => ['channel', name]),
      ...[...this._patterns.keys()].map((name) => ['pattern', name]),
    ];
  }

  async _httpPublish(channel, text) {
    const headers = {};
    if (this._token) headers.Authorization = `Bearer ${this._token}`;
    const url = this._url(this._paths.publish + encodeURIComponent(channel));
    const res = await fetch(url, { method: 'POST', body: text, headers, cache: 'no-store' });
    const body = await res.text();
    if (!res.ok) {
      let message = body.trim();
      try { message = parseJson(body).error ?? message; } catch { /* plain text */ }
      throw heraldError(`publish failed: HTTP ${res.status} ${message}`);
    }
    const reply = parseJson(body);
    return { receivers: Number(reply.receivers), id: idString(reply.id) };
  }
}

// -- transports -------------------------------------------------------------------------------
//
// Each transport: open(); changed(kind, name, added) when the subscriptions change; close(err);
// `opened`; publish(channel, text) where it has its own way. It reports to the Herald through
// _opened / _failed (before opening) / _dropped (after) and delivers with _deliver / _gap.

class WsTransport {
  constructor(herald, index) {
    this.h = herald;
    this.index = index;
    this.name = 'websocket';
    this.opened = false;
    this.dead = false;
    this.pending = []; // publish replies awaited, in order
    this.acks = 0;     // subscription confirmations still awaited before reporting open
  }

  open() {
    const h = this.h;
    const params = [['lastEventId', h._lastId], ...h._tokenParams()];
    let ws;
    try {
      ws = new WebSocket(h._url(h._paths.websocket, params, 'ws'));
    } catch (err) {
      queueMicrotask(() => h._failed(this, err.message));
      return;
    }
    this.ws = ws;
    this.timer = setTimeout(() => h._failed(this, 'timed out'), OPEN_TIMEOUT_MS);
    ws.onopen = () => {
      const channels = [...h._channels.keys()];
      const patterns = [...h._patterns.keys()];
      this.acks = channels.length + patterns.length;
      if (channels.length) this.send(['SUBSCRIBE', ...channels]);
      if (patterns.length) this.send(['PSUBSCRIBE', ...patterns]);
      if (this.acks === 0) this.markOpen();
    };
    ws.onmessage = (event) => this.onMessage(event.data);
    ws.onclose = (event) => {
      const why = `closed (code ${event.code}${event.reason ? `, ${event.reason}` : ''})`;
      if (this.opened) h._dropped(this, why); else h._failed(this, why);
    };
  }

  // Open once the initial subscriptions are confirmed: from then on nothing published to them
  // can be missed.
  markOpen() {
    if (this.opened || this.dead) return;
    clearTimeout(this.timer);
    this.opened = true;
    this.h._opened(this);
  }

  send(command) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(command));
  }

  // A fresh token from getToken(): the connection stays, with the new token's grants.
  tokenChanged() {
    if (this.ws?.readyState !== WebSocket.OPEN || !this.h._token) return;
    this.pending.push({
      resolve: () => {},
      reject: (err) => this.h._error(`token refused: ${err.message}`, this.name),
    });
    this.send(['AUTH', this.h._token]);
  }

  changed(kind, name, added) {
    if (this.ws?.readyState !== WebSocket.OPEN) return; // onopen sends the current set
    const verb = added ? 'SUBSCRIBE' : 'UNSUBSCRIBE';
    this.send([kind === 'pattern' ? `P${verb}` : verb, name]);
  }

  publish(channel, text) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.send(['PUBLISH', channel, text]);
    });
  }

  onMessage(text) {
    if (typeof text !== 'string') return; // the JSON protocol is text only
    let msg;
    try {
      msg = parseJson(text);
    } catch {
      this.h._error(`unparsable message: ${text.slice(0, 100)}`, this.name);
      return;
    }
    switch (msg.type) {
      case 'message':
      case 'pmessage':
        this.h._deliver(msg);
        break;
      case 'subscribe':
      case 'psubscribe':
        if (this.acks > 0 && --this.acks === 0) this.markOpen();
        break;
      case 'gap':
        this.h._gap(msg.since, msg.last_id, this.name);
        break;
      case 'publish':
      case 'auth': {
        const waiter = this.pending.shift();
        waiter?.resolve({ receivers: Number(msg.receivers), id: idString(msg.id) });
        break;
      }
      case 'error': {
        const err = heraldError(msg.message ?? 'error', this.name);
        if (!this.opened && this.acks > 0) { // a first subscription refused (401, 403)
          this.h._failed(this, err.message);
          return;
        }
        const waiter = this.pending.shift();
        if (waiter) waiter.reject(err); else this.h._emit('error', err);
        break;
      }
      default:
        break; // unsubscribe confirmations, pong, and whatever later servers add
    }
  }

  close(err) {
    if (this.dead) return;
    this.dead = true;
    clearTimeout(this.timer);
    for (const waiter of this.pending.splice(0)) waiter.reject(err);
    if (this.ws) {
      this.ws.onopen = this.ws.onmessage = this.ws.onclose = null;
      try { this.ws.close(); } catch { /* already closed */ }
    }
  }
}

class SseTransport {
  constructor(herald, index) {
    this.h = herald;
    this.index = index;
    this.name = 'sse';
    this.opened = false;
    this.dead = false;
  }

  open() { this.start(); }

  // (Re)opens the EventSource for the current subscriptions, resuming from the last id. With
  // no subscription there is nothing to stream: the transport counts as open and idle.
  start() {
    const h = this.h;
    this.stop();
    const params = h._subscriptionParams();
    if (params.length === 0) {
      this.markOpen();
      return;
    }
    this.single = params.length === 1 && params[0][0] === 'channel' ? params[0][1] : null;
    params.push(['lastEventId', h._lastId], ...h._tokenParams());
    const es = new EventSource(h._url(h._paths.sse, params));
    this.es = es;
    this.timer = setTimeout(() => this.fail('timed out'), OPEN_TIMEOUT_MS);
    es.onopen = () => this.markOpen();
    es.onmessage = (event) => this.onMessage(event);
    es.addEventListener('gap', (event) => {
      let info = {};
      try { info = parseJson(event.data); } catch { /* a gap all the same */ }
      h._gap(info.since, info.last_id, this.name);
    });
    // EventSource would reconnect by itself; herald.js does it (with backoff and fallback).
    es.onerror = () => this.fail(es.readyState === EventSource.CLOSED ? 'refused' : 'error');
  }

  markOpen() {
    clearTimeout(this.timer);
    if (this.opened || this.dead) return;
    this.opened = true;
    this.h._opened(this);
  }

  fail(why) {
    if (this.opened) this.h._dropped(this, why); else this.h._failed(this, why);
  }

  onMessage(event) {
    // Several subscriptions: data is a JSON envelope. One channel: the server may send the
    // payload itself, so an envelope is recognised by its channel and id matching the event's.
    let msg = null;
    try {
      const parsed = parseJson(event.data);
      if (parsed && typeof parsed === 'object' && 'channel' in parsed && 'data' in parsed &&
          (this.single === null ||
           (parsed.channel === this.single && idString(parsed.id) === event.lastEventId))) {
        msg = parsed;
      }
    } catch { /* not JSON: a raw payload */ }
    if (msg === null) {
      if (this.single === null) {
        this.h._error(`unexpected event: ${event.data.slice(0, 100)}`, this.name);
        return;
      }
      msg = { channel: this.single, data: event.data };
    }
    // The event's id field is exactly what the server sent.
    msg.id = event.lastEventId !== '' ? event.lastEventId : idString(msg.id);
    this.h._deliver(msg);
  }

  // A fresh token: reopen the stream with it (resuming from the last id).
  tokenChanged() { if (this.opened) this.changed(); }

  changed() {
    if (this.restartQueued) return;
    this.restartQueued = true;
    queueMicrotask(() => {
      this.restartQueued = false;
      if (!this.dead) this.start();
    });
  }

  stop() {
    clearTimeout(this.timer);
    if (this.es) {
      this.es.onopen = this.es.onmessage = this.es.onerror = null;
      this.es.close();
      this.es = null;
    }
  }

  close() {
    this.dead = true;
    this.stop();
  }
}

class PollTransport {
  constructor(herald, index) {
    this.h = herald;
    this.index = index;
    this.name = 'poll';
    this.opened = false;
    this.dead = false;
    this.abort = null;
    this.wake = null; // resolves the idle wait when the subscriptions change
    this.session = ''; // the server's poll session: our place between two polls
  }

  open() {
    this.loop();
  }

  markOpen() {
    if (this.opened || this.dead) return;
    this.opened = true;
    this.h._opened(this);
  }

  fail(why) {
    if (this.dead) return;
    if (this.opened) this.h._dropped(this, why); else this.h._failed(this, why);
  }

  // The first request asks for an immediate answer (timeout=0), which opens the transport and
  // gives the current id to resume from; the next ones wait up to POLL_TIMEOUT_S. Each answer
  // names a session that stays subscribed until the next request (gateway-poll-grace), so a
  // message published between two requests is counted and kept for us.
  async loop() {
    const h = this.h;
    let wait = 0;
    while (!this.dead) {
      const params = h._subscriptionParams();
      if (params.length === 0) {
        this.markOpen();
        await new Promise((resolve) => { this.wake = resolve; });
        continue;
      }
      const legacy = h._pollLegacy && params.length === 1 && params[0][0] === 'channel';
      const channel = legacy ? params[0][1] : null;
      const query = legacy ? [] : params;
      // The session keeps our subscriptions (and what arrives) between two polls.
      query.push(['since', h._lastId], ['timeout', String(wait)], ['session', this.session],
                 ...h._tokenParams());
      const path = legacy ? `${h._paths.poll}/${encodeURIComponent(channel)}` : h._paths.poll;
      const abort = new AbortController();
      this.abort = abort;
      const timer = setTimeout(() => abort.abort(), wait * 1000 + POLL_GRACE_MS);
      let status;
      let body;
      try {
        const res = await fetch(h._url(path, query), { cache: 'no-store', signal: abort.signal });
        status = res.status;
        body = await res.text();
      } catch (err) {
        if (this.dead) return;
        if (this.restart) { // the subscriptions changed: ask again at once
          this.restart = false;
          continue;
        }
        this.fail(err.name === 'AbortError' ? 'timed out' : err.message);
        return;
      } finally {
        clearTimeout(timer);
        this.abort = null;
      }
      if (this.dead) return;
      if (status === 404 && !legacy && params.length === 1 && params[0][0] === 'channel') {
        h._pollLegacy = true; // a server without /poll?channel=: use /poll/<channel>
        continue;
      }
      let reply;
      try {
        if (status !== 200) throw new Error(`HTTP ${status} ${body.trim()}`);
        reply = parseJson(body);
      } catch (err) {
        this.fail(err.message);
        return;
      }
      this.markOpen();
      if (reply.gap) h._gap(query.find(([k]) => k === 'since')[1], reply.last_id, this.name);
      for (const m of reply.messages ?? []) {
        h._deliver({ channel: m.channel ?? channel, pattern: m.pattern, data: m.data, id: m.id });
        if (this.dead) return;
      }
      // Nothing newer for us up to last_id: the next request starts there.
      if (idString(reply.last_id) !== null) h._lastId = idString(reply.last_id);
      this.session = typeof reply.session === 'string' ? reply.session : '';
      if (this.restart) this.restart = false;
      wait = POLL_TIMEOUT_S;
    }
  }

  changed() {
    if (this.wake) {
      const wake = this.wake;
      this.wake = null;
      wake();
    } else if (this.abort) {
      this.restart = true;
      this.abort.abort();
    }
  }

  close() {
    this.dead = true;
    this.abort?.abort();
    this.wake?.();
  }
}

const TRANSPORTS = { websocket: WsTransport, sse: SseTransport, poll: PollTransport };
