// The gateway over TLS in a real browser: headless Chromium opens the demo page and herald.js
// over https and wss (gateway-tls-port), with a test CA made here by the openssl command line.
// Chromium trusts exactly the server's key (--ignore-certificate-errors-spki-list with its
// SPKI hash), as a browser that has the CA installed would: any other certificate is refused.
//
//   cd tests/js && HERALD_SERVER=../../build/server/herald-server node --test gateway/browser-tls.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { IS_REDIS, pickPort, startServer, uniqueName } from '../harness.mjs';

const CHROMIUM = process.env.HERALD_CHROMIUM || '/usr/bin/chromium';
const REDIS_CLI = '/usr/bin/redis-cli';
const WAIT_MS = 45000;
const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const SKIP = IS_REDIS || process.env.HERALD_PORT
  ? 'needs a herald-server started by the harness (the gateway is herald\'s own)'
  : !fs.existsSync(CHROMIUM) ? `${CHROMIUM} not found: browser tests skipped`
  : !HAVE_OPENSSL ? 'needs the openssl command'
  : !fs.existsSync(REDIS_CLI) ? `${REDIS_CLI} not found` : false;

function openssl(dir, args, input) {
  const out = spawnSync('openssl', args, { cwd: dir, input });
  if (out.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${out.stderr}`);
  return out.stdout;
}

/** A CA and a server certificate for 127.0.0.1 / localhost; returns their paths and the
 *  base64 SHA-256 of the server's public key (what Chromium's SPKI list takes). */
function makeCertificates(dir) {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out',
                'ca.crt', '-days', '2', '-subj', '/CN=Herald Test CA']);
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out',
                'server.csr', '-subj', '/CN=localhost']);
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
                '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext']);
  const publicKey = openssl(dir, ['x509', '-in', 'server.crt', '-pubkey', '-noout']);
  const der = openssl(dir, ['pkey', '-pubin', '-outform', 'der'], publicKey);
  const spki = openssl(dir, ['dgst', '-sha256', '-binary'], der).toString('base64');
  return { cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key'), spki };
}

function redisCli(server, ...args) {
  const out = spawnSync(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(server.port), ...args],
                        { encoding: 'utf8', timeout: WAIT_MS });
  if (out.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${out.stderr}`);
  return out.stdout.trim();
}

describe('browser over https and wss', { skip: SKIP }, () => {
  let dir;
  let server;
  let base;
  let browser;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-tls-js-'));
    const certs = makeCertificates(dir);
    const tlsPort = await pickPort();
    server = await startServer(['--gateway-tls-port', String(tlsPort), '--tls-cert-file',
                                certs.cert, '--tls-key-file', certs.key], { gateway: true });
    base = `https://127.0.0.1:${tlsPort}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync',
             `--ignore-certificate-errors-spki-list=${certs.spki}`],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the demo page over https opens a wss WebSocket and shows a redis-cli publish',
       async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    const channel = uniqueName('secure');
    const response = await page.goto(`${base}/?channel=${encodeURIComponent(channel)}`);
    assert.equal(response.status(), 200);
    assert.equal(new URL(page.url()).protocol, 'https:');
    await page.waitForFunction(() => {
      const el = document.getElementById('state');
      return el.dataset.state === 'open' && el.dataset.transport === 'websocket';
    }, null, { timeout: WAIT_MS });
    assert.equal(redisCli(server, 'publish', channel, 'over wss'), '1');
    await page.waitForFunction((text) => [...document.querySelectorAll('#messages li.message')]
      .some((li) => li.querySelector('.text').textContent === text), 'over wss',
    { timeout: WAIT_MS });
    assert.deepEqual(errors, []);
  });

  for (const transport of ['sse', 'poll']) {
    test(`herald.js over https (${transport})`, async (t) => {
      const context = await browser.newContext();
      t.after(() => context.close());
      const page = await context.newPage();
      await page.goto(`${base}/herald.js`);
      const channel = uniqueName(`tls-${transport}`);
      const got = await page.evaluate(async ([transport, channel, waitMs]) => {
        const { Herald } = await import('/herald.js');
        const h = new Herald({ url: location.origin, transports: [transport] });
        const received = [];
        h.subscribe(channel, (m) => received.push(m.data));
        const start = Date.now();
        while (h.state !== 'open') {
          if (Date.now() - start > waitMs) throw new Error('not open');
          await new Promise((r) => setTimeout(r, 20));
        }
        await h.publish(channel, `hello over ${transport}`);
        while (received.length === 0) {
          if (Date.now() - start > waitMs) throw new Error('no message');
          await new Promise((r) => setTimeout(r, 20));
        }
        h.close();
        return received;
      }, [transport, channel, WAIT_MS]);
      assert.deepEqual(got, [`hello over ${transport}`]);
    });
  }
});
