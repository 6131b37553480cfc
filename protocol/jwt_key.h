#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

// OpenSSL's key type, declared here so that this header does not pull in OpenSSL's.
struct evp_pkey_st;

// Keys for JSON Web Signatures (RFC 7515) with the algorithms of RFC 7518 section 3 that herald
// supports. A key belongs to one family (HMAC secret, RSA key, EC P-256 key) and only ever
// verifies or signs with the algorithms of that family, so the classic algorithm confusion
// (an HS256 token "signed" with an RSA public key's PEM text as HMAC secret) cannot happen: an
// HS* token never meets an RSA or EC key, and an HMAC secret that looks like PEM is refused.
namespace herald::protocol {

// The JWS "alg" values herald knows. "none" is deliberately absent.
enum class JwtAlg : uint8_t {
  kHs256,  // HMAC SHA-256
  kHs384,
  kHs512,
  kRs256,  // RSASSA-PKCS1-v1_5 SHA-256
  kRs384,
  kRs512,
  kEs256,  // ECDSA P-256 SHA-256; JOSE signatures are r||s, 32 bytes each
};

enum class JwtKeyFamily : uint8_t { kHmac, kRsa, kEcP256 };

// "HS256", "RS512", ... (the JWS spelling).
std::string_view JwtAlgName(JwtAlg alg);
// The algorithm named `name` (case sensitive, as RFC 7515 requires), or nullopt.
std::optional<JwtAlg> ParseJwtAlg(std::string_view name);
// The family an algorithm's keys belong to.
JwtKeyFamily JwtAlgFamily(JwtAlg alg);

// A verification (and, when loaded from a private key or an HMAC secret, signing) key. Cheap to
// copy: copies share the immutable key material. An HMAC secret is wiped from memory when the
// last copy goes away.
class JwtKey {
 public:
  // An HMAC secret (the bytes as given, not base64) for HS256/384/512. Fails, with a sentence in
  // *error, for an empty secret and for one that holds a PEM block ("-----BEGIN"): that is an
  // RSA/EC key configured in the wrong place, and accepting it is how algorithm confusion
  // attacks start. RFC 7518 wants at least as many bytes as the hash output (32 for HS256); this
  // is not enforced, so that tokens of existing deployments keep working.
  static std::optional<JwtKey> Hmac(std::string_view secret, std::string* error);

  // A public key from PEM text: "PUBLIC KEY" (SubjectPublicKeyInfo, as `openssl pkey -pubout`
  // writes), "RSA PUBLIC KEY" (PKCS#1) or "CERTIFICATE" (its public key; the certificate itself
  // is not checked). RSA keys must have at least 2048 bits (RFC 7518 section 3.3); EC keys must
  // be on P-256. The first PEM block is used. Fails with a sentence in *error (a private key,
  // another key type or curve, a short RSA key, text that is not PEM).
  static std::optional<JwtKey> FromPublicPem(std::string_view pem, std::string* error);

  // A private RSA or EC P-256 key from unencrypted PEM ("PRIVATE KEY", "RSA PRIVATE KEY",
  // "EC PRIVATE KEY"), for SignJws (tests, tools). It verifies too. Encrypted keys fail (no
  // passphrase is ever asked for).
  static std::optional<JwtKey> FromPrivatePem(std::string_view pem, std::string* error);

  JwtKeyFamily family() const { return family_; }

  // The key id that a token's "kid" header must carry to select this key; empty (the default)
  // makes the key a candidate for every token (see VerifyJwt).
  const std::string& kid() const { return kid_; }
  void set_kid(std::string kid) { kid_ = std::move(kid); }

  // Restricts the key to one algorithm of its family (a JWK's "alg"). Returns false, changing
  // nothing, if `alg` belongs to another family.
  bool RestrictTo(JwtAlg alg);

  // Whether the key may be used with `alg`: its family, and its restriction if any.
  bool Allows(JwtAlg alg) const;

  // Whether Sign() can work: an HMAC secret or a private key.
  bool can_sign() const { return family_ == JwtKeyFamily::kHmac || has_private_; }

  // Checks a JWS signature (the decoded bytes of the third part) over `signing_input` (the
  // ASCII "header.payload"). False when the key does not allow `alg`, the signature is wrong,
  // or OpenSSL fails. HMAC tags are compared in constant time (CRYPTO_memcmp); an ES256
  // signature must be exactly 64 bytes (r||s), any other size is false.
  bool Verify(JwtAlg alg, std::string_view signing_input, std::string_view signature) const;

  // Signs `signing_input` with `alg` and returns the raw JWS signature (r||s for ES256); empty
  // when the key does not allow `alg`, cannot sign, or OpenSSL fails.
  std::string Sign(JwtAlg alg, std::string_view signing_input) const;

 private:
  JwtKey() = default;

  JwtKeyFamily family_ = JwtKeyFamily::kHmac;
  std::optional<JwtAlg> only_alg_;
  bool has_private_ = false;
  std::string kid_;
  std::shared_ptr<const std::string> secret_;  // kHmac
  std::shared_ptr<evp_pkey_st> pkey_;          // kRsa, kEcP256
};

}  // namespace herald::protocol
