#include "protocol/jwt.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

namespace herald::protocol {
namespace {

using Json = nlohmann::json;

struct ErrorInfo {
  std::string_view name;
  std::string_view message;
};

// Indexed by JwtError.
constexpr std::array<ErrorInfo, kJwtErrorCount> kErrors = {{
    {"ok", "the token is valid"},
    {"too_large", "the token is too large"},
    {"malformed", "the token is not three dot-separated parts"},
    {"bad_base64", "a part of the token is not unpadded base64url"},
    {"bad_header_json", "the token header is not valid JSON"},
    {"header_not_object", "the token header is not a JSON object"},
    {"too_deep", "the token's JSON is nested too deeply"},
    {"duplicate_member", "the token's JSON repeats a member name"},
    {"missing_alg", "the token header has no alg"},
    {"bad_header_param", "a token header parameter has the wrong type"},
    {"alg_none", "unsigned tokens (alg none) are not accepted"},
    {"unknown_alg", "the token's algorithm is not supported"},
    {"crit_header", "the token has critical header extensions, which are not supported"},
    {"no_keys", "no token key is configured"},
    {"unknown_kid", "no key matches the token's kid"},
    {"alg_mismatch", "the token's algorithm does not match its key"},
    {"bad_signature_length", "the token signature has the wrong length"},
    {"bad_signature", "the token signature is invalid"},
    {"bad_payload_json", "the token claims are not valid JSON"},
    {"payload_not_object", "the token claims are not a JSON object"},
    {"bad_claim_type", "a token claim has the wrong type"},
    {"bad_grants", "the token's herald or mercure claim is malformed"},
    {"missing_exp", "the token has no expiry (exp)"},
    {"expired", "the token has expired"},
    {"not_yet_valid", "the token is not valid yet (nbf)"},
    {"issued_in_future", "the token is issued in the future (iat)"},
    {"bad_issuer", "the token's issuer is not accepted"},
    {"bad_audience", "the token's audience is not accepted"},
    {"internal", "internal error while verifying the token"},
}};

// NumericDates beyond this are refused: doubles are exact up to here, and sums with the clamped
// clock and leeway cannot overflow.
constexpr int64_t kMaxTime = int64_t{1} << 53;
constexpr int64_t kMaxNow = int64_t{1} << 61;

// Builds a DOM like nlohmann's own parser, but stops at the first object member repeated in
// one object and at the first container past the depth limit (nlohmann's parser keeps the last
// duplicate silently and has no depth limit of its own).
class StrictDomBuilder : public nlohmann::json_sax<Json> {
 public:
  enum class Failure { kNone, kSyntax, kTooDeep, kDuplicate };

  explicit StrictDomBuilder(int max_depth) : max_depth_(max_depth) {}

  Json& root() { return root_; }
  Failure failure() const { return failure_; }

  bool null() override { return Put(nullptr); }
  bool boolean(bool value) override { return Put(value); }
  bool number_integer(number_integer_t value) override { return Put(value); }
  bool number_unsigned(number_unsigned_t value) override { return Put(value); }
  bool number_float(number_float_t value, const string_t&) override { return Put(value); }
  bool string(string_t& value) override { return Put(std::move(value)); }
  bool binary(binary_t&) override { return Fail(Failure::kSyntax); }
  bool start_object(std::size_t) override { return Open(Json::object()); }
  bool start_array(std::size_t) override { return Open(Json::array()); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& name) override {
    if (stack_.back()->contains(name)) return Fail(Failure::kDuplicate);
    key_ = std::move(name);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return Fail(Failure::kSyntax);
  }

 private:
  bool Fail(Failure failure) {
    if (failure_ == Failure::kNone) failure_ = failure;
    return false;
  }

  // Stores `value` where the parser is: the root, the next array element, or the member named
  // by the last key. Returns where it went.
  Json* Place(Json&& value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json* top = stack_.back();
    if (top->is_array()) {
      top->push_back(std::move(value));
      return &top->back();
    }
    Json& slot = (*top)[key_];
    slot = std::move(value);
    return &slot;
  }

  bool Put(Json&& value) {
    Place(std::move(value));
    return true;
  }

  bool Open(Json&& container) {
    if (static_cast<int>(stack_.size()) >= max_depth_) return Fail(Failure::kTooDeep);
    stack_.push_back(Place(std::move(container)));
    return true;
  }

  bool Close() {
    stack_.pop_back();
    return true;
  }

