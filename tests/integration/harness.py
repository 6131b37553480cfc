"""Integration-test harness for herald-server (and, for parity, Debian's redis-server).

How to run
----------
Against herald (what CTest does; `ctest -R integration` from the build directory)::

    HERALD_SERVER=build/server/herald-server \
        /usr/bin/python3 -m unittest discover -s tests/integration -v

Against the real Redis 7.0 (proves the expectations are Redis's own behaviour)::

    HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest discover -s tests/integration

One module or one test::

    cd tests/integration && HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v resp.test_pubsub
    cd tests/integration && HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v \
        resp.test_pubsub.Resp2PubSubTest.test_subscribe_acks_duplicates

The JS client tests live in tests/js (`npm ci --prefix tests/js`, then `node --test` there); they
read the same environment variables.

Always use /usr/bin/python3 (Debian's interpreter, which has python3-redis); a pyenv `python3` on
PATH may lack it.

Environment
-----------
HERALD_TEST_TARGET  `redis` to test /usr/bin/redis-server (started with
                    `--save "" --appendonly no`); anything else (default) tests herald.
HERALD_SERVER       path of the herald-server binary (default: <repo>/build/server/herald-server).
HERALD_KEEP_TMP     if set, server temp directories (config files, logs) are not deleted.

What is here
------------
* `Server`: starts one server process on a random free loopback port in 10000-32000 (checked by
  binding; another port is tried when the server does not come up), with the server's temp
  directory as cwd, extra command-line directives and/or a config file; waits (bounded polling)
  until it answers; always stops it (SIGTERM, then SIGKILL). Usable as a context manager.
* `ServerTestCase`: a unittest base class with one server per class (`server_args`,
  `server_config`, `server_bind` class attributes) and `self.connect()` for auto-closed
  connections.
* `Conn`: a raw-socket RESP client for byte-exact assertions: `send`, `expect` (read exactly the
  expected bytes, with a timeout), `read_reply` (one RESP2/RESP3 value), `read_until_eof`;
  `ssl_context=` makes it a TLS client (tls_certs.py makes a test CA and certificates).
* `wait_until`: poll a condition with a generous bound. Tests never sleep-then-assert.
"""

import atexit
import contextlib
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))

REDIS_SERVER = "/usr/bin/redis-server"
REDIS_CLI = "/usr/bin/redis-cli"
REDIS_BENCHMARK = "/usr/bin/redis-benchmark"
PYTHON = "/usr/bin/python3"

PORT_MIN, PORT_MAX = 10000, 32000
START_TIMEOUT = 20.0  # seconds for a server to accept connections
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
IO_TIMEOUT = 10.0  # default socket read timeout
WAIT_TIMEOUT = 15.0  # default bound for wait_until

TARGET = "redis" if os.environ.get("HERALD_TEST_TARGET", "").lower() == "redis" else "herald"
IS_REDIS = TARGET == "redis"


def herald_only(reason):
    """Decorator: skip when testing real Redis because Redis behaves differently here."""
    return unittest.skipIf(IS_REDIS, "herald-only (Redis differs): " + reason)


def redis_only(reason):
    return unittest.skipUnless(IS_REDIS, "redis-only: " + reason)


def server_binary():
    """Path of the binary under test; raises with a clear message if it is missing."""
    if IS_REDIS:
        path = REDIS_SERVER
    else:
        path = os.environ.get("HERALD_SERVER") or os.path.join(
            REPO_ROOT, "build", "server", "herald-server")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(
            f"server binary {path!r} not found or not executable: set HERALD_SERVER to the "
            f"herald-server binary, or HERALD_TEST_TARGET=redis to test {REDIS_SERVER}")
    return os.path.abspath(path)  # the server runs with its temp dir as cwd


def target_defaults():
    """Directives every server gets (before the test's own): no persistence for Redis."""
    # Herald's HTTP gateway listens on 8080 by default; test servers run many at once, so it is
    # off unless a test asks for it with its own --gateway-port.
    return ["--save", "", "--appendonly", "no"] if IS_REDIS else ["--gateway-port", "0"]


# --------------------------------------------------------------------------------------------
# Waiting


def wait_until(predicate, timeout=WAIT_TIMEOUT, interval=0.01, message="condition"):
    """Poll `predicate()` until it returns a truthy value (returned) or `timeout` passes
    (AssertionError naming `message` and the last value seen). Exceptions propagate."""
    deadline = time.monotonic() + timeout
    delay = interval
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message} "
                                 f"(last value: {value!r})")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)


