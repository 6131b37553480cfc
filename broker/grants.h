#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace herald::broker {

// What a client may do with channels: the permission check shared by the front ends (a browser
// token's grants today; ACL users' channel rules use the same semantics as Redis 7's `&pattern`).
// Each list holds Redis globs (protocol::GlobMatch).
//   - SUBSCRIBE / PUBLISH of a channel: allowed when a glob matches the channel name.
//   - PSUBSCRIBE of a pattern: allowed when the pattern is literally one of the globs, or a glob
//     is "*" (as Redis's ACLs: a pattern subscription is not checked by matching, since
//     "news.*" would otherwise let "*" through).
struct ChannelGrants {
  std::vector<std::string> subscribe;
  std::vector<std::string> publish;

  // Grants for everything (an unauthenticated client where no authentication is required).
  static ChannelGrants All();

  bool MaySubscribe(std::string_view channel) const;
  bool MayPSubscribe(std::string_view pattern) const;
  bool MayPublish(std::string_view channel) const;
};

}  // namespace herald::broker
