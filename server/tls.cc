#include "server/tls.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/dh.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <strings.h>

#include <cstring>
#include <string_view>
#include <vector>

namespace herald::server {

using config::Config;
namespace {

// OpenSSL's error queue as one line, emptied: "error:0A000086:SSL routines::certificate verify
// failed". Falls back to `fallback` when the queue is empty.
std::string DrainErrors(std::string_view fallback = "unknown error") {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? std::string(fallback) : text;
}

// tls-protocols as Redis reads it: words among TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 in any case;
// empty means TLSv1.2 and TLSv1.3. Returns the SSL_OP_NO_* options that leave only those, or
// -1 for an unknown word.
long ProtocolOptions(const std::string& value) {
  constexpr long kAll = SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3;
  if (value.empty()) return SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
  long excluded = kAll;
  size_t start = 0;
  while (start < value.size()) {
    size_t end = value.find(' ', start);
    if (end == std::string::npos) end = value.size();
    std::string word = value.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    if (strcasecmp(word.c_str(), "tlsv1") == 0) {
      excluded &= ~SSL_OP_NO_TLSv1;
    } else if (strcasecmp(word.c_str(), "tlsv1.1") == 0) {
      excluded &= ~SSL_OP_NO_TLSv1_1;
    } else if (strcasecmp(word.c_str(), "tlsv1.2") == 0) {
      excluded &= ~SSL_OP_NO_TLSv1_2;
    } else if (strcasecmp(word.c_str(), "tlsv1.3") == 0) {
      excluded &= ~SSL_OP_NO_TLSv1_3;
    } else {
      return -1;
    }
  }
  return excluded == kAll ? -1 : excluded;
}

// The key file's passphrase, handed to OpenSSL's password callback.
int PassphraseCallback(char* buffer, int size, int /*rwflag*/, void* userdata) {
  const auto* pass = static_cast<const std::string*>(userdata);
  if (pass == nullptr || pass->empty()) return 0;
  int length = static_cast<int>(std::min<size_t>(pass->size(), static_cast<size_t>(size)));
  std::memcpy(buffer, pass->data(), static_cast<size_t>(length));
  return length;
}

struct ContextSettings {
  bool accept;
  const std::string* cert;
  const std::string* key;
  const std::string* key_pass;
};

// One SSL_CTX with the settings both roles share. nullptr with *error set on failure.
SSL_CTX* CreateContext(const Config& config, const ContextSettings& settings, std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(settings.accept ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr) {
    *error = "Failed to create TLS context: " + DrainErrors();
    return nullptr;
  }
  auto fail = [&](std::string message) {
    *error = std::move(message);
    SSL_CTX_free(ctx);
    return nullptr;
  };
  long protocols = ProtocolOptions(config.tls_protocols);
  if (protocols < 0) {
    return fail(
        "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and "
        "'TLSv1.3'.");
  }
  // As Redis: no SSLv2/3, no compression, no renegotiation.
  SSL_CTX_set_options(ctx, SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION |
                               SSL_OP_NO_RENEGOTIATION | static_cast<uint64_t>(protocols));
  if (config.tls_prefer_server_ciphers) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections give their 2 x 16 KB record buffers back: a fan-out server holds many.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (settings.accept) {
    if (config.tls_session_caching) {
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
      SSL_CTX_sess_set_cache_size(ctx, config.tls_session_cache_size);
      SSL_CTX_set_timeout(ctx, config.tls_session_cache_timeout);
      static constexpr unsigned char kContext[] = "herald";
      SSL_CTX_set_session_id_context(ctx, kContext, sizeof(kContext) - 1);
    } else {
      SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
      SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    }
  }
  if (!settings.cert->empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, settings.cert->c_str()) <= 0) {
      return fail(fmt::format("Failed to load certificate: {}: {}", *settings.cert, DrainErrors()));
    }
    SSL_CTX_set_default_passwd_cb(ctx, PassphraseCallback);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<std::string*>(settings.key_pass));
    if (SSL_CTX_use_PrivateKey_file(ctx, settings.key->c_str(), SSL_FILETYPE_PEM) <= 0) {
      return fail(fmt::format("Failed to load private key: {}: {}", *settings.key, DrainErrors()));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return fail(fmt::format("Private key {} does not match certificate {}: {}", *settings.key,
                              *settings.cert, DrainErrors()));
    }
    // The callback's userdata points into the configuration, which CONFIG SET may change:
    // nothing after loading needs it.
    SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
  }
  if (!config.tls_ca_cert_file.empty() || !config.tls_ca_cert_dir.empty()) {
    const char* file = config.tls_ca_cert_file.empty() ? nullptr : config.tls_ca_cert_file.c_str();
    const char* dir = config.tls_ca_cert_dir.empty() ? nullptr : config.tls_ca_cert_dir.c_str();
    if (SSL_CTX_load_verify_locations(ctx, file, dir) <= 0) {
      return fail("Failed to configure CA certificate(s) file/directory: " + DrainErrors());
    }
  }
  // Peers are verified against the CA; an accepting session relaxes it per connection
  // (tls-auth-clients). No host name check: Redis does none either.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  if (!config.tls_ciphers.empty() &&
      SSL_CTX_set_cipher_list(ctx, config.tls_ciphers.c_str()) != 1) {
    return fail("Failed to configure ciphers: " + DrainErrors());
  }
  if (!config.tls_ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx, config.tls_ciphersuites.c_str()) != 1) {
    return fail("Failed to configure ciphersuites: " + DrainErrors());
  }
  if (settings.accept) {
    if (!config.tls_dh_params_file.empty()) {
      BIO* file = BIO_new_file(config.tls_dh_params_file.c_str(), "r");
      EVP_PKEY* params = file ? PEM_read_bio_Parameters(file, nullptr) : nullptr;
      if (file) BIO_free(file);
      if (params == nullptr) {
        return fail(fmt::format("Failed to load {}: {}", config.tls_dh_params_file, DrainErrors()));
      }
      if (SSL_CTX_set0_tmp_dh_pkey(ctx, params) != 1) {
        EVP_PKEY_free(params);
        return fail("Failed to load DH params file: " + DrainErrors());
      }
    } else {
      SSL_CTX_set_dh_auto(ctx, 1);
    }
  }
  return ctx;
}

}  // namespace

