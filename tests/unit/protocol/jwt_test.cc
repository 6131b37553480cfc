#include "protocol/jwt.h"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/jwt_key.h"
#include "tests/unit/protocol/jwt_test_keys.h"

namespace herald::protocol {
namespace {

using namespace std::literals;

constexpr int64_t kNow = 1'700'000'000;
constexpr int64_t kFar = 4'102'444'800;  // 2100-01-01, the exp of the python3-jwt tokens

// Tokens made by python3-jwt 2.6 (see jwt_test_keys.h):
//   jwt.encode({"sub": "alice", "exp": 4102444800, "herald": {"subscribe": ["news.*"],
//               "publish": ["chat.alice"]}}, "secret", algorithm="HS256")
constexpr std::string_view kPyHs256 =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMCwiaGVyYWxkIjp7"
    "InN1YnNjcmliZSI6WyJuZXdzLioiXSwicHVibGlzaCI6WyJjaGF0LmFsaWNlIl19fQ.e_zhHXpbio_uMxK7ZNBB8ulPb-"
    "1sI4vh0KdDMIdkWhs";
//   jwt.encode({"sub": "bob", "exp": 4102444800, "iat": 1700000000, "aud": ["herald", "x"],
//               "iss": "https://auth.example"}, "secret", algorithm="HS512")
constexpr std::string_view kPyHs512 =
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJib2IiLCJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTcwMDAw"
    "MDAwMCwiYXVkIjpbImhlcmFsZCIsIngiXSwiaXNzIjoiaHR0cHM6Ly9hdXRoLmV4YW1wbGUifQ.1wrHj4VfW7PoFmSzyg"
    "lE5miYdtzQjWiAC4gD3I1J2TDOKBCcRC_Go5g4K9cnhYM9kJlUOPZvjaNM0l8IJYu71w";
//   the HS256 claims, RS256 with kRsaPem, headers={"kid": "rsa1"}
constexpr std::string_view kPyRs256 =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYTEiLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0ND"
    "gwMCwiaGVyYWxkIjp7InN1YnNjcmliZSI6WyJuZXdzLioiXSwicHVibGlzaCI6WyJjaGF0LmFsaWNlIl19fQ.K9J_PVlL"
    "oMLNy81SruK-9Vx26YIZgntoQ65xxvK5RnYtxUG35plMpLrDeGus8A0uABsVmq9VGjtEZ56Bt2a8CwT1xt4qLjekktsJ5R"
    "bajOVvSoCO4oBA_r67_VikdiT6lzuDoM_yOGaqsGZZZjBXIb9hcwZpE0piGnNE1Ex6OZIo3N6vQGLycqz0tCOC8ZZv9NdW"
    "IKdVoCew6qk2Cm68UeW7Do0dhquAVqDzjh8ncm4J5N9S0lUbRI4kqNWu_a-5UCrxpfvePiWcgFUfVUzekt8xIF3RoC5OFi"
    "PRJngNy3F8CqV0wRGGNUjMoTKu-4twwIL8O6yo5pxc8mXh9WeN-A";
//   jwt.encode({"exp": 4102444800}, kRsaPem, algorithm="RS384")
constexpr std::string_view kPyRs384 =
    "eyJhbGciOiJSUzM4NCIsInR5cCI6IkpXVCJ9.eyJleHAiOjQxMDI0NDQ4MDB9.QWStqfAmB4rwEGHIhxHr014f0skNROK"
    "dvmCjyg7xzRp6N8nru89plB6tWPApGdZwGEc7vFJLYWN2IdkgLqxfn8Obc2XuX78fmZVE0W0Mu9_q-AdZJQMlPu2-6tzIP"
    "lcFSUH8fCY3aZfwEZ0HIH6X0tTsTOStkB6HK23O0M1vRvnJJRqC3uV71t0Nw_CDoO8phoFeGwzAVDDnMOsz4Mu3LTBjmhj"
    "mRfdfyDw7z-J_E18G6WxDWL-I6iHwTxbNCiWEcSU0v0YM9k5LPNkxJGfB4uyX8JEPbOEpju11-aTjVJwImWHj9wy7EN7WK"
    "9ucnn2r1scAzXz3gM9eHcCglDA1xg";
//   jwt.encode({"sub": "carol", "exp": 4102444800, "mercure": {"subscribe": ["*"],
//               "publish": ["room.1"], "payload": {"a": 1}}}, kEcPem, algorithm="ES256")
constexpr std::string_view kPyEs256 =
    "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjYXJvbCIsImV4cCI6NDEwMjQ0NDgwMCwibWVyY3VyZSI6"
    "eyJzdWJzY3JpYmUiOlsiKiJdLCJwdWJsaXNoIjpbInJvb20uMSJdLCJwYXlsb2FkIjp7ImEiOjF9fX0.l2UTfs3CBGK5f1"
    "RlyZRi_QEuHOXCPqNDLXi0qBS-iz1O41CpqE4zYt5D9p85O2EKsWZSODErNAmeVqt1eC6i0Q";

JwtKey MustHmac(std::string_view secret) {
  std::string error;
  auto key = JwtKey::Hmac(secret, &error);
  REQUIRE_MESSAGE(key.has_value(), error);
  return *key;
}

JwtKey MustPublic(std::string_view pem) {
  std::string error;
  auto key = JwtKey::FromPublicPem(pem, &error);
  REQUIRE_MESSAGE(key.has_value(), error);
  return *key;
}

JwtKey MustPrivate(std::string_view pem) {
  std::string error;
  auto key = JwtKey::FromPrivatePem(pem, &error);
  REQUIRE_MESSAGE(key.has_value(), error);
  return *key;
}

std::string PublicError(std::string_view pem) {
  std::string error;
  CHECK_FALSE(JwtKey::FromPublicPem(pem, &error).has_value());
  return error;
}

JwtOptions Lenient() {
  JwtOptions options;
  options.require_expiry = false;
  return options;
}

JwtError Verify(std::string_view token, const std::vector<JwtKey>& keys,
                const JwtOptions& options = Lenient(), int64_t now = kNow) {
  return VerifyJwt(token, keys, options, now).error;
}

// An HS256 token over arbitrary header and payload text, signed with "secret".
std::string Hs(std::string_view header, std::string_view payload) {
  return SignJws(header, payload, MustHmac("secret"), JwtAlg::kHs256);
}
std::string Claims(std::string_view payload) { return Hs(R"({"alg":"HS256"})", payload); }

const std::vector<JwtKey>& Secret() {
  static const std::vector<JwtKey> keys = {MustHmac("secret")};
  return keys;
}

TEST_CASE("jwt: every error has a distinct stable name and a message") {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kJwtErrorCount; ++i) {
    const auto error = static_cast<JwtError>(i);
    const std::string_view name = JwtErrorName(error);
    CAPTURE(name);
    CHECK(names.insert(name).second);
    CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") ==
          std::string_view::npos);
    CHECK_FALSE(JwtErrorMessage(error).empty());
  }
  CHECK(names.size() >= 25);
  CHECK(JwtErrorName(JwtError::kOk) == "ok");
  CHECK(JwtErrorName(JwtError::kExpired) == "expired");
  CHECK(JwtErrorName(JwtError::kBadSignature) == "bad_signature");
  CHECK(JwtErrorName(JwtError::kInternal) == "internal");
}

