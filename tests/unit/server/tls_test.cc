#include "server/tls.h"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace herald::server {
namespace {

// A temporary directory with a P-256 key and a self-signed certificate made with OpenSSL's API
// (the integration tests make theirs with the openssl command), and a second, unrelated pair.
struct Certificates {
  std::string dir;
  Certificates() {
    char pattern[] = "/tmp/herald-tls-unit-XXXXXX";
    dir = mkdtemp(pattern);
    Make("a");
    Make("b");
  }
  ~Certificates() {
    for (const char* name : {"a.crt", "a.key", "b.crt", "b.key", "junk.pem"}) {
      unlink((dir + "/" + name).c_str());
    }
    rmdir(dir.c_str());
  }
  std::string path(const char* name) const { return dir + "/" + name; }

  void Make(const std::string& name) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    REQUIRE(key != nullptr);
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* subject = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert, subject);
    REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0);
    FILE* file = std::fopen(path((name + ".crt").c_str()).c_str(), "w");
    PEM_write_X509(file, cert);
    std::fclose(file);
    file = std::fopen(path((name + ".key").c_str()).c_str(), "w");
    PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(file);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

// The configuration of a node whose certificate is `name` and which trusts `ca`.
config::Config TlsConfig(const Certificates& certs, const char* name, const char* ca) {
  config::Config config;
  config.tls_port = 6380;
  config.tls_cert_file = certs.path((std::string(name) + ".crt").c_str());
  config.tls_key_file = certs.path((std::string(name) + ".key").c_str());
  config.tls_ca_cert_file = certs.path((std::string(ca) + ".crt").c_str());
  return config;
}

// Moves ciphertext both ways until neither side has anything to send.
void Pump(TlsSession& a, TlsSession& b) {
  for (int round = 0; round < 20; ++round) {
    std::string a_out;
    std::string b_out;
    a.TakeCiphertext(&a_out);
    b.TakeCiphertext(&b_out);
    if (a_out.empty() && b_out.empty()) return;
    b.PutCiphertext(a_out.data(), a_out.size());
    a.PutCiphertext(b_out.data(), b_out.size());
    if (!a.established()) a.Handshake();
    if (!b.established()) b.Handshake();
  }
}

std::string ReadAll(TlsSession& session) {
  std::string out;
  char buffer[4096];
  TlsSession::Status status = TlsSession::Status::kOk;
  while (size_t n = session.Read(buffer, sizeof(buffer), &status)) out.append(buffer, n);
  CHECK(status == TlsSession::Status::kWantMore);
  return out;
}

TEST_CASE("a handshake over memory, then data both ways, large and small") {
  Certificates certs;
  std::string error;
  auto server_ctx = TlsContext::Create(TlsConfig(certs, "a", "a"), &error);
  REQUIRE_MESSAGE(server_ctx != nullptr, error);
  TlsSession server(server_ctx->acceptor(), TlsSession::Role::kAccept,
                    ClientCertificates::kRequired);
  // The client presents the same certificate, which the server trusts.
  TlsSession client(server_ctx->connector(), TlsSession::Role::kConnect,
                    ClientCertificates::kRequired);
  REQUIRE(client.Handshake() == TlsSession::Status::kWantMore);
  Pump(client, server);
  REQUIRE(client.established());
  REQUIRE(server.established());
  CHECK(server.protocol() == "TLSv1.3");
  CHECK(!server.cipher().empty());

  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  REQUIRE(server.Write("+PONG\r\n", 7));
  REQUIRE(server.Write(big.data(), big.size()));
  REQUIRE(client.Write("PING\r\n", 6));
  Pump(client, server);
  CHECK(ReadAll(server) == "PING\r\n");
  CHECK(ReadAll(client) == "+PONG\r\n" + big);

  // A close_notify reads as kClosed on the other side.
  server.Shutdown();
  Pump(client, server);
  char buffer[16];
  TlsSession::Status status;
  CHECK(client.Read(buffer, sizeof(buffer), &status) == 0);
  CHECK(status == TlsSession::Status::kClosed);
}