ClientCertificates ParseClientCertificates(const std::string& value) {
  if (value == "no") return ClientCertificates::kNone;
  if (value == "optional") return ClientCertificates::kOptional;
  return ClientCertificates::kRequired;
}

TlsContext::~TlsContext() {
  SSL_CTX_free(acceptor_);
  SSL_CTX_free(connector_);
}

bool TlsContext::Wanted(const Config& config) {
  return config.tls_port != 0 || config.tls_replication || config.gateway_tls_port != 0;
}

std::unique_ptr<TlsContext> TlsContext::Create(const Config& config, std::string* error) {
  // Redis's checks, in its words.
  if (config.tls_cert_file.empty()) {
    *error = "No tls-cert-file configured!";
    return nullptr;
  }
  if (config.tls_key_file.empty()) {
    *error = "No tls-key-file configured!";
    return nullptr;
  }
  bool needs_ca = config.tls_replication ||
                  (config.tls_port != 0 && config.tls_auth_clients != "no") ||
                  (config.gateway_tls_port != 0 && config.gateway_tls_auth_clients != "no");
  if (needs_ca && config.tls_ca_cert_file.empty() && config.tls_ca_cert_dir.empty()) {
    *error =
        "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, "
        "tls-replication or tls-auth-clients are enabled!";
    return nullptr;
  }
  std::unique_ptr<TlsContext> context(new TlsContext());
  context->acceptor_ = CreateContext(
      config, {true, &config.tls_cert_file, &config.tls_key_file, &config.tls_key_file_pass},
      error);
  if (context->acceptor_ == nullptr) return nullptr;
  bool own_client_cert = !config.tls_client_cert_file.empty();
  ContextSettings client{
      false, own_client_cert ? &config.tls_client_cert_file : &config.tls_cert_file,
      own_client_cert ? &config.tls_client_key_file : &config.tls_key_file,
      own_client_cert ? &config.tls_client_key_file_pass : &config.tls_key_file_pass};
  context->connector_ = CreateContext(config, client, error);
  if (context->connector_ == nullptr) return nullptr;
  return context;
}

