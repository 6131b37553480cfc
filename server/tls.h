#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "config/config.h"

// OpenSSL's types, kept out of every file that includes this one.
using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;
using BIO = struct bio_st;

namespace herald::server {

// Redis's TLS directives made into OpenSSL contexts: one that accepts (the tls-port listeners,
// the gateway's https/wss port) and one that connects (tls-replication's link to our master).
// Both use tls-cert-file's certificate (the connecting one tls-client-cert-file's, if set) and
// verify the peer against tls-ca-cert-file / tls-ca-cert-dir.
class TlsContext {
 public:
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Whether the configuration needs TLS at all (a TLS port, or TLS replication).
  static bool Wanted(const config::Config& config);
  // Builds the contexts. nullptr with `*error` set (the reason, as Redis logs it) when a file
  // cannot be read, the key does not match the certificate, or a setting is invalid.
  static std::unique_ptr<TlsContext> Create(const config::Config& config, std::string* error);

  SSL_CTX* acceptor() const { return acceptor_; }
  SSL_CTX* connector() const { return connector_; }

 private:
  TlsContext() = default;
  SSL_CTX* acceptor_ = nullptr;
  SSL_CTX* connector_ = nullptr;
};

// Which client certificates an accepting session asks for: tls-auth-clients' three values.
enum class ClientCertificates { kNone, kOptional, kRequired };
ClientCertificates ParseClientCertificates(const std::string& value);

// One TLS connection, sans I/O: ciphertext read from the socket goes in with PutCiphertext(),
// plaintext comes out of Read(); plaintext goes in with Write() and the ciphertext to send
// comes out of TakeCiphertext(). Memory BIOs sit between OpenSSL and the socket, so libuv keeps
// owning the socket and the output path stays one write per flush.
class TlsSession {
 public:
  enum class Role { kAccept, kConnect };
  enum class Status { kOk, kWantMore, kClosed, kError };

  // `context` is kept alive by OpenSSL's reference count for as long as the session lives.
  TlsSession(SSL_CTX* context, Role role, ClientCertificates certificates);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  bool valid() const { return ssl_ != nullptr; }
  bool established() const { return established_; }

  void PutCiphertext(const char* data, size_t length);
  // Drives the handshake with the ciphertext received so far: kOk once it is complete,
  // kWantMore while it needs the peer's next flight, kError (see error()) if it failed.
  Status Handshake();
  // Decrypts into `buffer`: the number of bytes (> 0), or 0 with *status kWantMore (nothing
  // complete yet), kClosed (the peer's close_notify) or kError.
  size_t Read(char* buffer, size_t capacity, Status* status);
  // Encrypts `length` bytes (> 0) as one or more records. False on error.
  bool Write(const char* data, size_t length);
  // Queues a close_notify alert.
  void Shutdown();
  // Ciphertext waiting to be sent (handshake flights, records, alerts).
  size_t pending() const;
  // Appends the ciphertext waiting to be sent to `out`.
  void TakeCiphertext(std::string* out);

  // The last failure, as OpenSSL describes it ("" if none).
  const std::string& error() const { return error_; }
  // After the handshake: the protocol and cipher ("TLSv1.3", "TLS_AES_256_GCM_SHA384").
  std::string protocol() const;
  std::string cipher() const;

 private:
  Status Fail(int result, const char* what);

  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // ciphertext from the peer, owned by ssl_
  BIO* out_ = nullptr;  // ciphertext for the peer, owned by ssl_
  bool established_ = false;
  bool failed_ = false;
  std::string error_;
};

}  // namespace herald::server
