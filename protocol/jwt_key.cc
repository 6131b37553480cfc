#include "protocol/jwt_key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <climits>
#include <cstring>
#include <utility>

namespace herald::protocol {
namespace {

constexpr int kMinRsaBits = 2048;
constexpr size_t kEs256Half = 32;  // bytes of r and of s in a JOSE ES256 signature

struct AlgInfo {
  JwtAlg alg;
  std::string_view name;
  JwtKeyFamily family;
};

constexpr std::array<AlgInfo, 7> kAlgs = {{
    {JwtAlg::kHs256, "HS256", JwtKeyFamily::kHmac},
    {JwtAlg::kHs384, "HS384", JwtKeyFamily::kHmac},
    {JwtAlg::kHs512, "HS512", JwtKeyFamily::kHmac},
    {JwtAlg::kRs256, "RS256", JwtKeyFamily::kRsa},
    {JwtAlg::kRs384, "RS384", JwtKeyFamily::kRsa},
    {JwtAlg::kRs512, "RS512", JwtKeyFamily::kRsa},
    {JwtAlg::kEs256, "ES256", JwtKeyFamily::kEcP256},
}};

const EVP_MD* Digest(JwtAlg alg) {
  switch (alg) {
    case JwtAlg::kHs256:
    case JwtAlg::kRs256:
    case JwtAlg::kEs256:
      return EVP_sha256();
    case JwtAlg::kHs384:
    case JwtAlg::kRs384:
      return EVP_sha384();
    case JwtAlg::kHs512:
    case JwtAlg::kRs512:
      return EVP_sha512();
  }
  return nullptr;
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct DecoderFree {
  void operator()(OSSL_DECODER_CTX* ctx) const { OSSL_DECODER_CTX_free(ctx); }
};

std::shared_ptr<evp_pkey_st> Own(EVP_PKEY* pkey) {
  return std::shared_ptr<evp_pkey_st>(pkey, [](EVP_PKEY* p) { EVP_PKEY_free(p); });
}

// The reason of OpenSSL's last error (for messages), and an empty error queue afterwards, so
// that a failed load leaves nothing behind for unrelated OpenSSL users (TLS) to trip over.
std::string TakeOpensslReason() {
  const unsigned long code = ERR_peek_last_error();
  std::string reason;
  if (code != 0) {
    const char* text = ERR_reason_error_string(code);
    if (text != nullptr) reason = text;
  }
  ERR_clear_error();
  return reason;
}

// The label of the first PEM block ("PUBLIC KEY" for "-----BEGIN PUBLIC KEY-----"), or empty.
std::string_view PemLabel(std::string_view pem) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  const size_t begin = pem.find(kBegin);
  if (begin == std::string_view::npos) return {};
  const size_t start = begin + kBegin.size();
  const size_t end = pem.find("-----", start);
  if (end == std::string_view::npos) return {};
  return pem.substr(start, end - start);
}

std::unique_ptr<BIO, BioFree> MemBio(std::string_view pem) {
  if (pem.size() > INT_MAX) return nullptr;
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Never prompts for a passphrase: encrypted keys simply fail to load.
int NoPassphrase(char*, int, int, void*) { return -1; }

// Checks that `pkey` is a supported RSA or EC P-256 key and sets *family.
bool CheckKeyType(EVP_PKEY* pkey, JwtKeyFamily* family, std::string* error) {
  const int type = EVP_PKEY_get_base_id(pkey);
  if (type == EVP_PKEY_RSA) {
    const int bits = EVP_PKEY_get_bits(pkey);
    if (bits < kMinRsaBits) {
      *error = "RSA key of " + std::to_string(bits) + " bits: JWT needs at least 2048 bits";
      return false;
    }
    *family = JwtKeyFamily::kRsa;
    return true;
  }
  if (type == EVP_PKEY_EC) {
    char group[64] = {};
    size_t length = 0;
    if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &length) != 1 ||
        std::string_view(group, length) != SN_X9_62_prime256v1) {
      ERR_clear_error();
      *error = "EC key on curve " + std::string(group, length) +
               ": only P-256 (prime256v1, for ES256) is supported";
      return false;
    }
    *family = JwtKeyFamily::kEcP256;
    return true;
  }
  const char* name = OBJ_nid2sn(type);
  *error = std::string("unsupported key type ") + (name != nullptr ? name : "unknown") +
           ": only RSA (RS256/384/512) and EC P-256 (ES256) keys are supported";
  return false;
}

// JOSE r||s (64 bytes) to the DER ECDSA-Sig-Value OpenSSL verifies; empty on failure.
std::string JoseToDer(std::string_view jose) {
  if (jose.size() != 2 * kEs256Half) return {};
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  if (!sig) return {};
  const auto* bytes = reinterpret_cast<const unsigned char*>(jose.data());
  BIGNUM* r = BN_bin2bn(bytes, kEs256Half, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kEs256Half, kEs256Half, nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return {};
  std::string der(static_cast<size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != size) return {};
  return der;
}

// DER ECDSA-Sig-Value to JOSE r||s; empty on failure.
std::string DerToJose(std::string_view der) {
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(
      d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));
  if (!sig) return {};
  std::string jose(2 * kEs256Half, '\0');
  auto* out = reinterpret_cast<unsigned char*>(jose.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, kEs256Half) != kEs256Half ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + kEs256Half, kEs256Half) != kEs256Half) {
    return {};
  }
  return jose;
}

