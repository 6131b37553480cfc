#include "broker/grants.h"

#include <algorithm>

#include "protocol/glob.h"

namespace herald::broker {
namespace {

bool AnyMatches(const std::vector<std::string>& globs, std::string_view name) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& glob) { return protocol::GlobMatch(glob, name); });
}

}  // namespace

ChannelGrants ChannelGrants::All() { return {.subscribe = {"*"}, .publish = {"*"}}; }

bool ChannelGrants::MaySubscribe(std::string_view channel) const {
  return AnyMatches(subscribe, channel);
}

bool ChannelGrants::MayPSubscribe(std::string_view pattern) const {
  return std::any_of(subscribe.begin(), subscribe.end(),
                     [&](const std::string& glob) { return glob == "*" || glob == pattern; });
}

bool ChannelGrants::MayPublish(std::string_view channel) const {
  return AnyMatches(publish, channel);
}

}  // namespace herald::broker
