#include "bench/tls_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <string_view>

#include "fmt/format.h"

namespace herald::bench {
namespace {

// OpenSSL's queued errors as one line (and the queue emptied).
std::string OpenSslErrors(std::string_view fallback) {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof(line));
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text.empty() ? std::string(fallback) : text;
}

}  // namespace

TlsClientContext::~TlsClientContext() { SSL_CTX_free(ctx_); }

std::shared_ptr<TlsClientContext> TlsClientContext::Create(const TlsOptions& options,
                                                           std::string* error) {
  std::shared_ptr<TlsClientContext> context(new TlsClientContext());
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    *error = "cannot create a TLS context: " + OpenSslErrors("out of memory");
    return nullptr;
  }
  context->ctx_ = ctx;
  context->sni_ = options.sni;
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Every connection does a full handshake, as redis-benchmark's do.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx, options.insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  if (!options.cacert.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, options.cacert.c_str(), nullptr) != 1) {
      *error = fmt::format("cannot load --cacert {}: {}", options.cacert,
                           OpenSslErrors("not a PEM certificate"));
      return nullptr;
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    *error = "cannot load the system's CA certificates: " + OpenSslErrors("unknown error");
    return nullptr;
  }
  if (options.cert.empty() != options.key.empty()) {
    *error = "--cert and --key go together";
    return nullptr;
  }
  if (!options.cert.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert.c_str()) != 1) {
      *error = fmt::format("cannot load --cert {}: {}", options.cert,
                           OpenSslErrors("not a PEM certificate"));
      return nullptr;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, options.key.c_str(), SSL_FILETYPE_PEM) != 1) {
      *error = fmt::format("cannot load --key {}: {}", options.key,
                           OpenSslErrors("not a PEM private key"));
      return nullptr;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      *error = fmt::format("--key {} does not match --cert {}", options.key, options.cert);
      ERR_clear_error();
      return nullptr;
    }
  }
  return context;
}

TlsStream::TlsStream(const TlsClientContext& context) {
  ssl_ = SSL_new(context.get());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || in_ == nullptr || out_ == nullptr) {
    error_ = OpenSslErrors("out of memory");
    BIO_free(in_);
    BIO_free(out_);
    SSL_free(ssl_);
    ssl_ = nullptr;
    in_ = out_ = nullptr;
    return;
  }
  // An empty memory BIO then means "retry later", not end of file.
  BIO_set_mem_eof_return(in_, -1);
  BIO_set_mem_eof_return(out_, -1);
  SSL_set_bio(ssl_, in_, out_);
  if (!context.sni().empty()) SSL_set_tlsext_host_name(ssl_, context.sni().c_str());
  SSL_set_connect_state(ssl_);
}

TlsStream::~TlsStream() { SSL_free(ssl_); }  // and both BIOs

void TlsStream::PutCiphertext(const char* data, size_t length) {
  while (length > 0) {
    const int chunk = static_cast<int>(std::min<size_t>(length, 1u << 30));
    const int written = BIO_write(in_, data, chunk);
    if (written <= 0) return;  // only when out of memory; the handshake or a read then fails
    data += written;
    length -= static_cast<size_t>(written);
  }
}

TlsStream::Status TlsStream::Fail(int result, const char* what) {
  const int code = SSL_get_error(ssl_, result);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return Status::kWantMore;
  }
  if (code == SSL_ERROR_ZERO_RETURN) return Status::kClosed;
  if (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    error_ = fmt::format("{}: unexpected end of stream", what);
  } else {
    error_ = fmt::format("{}: {}", what, OpenSslErrors("unknown error"));
  }
  ERR_clear_error();
  return Status::kError;
}

TlsStream::Status TlsStream::Handshake() {
  if (established_) return Status::kOk;
  const int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    established_ = true;
    return Status::kOk;
  }
  Status status = Fail(result, "TLS handshake failed");
  if (status == Status::kClosed) status = Status::kError;
  if (status == Status::kError) {
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) error_ += fmt::format(" ({})", X509_verify_cert_error_string(verify));
  }
  return status;
}

size_t TlsStream::Read(char* buffer, size_t capacity, Status* status) {
  size_t read = 0;
  if (SSL_read_ex(ssl_, buffer, capacity, &read) == 1 && read > 0) {
    *status = Status::kOk;
    return read;
  }
  *status = Fail(0, "TLS read failed");
  return 0;
}

bool TlsStream::Write(const char* data, size_t length) {
  while (length > 0) {
    size_t written = 0;
    if (SSL_write_ex(ssl_, data, length, &written) != 1) {
      Fail(0, "TLS write failed");
      return false;
    }
    data += written;
    length -= written;
  }
  return true;
}

bool TlsStream::has_ciphertext() const { return out_ != nullptr && BIO_ctrl_pending(out_) > 0; }

void TlsStream::TakeCiphertext(std::string* out) {
  const size_t length = out_ == nullptr ? 0 : BIO_ctrl_pending(out_);
  if (length == 0) return;
  const size_t at = out->size();
  out->resize(at + length);
  const int read = BIO_read(out_, out->data() + at, static_cast<int>(length));
  out->resize(at + static_cast<size_t>(read > 0 ? read : 0));
}

std::string TlsStream::description() const {
  if (ssl_ == nullptr || !established_) return "";
  return fmt::format("{} {}", SSL_get_version(ssl_), SSL_get_cipher_name(ssl_));
}

}  // namespace herald::bench