std::string HmacTag(JwtAlg alg, const std::string& secret, std::string_view input) {
  unsigned char tag[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(Digest(alg), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), tag,
           &size) == nullptr) {
    ERR_clear_error();
    return {};
  }
  return std::string(reinterpret_cast<const char*>(tag), size);
}

}  // namespace

std::string_view JwtAlgName(JwtAlg alg) {
  for (const AlgInfo& info : kAlgs) {
    if (info.alg == alg) return info.name;
  }
  return "?";
}

std::optional<JwtAlg> ParseJwtAlg(std::string_view name) {
  for (const AlgInfo& info : kAlgs) {
    if (info.name == name) return info.alg;
  }
  return std::nullopt;
}

JwtKeyFamily JwtAlgFamily(JwtAlg alg) {
  for (const AlgInfo& info : kAlgs) {
    if (info.alg == alg) return info.family;
  }
  return JwtKeyFamily::kHmac;
}

std::optional<JwtKey> JwtKey::Hmac(std::string_view secret, std::string* error) {
  if (secret.empty()) {
    *error = "the HMAC secret is empty";
    return std::nullopt;
  }
  if (secret.find("-----BEGIN") != std::string_view::npos) {
    *error =
        "the HMAC secret holds a PEM block: configure RSA and EC keys as public keys, never as "
        "HMAC secrets";
    return std::nullopt;
  }
  JwtKey key;
  key.family_ = JwtKeyFamily::kHmac;
  key.secret_ = std::shared_ptr<const std::string>(new std::string(secret), [](std::string* s) {
    OPENSSL_cleanse(s->data(), s->size());
    delete s;
  });
  return key;
}

