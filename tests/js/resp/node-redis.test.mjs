// node-redis ('redis' on npm) against the server, in RESP2 and RESP3. Note: node-redis 6.3.1
// defaults to RESP3 (@redis/client DEFAULT_RESP = 3: HELLO 3 on connect), so RESP2 is asked
// for explicitly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { numsub, startServer, uniqueName, waitUntil, withTimeout } from '../harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

async function client(t, options = {}) {
  const c = createClient({
    socket: { host: server.host, port: server.port, reconnectStrategy: false },
    ...options,
  });
  c.on('error', () => {});
  await c.connect();
  t.after(async () => { if (c.isOpen) c.destroy(); });
  return c;
}

for (const resp of [2, 3]) {
  const options = { RESP: resp };

  test(`node-redis RESP${resp} subscribe / publish / unsubscribe`, async (t) => {
    const pub = await client(t, options);
    const sub = pub.duplicate();
    sub.on('error', () => {});
    await sub.connect();
    t.after(async () => { if (sub.isOpen) sub.destroy(); });
    const info = await pub.sendCommand(['CLIENT', 'INFO']);
    assert.match(String(info), new RegExp(`\\bresp=${resp}\\b`));

    const ch = uniqueName('news');
    const received = [];
    let resolveAll;
    const gotAll = new Promise((resolve) => { resolveAll = resolve; });
    await sub.subscribe(ch, (message, channel) => {
      received.push([channel, message]);
      if (received.length === 2) resolveAll();
    });
    assert.equal(await numsub(server, ch), 1);
    assert.equal(await pub.publish(ch, 'from-node-redis'), 1);
    assert.equal(await pub.publish(ch, 'second'), 1);
    await withTimeout(gotAll, 10000, 'node-redis messages');
    assert.deepEqual(received, [[ch, 'from-node-redis'], [ch, 'second']]);

    await sub.unsubscribe(ch);
    await waitUntil(async () => (await numsub(server, ch)) === 0, { message: 'unsubscribed' });
    assert.equal(await pub.publish(ch, 'nobody'), 0);
    await sub.quit();
    await pub.quit();
  });

  test(`node-redis RESP${resp} pSubscribe`, async (t) => {
    const pub = await client(t, options);
    const sub = await client(t, options);
    const prefix = uniqueName('p');
    const pattern = `${prefix}:*`;
    let resolveMsg;
    const got = new Promise((resolve) => { resolveMsg = resolve; });
    await sub.pSubscribe(pattern, (message, channel) => resolveMsg([message, channel]));
    assert.equal(await pub.publish(`${prefix}:x`, 'hello'), 1);
    assert.deepEqual(await withTimeout(got, 10000, 'pmessage'), ['hello', `${prefix}:x`]);
    const channels = await pub.sendCommand(['PUBSUB', 'NUMPAT']);
    assert.ok(Number(channels) >= 1);
    await sub.pUnsubscribe(pattern);
  });
}

test('node-redis plain commands', async (t) => {
  const c = await client(t);
  assert.equal(await c.ping(), 'PONG');
  assert.equal(await c.echo('x y'), 'x y');
  assert.equal(await c.sendCommand(['DBSIZE']), 0);
  const id = await c.clientId();
  assert.equal(typeof id, 'number');
  assert.equal(await c.clientSetName('js'), 'OK');
  assert.equal(await c.clientGetName(), 'js');
  const cfg = await c.configGet('maxclients');
  assert.deepEqual({ ...cfg }, { maxclients: '10000' });
  assert.match(await c.info('server'), /# Server\r\nredis_version:/);
});

test('node-redis multi/exec', async (t) => {
  const c = await client(t);
  const ch = uniqueName('tx');
  assert.deepEqual(await c.multi().publish(ch, 'a').ping().echo('e').exec(), [0, 'PONG', 'e']);
});
