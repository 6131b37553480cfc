// The browser side of the gateway: web/herald.js and the demo chat page (web/index.html), served
// by herald-server at / and /herald.js, driven in headless Chromium through playwright-core.
//
//   cd tests/js && HERALD_SERVER=../../build/server/herald-server node --test gateway/browser.test.mjs
//
// Needs /usr/bin/chromium (Debian's chromium package; HERALD_CHROMIUM=path for another binary)
// for the browser tests, which are skipped with a message when it is missing; the HTTP tests of
// the asset routes run regardless. Every
// server gets free ports (RESP and gateway). Drops and refused transports are produced by a TCP
// proxy between the browser and the gateway (TestProxy below). Nothing here asserts on timing:
// every wait is for a condition, with generous limits.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { IS_REDIS, rawCommand, startServer, uniqueName, waitUntil, withTimeout } from '../harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WEB_DIR = path.resolve(HERE, '..', '..', '..', 'web');
const CHROMIUM = process.env.HERALD_CHROMIUM || '/usr/bin/chromium';
const REDIS_CLI = '/usr/bin/redis-cli';
const WAIT_MS = 45000; // upper bound of every wait; passing runs take far less

const HERALD_ONLY = IS_REDIS || process.env.HERALD_PORT
  ? 'needs a herald-server started by the harness (the gateway serves these routes)'
  : false;