TEST_CASE("jwt: base64url round trips and refuses non-canonical text") {
  std::string out;
  for (std::string_view bytes :
       {""sv, "f"sv, "fo"sv, "foo"sv, "foob"sv, "fooba"sv, "foobar"sv, "\xff\xfe\xfd\x00\x01"sv}) {
    const std::string text = Base64UrlEncode(bytes);
    CHECK(text.find_first_of("+/=") == std::string::npos);
    REQUIRE(Base64UrlDecode(text, &out));
    CHECK(out == bytes);
  }
  CHECK(Base64UrlEncode("\xfb\xff") == "-_8");
  CHECK(Base64UrlEncode("foob") == "Zm9vYg");
  CHECK_FALSE(Base64UrlDecode("Zm9vYg==", &out));  // padding
  CHECK_FALSE(Base64UrlDecode("Zm9v+g", &out));    // base64, not base64url
  CHECK_FALSE(Base64UrlDecode("Zm9v/g", &out));
  CHECK_FALSE(Base64UrlDecode("Zm9 v", &out));
  CHECK_FALSE(Base64UrlDecode("Zm9vY", &out));   // 4n+1
  CHECK_FALSE(Base64UrlDecode("Zm9vYh", &out));  // unused bits set
  CHECK_FALSE(Base64UrlDecode("Zm9vYmF", &out));
  CHECK(Base64UrlDecode("Zm9vYmE", &out));
  CHECK(out == "fooba");
}

TEST_CASE("jwt: algorithm names") {
  for (JwtAlg alg : {JwtAlg::kHs256, JwtAlg::kHs384, JwtAlg::kHs512, JwtAlg::kRs256, JwtAlg::kRs384,
                     JwtAlg::kRs512, JwtAlg::kEs256}) {
    CHECK(ParseJwtAlg(JwtAlgName(alg)) == alg);
  }
  CHECK_FALSE(ParseJwtAlg("hs256").has_value());
  CHECK_FALSE(ParseJwtAlg("none").has_value());
  CHECK_FALSE(ParseJwtAlg("PS256").has_value());
  CHECK(JwtAlgFamily(JwtAlg::kRs512) == JwtKeyFamily::kRsa);
  CHECK(JwtAlgFamily(JwtAlg::kEs256) == JwtKeyFamily::kEcP256);
}

