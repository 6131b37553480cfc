#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/jwt_key.h"

// JSON Web Tokens (RFC 7519) in the JWS compact serialization (RFC 7515), verified against a
// set of configured keys: the browser tokens of the gateway. Pure: no clock (the caller passes
// the time), no I/O, no key fetching (the "jku", "x5u", "jwk" and "x5c" headers are ignored).
//
// Channel grants come from a private claim, either herald's own
//   "herald": {"subscribe": ["news.*", "chat.alice"], "publish": ["chat.alice"],
//              "user": "alice"}
// (every member optional; any other member is an error, to catch typos) or Mercure's
//   "mercure": {"subscribe": ["news.*"], "publish": ["chat.alice"], "payload": ...}
// (other members are ignored, as Mercure's own "payload"). Both lists hold Redis globs
// (GlobMatch); Mercure's URI templates are taken as globs, and its "*" means every channel
// either way. When a token has both claims, "herald" wins and "mercure" is not looked at.
namespace herald::protocol {

// Why a token was refused. Each has a stable name (JwtErrorName, fit for metric labels) and a
// one-line message (JwtErrorMessage). Listed in the order VerifyJwt checks.
enum class JwtError : uint8_t {
  kOk,                  // "ok"
  kTooLarge,            // "too_large": over max_token_bytes
  kMalformed,           // "malformed": not three dot-separated parts, or an empty header or
                        // claims part (an empty signature is judged by the algorithm)
  kBadBase64,           // "bad_base64": a part is not unpadded canonical base64url
  kBadHeaderJson,       // "bad_header_json": the header is not JSON (or not UTF-8)
  kHeaderNotObject,     // "header_not_object"
  kTooDeep,             // "too_deep": header or claims nest deeper than max_json_depth
  kDuplicateMember,     // "duplicate_member": a name appears twice in one JSON object
  kMissingAlg,          // "missing_alg": no "alg" header
  kBadHeaderParam,      // "bad_header_param": alg, kid, typ or cty is not a string
  kAlgNone,             // "alg_none": the unsecured "none" algorithm
  kUnknownAlg,          // "unknown_alg": an algorithm herald does not support
  kCritHeader,          // "crit_header": a "crit" header (no extension is understood)
  kNoKeys,              // "no_keys": no key is configured
  kUnknownKid,          // "unknown_kid": no key has the token's kid (and none is kid-less)
  kAlgMismatch,         // "alg_mismatch": the selected keys do not allow the token's alg
  kBadSignatureLength,  // "bad_signature_length": not the size the algorithm produces
  kBadSignature,        // "bad_signature": no candidate key verifies the signature
  kBadPayloadJson,      // "bad_payload_json": the claims are not JSON (or not UTF-8)
  kPayloadNotObject,    // "payload_not_object"
  kBadClaimType,        // "bad_claim_type": a registered claim has the wrong JSON type
  kBadGrants,           // "bad_grants": the herald / mercure claim is malformed
  kMissingExpiry,       // "missing_exp": require_expiry and no "exp"
  kExpired,             // "expired": now >= exp + leeway
  kNotYetValid,         // "not_yet_valid": nbf > now + leeway
  kIssuedInFuture,      // "issued_in_future": iat > now + leeway
  kBadIssuer,           // "bad_issuer": iss missing or not the expected issuer
  kBadAudience,         // "bad_audience": the audience is not in aud, or aud is unexpected
  kInternal,            // "internal": reserved for failures of herald itself; not returned
                        // today (an OpenSSL failure while verifying is bad_signature)
};

// Number of JwtError values (for tables of counters indexed by the enum).
inline constexpr size_t kJwtErrorCount = static_cast<size_t>(JwtError::kInternal) + 1;

// The stable snake_case name of `error` ("expired"); never changes once released.
std::string_view JwtErrorName(JwtError error);
// A human sentence for logs and 401 bodies; reveals nothing about the keys.
std::string_view JwtErrorMessage(JwtError error);

struct JwtOptions {
  // Longest token accepted, in bytes, checked before any decoding.
  size_t max_token_bytes = 8192;
  // Clock skew allowed on exp, nbf and iat, in seconds (negative counts as 0).
  int64_t leeway_seconds = 60;
  // Deepest JSON nesting in the header and the claims; the top-level object is depth 1.
  int max_json_depth = 16;
  // Refuse tokens without "exp" (browser tokens should expire).
  bool require_expiry = true;
  // When not empty, "iss" must be present and equal.
  std::string issuer;
  // When not empty, "aud" must contain it. When empty, a token with a non-empty "aud" is
  // refused (RFC 7519 section 4.1.3: a recipient not named in aud must reject).
  std::string audience;
};

// Where the grants of JwtClaims came from.
enum class JwtGrantSource : uint8_t { kNone, kHerald, kMercure };

// What a verified token says. Absent claims are empty / nullopt.
struct JwtClaims {
  JwtAlg alg = JwtAlg::kHs256;  // the header's algorithm
  std::string kid;              // the header's key id, if any
  size_t key_index = 0;         // index in `keys` of the key that verified the signature
  std::string sub;
  std::string iss;
  std::string jti;
  std::vector<std::string> aud;  // a string aud becomes one element
  // NumericDates in whole seconds (fractions are dropped).
  std::optional<int64_t> exp;
  std::optional<int64_t> nbf;
  std::optional<int64_t> iat;
  // Grants: channel globs the bearer may subscribe to and publish on (empty = none), and the
  // ACL user the token acts as (herald claim only; empty if not given).
  JwtGrantSource grants_from = JwtGrantSource::kNone;
  std::vector<std::string> subscribe;
  std::vector<std::string> publish;
  std::string user;
};

struct JwtResult {
  JwtError error = JwtError::kOk;
  // For kBadClaimType, kBadGrants and kBadHeaderParam: the offending name ("exp",
  // "herald.subscribe"), static text; empty otherwise.
  std::string_view where;
  JwtClaims claims;  // filled only when error == kOk

