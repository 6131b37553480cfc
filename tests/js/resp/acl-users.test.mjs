// ioredis and node-redis logging in as an ACL user made with ACL SETUSER (username/password
// options): a granted channel delivers, a denied channel and a denied command get Redis's exact
// -NOPERM text, a wrong password gets -WRONGPASS. The same file passes against redis-server 7.0
// (HERALD_TEST_TARGET=redis node --test resp/acl-users.test.mjs).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { numsub, startServer, uniqueName, withTimeout } from '../harness.mjs';

const USER = 'jsuser';
const PASSWORD = 'js-pw';
const GRANTED = 'granted.';
const NOPERM_CHANNELS =
  'NOPERM this user has no permissions to access one of the channels used as arguments';
const NOPERM_CONFIG = "NOPERM this user has no permissions to run the 'config|get' command";
const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

let server;
before(async () => {
  server = await startServer();
  const admin = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  await admin.connect();
  // What the clients need to connect (HELLO, AUTH, INFO ready check, CLIENT SETINFO/SETNAME)
  // plus pub/sub, and only the channels under granted.
  assert.equal(await admin.call('ACL', 'SETUSER', USER, 'reset', 'on', `>${PASSWORD}`,
                                `&${GRANTED}*`, '+@connection', '+@pubsub', '+info',
                                '+client', '+acl|whoami'), 'OK');
  await admin.quit();
});
after(async () => { await server?.stop(); });

function ioredis(t, options = {}) {
  const c = new Redis({
    host: server.host,
    port: server.port,
    username: USER,
    password: PASSWORD,
    retryStrategy: () => null, // fail fast, never reconnect in tests
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    ...options,
  });
  c.on('error', () => {});
  t.after(() => c.disconnect());
  return c;
}

async function nodeRedis(t, options = {}) {
  const c = createClient({
    socket: { host: server.host, port: server.port, reconnectStrategy: false },
    username: USER,
    password: PASSWORD,
    ...options,
  });
  c.on('error', () => {});
  t.after(async () => { if (c.isOpen) c.destroy(); });
  await c.connect();
  return c;
}

test('ioredis as an ACL user: granted and denied channels', async (t) => {
  const sub = ioredis(t);
  const pub = ioredis(t);
  await sub.connect();
  await pub.connect();
  assert.equal(await pub.call('ACL', 'WHOAMI'), USER);
  const ch = uniqueName(GRANTED);
  const got = new Promise((resolve) => sub.on('message', (c, m) => resolve([c, m])));
  assert.equal(await sub.subscribe(ch), 1);
  assert.equal(await numsub(server, ch), 1);
  assert.equal(await pub.publish(ch, 'hello user'), 1);
  assert.deepEqual(await withTimeout(got, 10000, 'ioredis message'), [ch, 'hello user']);

  await assert.rejects(sub.subscribe(uniqueName('denied')), { message: NOPERM_CHANNELS });
  await assert.rejects(pub.psubscribe(`${GRANTED}x*`), { message: NOPERM_CHANNELS });
  await assert.rejects(pub.publish('denied', 'x'), { message: NOPERM_CHANNELS });
  await assert.rejects(pub.config('GET', 'maxclients'), { message: NOPERM_CONFIG });
  // The refusals changed nothing: the subscription still delivers.
  const again = new Promise((resolve) => sub.once('message', (c, m) => resolve([c, m])));
  assert.equal(await pub.publish(ch, 'still here'), 1);
  assert.deepEqual(await withTimeout(again, 10000, 'ioredis message'), [ch, 'still here']);
});

test('ioredis with a wrong password gets WRONGPASS', async (t) => {
  const c = ioredis(t, { password: 'wrong' });
  // ioredis reports the server's refusal as an 'error' event, then closes the connection.
  const refused = new Promise((resolve) => c.once('error', resolve));
  await assert.rejects(c.connect());
  assert.equal((await withTimeout(refused, 10000, 'ioredis error event')).message, WRONGPASS);
});

for (const resp of [2, 3]) {
  test(`node-redis RESP${resp} as an ACL user: granted and denied channels`, async (t) => {
    const pub = await nodeRedis(t, { RESP: resp });
    const sub = await nodeRedis(t, { RESP: resp });
    assert.equal(await pub.sendCommand(['ACL', 'WHOAMI']), USER);
    const ch = uniqueName(GRANTED);
    let resolveMsg;
    const got = new Promise((resolve) => { resolveMsg = resolve; });
    await sub.subscribe(ch, (message, channel) => resolveMsg([channel, message]));
    assert.equal(await numsub(server, ch), 1);
    assert.equal(await pub.publish(ch, 'hello user'), 1);
    assert.deepEqual(await withTimeout(got, 10000, 'node-redis message'), [ch, 'hello user']);

    const denied = await nodeRedis(t, { RESP: resp });
    await assert.rejects(denied.subscribe(uniqueName('denied'), () => {}),
                         { message: NOPERM_CHANNELS });
    await assert.rejects(pub.publish('denied', 'x'), { message: NOPERM_CHANNELS });
    await assert.rejects(pub.configGet('maxclients'), { message: NOPERM_CONFIG });
  });

  test(`node-redis RESP${resp} with a wrong password gets WRONGPASS`, async (t) => {
    await assert.rejects(nodeRedis(t, { RESP: resp, password: 'wrong' }), { message: WRONGPASS });
  });
}