TEST_CASE("jwt_key: loading keys, with clear errors") {
  std::string error;
  CHECK(MustPublic(testkeys::kRsaPubPem).family() == JwtKeyFamily::kRsa);
  CHECK(MustPublic(testkeys::kRsaPubPkcs1Pem).family() == JwtKeyFamily::kRsa);
  CHECK(MustPublic(testkeys::kEcPubPem).family() == JwtKeyFamily::kEcP256);
  CHECK_FALSE(MustPublic(testkeys::kEcPubPem).can_sign());
  CHECK(MustPrivate(testkeys::kEcPem).can_sign());
  CHECK(MustPrivate(testkeys::kRsaPem).family() == JwtKeyFamily::kRsa);
  CHECK(MustHmac("x").can_sign());

  CHECK(PublicError("hello") == "not PEM text (no -----BEGIN line)");
  CHECK(PublicError(testkeys::kRsaPem).find("private key") != std::string::npos);
  CHECK(PublicError(testkeys::kRsa1024PubPem).find("1024 bits") != std::string::npos);
  CHECK(PublicError(testkeys::kEc384PubPem).find("secp384r1") != std::string::npos);
  CHECK(PublicError(testkeys::kEdPubPem).find("unsupported key type ED25519") != std::string::npos);
  CHECK(PublicError("-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n")
            .find("cannot read the PUBLIC KEY") != std::string::npos);
  CHECK(PublicError("-----BEGIN DH PARAMETERS-----\n-----END DH PARAMETERS-----\n")
            .find("expected PUBLIC KEY") != std::string::npos);
  CHECK_FALSE(JwtKey::FromPrivatePem(testkeys::kRsaPubPem, &error).has_value());
  CHECK(error.find("cannot read a private key") != std::string::npos);
  CHECK_FALSE(JwtKey::FromPrivatePem("", &error).has_value());

  CHECK_FALSE(JwtKey::Hmac("", &error).has_value());
  CHECK(error == "the HMAC secret is empty");
  // The algorithm-confusion guard: an RSA public key is never an HMAC secret.
  CHECK_FALSE(JwtKey::Hmac(testkeys::kRsaPubPem, &error).has_value());
  CHECK(error.find("PEM") != std::string::npos);

  JwtKey key = MustHmac("secret");
  CHECK(key.Allows(JwtAlg::kHs384));
  CHECK_FALSE(key.Allows(JwtAlg::kRs256));
  CHECK_FALSE(key.RestrictTo(JwtAlg::kEs256));
  CHECK(key.RestrictTo(JwtAlg::kHs512));
  CHECK_FALSE(key.Allows(JwtAlg::kHs256));
  CHECK(key.Allows(JwtAlg::kHs512));
}

// The PEM text OpenSSL writes for `pkey` (private in the traditional "EC PRIVATE KEY" form, or
// the SubjectPublicKeyInfo public key).
std::string ToPem(EVP_PKEY* pkey, bool private_key) {
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(bio != nullptr);
  const int ok = private_key ? PEM_write_bio_PrivateKey_traditional(bio, pkey, nullptr, nullptr, 0,
                                                                    nullptr, nullptr)
                             : PEM_write_bio_PUBKEY(bio, pkey);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  REQUIRE(ok == 1);
  return pem;
}

TEST_CASE("jwt_key: a P-256 key made at test time, and a certificate") {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  REQUIRE(pkey != nullptr);
  const std::string private_pem = ToPem(pkey, true);
  const std::string public_pem = ToPem(pkey, false);
  EVP_PKEY_free(pkey);
  CHECK(private_pem.find("BEGIN EC PRIVATE KEY") != std::string::npos);
  const JwtKey signer = MustPrivate(private_pem);
  const JwtKey verifier = MustPublic(public_pem);
  const std::string token = SignJwt(R"({"exp":4102444800})", signer, JwtAlg::kEs256);
  CHECK(Verify(token, {verifier}) == JwtError::kOk);
  // Signatures are randomized, and each one verifies.
  CHECK(SignJwt(R"({"exp":4102444800})", signer, JwtAlg::kEs256) != token);
  // Another key's signature does not.
  CHECK(Verify(token, {MustPublic(testkeys::kEcPubPem)}) == JwtError::kBadSignature);

  // The certificate's public key verifies what its private key signed.
  const JwtKey cert = MustPublic(testkeys::kEcCertPem);
  CHECK(cert.family() == JwtKeyFamily::kEcP256);
  CHECK(Verify(kPyEs256, {cert}) == JwtError::kOk);
}