TlsSession::TlsSession(SSL_CTX* context, Role role, ClientCertificates certificates) {
  ssl_ = SSL_new(context);
  if (ssl_ == nullptr) {
    error_ = DrainErrors();
    return;
  }
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (in_ == nullptr || out_ == nullptr) {
    BIO_free(in_);
    BIO_free(out_);
    in_ = out_ = nullptr;
    SSL_free(ssl_);
    ssl_ = nullptr;
    error_ = DrainErrors();
    return;
  }
  // An empty memory BIO reports "retry" rather than end of file.
  BIO_set_mem_eof_return(in_, -1);
  BIO_set_mem_eof_return(out_, -1);
  SSL_set_bio(ssl_, in_, out_);
  if (role == Role::kAccept) {
    if (certificates == ClientCertificates::kNone) {
      SSL_set_verify(ssl_, SSL_VERIFY_NONE, nullptr);
    } else if (certificates == ClientCertificates::kOptional) {
      SSL_set_verify(ssl_, SSL_VERIFY_PEER, nullptr);
    }
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
}

TlsSession::~TlsSession() { SSL_free(ssl_); }  // frees both BIOs too

void TlsSession::PutCiphertext(const char* data, size_t length) {
  // A memory BIO grows as needed; writing to it only fails when memory does.
  while (length > 0) {
    int chunk = static_cast<int>(std::min<size_t>(length, 1 << 30));
    int written = BIO_write(in_, data, chunk);
    if (written <= 0) return;
    data += written;
    length -= static_cast<size_t>(written);
  }
}

TlsSession::Status TlsSession::Fail(int result, const char* what) {
  int code = SSL_get_error(ssl_, result);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return Status::kWantMore;
  }
  if (code == SSL_ERROR_ZERO_RETURN) return Status::kClosed;
  if (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    error_ = fmt::format("{}: unexpected end of stream", what);
  } else {
    error_ = DrainErrors(what);
  }
  ERR_clear_error();
  return Status::kError;
}

TlsSession::Status TlsSession::Handshake() {
  if (established_) return Status::kOk;
  if (failed_) return Status::kError;  // error() keeps the first reason
  int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    established_ = true;
    return Status::kOk;
  }
  Status status = Fail(result, "handshake failed");
  if (status == Status::kError) {
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      error_ += fmt::format(" ({})", X509_verify_cert_error_string(verify));
    }
  }
  if (status == Status::kClosed) status = Status::kError;
  failed_ = status == Status::kError;
  return status;
}

size_t TlsSession::Read(char* buffer, size_t capacity, Status* status) {
  size_t read = 0;
  int result = SSL_read_ex(ssl_, buffer, capacity, &read);
  if (result == 1 && read > 0) {
    *status = Status::kOk;
    return read;
  }
  *status = Fail(result, "read failed");
  return 0;
}

bool TlsSession::Write(const char* data, size_t length) {
  while (length > 0) {
    size_t written = 0;
    if (SSL_write_ex(ssl_, data, length, &written) != 1) {
      Fail(0, "write failed");
      return false;
    }
    data += written;
    length -= written;
  }
  return true;
}

void TlsSession::Shutdown() {
  if (ssl_ != nullptr && established_) SSL_shutdown(ssl_);
  ERR_clear_error();
}

size_t TlsSession::pending() const { return out_ == nullptr ? 0 : BIO_ctrl_pending(out_); }

void TlsSession::TakeCiphertext(std::string* out) {
  size_t length = pending();
  if (length == 0) return;
  size_t old = out->size();
  out->resize(old + length);
  int read = BIO_read(out_, out->data() + old, static_cast<int>(length));
  out->resize(old + static_cast<size_t>(read > 0 ? read : 0));
}

std::string TlsSession::protocol() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

std::string TlsSession::cipher() const {
  const char* name = ssl_ ? SSL_get_cipher_name(ssl_) : nullptr;
  return name ? name : "";
}

}  // namespace herald::server