  int max_depth_;
  Json root_;
  std::vector<Json*> stack_;  // the open containers, innermost last
  std::string key_;           // the member name the next value belongs to
  Failure failure_ = Failure::kNone;
};

// Parses one decoded part. Returns kOk and sets *out, or the part's error.
JwtError ParseObject(std::string_view text, int max_depth, JwtError bad_json, JwtError not_object,
                     Json* out) {
  StrictDomBuilder builder(std::max(max_depth, 1));
  const bool parsed = Json::sax_parse(text.begin(), text.end(), &builder);
  if (!parsed) {
    switch (builder.failure()) {
      case StrictDomBuilder::Failure::kTooDeep:
        return JwtError::kTooDeep;
      case StrictDomBuilder::Failure::kDuplicate:
        return JwtError::kDuplicateMember;
      default:
        return bad_json;
    }
  }
  if (!builder.root().is_object()) return not_object;
  *out = std::move(builder.root());
  return JwtError::kOk;
}

// -1 for bytes outside the base64url alphabet.
constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}

JwtResult Fail(JwtError error, std::string_view where = {}) {
  JwtResult result;
  result.error = error;
  result.where = where;
  return result;
}

// Reads a NumericDate claim. False if present with the wrong type or out of range.
bool ReadTime(const Json& claims, const char* name, std::optional<int64_t>* out) {
  const auto it = claims.find(name);
  if (it == claims.end()) return true;
  if (it->is_number_unsigned()) {
    const uint64_t value = it->get<uint64_t>();
    if (value > static_cast<uint64_t>(kMaxTime)) return false;
    *out = static_cast<int64_t>(value);
    return true;
  }
  if (it->is_number_integer()) {
    const int64_t value = it->get<int64_t>();
    if (value > kMaxTime || value < -kMaxTime) return false;
    *out = value;
    return true;
  }
  if (it->is_number_float()) {
    const double value = it->get<double>();
    if (!std::isfinite(value) || std::fabs(value) > static_cast<double>(kMaxTime)) return false;
    *out = static_cast<int64_t>(std::trunc(value));
    return true;
  }
  return false;
}

// Reads an optional string claim. False if present and not a string.
bool ReadString(const Json& object, const char* name, std::string* out) {
  const auto it = object.find(name);
  if (it == object.end()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

// Reads an optional array of strings. False if present and not exactly that.
bool ReadStringList(const Json& object, const char* name, std::vector<std::string>* out) {
  const auto it = object.find(name);
  if (it == object.end()) return true;
  if (!it->is_array()) return false;
  for (const Json& element : *it) {
    if (!element.is_string()) return false;
    out->push_back(element.get<std::string>());
  }
  return true;
}

// An ACL user name as Redis accepts it: not empty, no spaces or control bytes.
bool IsValidUserName(std::string_view name) {
  return !name.empty() && std::none_of(name.begin(), name.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= ' ' || byte == 0x7F;
  });
}

// Reads the grants; returns the offending name on failure, nullptr on success.
const char* ReadGrants(const Json& claims, JwtClaims* out) {
  if (const auto it = claims.find("herald"); it != claims.end()) {
    if (!it->is_object()) return "herald";
    for (const auto& [name, value] : it->items()) {
      if (name != "subscribe" && name != "publish" && name != "user") return "herald";
    }
    if (!ReadStringList(*it, "subscribe", &out->subscribe)) return "herald.subscribe";
    if (!ReadStringList(*it, "publish", &out->publish)) return "herald.publish";
    if (it->contains("user")) {
      if (!ReadString(*it, "user", &out->user) || !IsValidUserName(out->user)) {
        return "herald.user";
      }
    }
    out->grants_from = JwtGrantSource::kHerald;
    return nullptr;
  }
  if (const auto it = claims.find("mercure"); it != claims.end()) {
    if (!it->is_object()) return "mercure";
    if (!ReadStringList(*it, "subscribe", &out->subscribe)) return "mercure.subscribe";
    if (!ReadStringList(*it, "publish", &out->publish)) return "mercure.publish";
    out->grants_from = JwtGrantSource::kMercure;
  }
  return nullptr;
}

// The signature size an algorithm always produces, or 0 when it depends on the key (RSA).
size_t FixedSignatureSize(JwtAlg alg) {
  switch (alg) {
    case JwtAlg::kHs256:
      return 32;
    case JwtAlg::kHs384:
      return 48;
    case JwtAlg::kHs512:
    case JwtAlg::kEs256:
      return 64;
    default:
      return 0;
  }
}

bool IsNone(std::string_view alg) {
  return alg.size() == 4 && std::tolower(static_cast<unsigned char>(alg[0])) == 'n' &&
         std::tolower(static_cast<unsigned char>(alg[1])) == 'o' &&
         std::tolower(static_cast<unsigned char>(alg[2])) == 'n' &&
         std::tolower(static_cast<unsigned char>(alg[3])) == 'e';
}

}  // namespace

std::string_view JwtErrorName(JwtError error) {
  const auto i = static_cast<size_t>(error);
  return i < kErrors.size() ? kErrors[i].name : "unknown";
}

std::string_view JwtErrorMessage(JwtError error) {
  const auto i = static_cast<size_t>(error);
  return i < kErrors.size() ? kErrors[i].message : "unknown error";
}

std::string Base64UrlEncode(std::string_view bytes) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(n >> 6) & 63]);
  }
  return out;
}

