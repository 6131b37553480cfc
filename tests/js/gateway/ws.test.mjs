// The gateway's WebSocket endpoints (/ws/<channel> and the JSON protocol at /ws) driven by the
// npm `ws` client, which is strict: it fails the connection on any server frame that breaks
// RFC 6455 (masking, RSV bits, opcodes, control frame sizes, UTF-8 of text, close codes), so
// every exchange below is also a conformance check of what herald sends. The RESP side is
// ioredis.
//
//   cd tests/js && HERALD_SERVER=../../build/server/herald-server node --test gateway/ws.test.mjs
//
// Every server gets free ports (RESP and gateway, from the harness). Nothing asserts on timing:
// every wait is for a condition, with generous limits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import WebSocket from 'ws';
import { IS_REDIS, numsub, startServer, uniqueName, waitUntil, withTimeout } from '../harness.mjs';

const SKIP = IS_REDIS || process.env.HERALD_PORT
  ? 'needs a herald-server started by the harness (the gateway is herald\'s own)'
  : false;
const WAIT_MS = 20000; // upper bound of every wait; passing runs take far less
const MAX_MESSAGE = 2 * 1024 * 1024; // gateway-ws-max-message of the server below

let server;
before(async () => {
  if (SKIP) return;
  // Server pings every second (gateway-sse-heartbeat 1): `ws` answers them by itself, and they
  // must never disturb an exchange.
  server = await startServer(['--gateway-sse-heartbeat', '1',
                              '--gateway-ws-max-message', String(MAX_MESSAGE)],
                             { gateway: true });
});
after(async () => { await server?.stop(); });

// -- helpers ----------------------------------------------------------------------------------

/** A `ws` client whose events (messages, pongs, the close) queue up for `next()`. */
class Client {
  constructor(srv, path, options = {}) {
    this.ws = new WebSocket(`ws://127.0.0.1:${srv.gatewayPort}${path}`, options);
    this.queue = [];
    this.waiters = [];
    this.errors = [];
    this.pings = 0;
    this.closeInfo = null;
    this.ws.on('message', (data, isBinary) => this.push({ type: 'message', data, isBinary }));
    this.ws.on('pong', (data) => this.push({ type: 'pong', data }));
    this.ws.on('ping', () => { this.pings += 1; });
    this.ws.on('error', (err) => this.errors.push(err));
    this.ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString() };
      this.push({ type: 'close', ...this.closeInfo });
    });
    this.opened = withTimeout(new Promise((resolve, reject) => {
      this.ws.once('upgrade', (res) => { this.upgradeHeaders = res.headers; });
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (req, res) => {
        this.response = res;
        res.resume();
        reject(Object.assign(new Error(`unexpected response ${res.statusCode}`), { res }));
      });
    }), WAIT_MS, `WebSocket ${path} to open`);
    this.opened.catch(() => {}); // rejections are awaited where a test expects them
  }

  push(event) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(event); else this.queue.push(event);
  }

  /** The next message, pong or close, in arrival order. */
  next(what = 'a WebSocket event') {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    return withTimeout(new Promise((resolve) => this.waiters.push(resolve)), WAIT_MS, what);
  }

  async message(what = 'a message') {
    const event = await this.next(what);
    assert.equal(event.type, 'message', `expected ${what}, got ${JSON.stringify(event)}`);
    return event;
  }

  async text(what = 'a text message') {
    const { data, isBinary } = await this.message(what);
    assert.equal(isBinary, false, `${what} arrived as binary`);
    return data.toString('utf8');
  }

  async json(what = 'a JSON push') {
    return JSON.parse(await this.text(what));
  }

  /** Waits for the close event (skipping anything before it); returns { code, reason }. */
  async closed() {
    for (;;) {
      const event = await this.next('the close');
      if (event.type === 'close') return event;
    }
  }
}

/** An open client on `path`; terminated when the test ends. */
async function open(t, path, options) {
  const c = new Client(server, path, options);
  t.after(() => c.ws.terminate());
  await c.opened;
  return c;
}