TEST_CASE("jwt: every algorithm signs and verifies, and only with its own family") {
  const JwtKey hmac = MustHmac("a secret of reasonable length!!!");
  const JwtKey rsa = MustPrivate(testkeys::kRsaPem);
  const JwtKey ec = MustPrivate(testkeys::kEcPem);
  const JwtKey rsa_pub = MustPublic(testkeys::kRsaPubPem);
  const JwtKey ec_pub = MustPublic(testkeys::kEcPubPem);
  struct Case {
    JwtAlg alg;
    const JwtKey* signer;
    const JwtKey* verifier;
  };
  for (const Case& c : {Case{JwtAlg::kHs256, &hmac, &hmac}, Case{JwtAlg::kHs384, &hmac, &hmac},
                        Case{JwtAlg::kHs512, &hmac, &hmac}, Case{JwtAlg::kRs256, &rsa, &rsa_pub},
                        Case{JwtAlg::kRs384, &rsa, &rsa_pub}, Case{JwtAlg::kRs512, &rsa, &rsa_pub},
                        Case{JwtAlg::kEs256, &ec, &ec_pub}}) {
    CAPTURE(JwtAlgName(c.alg));
    const std::string token = SignJwt(R"({"sub":"s","exp":4102444800})", *c.signer, c.alg);
    REQUIRE_FALSE(token.empty());
    const JwtResult result = VerifyJwt(token, std::vector{*c.verifier}, {}, kNow);
    CHECK(JwtErrorName(result.error) == "ok");
    CHECK(result.claims.alg == c.alg);
    CHECK(result.claims.sub == "s");
    CHECK(result.claims.exp == kFar);
    // The private key verifies too.
    CHECK(Verify(token, {*c.signer}) == JwtError::kOk);
    // Keys of the other families never take part.
    for (const JwtKey* other : {&hmac, &rsa_pub, &ec_pub}) {
      if (other->family() != c.verifier->family()) {
        CHECK(Verify(token, {*other}) == JwtError::kAlgMismatch);
      }
    }
  }
  // Public keys and foreign algorithms cannot sign.
  CHECK(SignJwt("{}", rsa_pub, JwtAlg::kRs256).empty());
  CHECK(SignJwt("{}", rsa, JwtAlg::kEs256).empty());
  CHECK(SignJwt("{}", hmac, JwtAlg::kRs256).empty());
}

TEST_CASE("jwt: python3-jwt tokens verify") {
  const JwtKey secret = MustHmac("secret");
  JwtKey rsa = MustPublic(testkeys::kRsaPubPem);
  rsa.set_kid("rsa1");
  const JwtKey ec = MustPublic(testkeys::kEcPubPem);
  const std::vector<JwtKey> keys = {secret, rsa, ec};

  JwtResult r = VerifyJwt(kPyHs256, keys, {}, kNow);
  REQUIRE(r.ok());
  CHECK(r.claims.sub == "alice");
  CHECK(r.claims.exp == kFar);
  CHECK(r.claims.key_index == 0);
  CHECK(r.claims.grants_from == JwtGrantSource::kHerald);
  CHECK(r.claims.subscribe == std::vector<std::string>{"news.*"});
  CHECK(r.claims.publish == std::vector<std::string>{"chat.alice"});
  CHECK(r.claims.user.empty());

  r = VerifyJwt(kPyRs256, keys, {}, kNow);
  REQUIRE(r.ok());
  CHECK(r.claims.kid == "rsa1");
  CHECK(r.claims.key_index == 1);
  CHECK(r.claims.alg == JwtAlg::kRs256);
  CHECK(r.claims.subscribe == std::vector<std::string>{"news.*"});

  CHECK(Verify(kPyRs384, keys) == JwtError::kOk);

  r = VerifyJwt(kPyEs256, keys, {}, kNow);
  REQUIRE(r.ok());
  CHECK(r.claims.sub == "carol");
  CHECK(r.claims.key_index == 2);
  CHECK(r.claims.grants_from == JwtGrantSource::kMercure);
  CHECK(r.claims.subscribe == std::vector<std::string>{"*"});
  CHECK(r.claims.publish == std::vector<std::string>{"room.1"});

  JwtOptions options;
  options.audience = "herald";
  options.issuer = "https://auth.example";
  r = VerifyJwt(kPyHs512, keys, options, kNow);
  REQUIRE(r.ok());
  CHECK(r.claims.aud == std::vector<std::string>{"herald", "x"});
  CHECK(r.claims.iss == "https://auth.example");
  CHECK(r.claims.iat == kNow);
  CHECK(r.claims.grants_from == JwtGrantSource::kNone);

  // Tampering with any part breaks them.
  std::string tampered(kPyHs256);
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'h' ? 'i' : 'h';
  CHECK(Verify(tampered, keys) == JwtError::kBadSignature);
  tampered = kPyEs256;
  tampered[40] = tampered[40] == 'A' ? 'B' : 'A';
  CHECK(Verify(tampered, keys) == JwtError::kBadSignature);
  // A different HMAC secret does not verify.
  CHECK(Verify(kPyHs256, {MustHmac("Secret")}) == JwtError::kBadSignature);
}