bool Base64UrlDecode(std::string_view text, std::string* out) {
  static constexpr std::array<int8_t, 256> kTable = MakeDecodeTable();
  if (text.size() % 4 == 1) return false;
  out->clear();
  out->reserve(text.size() / 4 * 3 + 2);
  uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    const int8_t value = kTable[static_cast<unsigned char>(c)];
    if (value < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    if (++count == 4) {
      out->push_back(static_cast<char>((bits >> 16) & 0xFF));
      out->push_back(static_cast<char>((bits >> 8) & 0xFF));
      out->push_back(static_cast<char>(bits & 0xFF));
      bits = 0;
      count = 0;
    }
  }
  if (count == 2) {
    if ((bits & 0xF) != 0) return false;  // 4 unused bits must be zero
    out->push_back(static_cast<char>((bits >> 4) & 0xFF));
  } else if (count == 3) {
    if ((bits & 0x3) != 0) return false;  // 2 unused bits must be zero
    out->push_back(static_cast<char>((bits >> 10) & 0xFF));
    out->push_back(static_cast<char>((bits >> 2) & 0xFF));
  }
  return true;
}

JwtResult VerifyJwt(std::string_view token, std::span<const JwtKey> keys, const JwtOptions& options,
                    int64_t now) {
  if (token.size() > options.max_token_bytes) return Fail(JwtError::kTooLarge);

  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Fail(JwtError::kMalformed);
  }
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = token.substr(dot2 + 1);
  // An empty signature is left to the algorithm checks: an unsecured token ("alg": "none",
  // RFC 7519 section 6) has one, and is reported as alg_none, what it is.
  if (header_b64.empty() || payload_b64.empty()) return Fail(JwtError::kMalformed);

  // The header: what to verify with.
  std::string decoded;
  if (!Base64UrlDecode(header_b64, &decoded)) return Fail(JwtError::kBadBase64);
  Json header;
  if (const JwtError e = ParseObject(decoded, options.max_json_depth, JwtError::kBadHeaderJson,
                                     JwtError::kHeaderNotObject, &header);
      e != JwtError::kOk) {
    return Fail(e);
  }
  const auto alg_it = header.find("alg");
  if (alg_it == header.end()) return Fail(JwtError::kMissingAlg);
  JwtResult result;
  JwtClaims& claims = result.claims;
  if (!alg_it->is_string()) return Fail(JwtError::kBadHeaderParam, "alg");
  if (!ReadString(header, "kid", &claims.kid)) return Fail(JwtError::kBadHeaderParam, "kid");
  for (const char* name : {"typ", "cty"}) {
    if (const auto it = header.find(name); it != header.end() && !it->is_string()) {
      return Fail(JwtError::kBadHeaderParam, name);
    }
  }
  const std::string& alg_name = alg_it->get_ref<const std::string&>();
  if (IsNone(alg_name)) return Fail(JwtError::kAlgNone);
  const std::optional<JwtAlg> alg = ParseJwtAlg(alg_name);
  if (!alg) return Fail(JwtError::kUnknownAlg);
  claims.alg = *alg;
  // RFC 7515 section 4.1.11: extensions listed in crit must be understood; herald has none.
  if (header.contains("crit")) return Fail(JwtError::kCritHeader);

  // The candidate keys.
  if (keys.empty()) return Fail(JwtError::kNoKeys);
  std::vector<size_t> candidates;
  const bool has_kid = header.contains("kid");
  if (has_kid) {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].kid() == claims.kid) candidates.push_back(i);
    }
    if (candidates.empty()) {
      for (size_t i = 0; i < keys.size(); ++i) {
        if (keys[i].kid().empty()) candidates.push_back(i);
      }
    }
    if (candidates.empty()) return Fail(JwtError::kUnknownKid);
  } else {
    for (size_t i = 0; i < keys.size(); ++i) candidates.push_back(i);
  }
  std::erase_if(candidates, [&](size_t i) { return !keys[i].Allows(*alg); });
  if (candidates.empty()) return Fail(JwtError::kAlgMismatch);

  // The signature, over the ASCII text of the first two parts.
  std::string signature;
  if (!Base64UrlDecode(signature_b64, &signature)) return Fail(JwtError::kBadBase64);
  if (const size_t size = FixedSignatureSize(*alg); size != 0 && signature.size() != size) {
    return Fail(JwtError::kBadSignatureLength);
  }
  const std::string_view signing_input = token.substr(0, dot2);
  bool verified = false;
  for (const size_t i : candidates) {
    if (keys[i].Verify(*alg, signing_input, signature)) {
      claims.key_index = i;
      verified = true;
      break;
    }
  }
  if (!verified) return Fail(JwtError::kBadSignature);

  // The claims, now known to come from a key holder.
  if (!Base64UrlDecode(payload_b64, &decoded)) return Fail(JwtError::kBadBase64);
  Json payload;
  if (const JwtError e = ParseObject(decoded, options.max_json_depth, JwtError::kBadPayloadJson,
                                     JwtError::kPayloadNotObject, &payload);
      e != JwtError::kOk) {
    return Fail(e);
  }
  for (const auto& [name, field] : {std::pair{"sub", &claims.sub}, std::pair{"iss", &claims.iss},
                                    std::pair{"jti", &claims.jti}}) {
    if (!ReadString(payload, name, field)) return Fail(JwtError::kBadClaimType, name);
  }
  if (const auto it = payload.find("aud"); it != payload.end()) {
    if (it->is_string()) {
      claims.aud.push_back(it->get<std::string>());
    } else if (!ReadStringList(payload, "aud", &claims.aud)) {
      return Fail(JwtError::kBadClaimType, "aud");
    }
  }
  if (!ReadTime(payload, "exp", &claims.exp)) return Fail(JwtError::kBadClaimType, "exp");
  if (!ReadTime(payload, "nbf", &claims.nbf)) return Fail(JwtError::kBadClaimType, "nbf");
  if (!ReadTime(payload, "iat", &claims.iat)) return Fail(JwtError::kBadClaimType, "iat");
  if (const char* where = ReadGrants(payload, &claims); where != nullptr) {
    return Fail(JwtError::kBadGrants, where);
  }

  // Time, with the leeway, in ranges where no sum overflows.
  const int64_t leeway = std::clamp<int64_t>(options.leeway_seconds, 0, kMaxTime);
  const int64_t clock = std::clamp<int64_t>(now, -kMaxNow, kMaxNow);
  if (!claims.exp) {
    if (options.require_expiry) return Fail(JwtError::kMissingExpiry);
  } else if (clock >= *claims.exp + leeway) {
    return Fail(JwtError::kExpired);
  }
  if (claims.nbf && *claims.nbf > clock + leeway) return Fail(JwtError::kNotYetValid);
  if (claims.iat && *claims.iat > clock + leeway) return Fail(JwtError::kIssuedInFuture);

  if (!options.issuer.empty() && claims.iss != options.issuer) return Fail(JwtError::kBadIssuer);
  if (options.audience.empty()) {
    if (!claims.aud.empty()) return Fail(JwtError::kBadAudience);
  } else if (std::find(claims.aud.begin(), claims.aud.end(), options.audience) ==
             claims.aud.end()) {
    return Fail(JwtError::kBadAudience);
  }
  return result;
}

std::string SignJws(std::string_view header_json, std::string_view payload_json, const JwtKey& key,
                    JwtAlg alg) {
  std::string token = Base64UrlEncode(header_json);
  token.push_back('.');
  token += Base64UrlEncode(payload_json);
  const std::string signature = key.Sign(alg, token);
  if (signature.empty()) return {};
  token.push_back('.');
  token += Base64UrlEncode(signature);
  return token;
}

std::string SignJwt(std::string_view payload_json, const JwtKey& key, JwtAlg alg) {
  Json header = {{"alg", JwtAlgName(alg)}, {"typ", "JWT"}};
  if (!key.kid().empty()) header["kid"] = key.kid();
  return SignJws(header.dump(), payload_json, key, alg);
}

}  // namespace herald::protocol
