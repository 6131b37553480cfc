"""A test CA and certificates, made with the openssl command line in a temporary directory
(once per process, removed at exit), for the TLS tests of RESP, replication and the gateway:

  ca.crt        the test CA; server.crt/.key: CN=localhost, SAN localhost and 127.0.0.1
  client.crt    a client certificate from the same CA
  rogue.crt     a certificate (client or server) from another CA, which must be refused
  not-a-cert.pem  a PEM file whose contents are not a certificate
"""

import atexit
import os
import shutil
import ssl
import subprocess
import tempfile

AVAILABLE = shutil.which("openssl") is not None
_dir = None


def _openssl(*args):
    subprocess.run(["openssl", *args], check=True, cwd=_dir, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def _ca(name, subject):
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
             f"{name}.crt", "-days", "2", "-subj", subject)


def _cert(name, ca, subject, san=None):
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
             f"{name}.csr", "-subj", subject)
    extra = []
    if san:
        with open(os.path.join(_dir, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName={san}\n")
        extra = ["-extfile", f"{name}.ext"]
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", *extra)


def directory():
    """Makes the certificates on first use; returns their directory."""
    global _dir
    if _dir is None:
        _dir = tempfile.mkdtemp(prefix="herald-tls-")
        atexit.register(shutil.rmtree, _dir, ignore_errors=True)
        _ca("ca", "/CN=Herald Test CA")
        _ca("rogue-ca", "/CN=Some Other CA")
        _cert("server", "ca", "/CN=localhost", "DNS:localhost,IP:127.0.0.1")
        _cert("client", "ca", "/CN=client")
        _cert("rogue", "rogue-ca", "/CN=rogue", "DNS:localhost,IP:127.0.0.1")
        with open(os.path.join(_dir, "not-a-cert.pem"), "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
                    "-----END CERTIFICATE-----\n")
    return _dir


def path(name):
    return os.path.join(directory(), name)


def server_args(tls_port, *extra):
    """The directives of a server with a TLS port and the test certificates."""
    return ["--tls-port", str(tls_port), "--tls-cert-file", path("server.crt"),
            "--tls-key-file", path("server.key"), "--tls-ca-cert-file", path("ca.crt"), *extra]


def client_context(certificate="client", ca="ca.crt", **settings):
    """An ssl.SSLContext trusting the test CA, with a client certificate unless None; keyword
    arguments set its attributes (maximum_version=...)."""
    ctx = ssl.create_default_context(cafile=path(ca))
    if certificate:
        ctx.load_cert_chain(path(f"{certificate}.crt"), path(f"{certificate}.key"))
    for name, value in settings.items():
        setattr(ctx, name, value)
    return ctx
