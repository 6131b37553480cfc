// libFuzzer target for VerifyJwt and base64url.
//
// Input: one configuration byte, then either a compact token (verified against an HMAC secret,
// an RSA and an EC public key) or, in signed mode, `header JSON` NUL `claims JSON`, which is
// encoded and signed with HS256 first, so that the fuzzer also reaches the claim checks that an
// unsigned input never gets past the signature to. Checked: no crash or leak under ASan/UBSan;
// the same answer twice; a valid result respects the options (size, time, audience); base64url
// round trips; and in signed mode, no structural or signature error can come back.
//
// Configuration byte (the digit '0' means defaults, so seeds stay readable):
//   0x01 signed mode, 0x02 max_json_depth 3, 0x04 require_expiry off, 0x08 audience "herald".

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/jwt.h"
#include "protocol/jwt_key.h"
#include "tests/fuzz/fuzz_helpers.h"
#include "tests/unit/protocol/jwt_test_keys.h"

namespace herald::fuzz {
namespace {

using herald::protocol::Base64UrlDecode;
using herald::protocol::Base64UrlEncode;
using herald::protocol::JwtAlg;
using herald::protocol::JwtError;
using herald::protocol::JwtKey;
using herald::protocol::JwtOptions;
using herald::protocol::JwtResult;
using herald::protocol::SignJws;
using herald::protocol::VerifyJwt;

constexpr int64_t kNow = 1'700'000'000;

const std::vector<JwtKey>& Keys() {
  static const std::vector<JwtKey> keys = [] {
    std::string error;
    std::vector<JwtKey> k;
    k.push_back(*JwtKey::Hmac("secret", &error));
    k.push_back(*JwtKey::FromPublicPem(herald::protocol::testkeys::kRsaPubPem, &error));
    k.push_back(*JwtKey::FromPublicPem(herald::protocol::testkeys::kEcPubPem, &error));
    k[1].set_kid("rsa1");
    return k;
  }();
  return keys;
}

void CheckBase64(std::string_view text) {
  std::string decoded;
  Check(Base64UrlDecode(Base64UrlEncode(text), &decoded) && decoded == text);
  // Only canonical text decodes, so decoding and encoding again gives the text back.
  if (Base64UrlDecode(text, &decoded)) Check(Base64UrlEncode(decoded) == text);
}

void CheckResult(std::string_view token, const JwtOptions& options, const JwtResult& result) {
  const JwtResult again = VerifyJwt(token, Keys(), options, kNow);
  Check(again.error == result.error && again.where == result.where);
  Check(!herald::protocol::JwtErrorName(result.error).empty());
  if (!result.ok()) return;
  const auto& c = result.claims;
  Check(token.size() <= options.max_token_bytes);
  Check(c.key_index < Keys().size() && Keys()[c.key_index].Allows(c.alg));
  if (options.require_expiry) Check(c.exp.has_value());
  if (c.exp) Check(kNow < *c.exp + options.leeway_seconds);
  if (c.nbf) Check(*c.nbf <= kNow + options.leeway_seconds);
  if (c.iat) Check(*c.iat <= kNow + options.leeway_seconds);
  if (options.audience.empty()) {
    Check(c.aud.empty());
  } else {
    bool found = false;
    for (const std::string& a : c.aud) found = found || a == options.audience;
    Check(found);
  }
  if (c.grants_from == herald::protocol::JwtGrantSource::kNone) {
    Check(c.subscribe.empty() && c.publish.empty());
  }
}

void TestOneInput(uint8_t config, std::string_view input) {
  JwtOptions options;
  options.max_token_bytes = 16384;
  if (config & 0x02) options.max_json_depth = 3;
  if (config & 0x04) options.require_expiry = false;
  if (config & 0x08) options.audience = "herald";
  CheckBase64(input);

  if ((config & 0x01) == 0) {
    CheckResult(input, options, VerifyJwt(input, Keys(), options, kNow));
    return;
  }
  const size_t nul = input.find('\0');
  const std::string_view header = input.substr(0, nul);
  const std::string_view claims = nul == std::string_view::npos ? "" : input.substr(nul + 1);
  const std::string token = SignJws(header, claims, Keys()[0], JwtAlg::kHs256);
  Check(!token.empty());
  const JwtResult result = VerifyJwt(token, Keys(), options, kNow);
  CheckResult(token, options, result);
  if (!header.empty() && !claims.empty() && token.size() <= options.max_token_bytes) {
    // What we encoded and signed ourselves is always well-formed, and against the HMAC key alone
    // it is correctly signed (an RS/ES header meets no key, an HS384/512 one a wrong length).
    Check(result.error != JwtError::kMalformed && result.error != JwtError::kBadBase64 &&
          result.error != JwtError::kNoKeys && result.error != JwtError::kTooLarge);
    const JwtResult alone = VerifyJwt(token, std::span(Keys()).first(1), options, kNow);
    Check(alone.error != JwtError::kBadSignature);
  }
}

}  // namespace
}  // namespace herald::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return herald::fuzz::RunWithConfigByte(data, size, herald::fuzz::TestOneInput);
}