TEST_CASE("jwt: structural errors") {
  JwtOptions small = Lenient();
  small.max_token_bytes = 10;
  CHECK(Verify(Claims("{}"), Secret(), small) == JwtError::kTooLarge);
  JwtOptions exact = Lenient();
  exact.max_token_bytes = Claims("{}").size();
  CHECK(Verify(Claims("{}"), Secret(), exact) == JwtError::kOk);

  CHECK(Verify("", Secret()) == JwtError::kMalformed);
  CHECK(Verify("abc", Secret()) == JwtError::kMalformed);
  CHECK(Verify("a.b", Secret()) == JwtError::kMalformed);
  CHECK(Verify("a.b.c.d", Secret()) == JwtError::kMalformed);
  CHECK(Verify(".b.c", Secret()) == JwtError::kMalformed);
  CHECK(Verify("a..c", Secret()) == JwtError::kMalformed);
  // An empty signature is for the algorithm to judge (alg none has one): here the header is
  // not even base64url.
  CHECK(Verify("a.b.", Secret()) == JwtError::kBadBase64);

  const std::string good = Claims(R"({"sub":"x"})");
  const size_t dot = good.find('.');
  CHECK(Verify(good.substr(0, dot) + "=" + good.substr(dot), Secret()) == JwtError::kBadBase64);
  CHECK(Verify(good + "=", Secret()) == JwtError::kBadBase64);
  CHECK(Verify(" " + good, Secret()) == JwtError::kBadBase64);
  {  // A payload that is not base64url, under a valid signature.
    const JwtKey key = MustHmac("secret");
    const std::string input = Base64UrlEncode(R"({"alg":"HS256"})") + ".e30=";
    const std::string token = input + "." + Base64UrlEncode(key.Sign(JwtAlg::kHs256, input));
    CHECK(Verify(token, Secret()) == JwtError::kBadBase64);
  }

  CHECK(Verify(Hs(R"({"alg":"HS256")", "{}"), Secret()) == JwtError::kBadHeaderJson);
  CHECK(Verify(Hs("{\"alg\":\"HS256\",\"x\":\"\xff\"}", "{}"), Secret()) ==
        JwtError::kBadHeaderJson);  // not UTF-8
  CHECK(Verify(Hs(R"(["alg","HS256"])", "{}"), Secret()) == JwtError::kHeaderNotObject);
  CHECK(Verify(Hs(R"("HS256")", "{}"), Secret()) == JwtError::kHeaderNotObject);
  CHECK(Verify(Hs(R"({"alg":"HS256","alg":"none"})", "{}"), Secret()) ==
        JwtError::kDuplicateMember);
  CHECK(Verify(Hs(R"({"alg":"HS256","x":{"a":1,"a":2}})", "{}"), Secret()) ==
        JwtError::kDuplicateMember);

  JwtOptions shallow = Lenient();
  shallow.max_json_depth = 3;
  CHECK(Verify(Hs(R"({"alg":"HS256","x":[[1]]})", "{}"), Secret(), shallow) == JwtError::kOk);
  CHECK(Verify(Hs(R"({"alg":"HS256","x":[[[1]]]})", "{}"), Secret(), shallow) ==
        JwtError::kTooDeep);
  CHECK(Verify(Claims(R"({"a":{"b":{"c":{}}}})"), Secret(), shallow) == JwtError::kTooDeep);
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  JwtOptions big = Lenient();
  big.max_token_bytes = 1 << 20;
  CHECK(Verify(Claims(R"({"x":)" + deep + "}"), Secret(), big) == JwtError::kTooDeep);
}