const NO_BROWSER = HERALD_ONLY ||
  (fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: browser tests skipped ` +
                                     '(install Debian\'s chromium package to run them)');
const NO_REDIS_CLI = NO_BROWSER || (fs.existsSync(REDIS_CLI) ? false : `${REDIS_CLI} not found`);

// -- helpers ----------------------------------------------------------------------------------

/** Runs redis-cli against the server; resolves with its trimmed stdout. */
function redisCli(server, ...args) {
  return withTimeout(new Promise((resolve, reject) => {
    const child = spawn(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(server.port), ...args],
                        { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { err += c; });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(out.trim());
      else reject(new Error(`redis-cli ${args.join(' ')} exited ${code}: ${err}${out}`));
    });
  }), WAIT_MS, `redis-cli ${args.join(' ')}`);
}

/** A RESP subscriber on a raw socket: `messages` collects [channel, payload] pairs. */
async function respSubscriber(server, channel) {
  const sock = net.connect({ host: '127.0.0.1', port: server.port });
  const sub = { sock, messages: [], buffer: Buffer.alloc(0), subscribed: false };
  sock.on('data', (chunk) => {
    sub.buffer = Buffer.concat([sub.buffer, chunk]);
    // Parse complete RESP2 push arrays of bulk strings / integers.
    for (;;) {
      const parsed = parseRespArray(sub.buffer);
      if (!parsed) break;
      sub.buffer = sub.buffer.subarray(parsed.used);
      const [kind, ch, payload] = parsed.items;
      if (kind === 'subscribe') sub.subscribed = true;
      if (kind === 'message') sub.messages.push([ch, payload]);
    }
  });
  sock.on('error', () => {});
  const name = Buffer.from(channel);
  sock.write(Buffer.concat([Buffer.from(`*2\r\n$9\r\nSUBSCRIBE\r\n$${name.length}\r\n`), name,
                            Buffer.from('\r\n')]));
  await waitUntil(() => sub.subscribed, { timeoutMs: WAIT_MS, message: 'RESP SUBSCRIBE' });
  return sub;
}

function parseRespArray(buf) {
  let pos = 0;
  const line = () => {
    const end = buf.indexOf('\r\n', pos);
    if (end < 0) return null;
    const text = buf.toString('latin1', pos, end);
    pos = end + 2;
    return text;
  };
  const head = line();
  if (head === null) return null;
  if (!head.startsWith('*')) throw new Error(`unexpected RESP reply ${head}`);
  const items = [];
  for (let i = 0; i < Number(head.slice(1)); i++) {
    const item = line();
    if (item === null) return null;
    if (item.startsWith(':')) {
      items.push(Number(item.slice(1)));
    } else {
      const len = Number(item.slice(1));
      if (buf.length < pos + len + 2) return null;
      items.push(buf.toString('utf8', pos, pos + len));
      pos += len + 2;
    }
  }
  return { items, used: pos };
}

/** A free loopback port below 32768 for the proxy. */
async function listenOnFreePort(server) {
  for (let i = 0; i < 100; i++) {
    const port = 10000 + Math.floor(Math.random() * 22001);
    const ok = await new Promise((resolve) => {
      server.once('error', () => resolve(false));
      server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(true));
    });
    if (ok) return port;
  }
  throw new Error('no free port for the proxy');
}

/**
 * A TCP proxy in front of the gateway: the browser talks to it, so the test can cut every
 * connection (`dropAll`), refuse new ones (`blocked`), or refuse requests whose request line
 * starts with `GET <prefix>` for prefixes in `reject` (a network that breaks WebSocket or SSE).
 */
class TestProxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.blocked = false;
    this.reject = [];
    this.sockets = new Set();
    this.server = net.createServer((client) => this.onConnection(client));
  }

  async start() {
    this.port = await listenOnFreePort(this.server);
    this.origin = `http://127.0.0.1:${this.port}`;
    return this;
  }

  onConnection(client) {
    client.on('error', () => {});
    if (this.blocked) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port: this.targetPort });
    upstream.on('error', () => {});
    this.sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('data', (chunk) => {
      const text = chunk.toString('latin1');
      if (this.reject.some((prefix) => new RegExp(`(^|\\r\\n)GET ${prefix}[/? ]`).test(text))) {
        end();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
  }

  dropAll() {
    for (const sock of this.sockets) sock.destroy();
  }

  close() {
    this.dropAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let browser;
async function openPage(t, context, url) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (err) => page.errors.push(String(err)));
  await page.goto(url);
  return page;
}

async function newContext(t) {
  const context = await browser.newContext();
  t.after(() => context.close());
  return context;
}

/** Waits until the page's state shows `state` (and `transport`, when given). */
async function waitState(page, state, transport) {
  await page.waitForFunction(([s, tr]) => {
    const el = document.getElementById('state');
    return el.dataset.state === s && (!tr || el.dataset.transport === tr);
  }, [state, transport], { timeout: WAIT_MS });
}

function messageTexts(page) {
  return page.$$eval('#messages li.message', (items) => items.map((li) => ({
    from: li.dataset.from,
    text: li.querySelector('.text').textContent,
    id: li.dataset.id,
  })));
}

/** Every list item: message texts, and '(gap)' for a notice. */
function allItems(page) {
  return page.$$eval('#messages li', (items) => items.map((li) => (
    li.classList.contains('notice') ? '(gap)' : li.querySelector('.text').textContent)));
}

/** Waits until the page lists a message with this text (from `from`, when given). */
async function waitMessage(page, text, from) {
  await page.waitForFunction(([t, f]) => [...document.querySelectorAll('#messages li.message')]
    .some((li) => li.querySelector('.text').textContent === t && (!f || li.dataset.from === f)),
  [text, from], { timeout: WAIT_MS });
}

async function say(page, name, text) {
  await page.fill('#name', name);
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

// -- the asset routes over plain HTTP ---------------------------------------------------------

describe('gateway asset routes', { skip: HERALD_ONLY }, () => {
  let server;
  let base;
  before(async () => {
    server = await startServer([], { gateway: true });
    base = `http://127.0.0.1:${server.gatewayPort}`;
  });
  after(async () => { await server?.stop(); });

  test('GET / is the demo page and /herald.js the client, as embedded from web/', async () => {
    for (const [route, file, type] of [['/', 'index.html', 'text/html; charset=utf-8'],
      ['/herald.js', 'herald.js', 'text/javascript; charset=utf-8']]) {
      const res = await fetch(base + route);
      assert.equal(res.status, 200, route);
      assert.equal(res.headers.get('content-type'), type);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.match(res.headers.get('etag'), /^"[0-9a-f]{32}"$/);
      const body = Buffer.from(await res.arrayBuffer());
      assert.ok(body.equals(fs.readFileSync(path.join(WEB_DIR, file))),
                `${route} differs from web/${file} (rebuild herald-server after editing web/)`);
    }
  });

  test('If-None-Match revalidates (304), HEAD has no body, other methods are 405', async () => {
    const first = await fetch(`${base}/herald.js`);
    const etag = first.headers.get('etag');
    await first.arrayBuffer();
    for (const header of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const res = await fetch(`${base}/herald.js`, { headers: { 'If-None-Match': header } });
      assert.equal(res.status, 304, header);
      assert.equal(res.headers.get('etag'), etag);
      assert.equal((await res.arrayBuffer()).byteLength, 0);
    }
    const stale = await fetch(`${base}/herald.js`, { headers: { 'If-None-Match': '"other"' } });
    assert.equal(stale.status, 200);
    await stale.arrayBuffer();
    const head = await fetch(`${base}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.ok(Number(head.headers.get('content-length')) > 0);
    const post = await fetch(`${base}/`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.match(post.headers.get('allow'), /GET, HEAD/);
    await post.arrayBuffer();
  });
});

// -- the demo page and herald.js in Chromium --------------------------------------------------

describe('browser', { skip: NO_BROWSER }, () => {
  let server;
  let base;
  const restartArgs = () => [[], { port: server.port, gatewayPort: server.gatewayPort }];

  before(async () => {
    server = await startServer([], { gateway: true });
    base = `http://127.0.0.1:${server.gatewayPort}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the demo page loads and opens a WebSocket', async (t) => {
    const context = await newContext(t);
    const page = await openPage(t, context, `${base}/`);
    await waitState(page, 'open', 'websocket');
    assert.equal(await page.textContent('#channel'), 'chat');
    assert.equal(await page.textContent('#state'), 'open (websocket)');
    assert.deepEqual(page.errors, []);
  });

  test('two pages chat with each other', async (t) => {
    const channel = uniqueName('room');
    const context = await newContext(t);
    const alice = await openPage(t, context, `${base}/?channel=${encodeURIComponent(channel)}`);
    const bob = await openPage(t, context, `${base}/?channel=${encodeURIComponent(channel)}`);
    await waitState(alice, 'open');
    await waitState(bob, 'open');
    await say(alice, 'alice', 'hi bob');
    await waitMessage(bob, 'hi bob', 'alice');
    await say(bob, 'bob', 'hi alice <b>not bold</b>');
    await waitMessage(alice, 'hi alice <b>not bold</b>', 'bob');
    await waitMessage(alice, 'hi bob', 'alice'); // the sender sees its own message too
    assert.deepEqual((await messageTexts(bob)).map((m) => `${m.from}: ${m.text}`),
                     ['alice: hi bob', 'bob: hi alice <b>not bold</b>']);
    assert.equal(await alice.locator('#messages b').count(), 0); // text, never markup
    assert.deepEqual([...alice.errors, ...bob.errors], []);
  });

  test('two pages on two replicas of one master chat with each other', { skip: HERALD_ONLY },
       async (t) => {
    // Each page talks to the gateway of its own replica; what either types goes up to the
    // master and comes down to both (resp/forwarding.h).
    const replicas = [];
    for (let i = 0; i < 2; i++) {
      const node = await startServer(['--replicaof', '127.0.0.1', String(server.port),
                                      '--repl-ping-replica-period', '3600'], { gateway: true });
      t.after(() => node.stop());
      await waitUntil(async () => (await rawCommand(node, ['INFO', 'replication'],
                                                    (b) => b.includes('master_link_status')))
        .includes('master_link_status:up'), { message: 'replica link up' });
      replicas.push(node);
    }
    const channel = uniqueName('room');
    const context = await newContext(t);
    const at = (node) => `http://127.0.0.1:${node.gatewayPort}/?channel=${encodeURIComponent(channel)}`;
    const alice = await openPage(t, context, at(replicas[0]));
    const bob = await openPage(t, context, at(replicas[1]));
    await waitState(alice, 'open');
    await waitState(bob, 'open');
    await say(alice, 'alice', 'hi from the first replica');
    await waitMessage(bob, 'hi from the first replica', 'alice');
    await say(bob, 'bob', 'hi from the second');
    await waitMessage(alice, 'hi from the second', 'bob');
    for (const page of [alice, bob]) {
      assert.deepEqual((await messageTexts(page)).map((m) => `${m.from}: ${m.text}`),
                       ['alice: hi from the first replica', 'bob: hi from the second']);
    }
    assert.deepEqual([...alice.errors, ...bob.errors], []);
  });

  test('redis-cli publish shows up on the page', { skip: NO_REDIS_CLI }, async (t) => {
    const channel = uniqueName('chat');
    const context = await newContext(t);
    const page = await openPage(t, context, `${base}/?channel=${encodeURIComponent(channel)}`);
    await waitState(page, 'open');
    assert.equal(await redisCli(server, 'publish', channel, 'hello from redis'), '1');
    await waitMessage(page, 'hello from redis', 'redis');
    // JSON that is not a chat message is shown as it came.
    await redisCli(server, 'publish', channel, '{"x":1}');
    await waitMessage(page, '{"x":1}', 'redis');
  });

  test('a message typed on the page reaches a RESP subscriber', async (t) => {
    const channel = uniqueName('chat');
    const sub = await respSubscriber(server, channel);
    t.after(() => sub.sock.destroy());
    const context = await newContext(t);
    const page = await openPage(t, context, `${base}/?channel=${encodeURIComponent(channel)}`);
    await waitState(page, 'open');
    await say(page, 'carol', 'héllo ✓');
    await waitUntil(() => sub.messages.length > 0, { timeoutMs: WAIT_MS, message: 'RESP message' });
    assert.equal(sub.messages[0][0], channel);
    const sent = JSON.parse(sub.messages[0][1]);
    assert.deepEqual({ name: sent.name, text: sent.text }, { name: 'carol', text: 'héllo ✓' });
    assert.match(sent.client, /^[0-9a-z]+$/); // the tab's id, which tells own messages apart
    assert.ok(Math.abs(sent.ts - Date.now()) < 3600_000, `ts ${sent.ts} is the sending time`);
    await waitMessage(page, 'héllo ✓', 'carol');
  });

  test('the demo page fits a 375 px phone screen, Send button in view', async (t) => {
    const context = await browser.newContext({ viewport: { width: 375, height: 667 } });
    t.after(() => context.close());
    const channel = uniqueName('phone');
    const page = await openPage(t, context, `${base}/?channel=${encodeURIComponent(channel)}`);
    await waitState(page, 'open');
    // A long word and a long line must wrap, not widen the page.
    await say(page, 'somebody-with-a-long-name', `${'x'.repeat(300)} and ${'long words '.repeat(30)}`);
    await page.waitForSelector('#messages li.message');
    const layout = await page.evaluate(() => {
      const send = document.querySelector('#send button').getBoundingClientRect();
      const text = document.getElementById('text').getBoundingClientRect();
      return {
        scrollWidth: document.documentElement.scrollWidth,
        bodyScrollWidth: document.body.scrollWidth,
        innerWidth: window.innerWidth,
        innerHeight: window.innerHeight,
        send: { left: send.left, right: send.right, top: send.top, bottom: send.bottom },
        textWidth: text.width,
      };
    });
    assert.equal(layout.innerWidth, 375);
    assert.ok(layout.scrollWidth <= 375, `page is ${layout.scrollWidth} px wide`);
    assert.ok(layout.bodyScrollWidth <= 375, `body is ${layout.bodyScrollWidth} px wide`);
    assert.ok(layout.send.left >= 0 && layout.send.right <= 375, JSON.stringify(layout.send));
    assert.ok(layout.send.top >= 0 && layout.send.bottom <= layout.innerHeight,
              JSON.stringify(layout.send));
    assert.ok(layout.textWidth >= 100, `message field is ${layout.textWidth} px wide`);
    assert.deepEqual(page.errors, []);
  });

  test('a late joiner sees the messages the channel still keeps', async (t) => {
    const channel = uniqueName('late');
    const context = await newContext(t);
    const url = `${base}/?channel=${encodeURIComponent(channel)}`;
    const early = await openPage(t, context, url);
    await waitState(early, 'open');
    await say(early, 'early', 'first');
    await waitMessage(early, 'first');
    await say(early, 'early', 'second');
    await waitMessage(early, 'second');
    for (const transport of ['websocket', 'sse', 'poll']) {
      const late = await openPage(t, context, `${url}&transports=${transport}`);
      await waitState(late, 'open', transport);
      await waitMessage(late, 'second', 'early');
      assert.deepEqual((await messageTexts(late)).map((m) => `${m.from}: ${m.text}`),
                       ['early: first', 'early: second'], transport);
      assert.equal(await late.locator('#messages li.notice').count(), 0, 'no gap notice');
      await late.close();
    }
  });

  test('own messages are styled apart from the others, and every message shows a time', async (t) => {
    const channel = uniqueName('own');
    const context = await newContext(t);
    const url = `${base}/?channel=${encodeURIComponent(channel)}`;
    const alice = await openPage(t, context, url);
    const bob = await openPage(t, context, url);
    await waitState(alice, 'open');
    await waitState(bob, 'open');
    await say(alice, 'alice', 'from alice');
    await waitMessage(bob, 'from alice', 'alice');
    await waitMessage(alice, 'from alice', 'alice');
    const look = (page) => page.$eval('#messages li.message', (li) => ({
      own: li.classList.contains('own'),
      other: li.classList.contains('other'),
      background: getComputedStyle(li).backgroundColor,
      time: li.querySelector('time')?.textContent ?? '',
      datetime: li.querySelector('time')?.dateTime ?? '',
    }));
    const mine = await look(alice);
    const theirs = await look(bob);
    assert.deepEqual([mine.own, mine.other, theirs.own, theirs.other], [true, false, false, true]);
    assert.notEqual(mine.background, theirs.background);
    for (const seen of [mine, theirs]) {
      assert.match(seen.time, /\d{1,2}[:.]\d{2}/);
      assert.ok(Math.abs(Date.parse(seen.datetime) - Date.now()) < 3600_000, seen.datetime);
    }
    // A message from elsewhere (no JSON) is someone else's, timed when it arrived.
    await bob.evaluate((ch) => window.herald.publish(ch, 'plain text'), channel);
    await waitMessage(alice, 'plain text', 'redis');
    const plain = await alice.$eval('#messages li.message:last-child', (li) => ({
      other: li.classList.contains('other'), time: li.querySelector('time').textContent }));
    assert.equal(plain.other, true);
    assert.match(plain.time, /\d{1,2}[:.]\d{2}/);
  });

  test('the page reconnects after the server restarts', { skip: NO_REDIS_CLI }, async (t) => {
    const channel = uniqueName('chat');
    const context = await newContext(t);
    const page = await openPage(t, context, `${base}/?channel=${encodeURIComponent(channel)}`);
    await waitState(page, 'open', 'websocket');
    await redisCli(server, 'publish', channel, 'before restart');
    await waitMessage(page, 'before restart');
    await server.stop();
    await page.waitForFunction(() => document.getElementById('state').dataset.state !== 'open',
                               null, { timeout: WAIT_MS });
    server = await startServer(...restartArgs());
    await waitState(page, 'open', 'websocket');
    assert.equal(await page.textContent('#state'), 'open (websocket)');
    assert.equal(await redisCli(server, 'publish', channel, 'after restart'), '1');
    await waitMessage(page, 'after restart');
    // The new process cannot know what was missed in between: the page says so.
    assert.deepEqual(await allItems(page), ['before restart', '(gap)', 'after restart']);
  });

  test('a gap notice when the history does not reach back', { skip: NO_REDIS_CLI },
       async (t) => {
    const small = await startServer(['--gateway-history-size', '1'], { gateway: true });
    t.after(() => small.stop());
    const proxy = await new TestProxy(small.gatewayPort).start();
    t.after(() => proxy.close());
    const channel = uniqueName('chat');
    const context = await newContext(t);
    const page = await openPage(t, context, `${proxy.origin}/?channel=${encodeURIComponent(channel)}`);
    await waitState(page, 'open', 'websocket');
    await redisCli(small, 'publish', channel, 'one');
    await waitMessage(page, 'one');
    proxy.blocked = true;
    proxy.dropAll();
    await page.waitForFunction(() => document.getElementById('state').dataset.state !== 'open',
                               null, { timeout: WAIT_MS });
    for (const text of ['two', 'three', 'four']) await redisCli(small, 'publish', channel, text);
    proxy.blocked = false;
    await waitMessage(page, 'four');
    // Only the newest message was kept: a notice, then it.
    assert.deepEqual(await allItems(page), ['one', '(gap)', 'four']);
  });

  // A dropped connection: messages published while the page is cut off arrive after it
  // reconnects (resumed from the last id, in order, none twice).
  for (const transport of ['websocket', 'sse', 'poll']) {
    test(`resume after the connection drops (${transport})`, { skip: NO_REDIS_CLI }, async (t) => {
      const proxy = await new TestProxy(server.gatewayPort).start();
      t.after(() => proxy.close());
      const channel = uniqueName('chat');
      const context = await newContext(t);
      const page = await openPage(
        t, context, `${proxy.origin}/?channel=${encodeURIComponent(channel)}&transports=${transport}`);
      await waitState(page, 'open', transport);
      await redisCli(server, 'publish', channel, 'one');
      await waitMessage(page, 'one');
      proxy.blocked = true;
      proxy.dropAll();
      await page.waitForFunction(() => document.getElementById('state').dataset.state !== 'open',
                                 null, { timeout: WAIT_MS });
      await redisCli(server, 'publish', channel, 'two');
      await redisCli(server, 'publish', channel, 'three');
      proxy.blocked = false;
      await waitMessage(page, 'three');
      await waitState(page, 'open', transport);
      assert.deepEqual((await messageTexts(page)).map((m) => m.text), ['one', 'two', 'three']);
      assert.equal(await page.locator('#messages li.notice').count(), 0, 'no gap notice');
    });
  }

  test('falls back to SSE, then to long-polling, and back to WebSocket when it works', async (t) => {
    const proxy = await new TestProxy(server.gatewayPort).start();
    t.after(() => proxy.close());
    const channel = uniqueName('chat');
    const url = `${proxy.origin}/?channel=${encodeURIComponent(channel)}`;
    for (const [rejected, expected] of [[['/ws'], 'sse'], [['/ws', '/sse'], 'poll']]) {
      proxy.reject = rejected;
      const context = await newContext(t);
      const page = await openPage(t, context, url);
      await waitState(page, 'open', expected);
      const other = await openPage(t, context, url);
      await waitState(other, 'open', expected);
      await say(page, expected, `typed over ${expected}`);
      await waitMessage(other, `typed over ${expected}`, expected);
      if (!NO_REDIS_CLI) {
        await redisCli(server, 'publish', channel, `redis to ${expected}`);
        await waitMessage(page, `redis to ${expected}`, 'redis');
      }
      // Once WebSocket works again the page moves back to it, missing nothing.
      proxy.reject = [];
      await waitState(page, 'open', 'websocket');
      await say(other, 'other', `after the upgrade from ${expected}`);
      await waitMessage(page, `after the upgrade from ${expected}`, 'other');
      const texts = (await messageTexts(page)).map((m) => m.text);
      assert.equal(new Set(texts).size, texts.length, `no message twice: ${texts}`);
      assert.deepEqual(page.errors, []);
      await context.close();
    }
  });

  test('the transports option picks the transport', async (t) => {
    const channel = uniqueName('chat');
    const context = await newContext(t);
    for (const transport of ['sse', 'poll']) {
      const page = await openPage(
        t, context, `${base}/?channel=${encodeURIComponent(channel)}&transports=${transport}`);
      await waitState(page, 'open', transport);
      await say(page, transport, `via ${transport}`);
      await waitMessage(page, `via ${transport}`, transport);
    }
  });

  test('the README example runs as written', async (t) => {
    const readme = fs.readFileSync(path.join(HERE, '..', '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Browser client\n'));
    const code = section.match(/```js\n([^]*?)\n```/)[1]
      .replaceAll('http://127.0.0.1:8080', base);
    const context = await newContext(t);
    const page = await openPage(t, context, `${base}/`);
    const logged = [];
    page.on('console', (msg) => logged.push(msg.text()));
    await page.evaluate(`(async () => {\n${code}\n})()`);
    await waitUntil(() => logged.some((line) => line.startsWith('room hello from the browser ')),
                    { timeoutMs: WAIT_MS, message: 'the example\'s message' });
    assert.ok(logged.includes('state: open websocket'), logged.join('\n'));
    assert.deepEqual(page.errors, []);
  });

  // The herald.js API itself, on each transport: several channels and a pattern, publish
  // replies, unsubscribe.
  for (const transport of ['websocket', 'sse', 'poll']) {
    test(`herald.js API over ${transport}`, async (t) => {
      const context = await newContext(t);
      const page = await openPage(t, context, `${base}/herald.js`);
      const prefix = uniqueName('api');
      const result = await page.evaluate(async ([transport, prefix, waitMs]) => {
        const { Herald } = await import('/herald.js');
        const h = new Herald({ url: location.origin, transports: [transport] });
        const got = [];
        const states = [];
        h.on('state', (s) => states.push(`${s.state}:${s.transport}`));
        const until = (cond, what) => new Promise((resolve, reject) => {
          const start = Date.now();
          const check = () => {
            if (cond()) resolve();
            else if (Date.now() - start > waitMs) reject(new Error(`timed out: ${what}`));
            else setTimeout(check, 20);
          };
          check();
        });
        let idOfA = null;
        const offA = h.subscribe(`${prefix}.a`, (m) => {
          idOfA = m.id;
          got.push(['a', m.channel, m.data]);
        });
        h.subscribe(`${prefix}.b`, (m) => got.push(['b', m.channel, m.data, typeof m.id]));
        h.psubscribe(`${prefix}.p*`, (m) => got.push(['p', m.pattern, m.channel, m.data]));
        await until(() => h.state === 'open', 'open');
        const reply = await h.publish(`${prefix}.a`, 'to a');
        await h.publish(`${prefix}.b`, { json: true });
        await h.publish(`${prefix}.px`, 'to px');
        await until(() => got.length === 3, 'three messages');
        offA();
        // Over SSE and poll the stream is reopened; wait until b alone gets messages again.
        await until(() => h.state === 'open', 'open again');
        const before = got.length;
        await h.publish(`${prefix}.a`, 'a after unsubscribe');
        await h.publish(`${prefix}.b`, 'b after unsubscribe');
        await until(() => got.length > before, 'message after unsubscribe');
        h.close();
        return { reply, idOfA, got, states, state: h.state };
      }, [transport, prefix, WAIT_MS]);
      assert.equal(result.reply.receivers, 1);
      // Ids are opaque strings, the same in the publish reply and in the delivered message.
      assert.equal(typeof result.reply.id, 'string');
      assert.ok(result.reply.id.length > 0);
      assert.equal(result.idOfA, result.reply.id);
      assert.deepEqual(result.got, [
        ['a', `${prefix}.a`, 'to a'],
        ['b', `${prefix}.b`, '{"json":true}', 'string'],
        ['p', `${prefix}.p*`, `${prefix}.px`, 'to px'],
        ['b', `${prefix}.b`, 'b after unsubscribe', 'string'],
      ]);
      assert.equal(result.state, 'closed');
      assert.deepEqual(result.states.slice(0, 2), [`connecting:${transport}`, `open:${transport}`]);
    });
  }

  test('the demo page on a private channel, with a token made as the README shows',
       { skip: NO_REDIS_CLI }, async (t) => {
    const secret = 'a-demo-secret-that-is-at-least-32-bytes';
    const secure = await startServer(['--requirepass', 's3cret', '--gateway-jwt-secret', secret],
                                     { gateway: true });
    t.after(() => secure.stop());
    const made = spawnSync('/usr/bin/python3', ['-c',
      'import jwt, time, sys; print(jwt.encode({"sub": "alice", "exp": int(time.time()) + 3600, ' +
      '"herald": {"subscribe": ["chat.alice"], "publish": ["chat.alice"]}}, sys.argv[1], ' +
      'algorithm="HS256"))', secret], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const token = made.stdout.trim();
    const url = `http://127.0.0.1:${secure.gatewayPort}`;
    const context = await newContext(t);
    const page = await openPage(t, context, `${url}/?channel=chat.alice&token=${token}`);
    await waitState(page, 'open', 'websocket');
    assert.equal(await page.textContent('#channel'), 'chat.alice (private: with a token)');
    await say(page, 'alice', 'only for alice');
    await waitMessage(page, 'only for alice', 'alice');
    // The same token does not open another channel: every transport is refused (403).
    const other = await openPage(t, context, `${url}/?channel=chat.bob&token=${token}`);
    await waitState(other, 'reconnecting');
    // Nor does the page without a token (requirepass is set: tokens are required).
    const anonymous = await openPage(t, context, `${url}/?channel=chat.alice`);
    await waitState(anonymous, 'reconnecting');
  });

  // Browser tokens: herald.js asks getToken() for short-lived tokens (signed here, as an
  // application's backend would) and renews them before they expire, so a private channel
  // keeps receiving past the first token's expiry, on every transport.
  for (const transport of ['websocket', 'sse', 'poll']) {
    test(`getToken renews an expiring token (${transport})`, { skip: NO_REDIS_CLI }, async (t) => {
      const secret = 'a-test-secret-that-is-at-least-32-bytes';
      const secure = await startServer(['--gateway-auth', 'required', '--gateway-jwt-secret',
                                        secret, '--gateway-jwt-leeway', '0'], { gateway: true });
      t.after(() => secure.stop());
      const prefix = uniqueName('private');
      const issued = [];
      const makeToken = () => {
        const exp = Math.floor(Date.now() / 1000) + 6;
        issued.push(exp);
        const part = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
        const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({
          sub: 'alice', exp, herald: { subscribe: [`${prefix}.*`], publish: [`${prefix}.mine`] },
        })}`;
        return `${body}.${crypto.createHmac('sha256', secret).update(body).digest('base64url')}`;
      };
      const context = await newContext(t);
      const page = await openPage(t, context, `http://127.0.0.1:${secure.gatewayPort}/herald.js`);
      await page.exposeFunction('makeToken', makeToken);
      await page.evaluate(async ([transport, prefix]) => {
        const { Herald } = await import('/herald.js');
        const h = new Herald({ transports: [transport], getToken: () => window.makeToken() });
        window.h = h;
        window.got = [];
        window.opens = 0;
        window.errors = [];
        h.on('state', (s) => { if (s.state === 'open') window.opens += 1; });
        h.on('error', (e) => window.errors.push(e.message));
        h.subscribe(`${prefix}.room`, (m) => window.got.push(m.data));
      }, [transport, prefix]);
      await page.waitForFunction(() => window.h.state === 'open', null, { timeout: WAIT_MS });
      // Publishing is granted on .mine only.
      const refused = await page.evaluate(async (prefix) => {
        try {
          await window.h.publish(`${prefix}.other`, 'x');
          return 'published';
        } catch (err) {
          return err.message;
        }
      }, prefix);
      assert.match(refused, /not allowed/);
      // A second token was asked for, and the first one has expired (at the server too: its
      // clock is this machine's).
      await waitUntil(() => issued.length >= 2 && Date.now() / 1000 > issued[0] + 1,
                      { timeoutMs: WAIT_MS, message: 'the first token renewed and expired' });
      await redisCli(secure, 'publish', `${prefix}.room`, 'after the first token');
      await page.waitForFunction(() => window.got.includes('after the first token'), null,
                                 { timeout: WAIT_MS });
      const state = await page.evaluate(() => ({ opens: window.opens, errors: window.errors }));
      if (transport === 'websocket') {
        assert.equal(state.opens, 1, 'the WebSocket stayed open (renewed with AUTH)');
      }
      assert.deepEqual(state.errors.filter((e) => /token/.test(e)), []);
      await page.evaluate(() => window.h.close());
    });
  }
});
