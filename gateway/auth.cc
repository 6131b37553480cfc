#include "gateway/auth.h"

#include <fmt/format.h>

#include <ctime>
#include <fstream>
#include <sstream>

namespace herald::gateway {

int64_t UnixNow() { return static_cast<int64_t>(std::time(nullptr)); }

std::string GatewayAuth::Fingerprint(const config::Config& config) const {
  // Every directive Configure reads, separated by a byte no directive value holds unquoted.
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}", config.gateway_auth,
                     config.requirepass.empty(), config.gateway_jwt_secret,
                     config.gateway_jwt_public_key_file, config.gateway_jwt_issuer,
                     config.gateway_jwt_audience, config.gateway_jwt_require_exp,
                     config.gateway_jwt_leeway, config.gateway_jwt_max_bytes);
}

bool GatewayAuth::Configure(const config::Config& config, std::string* error,
                            std::string* warning) {
  std::vector<protocol::JwtKey> keys;
  if (!config.gateway_jwt_secret.empty()) {
    std::string why;
    std::optional<protocol::JwtKey> key = protocol::JwtKey::Hmac(config.gateway_jwt_secret, &why);
    if (!key) {
      *error = fmt::format("gateway-jwt-secret: {}", why);
      return false;
    }
    keys.push_back(std::move(*key));
  }
  if (!config.gateway_jwt_public_key_file.empty()) {
    std::ifstream file(config.gateway_jwt_public_key_file, std::ios::binary);
    std::ostringstream pem;
    if (!file || !(pem << file.rdbuf())) {
      *error = fmt::format("gateway-jwt-public-key-file: cannot read '{}'",
                           config.gateway_jwt_public_key_file);
      return false;
    }
    std::string why;
    std::optional<protocol::JwtKey> key = protocol::JwtKey::FromPublicPem(pem.str(), &why);
    if (!key) {
      *error = fmt::format("gateway-jwt-public-key-file '{}': {}",
                           config.gateway_jwt_public_key_file, why);
      return false;
    }
    keys.push_back(std::move(*key));
  }
  Mode mode = Mode::kOptional;
  if (config.gateway_auth == "off") {
    mode = Mode::kOff;
  } else if (config.gateway_auth == "required" ||
             (config.gateway_auth == "auto" && !config.requirepass.empty())) {
    mode = Mode::kRequired;
  }
  warning->clear();
  if (mode == Mode::kOff && !config.requirepass.empty()) {
    *warning =
        "gateway-auth is off while requirepass is set: browsers reach every channel without a "
        "password or token";
  } else if (mode == Mode::kRequired && keys.empty()) {
    *warning =
        "gateway-auth requires tokens but neither gateway-jwt-secret nor "
        "gateway-jwt-public-key-file is set: only the gateway-publish-token can use the gateway";
  }
  mode_ = mode;
  keys_ = std::move(keys);
  options_ = protocol::JwtOptions{
      .max_token_bytes = static_cast<size_t>(config.gateway_jwt_max_bytes),
      .leeway_seconds = config.gateway_jwt_leeway,
      .require_expiry = config.gateway_jwt_require_exp,
      .issuer = config.gateway_jwt_issuer,
      .audience = config.gateway_jwt_audience,
  };
  fingerprint_ = Fingerprint(config);
  return true;
}

bool GatewayAuth::Reconfigure(const config::Config& config, std::string* error,
                              std::string* warning) {
  std::string fingerprint = Fingerprint(config);
  if (fingerprint == fingerprint_) return true;
  // A refused change is not retried every tick: the next change of a directive tries again.
  if (!Configure(config, error, warning)) {
    fingerprint_ = std::move(fingerprint);
    return false;
  }
  return true;
}

std::shared_ptr<const GatewayAuth::Identity> GatewayAuth::Verify(std::string_view token,
                                                                 int64_t now,
                                                                 protocol::JwtError* error) {
  protocol::JwtResult result = protocol::VerifyJwt(token, keys_, options_, now);
  if (!result.ok()) {
    ++counters_.refused[static_cast<size_t>(result.error)];
    *error = result.error;
    return nullptr;
  }
  ++counters_.accepted;
  auto identity = std::make_shared<Identity>();
  identity->subject = std::move(result.claims.sub);
  identity->grants.subscribe = std::move(result.claims.subscribe);
  identity->grants.publish = std::move(result.claims.publish);
  identity->acl_user = std::move(result.claims.user);
  if (result.claims.exp) identity->expires_at = *result.claims.exp + options_.leeway_seconds;
  return identity;
}

}  // namespace herald::gateway
