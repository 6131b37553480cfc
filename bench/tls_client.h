#pragma once

#include <cstddef>
#include <memory>
#include <string>

// OpenSSL's types, kept out of every file that includes this one.
using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;
using BIO = struct bio_st;

namespace herald::bench {

// redis-benchmark's TLS options.
struct TlsOptions {
  bool enabled = false;  // --tls
  std::string cacert;    // --cacert: CA bundle that verifies the server; else the system's
  std::string cert;      // --cert / --key: client certificate (for tls-auth-clients yes)
  std::string key;
  std::string sni;        // --sni: server name sent in the ClientHello (none by default)
  bool insecure = false;  // --insecure: do not verify the server's certificate
};

// A client SSL_CTX made from TlsOptions, shared by every connection of a run. The server's
// certificate chain is verified against the CA (unless insecure), but not its name, as
// redis-benchmark and redis-cli do.
class TlsClientContext {
 public:
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // nullptr with *error set when a file cannot be loaded or the key does not match.
  static std::shared_ptr<TlsClientContext> Create(const TlsOptions& options, std::string* error);

  SSL_CTX* get() const { return ctx_; }
  const std::string& sni() const { return sni_; }

 private:
  TlsClientContext() = default;
  SSL_CTX* ctx_ = nullptr;
  std::string sni_;
};

// The client end of one TLS connection, without I/O: memory BIOs between OpenSSL and the
// socket, so that libuv keeps the socket and output stays one write per flush. Ciphertext read
// from the socket goes in with PutCiphertext(); Handshake() and Read() consume it; Write()
// encrypts; TakeCiphertext() collects what must be sent (handshake flights and records).
class TlsStream {
 public:
  enum class Status { kOk, kWantMore, kClosed, kError };

  explicit TlsStream(const TlsClientContext& context);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  bool valid() const { return ssl_ != nullptr; }
  bool established() const { return established_; }

  void PutCiphertext(const char* data, size_t length);
  // kOk once the handshake is complete, kWantMore while it waits for the server, kError.
  Status Handshake();
  // Decrypts into buffer[0, capacity): bytes > 0 with kOk, or 0 with kWantMore (no complete
  // record buffered), kClosed (the server's close_notify) or kError.
  size_t Read(char* buffer, size_t capacity, Status* status);
  // Encrypts all `length` bytes. False on error.
  bool Write(const char* data, size_t length);
  // Appends the ciphertext waiting to be sent to *out.
  void TakeCiphertext(std::string* out);
  bool has_ciphertext() const;

  // The last failure as OpenSSL words it.
  const std::string& error() const { return error_; }
  // After the handshake, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384".
  std::string description() const;

 private:
  Status Fail(int result, const char* what);

  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // from the server; owned by ssl_
  BIO* out_ = nullptr;  // to the server; owned by ssl_
  bool established_ = false;
  std::string error_;
};

}  // namespace herald::bench