# --------------------------------------------------------------------------------------------
# Ports and processes


def port_is_free(port):
    """True if nothing listens on `port` on the loopback addresses we use (bind test)."""
    for family, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET, "0.0.0.0")):
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.bind((addr, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def pick_port(rng=random.SystemRandom()):
    for _ in range(200):
        port = rng.randint(PORT_MIN, PORT_MAX)
        if port_is_free(port):
            return port
    raise RuntimeError("no free port found in %d-%d" % (PORT_MIN, PORT_MAX))


_live_processes = set()
_live_lock = threading.Lock()


def _track(proc):
    with _live_lock:
        _live_processes.add(proc)


def _untrack(proc):
    with _live_lock:
        _live_processes.discard(proc)


def stop_process(proc, timeout=STOP_TIMEOUT):
    """SIGTERM, wait up to `timeout`, then SIGKILL. Returns the exit status. Only ever
    signals this process (by pid)."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                proc.kill()
            except ProcessLookupError:
                pass
            proc.wait()
    _untrack(proc)
    return proc.returncode


@atexit.register
def _kill_leftovers():
    with _live_lock:
        procs = list(_live_processes)
    for proc in procs:
        stop_process(proc, timeout=3)


def spawn(argv, **kw):
    """subprocess.Popen that is stopped at interpreter exit if a test forgets it."""
    proc = subprocess.Popen(argv, **kw)
    _track(proc)
    return proc


class ServerStartError(RuntimeError):
    pass


class Server:
    """One server process (herald or redis, per HERALD_TEST_TARGET).

    args:    extra command-line directives in redis-server syntax, e.g.
             ["--maxclients", "3", "--client-output-buffer-limit", "pubsub 1mb 512kb 5"].
    config:  text of a config file, written to <tmpdir>/server.conf and passed as the first
             argument (its text may use "{tmpdir}" and "{port}", replaced before writing).
    bind:    list of addresses for --bind (default ["127.0.0.1"]); None to pass no --bind.
    host:    address used to connect (default: first bind address, else 127.0.0.1).
    port:    fixed port (default: a random free one; retried on failure).
    pass_port: False to pass no --port (the config file must set it, e.g. "port {port}").
    files:   {relative name: text} written into the temp dir before start (for `include`);
             "{tmpdir}" and "{port}" are replaced as in `config`.
    """

    def __init__(self, args=(), config=None, bind=("127.0.0.1",), host=None, port=None,
                 pass_port=True, start_timeout=START_TIMEOUT, files=None):
        self.extra_args = list(args)
        self.config_text = config
        self.files = dict(files or {})
        self.bind = list(bind) if bind is not None else None
        self.host = host or (self.bind[0] if self.bind else "127.0.0.1")
        self.fixed_port = port
        self.pass_port = pass_port
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.tmpdir = None
        self.config_path = None
        self.log_path = None
        self.returncode = None
        self.argv = None

    # -- lifecycle --------------------------------------------------------------------------

    def build_argv(self, port):
        argv = [server_binary()]
        if self.config_path:
            argv.append(self.config_path)
        if self.pass_port:
            argv += ["--port", str(port)]
        if self.bind:
            argv += ["--bind"] + self.bind
        argv += target_defaults()
        argv += self.extra_args
        return argv

    def start(self):
        """Start the server and wait until it answers; returns self. Raises ServerStartError
        (with the server's log) if it does not come up; nothing is left behind then."""
        server_binary()  # fail with a clear message before creating anything
        self.tmpdir = tempfile.mkdtemp(prefix="herald-it-")
        attempts = 1 if self.fixed_port else 5
        last_error = None
        try:
            for attempt in range(attempts):
                port = self.fixed_port or pick_port()
                self.write_files(port)
                self.port = port
                self.argv = self.build_argv(port)
                self.log_path = os.path.join(self.tmpdir, f"server-{attempt}.log")
                with open(self.log_path, "wb") as log:
                    self.proc = spawn(self.argv, cwd=self.tmpdir, stdin=subprocess.DEVNULL,
                                      stdout=log, stderr=subprocess.STDOUT)
                try:
                    self._wait_ready()
                    return self
                except ServerStartError as e:
                    last_error = e
                    stop_process(self.proc)
                    self.returncode = self.proc.returncode
                    # Retry on another port only when the port may have been the problem.
                    if not self._looks_like_port_clash():
                        break
            raise last_error
        except BaseException:
            if self.proc is not None:
                stop_process(self.proc)
            self._cleanup_tmp()
            raise

    def write_files(self, port):
        def subst(text):
            return text.replace("{tmpdir}", self.tmpdir).replace("{port}", str(port))
        for name, text in self.files.items():
            with open(os.path.join(self.tmpdir, name), "w") as f:
                f.write(subst(text))
        if self.config_text is not None:
            self.config_path = os.path.join(self.tmpdir, "server.conf")
            with open(self.config_path, "w") as f:
                f.write(subst(self.config_text))

    def _looks_like_port_clash(self):
        text = self.log().lower()
        return ("in use" in text or "could not create server tcp listening socket" in text
                or "bind" in text and "error" in text)

    def _wait_ready(self):
        deadline = time.monotonic() + self.start_timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerStartError(
                    f"server exited with status {self.proc.returncode} during start-up\n"
                    f"argv: {self.argv}\n--- server log ---\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=2) as s:
                    s.sendall(b"PING\r\n")
                    data = b""
                    s.settimeout(2)
                    while not data.endswith(b"\r\n"):
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    if data[:1] in (b"+", b"-"):
                        return
                    last = data
            except OSError as e:
                last = e
            time.sleep(0.02)
        raise ServerStartError(
            f"server did not accept connections on {self.host}:{self.port} within "
            f"{self.start_timeout}s (last: {last!r})\nargv: {self.argv}\n"
            f"--- server log ---\n{self.log()}")

    def stop(self):
        """Stop the server (SIGTERM, then SIGKILL); returns its exit status. Idempotent."""
        if self.proc is not None:
            self.returncode = stop_process(self.proc)
        self._cleanup_tmp()
        return self.returncode

    def _cleanup_tmp(self):
        if self.tmpdir and not os.environ.get("HERALD_KEEP_TMP"):
            self._log_cache = self.log()
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- introspection ----------------------------------------------------------------------

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        if self.log_path and os.path.exists(self.log_path):
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        return getattr(self, "_log_cache", "")

    def rss_kb(self):
        """VmRSS of the server process in kB (from /proc/PID/status)."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def connect(self, **kw):
        kw.setdefault("host", self.host)
        return Conn(port=self.port, **kw)


def run_server_expect_exit(args=(), config=None, timeout=15.0, pass_port=True,
                           bind=("127.0.0.1",), files=None, raw_argv=None):
    """Run the server with a configuration that must make it exit by itself (bad config).
    `raw_argv` replaces the whole argument list (for --version / --help, which must come
    first). Returns (exit status, combined stdout+stderr text). If it is still running after
    `timeout` it is killed and AssertionError is raised."""
    server_binary()
    srv = Server(args=args, config=config, bind=bind, pass_port=pass_port, files=files)
    srv.tmpdir = tempfile.mkdtemp(prefix="herald-it-")
    try:
        port = pick_port()
        srv.write_files(port)
        argv = srv.build_argv(port) if raw_argv is None else [server_binary()] + list(raw_argv)
        proc = spawn(argv, cwd=srv.tmpdir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process(proc)
            out, _ = proc.communicate()
            raise AssertionError(f"server did not exit within {timeout}s: argv={argv}\n"
                                 f"{out.decode('utf-8', 'replace')}")
        finally:
            stop_process(proc)
        return proc.returncode, out.decode("utf-8", "replace")
    finally:
        shutil.rmtree(srv.tmpdir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# RESP values


class RespError(str):
    """An error reply (-ERR ... / !<len> blob error); the text without '-' and CRLF."""

    def __repr__(self):
        return f"RespError({str.__repr__(self)})"


class Status(bytes):
    """A simple-string reply (+OK)."""

    def __repr__(self):
        return f"Status({bytes.__repr__(self)})"


class Push(list):
    """A RESP3 push frame (>)."""

    def __repr__(self):
        return f"Push({list.__repr__(self)})"


class RespSet(list):
    pass


class Verbatim(bytes):
    fmt = b"txt"


class NeedMore(Exception):
    pass


def encode(*args):
    """Encode a command as a RESP multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a).encode()
        elif isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def _line(buf, pos):
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise NeedMore
    return bytes(buf[pos:end]), end + 2


def parse_value(buf, pos=0):
    """Parse one RESP2/RESP3 value from buf[pos:]. Returns (value, next_pos); raises NeedMore
    if incomplete and ValueError on malformed input."""
    if pos >= len(buf):
        raise NeedMore
    t = buf[pos:pos + 1]
    line, pos = _line(buf, pos + 1)
    if t == b"+":
        return Status(line), pos
    if t == b"-":
        return RespError(line.decode("utf-8", "replace")), pos
    if t == b":":
        return int(line), pos
    if t == b"(":
        return int(line), pos
    if t == b",":
        return float(line.replace(b"inf", b"inf")), pos
    if t == b"#":
        if line not in (b"t", b"f"):
            raise ValueError(f"bad boolean {line!r}")
        return line == b"t", pos
    if t == b"_":
        if line:
            raise ValueError(f"bad null {line!r}")
        return None, pos
    if t in (b"$", b"!", b"="):
        n = int(line)
        if n < 0:
            if t != b"$" or n != -1:
                raise ValueError(f"bad bulk length {n}")
            return None, pos
        if len(buf) < pos + n + 2:
            raise NeedMore
        if buf[pos + n:pos + n + 2] != b"\r\n":
            raise ValueError("bulk not terminated by CRLF")
        data = bytes(buf[pos:pos + n])
        pos += n + 2
        if t == b"!":
            return RespError(data.decode("utf-8", "replace")), pos
        if t == b"=":
            v = Verbatim(data[4:])
            v.fmt = data[:3]
            return v, pos
        return data, pos
    if t in (b"*", b">", b"~", b"%", b"|"):
        n = int(line)
        if n < 0:
            if t != b"*" or n != -1:
                raise ValueError(f"bad aggregate length {n}")
            return None, pos
        count = n * 2 if t in (b"%", b"|") else n
        items = []
        for _ in range(count):
            v, pos = parse_value(buf, pos)
            items.append(v)
        if t == b"%":
            return dict(zip(items[0::2], items[1::2])), pos
        if t == b"|":  # attribute: skip it and return the value that follows
            return parse_value(buf, pos)
        if t == b">":
            return Push(items), pos
        if t == b"~":
            return RespSet(items), pos
        return items, pos
    raise ValueError(f"unknown RESP type byte {t!r} at {pos}")


# --------------------------------------------------------------------------------------------
# Raw connection


class ConnectionClosed(AssertionError):
    pass


def tcp_connect(host, port, timeout, source=None, rcvbuf=None, family=None):
    """A connected TCP socket with TCP_NODELAY (each send leaves at once on loopback), bound to
    `source` and with a receive buffer of `rcvbuf` bytes when given."""
    fam = family or (socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock = socket.socket(fam, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if source:
        sock.bind((source, 0))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(timeout)
    sock.connect((host, port))
    return sock


def ws_mask(payload, key):
    """XOR `payload` with the 4-byte `key` (linear time even for 16 MiB, via big integers)."""
    n = len(payload)
    if n == 0:
        return b""
    keystream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(keystream, "big")).to_bytes(n, "big")


def ws_frame(opcode, payload=b"", fin=True, rsv=0, mask=True, length=None, key=None):
    """One WebSocket client frame (RFC 6455). `rsv` is the 3-bit RSV field (4 = RSV1, 2 = RSV2,
    1 = RSV3); `length` overrides the declared payload length (for frames whose payload is sent
    later or never); `mask=False` sends it unmasked, which a client must never do."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload) if length is None else length
    mbit = 0x80 if mask else 0
    if n < 126:
        header = struct.pack("!BB", first, mbit | n)
    elif n < 65536:
        header = struct.pack("!BBH", first, mbit | 126, n)
    else:
        header = struct.pack("!BBQ", first, mbit | 127, n)
    if not mask:
        return header + payload
    key = os.urandom(4) if key is None else key
    return header + key + ws_mask(payload, key)


class ByteStream:
    """A TCP client connection with a receive buffer, for the HTTP and WebSocket tests: reads
    until a marker, an exact count or the end. `eof` says the server closed; `reset` that it
    did so with a TCP RST rather than a FIN."""

    def __init__(self, port, source=None, rcvbuf=None, timeout=IO_TIMEOUT, ssl_context=None):
        self.sock = tcp_connect("127.0.0.1", port, timeout, source=source, rcvbuf=rcvbuf)
        if ssl_context is not None:  # https / wss (the TLS tests' certificates name localhost)
            self.sock = ssl_context.wrap_socket(self.sock, server_hostname="localhost")
        self.buf = bytearray()
        self.eof = False
        self.reset = False

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _recv(self):
        try:
            chunk = self.sock.recv(1 << 20)
        except ConnectionResetError:
            self.reset = True
            chunk = b""
        except socket.timeout:
            raise AssertionError(f"no data from the server within {self.sock.gettimeout()}s; "
                                 f"buffered: {bytes(self.buf[:200])!r}") from None
        if not chunk:
            self.eof = True
            raise ConnectionClosed(f"connection closed; buffered: {bytes(self.buf[:300])!r}")
        self.buf += chunk

    def read_until(self, marker):
        while marker not in self.buf:
            self._recv()
        i = self.buf.index(marker) + len(marker)
        out = bytes(self.buf[:i])
        del self.buf[:i]
        return out

    def read_exact(self, n):
        while len(self.buf) < n:
            self._recv()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_until_eof(self):
        """Everything until the server closes the connection."""
        try:
            while True:
                self._recv()
        except ConnectionClosed:
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out


def diff_note(expected, got):
    """' (first difference at byte N: expected ... got ...)' for long byte strings."""
    n = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b),
             min(len(expected), len(got)))
    if n == len(expected) == len(got):
        return ""
    return (f"\n     first difference at byte {n}: expected {expected[n:n + 40]!r}, "
            f"got {got[n:n + 40]!r}")


class Conn:
    """A raw TCP (or unix socket) connection for byte-exact RESP tests.

    Received bytes are buffered; `expect`, `read_exact`, `read_reply` consume from the buffer.
    `source` binds the client socket to that local address before connecting (e.g. 127.0.0.2).
    `rcvbuf` sets SO_RCVBUF before connecting (a small value makes a slow reader)."""

    def __init__(self, port=None, host="127.0.0.1", timeout=IO_TIMEOUT, source=None,
                 rcvbuf=None, unix_path=None, family=None, ssl_context=None):
        self.timeout = timeout
        self.buf = bytearray()
        self.eof = False
        self.reset = False
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(unix_path)
        else:
            self.sock = tcp_connect(host, port, timeout, source=source, rcvbuf=rcvbuf,
                                    family=family)
            if ssl_context is not None:  # RESP over TLS (tls-port)
                self.sock = ssl_context.wrap_socket(self.sock, server_hostname="localhost")

    # -- writing ----------------------------------------------------------------------------

    def send(self, data):
        self.sock.sendall(data)

    def send_cmd(self, *args):
        self.send(encode(*args))

    def send_bytewise(self, data, pause=0.0):
        """Send one byte per send() call (TCP_NODELAY is on, so mostly one segment each)."""
        for i in range(len(data)):
            self.sock.sendall(data[i:i + 1])
            if pause:
                time.sleep(pause)

    def send_split(self, data, rng, max_pieces=8, pause=0.001):
        """Send `data` cut at random points (between 1 and max_pieces pieces)."""
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1,
                                                           rng.randint(0, max_pieces - 1))))
        prev = 0
        for c in cuts + [len(data)]:
            self.sock.sendall(data[prev:c])
            prev = c
            if pause:
                time.sleep(pause)

    # -- reading ----------------------------------------------------------------------------

    def _fill(self, deadline):
        """Receive more bytes into the buffer; returns False at EOF."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 20)
        except ConnectionResetError:
            self.eof = True
            self.reset = True
            return False
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read_exact(self, n, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            while len(self.buf) < n:
                if not self._fill(deadline):
                    raise ConnectionClosed(
                        f"connection closed after {len(self.buf)} of {n} bytes: "
                        f"{bytes(self.buf)!r}")
        except socket.timeout:
            raise AssertionError(f"timed out waiting for {n} bytes; got {len(self.buf)}: "
                                 f"{bytes(self.buf[:2000])!r}") from None
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def expect(self, expected, timeout=None, msg=None):
        """Read exactly len(expected) bytes and assert they equal `expected`. Fails as soon as
        the bytes received so far differ from the expected prefix."""
        n = len(expected)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        note = f" ({msg})" if msg else ""
        try:
            while True:
                have = min(len(self.buf), n)
                if self.buf[:have] != expected[:have] or have == n:
                    break
                if not self._fill(deadline):
                    raise AssertionError(f"expected {expected!r}\n     got {bytes(self.buf)!r} "
                                         f"then the connection closed{note}")
        except socket.timeout:
            raise AssertionError(f"expected {expected!r}\n     got only {bytes(self.buf)!r} "
                                 f"within the timeout{note}") from None
        data = bytes(self.buf[:n])
        if data != expected:
            # Grab a little more for the diagnostic, without waiting long.
            extra = self.read_available(0.2)[len(data):]
            raise AssertionError(f"expected {expected!r}\n     got {data!r}"
                                 + (f" followed by {extra!r}" if extra else "") + note
                                 + diff_note(expected, data + extra))
        del self.buf[:n]
        return data

    def expect_match(self, regex, timeout=None):
        """Read one reply and assert its raw bytes fully match `regex` (bytes pattern)."""
        raw = self.read_raw_reply(timeout)
        if not re.fullmatch(regex, raw, re.S):
            raise AssertionError(f"reply {raw!r} does not match {regex!r}")
        return raw

    def read_available(self, wait=0.0):
        """Whatever arrives within `wait` seconds (plus what is buffered)."""
        deadline = time.monotonic() + wait
        try:
            while time.monotonic() < deadline and self._fill(deadline):
                pass
        except (socket.timeout, OSError):
            pass
        data = bytes(self.buf)
        self.buf.clear()
        return data

    def read_raw_reply(self, timeout=None):
        """Read one complete RESP value and return its raw bytes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                _, end = parse_value(self.buf, 0)
                data = bytes(self.buf[:end])
                del self.buf[:end]
                return data
            except NeedMore:
                pass
            try:
                if not self._fill(deadline):
                    raise ConnectionClosed(f"connection closed with partial reply "
                                           f"{bytes(self.buf)!r}")
            except socket.timeout:
                raise AssertionError(f"timed out waiting for a reply; buffered: "
                                     f"{bytes(self.buf[:2000])!r}") from None

    def read_reply(self, timeout=None):
        """Read and parse one RESP value (errors are returned as RespError, not raised)."""
        raw = self.read_raw_reply(timeout)
        return parse_value(raw, 0)[0]

    def cmd(self, *args, timeout=None):
        self.send_cmd(*args)
        return self.read_reply(timeout)

    def read_until_eof(self, timeout=None):
        """Read everything until the peer closes (a reset counts as close; see .reset)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            while self._fill(deadline):
                pass
        except socket.timeout:
            raise AssertionError(f"connection not closed within timeout; received "
                                 f"{bytes(self.buf[:2000])!r}") from None
        data = bytes(self.buf)
        self.buf.clear()
        return data

    def expect_eof(self, expected=b"", timeout=None):
        """Assert the remaining bytes until close are exactly `expected` (fails early on a
        mismatch)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            while self.buf[:len(expected)] == expected[:len(self.buf)] and self._fill(deadline):
                pass
        except socket.timeout:
            raise AssertionError(f"expected {expected!r} then close\n     got "
                                 f"{bytes(self.buf[:2000])!r} and no close") from None
        data = bytes(self.buf)
        if data != expected:
            data += self.read_available(0.2)
            raise AssertionError(f"expected {expected!r} then close\n     got {data!r}"
                                 + ("" if self.eof else " (connection still open)")
                                 + diff_note(expected, data))
        self.buf.clear()
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- helpers ----------------------------------------------------------------------------

    def hello3(self):
        reply = self.cmd("HELLO", "3")
        assert isinstance(reply, dict), reply
        return reply


def mask_hello_id(raw):
    """Replace the value of the `id` field of a HELLO reply by :N."""
    return re.sub(rb"(\$2\r\nid\r\n):\d+\r\n", rb"\1:N\r\n", raw)


def numsub(conn, channel):
    reply = conn.cmd("PUBSUB", "NUMSUB", channel)
    return reply[1]


def shardnumsub(conn, channel):
    reply = conn.cmd("PUBSUB", "SHARDNUMSUB", channel)
    return reply[1]


def numpat(conn):
    return conn.cmd("PUBSUB", "NUMPAT")


def wait_numsub(conn, channel, n, timeout=WAIT_TIMEOUT):
    """Wait until PUBSUB NUMSUB channel == n (asked on `conn`, which must not be subscribed
    in RESP2)."""
    return wait_until(lambda: numsub(conn, channel) == n, timeout,
                      message=f"PUBSUB NUMSUB {channel} == {n}")


def info_fields(conn, section=None):
    """INFO [section] parsed into {field: value-string}."""
    reply = conn.cmd("INFO", section) if section else conn.cmd("INFO")
    text = bytes(reply).decode()
    fields = {}
    for line in text.split("\r\n"):
        if line and not line.startswith("#") and ":" in line:
            k, v = line.split(":", 1)
            fields[k] = v
    return fields


def wait_connected_clients(conn, n, timeout=WAIT_TIMEOUT):
    return wait_until(lambda: int(info_fields(conn, "clients")["connected_clients"]) == n,
                      timeout, message=f"connected_clients == {n}")


# --------------------------------------------------------------------------------------------
# unittest fixtures


class ServerTestCase(unittest.TestCase):
    """One server per test class. Subclasses set `server_args` (list of directives),
    `server_config` (config file text) and/or `server_bind`."""

    server_args = ()
    server_config = None
    server_bind = ("127.0.0.1",)
    server = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server(args=cls.server_args, config=cls.server_config,
                            bind=cls.server_bind).start()
        cls.addClassCleanup(cls.server.stop)

    def setUp(self):
        super().setUp()
        # Unique prefix for channel names so tests sharing a server do not see each other.
        self.ns = "%s:%d:" % (self._testMethodName, random.randint(0, 1 << 30))
        self.assertTrue(self.server.alive(), "server died:\n" + self.server.log()[-3000:])

    def tearDown(self):
        # A crash of the server under test must be reported by the test that caused it.
        if not self.server.alive():
            self.fail("server process exited during the test (status %r)\n%s"
                      % (self.server.proc.returncode, self.server.log()[-3000:]))
        super().tearDown()

    def connect(self, **kw):
        """A new connection to the class's server, closed when the test ends."""
        c = self.server.connect(**kw)
        self.addCleanup(c.close)
        return c

    def chan(self, name):
        return self.ns + name


def free_port_pair_available(addr):
    """True if a TCP socket can bind to `addr` (e.g. 127.0.0.2 or ::1) on this host."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    try:
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            s.bind((addr, 0))
        return True
    except OSError:
        return False


@contextlib.contextmanager
def started_process(argv, **kw):
    """Context manager for a helper process (redis-cli, ...): stopped (SIGTERM, SIGKILL)
    on exit."""
    proc = spawn(argv, **kw)
    try:
        yield proc
    finally:
        stop_process(proc, timeout=5)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream:
                with contextlib.suppress(OSError):
                    stream.close()


# --------------------------------------------------------------------------------------------
# Expected wire frames (RESP2 arrays, or RESP3 pushes with resp3=True)


def _b(x):
    if isinstance(x, int):
        return str(x).encode()
    return x.encode() if isinstance(x, str) else bytes(x)


def bulk(x):
    """A bulk string; None gives the RESP2 null bulk $-1."""
    if x is None:
        return b"$-1\r\n"
    x = _b(x)
    return b"$%d\r\n%s\r\n" % (len(x), x)


def frame(items, resp3=False):
    """An array (or push) whose items are already-encoded RESP values."""
    return (b">" if resp3 else b"*") + b"%d\r\n" % len(items) + b"".join(items)


def ack(kind, name, count, resp3=False):
    """A (p|s)(un)subscribe confirmation; name None means 'no subscription' (null)."""
    null = b"_\r\n" if resp3 else b"$-1\r\n"
    return frame([bulk(kind), null if name is None else bulk(name), b":%d\r\n" % count], resp3)


def message(channel, data, resp3=False):
    return frame([bulk("message"), bulk(channel), bulk(data)], resp3)


def pmessage(pattern, channel, data, resp3=False):
    return frame([bulk("pmessage"), bulk(pattern), bulk(channel), bulk(data)], resp3)


def smessage(channel, data, resp3=False):
    return frame([bulk("smessage"), bulk(channel), bulk(data)], resp3)


def integer(n):
    return b":%d\r\n" % n


def subscribed_error(cmd):
    return (b"-ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            b"RESET are allowed in this context\r\n" % _b(cmd))


HELLO_RESP3_MASKED = (
    b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n"
    b"$2\r\nid\r\n:N\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
    b"$7\r\nmodules\r\n*0\r\n")
HELLO_RESP2_MASKED = HELLO_RESP3_MASKED.replace(b"%7", b"*14", 1).replace(b":3\r\n", b":2\r\n", 1)