TEST_CASE("garbage, an untrusted certificate and a missing one fail the handshake") {
  Certificates certs;
  std::string error;
  auto server_ctx = TlsContext::Create(TlsConfig(certs, "a", "a"), &error);
  auto stranger_ctx = TlsContext::Create(TlsConfig(certs, "b", "b"), &error);
  REQUIRE(server_ctx != nullptr);
  REQUIRE(stranger_ctx != nullptr);

  SUBCASE("garbage") {
    TlsSession server(server_ctx->acceptor(), TlsSession::Role::kAccept,
                      ClientCertificates::kRequired);
    std::string junk = "*1\r\n$4\r\nPING\r\n";
    server.PutCiphertext(junk.data(), junk.size());
    CHECK(server.Handshake() == TlsSession::Status::kError);
    CHECK(!server.error().empty());
  }
  SUBCASE("the client does not trust the server") {
    TlsSession server(server_ctx->acceptor(), TlsSession::Role::kAccept, ClientCertificates::kNone);
    TlsSession client(stranger_ctx->connector(), TlsSession::Role::kConnect,
                      ClientCertificates::kRequired);
    client.Handshake();
    Pump(client, server);
    CHECK(!client.established());
    CHECK_MESSAGE(client.error().find("certificate verify failed") != std::string::npos,
                  client.error());
  }
  SUBCASE("the server does not trust the client, unless certificates are not asked for") {
    for (auto mode : {ClientCertificates::kRequired, ClientCertificates::kNone}) {
      TlsSession server(server_ctx->acceptor(), TlsSession::Role::kAccept, mode);
      config::Config config = TlsConfig(certs, "b", "a");  // b's certificate, trusts a
      auto client_ctx = TlsContext::Create(config, &error);
      REQUIRE(client_ctx != nullptr);
      TlsSession client(client_ctx->connector(), TlsSession::Role::kConnect,
                        ClientCertificates::kRequired);
      client.Handshake();
      Pump(client, server);
      // TLS 1.3: the client is done before the server has judged its certificate.
      std::string ping = "PING\r\n";
      if (client.established()) client.Write(ping.data(), ping.size());
      Pump(client, server);
      if (mode == ClientCertificates::kRequired) {
        CHECK(!server.established());
      } else {
        CHECK(server.established());
        CHECK(ReadAll(server) == ping);
      }
    }
  }
}

TEST_CASE("configuration errors are Redis's") {
  Certificates certs;
  std::string error;
  config::Config config = TlsConfig(certs, "a", "a");
  config.tls_cert_file.clear();
  CHECK(TlsContext::Create(config, &error) == nullptr);
  CHECK(error == "No tls-cert-file configured!");

  config = TlsConfig(certs, "a", "a");
  config.tls_ca_cert_file.clear();
  CHECK(TlsContext::Create(config, &error) == nullptr);
  CHECK(error.starts_with("Either tls-ca-cert-file or tls-ca-cert-dir must be specified"));
  config.tls_auth_clients = "no";
  CHECK(TlsContext::Create(config, &error) != nullptr);

  config = TlsConfig(certs, "a", "a");
  config.tls_protocols = "TLSv1.2 SSLv3";
  CHECK(TlsContext::Create(config, &error) == nullptr);
  CHECK(error.starts_with("Invalid tls-protocols specified."));

  config = TlsConfig(certs, "a", "a");
  config.tls_key_file = certs.path("b.key");
  CHECK(TlsContext::Create(config, &error) == nullptr);
  CHECK(error.starts_with("Failed to load private key: "));

  config = TlsConfig(certs, "a", "a");
  config.tls_ciphersuites = "NOT_A_SUITE";
  CHECK(TlsContext::Create(config, &error) == nullptr);
  CHECK(error.starts_with("Failed to configure ciphersuites"));
}

}  // namespace
}  // namespace herald::server
