// ioredis with `sentinels`: three redis sentinels (Debian's redis-server --sentinel) monitor a
// herald master with one herald replica; the master is shut down; Sentinel promotes the replica
// and ioredis, asking the sentinels, follows it (its subscriber, dropped by Sentinel's CLIENT
// KILL, resubscribes on its own). Also runs against redis-server with HERALD_TEST_TARGET=redis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { pickPort, startServer, uniqueName, waitUntil } from '../harness.mjs';

const REDIS_SERVER = '/usr/bin/redis-server';
const WAIT = { timeoutMs: 60000 };  // a bound, never the pass/fail criterion

async function startSentinel(masterPort) {
  const port = await pickPort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-js-sentinel-'));
  const conf = path.join(dir, 'sentinel.conf');
  fs.writeFileSync(conf, [
    `port ${port}`, 'bind 127.0.0.1',
    `sentinel monitor mymaster 127.0.0.1 ${masterPort} 2`,
    'sentinel down-after-milliseconds mymaster 1000',
    'sentinel failover-timeout mymaster 6000', ''].join('\n'));
  const logFd = fs.openSync(path.join(dir, 'sentinel.log'), 'w');
  const child = spawn(REDIS_SERVER, [conf, '--sentinel'],
    { cwd: dir, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  const admin = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => 100 });
  admin.on('error', () => {});
  return {
    port,
    admin,
    async stop() {
      admin.disconnect();
      if (child.exitCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('ioredis with sentinels follows a failover of herald nodes', { timeout: 120000 },
  async (t) => {
  const master = await startServer();
  t.after(() => master.stop());
  const replica = await startServer(['--replicaof', '127.0.0.1', String(master.port)]);
  t.after(() => replica.stop());
  const direct = new Redis({ host: '127.0.0.1', port: replica.port });
  direct.on('error', () => {});
  t.after(() => direct.disconnect());
  await waitUntil(async () => (await direct.info('replication')).includes('master_link_status:up'));

  const sentinels = [];
  for (let i = 0; i < 3; i++) sentinels.push(await startSentinel(master.port));
  t.after(() => Promise.all(sentinels.map((s) => s.stop())));
  // Every sentinel has found the replica and the two other sentinels.
  await waitUntil(async () => {
    for (const s of sentinels) {
      try {
        const fields = await s.admin.call('SENTINEL', 'MASTER', 'mymaster');
        const info = Object.fromEntries(
          fields.flatMap((v, i) => (i % 2 ? [] : [[v, fields[i + 1]]])));
        if (info['num-slaves'] !== '1' || info['num-other-sentinels'] !== '2') return false;
      } catch { return false; }
    }
    return true;
  }, WAIT);

  const options = {
    sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    name: 'mymaster',
    sentinelRetryStrategy: () => 200,
    retryStrategy: () => 200,
  };
  const pub = new Redis(options);
  pub.on('error', () => {});
  t.after(() => pub.disconnect());
  const sub = new Redis({ host: '127.0.0.1', port: replica.port, retryStrategy: () => 200 });
  sub.on('error', () => {});
  t.after(() => sub.disconnect());
  const ch = uniqueName('failover');
  const received = [];
  sub.on('message', (channel, message) => { if (channel === ch) received.push(message); });
  await sub.subscribe(ch);

  assert.equal(await pub.publish(ch, 'before'), 0);  // nobody subscribes on the master itself
  await waitUntil(() => received.includes('before'));

  await master.stop();
  // Sentinel promotes the replica; ioredis reconnects to whatever the sentinels name.
  await waitUntil(async () => {
    const addr = await sentinels[0].admin.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster');
    return addr && Number(addr[1]) === replica.port;
  }, WAIT);
  await waitUntil(async () => {
    try {
      const role = await pub.call('ROLE');
      const info = await pub.info('server');
      return role[0] === 'master' && info.includes(`tcp_port:${replica.port}`);
    } catch { return false; }
  }, WAIT);
  // The publish through the sentinel-managed client reaches the (resubscribed) subscriber on
  // the promoted node.
  let n = 0;
  await waitUntil(async () => {
    const tag = `after-${n++}`;
    await pub.publish(ch, tag);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return received.includes(tag);
  }, WAIT);
});
