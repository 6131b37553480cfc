#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "broker/grants.h"
#include "config/config.h"
#include "protocol/jwt.h"

namespace herald::gateway {

// The gateway's browser tokens: which keys verify them, the rules they must pass, and what a
// verified token lets its bearer do. Built from the gateway-auth and gateway-jwt-* directives
// (Configure), and rebuilt when CONFIG SET changes them.
//
// A token is a JWT (protocol/jwt.h) signed with gateway-jwt-secret (HS256/384/512) or the
// private half of gateway-jwt-public-key-file (RS256/384/512, ES256). Its "herald" (or
// Mercure's "mercure") claim grants channels to subscribe to and publish on, as globs:
//   {"sub": "alice", "exp": 1767225600,
//    "herald": {"subscribe": ["chat.alice", "news.*"], "publish": ["chat.alice"]}}
class GatewayAuth {
 public:
  enum class Mode : uint8_t { kOff, kOptional, kRequired };

  // What a verified token says its bearer is and may do; shared by the connections that use it.
  struct Identity {
    std::string subject;  // "sub", may be empty
    broker::ChannelGrants grants;
    int64_t expires_at = 0;  // unix seconds at which the connection must end; 0: never
    // The ACL user the token acts as ("herald": {"user": ...}), "" for none. Its channel and
    // command rules apply (looked up at each check, so ACL changes take effect at once); the
    // token's own lists, when it has them, narrow them further.
    std::string acl_user;
  };

  // Counted for /metrics.
  struct Counters {
    uint64_t accepted = 0;                                     // tokens verified
    std::array<uint64_t, protocol::kJwtErrorCount> refused{};  // tokens refused, by reason
    uint64_t missing = 0;              // requests refused for want of a token (401)
    uint64_t forbidden_subscribe = 0;  // subscriptions outside the grants (403)
    uint64_t forbidden_publish = 0;    // publishes outside the grants (403)
    uint64_t expired_connections = 0;  // connections closed because their token expired
    uint64_t unknown_user = 0;         // tokens naming an ACL user that does not exist or is off
  };

  // Reads the directives (and the public key file). Returns false with a sentence in *error
  // when they cannot work (an unreadable or unusable key); *warning gets a sentence when they
  // work but are probably not what was meant (the gateway open while requirepass is set, tokens
  // required with no key to verify them). Keeps the previous keys on failure.
  bool Configure(const config::Config& config, std::string* error, std::string* warning);
  // Configure() again if a directive it reads changed since the last call. Returns false with
  // *error when the new values were refused (the old ones stay in force).
  bool Reconfigure(const config::Config& config, std::string* error, std::string* warning);

  Mode mode() const { return mode_; }
  bool has_keys() const { return !keys_.empty(); }

  // Verifies `token` at unix time `now`. Null (and *error set) when it is refused; counts both.
  std::shared_ptr<const Identity> Verify(std::string_view token, int64_t now,
                                         protocol::JwtError* error);

  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }

 private:
  std::string Fingerprint(const config::Config& config) const;

  Mode mode_ = Mode::kOptional;
  std::vector<protocol::JwtKey> keys_;
  protocol::JwtOptions options_;
  std::string fingerprint_;
  Counters counters_;
};

// The current unix time in seconds.
int64_t UnixNow();

}  // namespace herald::gateway