std::optional<JwtKey> JwtKey::FromPublicPem(std::string_view pem, std::string* error) {
  const std::string_view label = PemLabel(pem);
  if (label.empty()) {
    *error = "not PEM text (no -----BEGIN line)";
    return std::nullopt;
  }
  if (label.find("PRIVATE KEY") != std::string_view::npos) {
    *error =
        "the PEM block is a private key: give the public key (openssl pkey -in key.pem -pubout)";
    return std::nullopt;
  }
  auto bio = MemBio(pem);
  if (!bio) {
    *error = "out of memory";
    return std::nullopt;
  }
  EVP_PKEY* raw = nullptr;
  if (label == "CERTIFICATE") {
    std::unique_ptr<X509, X509Free> cert(
        PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
    if (cert) raw = X509_get_pubkey(cert.get());
  } else if (label == "PUBLIC KEY" || label == "RSA PUBLIC KEY") {
    // The decoder reads both SubjectPublicKeyInfo and PKCS#1 RSAPublicKey.
    std::unique_ptr<OSSL_DECODER_CTX, DecoderFree> decoder(OSSL_DECODER_CTX_new_for_pkey(
        &raw, "PEM", nullptr, nullptr, EVP_PKEY_PUBLIC_KEY, nullptr, nullptr));
    if (decoder && OSSL_DECODER_from_bio(decoder.get(), bio.get()) != 1) raw = nullptr;
  } else {
    *error = "PEM block \"" + std::string(label) +
             "\": expected PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE";
    return std::nullopt;
  }
  if (raw == nullptr) {
    const std::string reason = TakeOpensslReason();
    *error = "cannot read the " + std::string(label) + " PEM block" +
             (reason.empty() ? "" : ": " + reason);
    return std::nullopt;
  }
  JwtKey key;
  key.pkey_ = Own(raw);
  if (!CheckKeyType(raw, &key.family_, error)) return std::nullopt;
  return key;
}

std::optional<JwtKey> JwtKey::FromPrivatePem(std::string_view pem, std::string* error) {
  const std::string_view label = PemLabel(pem);
  if (label.empty()) {
    *error = "not PEM text (no -----BEGIN line)";
    return std::nullopt;
  }
  auto bio = MemBio(pem);
  if (!bio) {
    *error = "out of memory";
    return std::nullopt;
  }
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr);
  if (raw == nullptr) {
    const std::string reason = TakeOpensslReason();
    *error = "cannot read a private key from the " + std::string(label) + " PEM block" +
             (reason.empty() ? "" : ": " + reason);
    return std::nullopt;
  }
  JwtKey key;
  key.pkey_ = Own(raw);
  key.has_private_ = true;
  if (!CheckKeyType(raw, &key.family_, error)) return std::nullopt;
  return key;
}

bool JwtKey::RestrictTo(JwtAlg alg) {
  if (JwtAlgFamily(alg) != family_) return false;
  only_alg_ = alg;
  return true;
}

bool JwtKey::Allows(JwtAlg alg) const {
  return JwtAlgFamily(alg) == family_ && (!only_alg_ || *only_alg_ == alg);
}

bool JwtKey::Verify(JwtAlg alg, std::string_view signing_input, std::string_view signature) const {
  if (!Allows(alg)) return false;
  if (family_ == JwtKeyFamily::kHmac) {
    const std::string tag = HmacTag(alg, *secret_, signing_input);
    return !tag.empty() && tag.size() == signature.size() &&
           CRYPTO_memcmp(tag.data(), signature.data(), tag.size()) == 0;
  }
  std::string der;
  if (family_ == JwtKeyFamily::kEcP256) {
    der = JoseToDer(signature);
    if (der.empty()) {
      ERR_clear_error();
      return false;
    }
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, Digest(alg), nullptr, pkey_.get()) == 1 &&
      EVP_DigestVerify(
          ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::string JwtKey::Sign(JwtAlg alg, std::string_view signing_input) const {
  if (!Allows(alg) || !can_sign()) return {};
  if (family_ == JwtKeyFamily::kHmac) return HmacTag(alg, *secret_, signing_input);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t size = 0;
  const auto* input = reinterpret_cast<const unsigned char*>(signing_input.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, Digest(alg), nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, input, signing_input.size()) != 1) {
    ERR_clear_error();
    return {};
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, input,
                     signing_input.size()) != 1) {
    ERR_clear_error();
    return {};
  }
  signature.resize(size);
  if (family_ == JwtKeyFamily::kEcP256) signature = DerToJose(signature);
  ERR_clear_error();
  return signature;
}

}  // namespace herald::protocol
