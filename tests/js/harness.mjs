// Server harness for the Node.js client tests (the JS twin of tests/integration/harness.py).
//
//   HERALD_PORT=N          use a server already listening on HERALD_HOST (default 127.0.0.1):N
//   HERALD_TEST_TARGET=redis
//                          start /usr/bin/redis-server (with --save "" --appendonly no)
//   HERALD_SERVER=path     the herald-server binary to start
//                          (default ../../build/server/herald-server)
//
// A started server gets a random free loopback port in 10000-32000 (checked by binding; another
// port is tried if the server does not come up), a temp dir as cwd, and is always stopped
// (SIGTERM, then SIGKILL). Run: cd tests/js && npm ci && node --test

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');
const START_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 10000;

export const IS_REDIS = (process.env.HERALD_TEST_TARGET || '').toLowerCase() === 'redis';

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll `fn` (sync or async) until it returns a truthy value; throws after `timeoutMs`. */
export async function waitUntil(fn, { timeoutMs = 15000, message = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message} (last: ${last})`);
    }
    await sleep(delay);
    delay = Math.min(delay * 1.5, 200);
  }
}

/** Resolve `promise`, or reject after `ms` with a message naming `what`. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export async function pickPort() {
  for (let i = 0; i < 200; i++) {
    const port = 10000 + Math.floor(Math.random() * 22001);
    if (await portIsFree(port)) return port;
  }
  throw new Error('no free port in 10000-32000');
}

/** Send inline PING and resolve with the first reply line, or reject. */
function probe(host, port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let data = '';
    const done = (err) => {
      sock.destroy();
      if (err) reject(err); else resolve(data);
    };
    sock.setTimeout(2000, () => done(new Error('probe timeout')));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) done();
    });
    sock.on('error', done);
    sock.on('close', () => done(data ? undefined : new Error('closed')));
  });
}

function serverBinary() {
  if (IS_REDIS) return '/usr/bin/redis-server';
  // Absolute: the server runs with its temp dir as cwd.
  const bin = path.resolve(process.env.HERALD_SERVER ||
                           path.join(REPO_ROOT, 'build', 'server', 'herald-server'));
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch {
    throw new Error(`server binary ${bin} not found: set HERALD_SERVER, ` +
                    'HERALD_TEST_TARGET=redis or HERALD_PORT');
  }
  return bin;
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      live.delete(child);
      resolve(child.exitCode);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

/**
 * Start a server (or use HERALD_PORT). Resolves to { host, port, gatewayPort, stop(), log() }.
 * `args` are extra redis-server style directives, e.g. ['--maxclients', '100'].
 * `options.gateway`: also give the HTTP gateway a free port (`gatewayPort`; otherwise the
 * server's default applies and `gatewayPort` is undefined). `options.port` /
 * `options.gatewayPort`: use these ports instead of free ones (to restart a server in place).
 */
export async function startServer(args = [], options = {}) {
  const host = process.env.HERALD_HOST || '127.0.0.1';
  if (process.env.HERALD_PORT) {
    return { host, port: Number(process.env.HERALD_PORT), stop: async () => {}, log: () => '' };
  }
  const bin = serverBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-js-'));
  let lastError;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port ?? await pickPort();
    let gatewayPort = options.gatewayPort;
    if (gatewayPort === undefined && options.gateway) {
      do { gatewayPort = await pickPort(); } while (gatewayPort === port);
    }
    const argv = ['--port', String(port), '--bind', '127.0.0.1'];
    if (gatewayPort !== undefined) argv.push('--gateway-port', String(gatewayPort));
    if (IS_REDIS) argv.push('--save', '', '--appendonly', 'no');
    argv.push(...args);
    const logPath = path.join(dir, `server-${attempt}.log`);
    const logFd = fs.openSync(logPath, 'w');
    const child = spawn(bin, argv, { cwd: dir, stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    live.add(child);
    const log = () => { try { return fs.readFileSync(logPath, 'utf8'); } catch { return ''; } };
    const deadline = Date.now() + START_TIMEOUT_MS;
    let ready = false;
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      try {
        const reply = await probe(host, port);
        if (reply.startsWith('+') || reply.startsWith('-')) { ready = true; break; }
      } catch (err) {
        lastError = err;
      }
      await sleep(20);
    }
    if (ready) {
      return {
        host,
        port,
        gatewayPort,
        log,
        stop: async () => {
          const code = await stopChild(child);
          if (!process.env.HERALD_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
          return code;
        },
      };
    }
    await stopChild(child);
    lastError = new Error(`server ${bin} ${argv.join(' ')} did not come up on ${port} ` +
                          `(exit ${child.exitCode}); log:\n${log()}`);
    if (!/in use|listening socket/i.test(log())) break;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

/** One raw request (a RESP multibulk) on a fresh socket; resolves with the raw reply bytes
 *  once `done(buffer)` says the reply is complete. */
export function rawCommand(server, args, done = (b) => b.includes('\r\n')) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: server.host, port: server.port });
    let data = '';
    sock.setTimeout(10000, () => { sock.destroy(); reject(new Error('raw command timeout')); });
    sock.on('connect', () => {
      let req = `*${args.length}\r\n`;
      for (const a of args) req += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
      sock.write(req);
    });
    sock.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (done(data)) { sock.destroy(); resolve(data); }
    });
    sock.on('error', reject);
  });
}

/** PUBSUB NUMSUB <channel> through a raw connection. */
export async function numsub(server, channel) {
  const reply = await rawCommand(server, ['PUBSUB', 'NUMSUB', channel],
    (b) => /^\*2\r\n\$\d+\r\n[^]*\r\n:\d+\r\n$/.test(b));
  return Number(reply.match(/:(\d+)\r\n$/)[1]);
}

/** A unique channel name per test run. */
export function uniqueName(prefix) {
  return `${prefix}:${process.pid}:${Math.floor(Math.random() * 1e9)}`;
}