function redis(t) {
  const c = new Redis({
    host: server.host,
    port: server.port,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  c.on('error', () => {});
  t.after(() => c.disconnect());
  return c;
}

/** A Promise of the next `count` (channel, Buffer) messages of an ioredis subscriber. */
function collect(sub, count) {
  const got = [];
  return withTimeout(new Promise((resolve) => {
    sub.on('messageBuffer', (channel, message) => {
      got.push([channel.toString(), message]);
      if (got.length === count) resolve(got);
    });
  }), WAIT_MS, `${count} RESP messages`);
}

function assertNoErrors(...clients) {
  for (const c of clients) {
    assert.deepEqual(c.errors.map(String), [], 'the strict ws client saw a protocol error');
  }
}

// -- /ws/<channel> ----------------------------------------------------------------------------

test('text and binary between ws and RESP, both ways', { skip: SKIP }, async (t) => {
  const ch = uniqueName('ws-room');
  const sub = redis(t);
  const pub = redis(t);
  await sub.subscribe(ch);
  const c = await open(t, `/ws/${encodeURIComponent(ch)}`);
  await waitUntil(async () => (await numsub(server, ch)) === 2, { message: 'ws subscribed' });
  const resp = collect(sub, 2);

  // ws -> channel: the sender gets its own message back with the same opcode, RESP gets it too.
  c.ws.send('héllo ✓');
  assert.equal(await c.text('the text echo'), 'héllo ✓');
  c.ws.send(Buffer.from([0x00, 0xff, 0x01]));
  const bin = await c.message('the binary echo');
  assert.equal(bin.isBinary, true);
  assert.deepEqual(bin.data, Buffer.from([0x00, 0xff, 0x01]));
  assert.deepEqual(await resp, [[ch, Buffer.from('héllo ✓')], [ch, Buffer.from([0, 255, 1])]]);

  // RESP -> ws: UTF-8 arrives as text, anything else as binary.
  assert.equal(await pub.publish(ch, 'from resp'), 2);
  assert.equal(await c.text(), 'from resp');
  assert.equal(await pub.publish(ch, Buffer.from([0xff, 0xfe, 0x00])), 2);
  const raw = await c.message();
  assert.equal(raw.isBinary, true);
  assert.deepEqual(raw.data, Buffer.from([0xff, 0xfe, 0x00]));
  assert.equal(await pub.publish(ch, ''), 2);
  assert.equal(await c.text('an empty message'), '');
  assertNoErrors(c);
});

test('every client of a channel gets the same frames', { skip: SKIP }, async (t) => {
  const ch = uniqueName('ws-fanout');
  const a = await open(t, `/ws/${encodeURIComponent(ch)}`);
  const b = await open(t, `/ws/${encodeURIComponent(ch)}`);
  await waitUntil(async () => (await numsub(server, ch)) === 2, { message: '2 subscribers' });
  a.ws.send('one');
  b.ws.send(Buffer.from('two'));
  for (const c of [a, b]) {
    assert.equal(await c.text(), 'one');
    const m = await c.message();
    assert.deepEqual([m.isBinary, m.data.toString()], [true, 'two']);
  }
  assertNoErrors(a, b);
});

test('fragmented messages from ws are reassembled', { skip: SKIP }, async (t) => {
  const c = await open(t, `/ws/${uniqueName('ws-frag')}`);
  c.ws.send('frag', { fin: false });
  c.ws.send('men', { fin: false });
  c.ws.send('ted ✓', { fin: true });
  assert.equal(await c.text(), 'fragmented ✓');
  c.ws.send(Buffer.from([1, 2]), { binary: true, fin: false });
  c.ws.send(Buffer.from([3]), { binary: true, fin: true });
  const m = await c.message();
  assert.deepEqual([m.isBinary, [...m.data]], [true, [1, 2, 3]]);
  assertNoErrors(c);
});

test('many messages in a row keep their order', { skip: SKIP }, async (t) => {
  const c = await open(t, `/ws/${uniqueName('ws-many')}`);
  const n = 2000;
  for (let i = 0; i < n; i++) c.ws.send(`message ${i}`);
  for (let i = 0; i < n; i++) assert.equal(await c.text(), `message ${i}`);
  assertNoErrors(c);
});

test('large messages up to the limit pass, one byte more is 1009', { skip: SKIP }, async (t) => {
  const c = await open(t, `/ws/${uniqueName('ws-large')}`);
  const big = Buffer.alloc(MAX_MESSAGE);
  for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
  c.ws.send(big);
  const m = await c.message('the 2 MiB echo');
  assert.equal(m.isBinary, true);
  assert.ok(m.data.equals(big), 'the echo differs');
  const text = 'é'.repeat(MAX_MESSAGE / 2); // exactly MAX_MESSAGE bytes of UTF-8
  c.ws.send(text);
  assert.equal(await c.text('the large text echo'), text);
  assertNoErrors(c);

  // The server refuses the message at its header, while ws is still writing the payload: the
  // close frame must survive that (a server that just closed its socket would answer the rest
  // with a RST, and ws would often see 1006 instead).
  for (const size of [MAX_MESSAGE + 1, 8 * MAX_MESSAGE, 8 * MAX_MESSAGE, 8 * MAX_MESSAGE]) {
    const over = await open(t, `/ws/${uniqueName('ws-over')}`);
    over.ws.send(Buffer.alloc(size));
    const { code } = await over.closed();
    assert.equal(code, 1009, `a ${size}-byte message`);
  }
});

test('pings are answered with their payload, server pings are answered by ws', { skip: SKIP },
  async (t) => {
    const c = await open(t, `/ws/${uniqueName('ws-ping')}`);
    for (const payload of [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(125, 0xfe)]) {
      c.ws.ping(payload);
      const event = await c.next('a pong');
      assert.equal(event.type, 'pong');
      assert.deepEqual(event.data, payload);
    }
    // The server pings every second and closes peers silent for two intervals; `ws` answers
    // each ping with a pong, which keeps the connection open across several of them.
    await waitUntil(() => c.pings >= 3 || c.closeInfo, { timeoutMs: WAIT_MS, message: '3 pings' });
    assert.equal(c.closeInfo, null);
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    c.ws.send('still open');
    assert.equal(await c.text(), 'still open');
    assertNoErrors(c);
  });

// -- close codes ------------------------------------------------------------------------------

test('a close from ws is echoed and unsubscribes', { skip: SKIP }, async (t) => {
  for (const [code, reason, echoed] of [[1000, 'bye', 1000], [4000, '', 4000],
    [3000, 'κόσμε', 3000], [undefined, undefined, 1005]]) {
    const ch = uniqueName('ws-close');
    const c = await open(t, `/ws/${ch}`);
    await waitUntil(async () => (await numsub(server, ch)) === 1, { message: 'subscribed' });
    c.ws.close(code, reason);
    const closed = await c.closed();
    assert.equal(closed.code, echoed, `close(${code})`);
    assert.equal(c.ws.readyState, WebSocket.CLOSED);
    await waitUntil(async () => (await numsub(server, ch)) === 0, { message: 'unsubscribed' });
    assertNoErrors(c);
  }
});

test('invalid UTF-8 in a text message is 1007', { skip: SKIP }, async (t) => {
  const c = await open(t, `/ws/${uniqueName('ws-utf8')}`);
  // `ws` sends a Buffer as a text frame without checking it.
  c.ws.send(Buffer.from([0x68, 0x69, 0xc3, 0x28]), { binary: false });
  assert.equal((await c.closed()).code, 1007);

  const d = await open(t, `/ws/${uniqueName('ws-utf8')}`);
  d.ws.send(Buffer.from([0xed, 0xa0, 0x80]), { binary: false, fin: false }); // a surrogate
  assert.equal((await d.closed()).code, 1007);
});

test('binary on the JSON protocol is 1003', { skip: SKIP }, async (t) => {
  const c = await open(t, '/ws');
  c.ws.send(Buffer.from('["PING"]'));
  assert.equal((await c.closed()).code, 1003);
});

test('a close from the server reaches ws with its code and reason', { skip: SKIP }, async (t) => {
  // Oversize on the JSON protocol: the server closes first; ws sees 1009 and a UTF-8 reason.
  const c = await open(t, '/ws');
  c.ws.send(`["PING","${'x'.repeat(MAX_MESSAGE)}"]`);
  const closed = await c.closed();
  assert.equal(closed.code, 1009);
  assert.equal(typeof closed.reason, 'string');
});

// -- /ws JSON protocol ------------------------------------------------------------------------

test('JSON protocol with ws and RESP', { skip: SKIP }, async (t) => {
  const ch = uniqueName('ws-json');
  const sub = redis(t);
  const pub = redis(t);
  await sub.subscribe(ch);
  const c = await open(t, '/ws');
  c.ws.send(JSON.stringify(['SUBSCRIBE', ch]));
  assert.deepEqual(await c.json(), { type: 'subscribe', channel: ch, count: 1 });
  c.ws.send(JSON.stringify(['PSUBSCRIBE', `${ch}.*`]));
  assert.deepEqual(await c.json(), { type: 'psubscribe', pattern: `${ch}.*`, count: 2 });

  assert.equal(await pub.publish(ch, 'ünïcødé ✓'), 2);
  const m = await c.json();
  assert.deepEqual(m, { type: 'message', channel: ch, data: 'ünïcødé ✓', id: m.id });
  assert.notEqual(m.id, undefined);
  await pub.publish(`${ch}.x`, 'p');
  const pm = await c.json();
  assert.deepEqual(pm, { type: 'pmessage', channel: `${ch}.x`, pattern: `${ch}.*`, data: 'p',
                         id: pm.id });
  assert.notEqual(pm.id, m.id);

  const resp = collect(sub, 1);
  c.ws.send(JSON.stringify(['PUBLISH', ch, 'from ws']));
  const own = await c.json();
  assert.deepEqual([own.type, own.data], ['message', 'from ws']);
  assert.deepEqual(await c.json(), { type: 'publish', channel: ch, receivers: 2, id: own.id });
  assert.deepEqual(await resp, [[ch, Buffer.from('from ws')]]);

  // A command split into fragments is one message.
  c.ws.send('["PI', { fin: false });
  c.ws.send('NG","x"]', { fin: true });
  assert.deepEqual(await c.json(), { type: 'pong', data: 'x' });
  assertNoErrors(c);
});

// -- handshake --------------------------------------------------------------------------------

test('permessage-deflate offered by ws is not accepted', { skip: SKIP }, async (t) => {
  const ch = uniqueName('ws-deflate');
  const c = await open(t, `/ws/${ch}`, {
    perMessageDeflate: { threshold: 0, clientNoContextTakeover: true },
  });
  assert.equal(c.upgradeHeaders['sec-websocket-extensions'], undefined);
  assert.equal(c.ws.extensions, '');
  // Without the extension ws sends plain frames (RSV1 clear), which the server echoes.
  const text = 'compressible '.repeat(10000);
  c.ws.send(text);
  assert.equal(await c.text(), text);
  c.ws.send(Buffer.alloc(70000, 7));
  const m = await c.message();
  assert.ok(m.isBinary && m.data.equals(Buffer.alloc(70000, 7)));
  assertNoErrors(c);
});

test('handshake refusals as seen by ws', { skip: SKIP }, async (t) => {
  const v8 = new Client(server, `/ws/${uniqueName('ws-v8')}`, { protocolVersion: 8 });
  t.after(() => v8.ws.terminate());
  await assert.rejects(v8.opened, /unexpected response 426/);
  assert.equal(v8.response.headers['sec-websocket-version'], '13');

  const nowhere = new Client(server, '/nowhere');
  t.after(() => nowhere.ws.terminate());
  await assert.rejects(nowhere.opened, /unexpected response 404/);
});

test('the Origin is checked against gateway-cors-origins', { skip: SKIP }, async (t) => {
  const srv = await startServer(['--gateway-cors-origins', 'http://good.example'],
                                { gateway: true });
  t.after(() => srv.stop());
  const good = new Client(srv, '/ws/o', { origin: 'http://good.example' });
  t.after(() => good.ws.terminate());
  await good.opened;
  good.ws.send('hi');
  assert.equal(await good.text(), 'hi');

  const evil = new Client(srv, '/ws/o', { origin: 'http://evil.example' });
  t.after(() => evil.ws.terminate());
  await assert.rejects(evil.opened, /unexpected response 403/);
  assertNoErrors(good);
});