TEST_CASE("jwt: header errors") {
  CHECK(Verify(Hs(R"({"typ":"JWT"})", "{}"), Secret()) == JwtError::kMissingAlg);
  JwtResult r = VerifyJwt(Hs(R"({"alg":256})", "{}"), Secret(), Lenient(), kNow);
  CHECK(r.error == JwtError::kBadHeaderParam);
  CHECK(r.where == "alg");
  r = VerifyJwt(Hs(R"({"alg":"HS256","kid":1})", "{}"), Secret(), Lenient(), kNow);
  CHECK(r.error == JwtError::kBadHeaderParam);
  CHECK(r.where == "kid");
  CHECK(Verify(Hs(R"({"alg":"HS256","typ":null})", "{}"), Secret()) == JwtError::kBadHeaderParam);
  CHECK(Verify(Hs(R"({"alg":"HS256","cty":[]})", "{}"), Secret()) == JwtError::kBadHeaderParam);

  // alg none, in any case, with or without a signature.
  const std::string none_header = Base64UrlEncode(R"({"alg":"none"})");
  const std::string payload = Base64UrlEncode(R"({"sub":"admin"})");
  CHECK(Verify(none_header + "." + payload + ".", Secret()) == JwtError::kAlgNone);
  CHECK(Verify(Base64UrlEncode(R"({"alg":"HS256"})") + "." + payload + ".", Secret()) ==
        JwtError::kBadSignatureLength);
  CHECK(Verify(none_header + "." + payload + ".AAAA", Secret()) == JwtError::kAlgNone);
  CHECK(Verify(Hs(R"({"alg":"None"})", "{}"), Secret()) == JwtError::kAlgNone);
  CHECK(Verify(Hs(R"({"alg":"NONE"})", "{}"), Secret()) == JwtError::kAlgNone);
  CHECK(Verify(Hs(R"({"alg":"PS256"})", "{}"), Secret()) == JwtError::kUnknownAlg);
  CHECK(Verify(Hs(R"({"alg":"hs256"})", "{}"), Secret()) == JwtError::kUnknownAlg);
  CHECK(Verify(Hs(R"({"alg":"HS256","crit":["exp"],"exp":1})", "{}"), Secret()) ==
        JwtError::kCritHeader);
  CHECK(Verify(Hs(R"({"alg":"HS256","crit":[]})", "{}"), Secret()) == JwtError::kCritHeader);
  // Headers that would make a verifier fetch keys are ignored, not followed.
  CHECK(Verify(Hs(R"({"alg":"HS256","jku":"http://evil/keys","x5u":"x","jwk":{}})", "{}"),
               Secret()) == JwtError::kOk);
}

TEST_CASE("jwt: key selection") {
  const std::string token = Claims("{}");
  CHECK(Verify(token, {}) == JwtError::kNoKeys);

  JwtKey a = MustHmac("key a");
  a.set_kid("a");
  JwtKey b = MustHmac("secret");
  b.set_kid("b");
  const JwtKey wildcard = MustHmac("secret");
  const std::string for_b = Hs(R"({"alg":"HS256","kid":"b"})", "{}");
  const std::string for_c = Hs(R"({"alg":"HS256","kid":"c"})", "{}");

  JwtResult r = VerifyJwt(for_b, std::vector{a, b}, Lenient(), kNow);
  CHECK(r.ok());
  CHECK(r.claims.key_index == 1);
  CHECK(r.claims.kid == "b");
  CHECK(Verify(for_c, {a, b}) == JwtError::kUnknownKid);
  // A kid-less key stands in for unknown kids.
  r = VerifyJwt(for_c, std::vector{a, b, wildcard}, Lenient(), kNow);
  CHECK(r.ok());
  CHECK(r.claims.key_index == 2);
  // But a kid that names a key only ever uses that key.
  CHECK(Verify(Hs(R"({"alg":"HS256","kid":"a"})", "{}"), {a, wildcard}) == JwtError::kBadSignature);
  // Without a kid, every key is tried in order.
  r = VerifyJwt(token, std::vector{a, b}, Lenient(), kNow);
  CHECK(r.ok());
  CHECK(r.claims.key_index == 1);

  // A key restricted to HS512 does not take HS256 tokens.
  JwtKey only512 = MustHmac("secret");
  REQUIRE(only512.RestrictTo(JwtAlg::kHs512));
  CHECK(Verify(token, {only512}) == JwtError::kAlgMismatch);
  CHECK(Verify(SignJwt("{}", only512, JwtAlg::kHs512), {only512}) == JwtError::kOk);
  JwtKey rsa = MustPublic(testkeys::kRsaPubPem);
  rsa.set_kid("b");
  CHECK(Verify(for_b, {rsa}) == JwtError::kAlgMismatch);
}

TEST_CASE("jwt: algorithm confusion is impossible") {
  // The classic attack: an HS256 token whose HMAC key is the server's RSA public key PEM,
  // signed with OpenSSL directly (JwtKey::Hmac refuses PEM secrets).
  const std::string pem(testkeys::kRsaPubPem);
  const std::string input =
      Base64UrlEncode(R"({"alg":"HS256"})") + "." + Base64UrlEncode(R"({"sub":"admin"})");
  unsigned char tag[EVP_MAX_MD_SIZE];
  unsigned int tag_size = 0;
  REQUIRE(HMAC(EVP_sha256(), pem.data(), static_cast<int>(pem.size()),
               reinterpret_cast<const unsigned char*>(input.data()), input.size(), tag,
               &tag_size) != nullptr);
  const std::string forged =
      input + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(tag), tag_size));
  const JwtKey rsa = MustPublic(testkeys::kRsaPubPem);
  CHECK(Verify(forged, {rsa}) == JwtError::kAlgMismatch);
  // An RS256 token against an HMAC key whose secret is the PEM text: the secret is refused.
  std::string error;
  CHECK_FALSE(JwtKey::Hmac(testkeys::kRsaPubPem, &error).has_value());
  // ES256 signatures must be 64 bytes; DER-encoded ones are refused.
  const JwtKey ec = MustPublic(testkeys::kEcPubPem);
  const std::string es = SignJwt("{}", MustPrivate(testkeys::kEcPem), JwtAlg::kEs256);
  CHECK(Verify(es, {ec}) == JwtError::kOk);
  CHECK(Verify(es.substr(0, es.rfind('.') + 1) + Base64UrlEncode(std::string(70, '\x30')), {ec}) ==
        JwtError::kBadSignatureLength);
  CHECK(Verify(es.substr(0, es.rfind('.') + 1) + Base64UrlEncode(std::string(64, '\0')), {ec}) ==
        JwtError::kBadSignature);
  const std::string hs = Claims("{}");
  CHECK(Verify(hs.substr(0, hs.rfind('.') + 1) + Base64UrlEncode(std::string(31, 'x')), Secret()) ==
        JwtError::kBadSignatureLength);
}