  bool ok() const { return error == JwtError::kOk; }
};

// Verifies a compact JWS `token` (no surrounding whitespace, no "Bearer ") against `keys` at
// Unix time `now` (seconds), and returns its claims or the first failure, in JwtError's order.
// The signature is checked before the claims are even decoded, so unauthenticated input only
// reaches the header parser.
//
// Key selection: with a "kid" header, the keys with that kid, else the kid-less keys
// (kUnknownKid if neither exists); without one, every key. Of those, the keys that allow the
// token's alg (kAlgMismatch if none) are tried in order; the first that verifies wins.
//
// Claim types: iss, sub, jti strings; aud a string or an array of strings; exp, nbf, iat
// numbers (not booleans) within +-2^53. JSON must be strict UTF-8, and no object (header,
// claims, or nested) may repeat a member name. Unknown claims and headers are ignored except
// "crit", which is refused.
JwtResult VerifyJwt(std::string_view token, std::span<const JwtKey> keys, const JwtOptions& options,
                    int64_t now);

// Builds a compact JWS: base64url(header_json) "." base64url(payload_json) "." signature, signed
// with `key` using `alg` whatever `header_json` says (so tests can forge mismatches). Empty
// when the key cannot sign with `alg`.
std::string SignJws(std::string_view header_json, std::string_view payload_json, const JwtKey& key,
                    JwtAlg alg);

// SignJws with the header {"alg":"<alg>","typ":"JWT"} (plus "kid" when the key has one).
std::string SignJwt(std::string_view payload_json, const JwtKey& key, JwtAlg alg);

// base64url without padding (RFC 7515 section 2 and appendix C).
std::string Base64UrlEncode(std::string_view bytes);
// Decodes unpadded base64url into *out. False (leaving *out unspecified) on any character
// outside [A-Za-z0-9_-] (so padding '=', '+', '/' and whitespace fail), a length of 4n+1, or
// non-zero unused bits in the last character (only the canonical encoding is accepted).
bool Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace herald::protocol
