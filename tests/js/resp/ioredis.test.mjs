// ioredis (default options: RESP3 handshake with HELLO 3, then INFO ready check) against the
// server: subscribe / psubscribe / publish / unsubscribe.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { numsub, startServer, uniqueName, waitUntil, withTimeout } from '../harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

function client(t) {
  const c = new Redis({
    host: server.host,
    port: server.port,
    retryStrategy: () => null, // fail fast, never reconnect in tests
    maxRetriesPerRequest: 0,
  });
  c.on('error', () => {});
  t.after(() => c.disconnect());
  return c;
}

test('ioredis speaks RESP3 by default', async (t) => {
  const c = client(t);
  assert.equal(await c.ping(), 'PONG');
  const info = await c.call('CLIENT', 'INFO');
  assert.match(String(info), /\bresp=3\b/);
  const serverInfo = await c.info('server');
  assert.match(serverInfo, /redis_version:\d+\.\d+\.\d+/);
});

test('ioredis subscribe and publish', async (t) => {
  const sub = client(t);
  const pub = client(t);
  const ch = uniqueName('news');
  const received = [];
  const gotAll = new Promise((resolve) => {
    sub.on('message', (channel, message) => {
      received.push([channel, message]);
      if (received.length === 3) resolve();
    });
  });
  assert.equal(await sub.subscribe(ch), 1);
  assert.equal(await numsub(server, ch), 1);
  for (const m of ['from-ioredis', '', 'ünïcødé ✓']) {
    assert.equal(await pub.publish(ch, m), 1);
  }
  await withTimeout(gotAll, 10000, 'ioredis messages');
  assert.deepEqual(received, [[ch, 'from-ioredis'], [ch, ''], [ch, 'ünïcødé ✓']]);
  // In RESP3 a subscribed ioredis connection may still run ordinary commands.
  assert.equal(await sub.ping(), 'PONG');
  await sub.unsubscribe(ch);
  await waitUntil(async () => (await numsub(server, ch)) === 0, { message: 'unsubscribed' });
  assert.equal(await pub.publish(ch, 'nobody'), 0);
});

test('ioredis psubscribe and binary payloads', async (t) => {
  const sub = client(t);
  const pub = client(t);
  const prefix = uniqueName('p');
  const pattern = `${prefix}:*`;
  const got = new Promise((resolve) => {
    sub.on('pmessageBuffer', (pat, channel, message) => {
      resolve([pat.toString(), channel.toString(), message]);
    });
  });
  assert.equal(await sub.psubscribe(pattern), 1);
  const payload = Buffer.from([0, 13, 10, 255, 42, 0]);
  assert.equal(await pub.publish(`${prefix}:x`, payload), 1);
  const [pat, channel, message] = await withTimeout(got, 10000, 'pmessage');
  assert.equal(pat, pattern);
  assert.equal(channel, `${prefix}:x`);
  assert.deepEqual(message, payload);
  assert.equal(await pub.pubsub('NUMPAT') >= 1, true);
  await sub.punsubscribe(pattern);
});

test('ioredis subscriber sees several channels and pattern matches', async (t) => {
  const sub = client(t);
  const pub = client(t);
  const base = uniqueName('multi');
  const events = [];
  const done = new Promise((resolve) => {
    const push = (e) => { events.push(e); if (events.length === 3) resolve(); };
    sub.on('message', (ch, m) => push(['message', ch, m]));
    sub.on('pmessage', (p, ch, m) => push(['pmessage', p, ch, m]));
  });
  assert.equal(await sub.subscribe(`${base}:a`, `${base}:b`), 2);
  assert.equal(await sub.psubscribe(`${base}:*`), 3);
  assert.equal(await pub.publish(`${base}:a`, '1'), 2);
  assert.equal(await pub.publish(`${base}:c`, '2'), 1);
  await withTimeout(done, 10000, 'ioredis events');
  assert.deepEqual(events, [
    ['message', `${base}:a`, '1'],
    ['pmessage', `${base}:*`, `${base}:a`, '1'],
    ['pmessage', `${base}:*`, `${base}:c`, '2'],
  ]);
});

test('ioredis multi/exec delivers and reports EXECABORT', async (t) => {
  const sub = client(t);
  const pub = client(t);
  const ch = uniqueName('tx');
  const received = [];
  const gotAll = new Promise((resolve) => {
    sub.on('message', (channel, message) => {
      received.push(message);
      if (received.length === 2) resolve();
    });
  });
  assert.equal(await sub.subscribe(ch), 1);
  const replies = await pub.multi().publish(ch, 'a').publish(ch, 'b').exec();
  assert.deepEqual(replies, [[null, 1], [null, 1]]);
  await withTimeout(gotAll, 10000, 'messages of the transaction');
  assert.deepEqual(received, ['a', 'b']);
  await assert.rejects(pub.multi().publish(ch).exec(), /EXECABORT Transaction discarded/);
});