TEST_CASE("jwt: payload and claim type errors") {
  CHECK(Verify(Claims(R"({"sub":)"), Secret()) == JwtError::kBadPayloadJson);
  CHECK(Verify(Claims("{} x"), Secret()) == JwtError::kBadPayloadJson);
  CHECK(Verify(Claims("{\"sub\":\"\xc3\"}"), Secret()) == JwtError::kBadPayloadJson);
  CHECK(Verify(Claims(R"({"exp":1e400})"), Secret()) == JwtError::kBadPayloadJson);
  CHECK(Verify(Claims("[1]"), Secret()) == JwtError::kPayloadNotObject);
  CHECK(Verify(Claims("null"), Secret()) == JwtError::kPayloadNotObject);
  CHECK(Verify(Claims(R"({"sub":"a","sub":"b"})"), Secret()) == JwtError::kDuplicateMember);

  for (std::string_view bad :
       {R"({"sub":1})"sv, R"({"iss":null})"sv, R"({"jti":{}})"sv, R"({"aud":1})"sv,
        R"({"aud":["a",1]})"sv, R"({"exp":"4102444800"})"sv, R"({"exp":true})"sv,
        R"({"nbf":[1]})"sv, R"({"iat":null})"sv, R"({"exp":1e300})"sv,
        R"({"exp":18446744073709551615})"sv, R"({"exp":-9007199254740993})"sv}) {
    CAPTURE(bad);
    const JwtResult r = VerifyJwt(Claims(bad), Secret(), Lenient(), kNow);
    CHECK(r.error == JwtError::kBadClaimType);
    CHECK_FALSE(r.where.empty());
    CHECK(std::string_view(bad).find(r.where) != std::string_view::npos);
  }
  // NumericDates may have fractions.
  const JwtResult r = VerifyJwt(
      Claims(R"({"exp":4102444800.75,"aud":"x"})"), Secret(),
      [] {
        JwtOptions o = Lenient();
        o.audience = "x";
        return o;
      }(),
      kNow);
  REQUIRE(r.ok());
  CHECK(r.claims.exp == kFar);
  CHECK(r.claims.aud == std::vector<std::string>{"x"});
}

TEST_CASE("jwt: grants") {
  JwtResult r = VerifyJwt(Claims(R"({"herald":{"subscribe":["a.*","b"],"publish":[],"user":"alice"},
                 "mercure":{"subscribe":["ignored"]}})"),
                          Secret(), Lenient(), kNow);
  REQUIRE(r.ok());
  CHECK(r.claims.grants_from == JwtGrantSource::kHerald);
  CHECK(r.claims.subscribe == std::vector<std::string>{"a.*", "b"});
  CHECK(r.claims.publish.empty());
  CHECK(r.claims.user == "alice");

  r = VerifyJwt(Claims(R"({"mercure":{"publish":["*"],"payload":"anything","private":1}})"),
                Secret(), Lenient(), kNow);
  REQUIRE(r.ok());
  CHECK(r.claims.grants_from == JwtGrantSource::kMercure);
  CHECK(r.claims.publish == std::vector<std::string>{"*"});
  CHECK(r.claims.subscribe.empty());

  struct Bad {
    std::string_view claims;
    std::string_view where;
  };
  for (const Bad& bad :
       {Bad{R"({"herald":[]})", "herald"}, Bad{R"({"herald":{"subcribe":["a"]}})", "herald"},
        Bad{R"({"herald":{"subscribe":"a"}})", "herald.subscribe"},
        Bad{R"({"herald":{"publish":[1]}})", "herald.publish"},
        Bad{R"({"herald":{"user":""}})", "herald.user"},
        Bad{R"({"herald":{"user":"a b"}})", "herald.user"},
        Bad{R"({"herald":{"user":7}})", "herald.user"}, Bad{R"({"mercure":"all"})", "mercure"},
        Bad{R"({"mercure":{"subscribe":[null]}})", "mercure.subscribe"},
        Bad{R"({"mercure":{"publish":{}}})", "mercure.publish"}}) {
    CAPTURE(bad.claims);
    r = VerifyJwt(Claims(bad.claims), Secret(), Lenient(), kNow);
    CHECK(r.error == JwtError::kBadGrants);
    CHECK(r.where == bad.where);
  }
}

