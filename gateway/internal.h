#pragma once

// Internal to the gateway: helpers shared by gateway.cc (HTTP, SSE, long-poll) and
// gateway_websocket.cc (WebSocket frames and the /ws JSON protocol).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/channel_history.h"
#include "protocol/http_request.h"

namespace herald::gateway {

class Gateway;

namespace gateway_detail {

using Json = nlohmann::json;

// JSON text of `value`; payloads that are not valid UTF-8 get U+FFFD for each bad sequence
// rather than failing (JSON strings cannot carry arbitrary bytes).
std::string Dump(const Json& value);

const std::string* FindParam(const std::vector<protocol::QueryParam>& params,
                             std::string_view name);

// The history a resuming client missed, over channels and patterns, in id order. A message of
// a channel that is also matched by a pattern comes once per subscription, as it would live.
struct Missed {
  std::vector<const broker::ChannelHistory::Message*> messages;
  std::vector<std::string_view> channels;
  std::vector<std::string_view> patterns;  // "" for a channel subscription
  bool gap = false;
};
// The resume id that asks for everything the history holds (`since=start`, `lastEventId=start`).
inline constexpr std::string_view kResumeFromStart = "start";
Missed CollectMissed(Gateway& gateway, const std::vector<std::string>& channels,
                     const std::vector<std::string>& patterns, std::string_view last_event,
                     uint64_t now_ms);

// The channels and patterns an SSE or poll request names: the one in its path, then every
// `channel=` and `pattern=` query parameter.
std::pair<std::vector<std::string>, std::vector<std::string>> RequestedNames(
    std::string_view channel, const std::vector<protocol::QueryParam>& params);

// The gap notice's JSON: which id the client asked to resume after, and the newest id here.
std::string GapJson(const Gateway& gateway, std::string_view since);

}  // namespace gateway_detail
}  // namespace herald::gateway