TEST_CASE("jwt: time claims with leeway") {
  JwtOptions options;  // require_expiry, 60 s leeway
  CHECK(Verify(Claims("{}"), Secret(), options) == JwtError::kMissingExpiry);
  CHECK(Verify(Claims("{}"), Secret(), Lenient()) == JwtError::kOk);

  const auto exp = [](int64_t t) { return Claims(R"({"exp":)" + std::to_string(t) + "}"); };
  CHECK(Verify(exp(kNow + 1), Secret(), options) == JwtError::kOk);
  CHECK(Verify(exp(kNow - 59), Secret(), options) == JwtError::kOk);
  CHECK(Verify(exp(kNow - 60), Secret(), options) == JwtError::kExpired);
  options.leeway_seconds = 0;
  CHECK(Verify(exp(kNow), Secret(), options) == JwtError::kExpired);
  CHECK(Verify(exp(kNow + 1), Secret(), options) == JwtError::kOk);
  options.leeway_seconds = -5;  // counts as 0
  CHECK(Verify(exp(kNow), Secret(), options) == JwtError::kExpired);
  options.leeway_seconds = INT64_MAX;  // clamped, no overflow
  CHECK(Verify(exp(kNow), Secret(), options) == JwtError::kOk);
  CHECK(Verify(exp(kNow), Secret(), {}, INT64_MIN) == JwtError::kOk);
  CHECK(Verify(exp(kNow), Secret(), {}, INT64_MAX) == JwtError::kExpired);

  const auto nbf = [](int64_t t) { return Claims(R"({"nbf":)" + std::to_string(t) + "}"); };
  CHECK(Verify(nbf(kNow + 60), Secret()) == JwtError::kOk);
  CHECK(Verify(nbf(kNow + 61), Secret()) == JwtError::kNotYetValid);
  const auto iat = [](int64_t t) { return Claims(R"({"iat":)" + std::to_string(t) + "}"); };
  CHECK(Verify(iat(kNow + 60), Secret()) == JwtError::kOk);
  CHECK(Verify(iat(kNow + 61), Secret()) == JwtError::kIssuedInFuture);
  CHECK(Verify(iat(0), Secret()) == JwtError::kOk);
}

TEST_CASE("jwt: issuer and audience") {
  JwtOptions options = Lenient();
  options.issuer = "https://auth";
  CHECK(Verify(Claims(R"({"iss":"https://auth"})"), Secret(), options) == JwtError::kOk);
  CHECK(Verify(Claims(R"({"iss":"https://auth/"})"), Secret(), options) == JwtError::kBadIssuer);
  CHECK(Verify(Claims("{}"), Secret(), options) == JwtError::kBadIssuer);
  CHECK(Verify(Claims(R"({"iss":"anyone"})"), Secret()) == JwtError::kOk);  // not checked

  options = Lenient();
  options.audience = "herald";
  CHECK(Verify(Claims(R"({"aud":"herald"})"), Secret(), options) == JwtError::kOk);
  CHECK(Verify(Claims(R"({"aud":["x","herald"]})"), Secret(), options) == JwtError::kOk);
  CHECK(Verify(Claims(R"({"aud":["x"]})"), Secret(), options) == JwtError::kBadAudience);
  CHECK(Verify(Claims("{}"), Secret(), options) == JwtError::kBadAudience);
  // Without a configured audience, tokens meant for someone are refused (RFC 7519 4.1.3).
  CHECK(Verify(Claims(R"({"aud":"other"})"), Secret()) == JwtError::kBadAudience);
  CHECK(Verify(Claims(R"({"aud":[]})"), Secret()) == JwtError::kOk);
}

TEST_CASE("jwt: signature checked before the claims are decoded") {
  // A token with garbage claims and a wrong signature reports the signature.
  const std::string input = Base64UrlEncode(R"({"alg":"HS256"})") + "." + Base64UrlEncode("[");
  CHECK(Verify(input + "." + Base64UrlEncode(std::string(32, 'x')), Secret()) ==
        JwtError::kBadSignature);
}

}  // namespace
}  // namespace herald::protocol
