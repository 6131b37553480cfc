// Server-Sent Events: GET /sse/<channel> and /sse?channel=..&pattern=.., with resume.

#include "protocol/sse.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "config/address_rule.h"
#include "gateway/assets.h"
#include "gateway/gateway.h"
#include "gateway/internal.h"
#include "gateway/poll.h"
#include "protocol/glob.h"
#include "protocol/message_id.h"
#include "protocol/numbers.h"
#include "protocol/utf8.h"
#include "server/logging.h"
#include "server/server.h"

namespace herald::gateway {

using broker::Broker;
using broker::ChannelHistory;
using broker::Delivery;
using broker::FrameCache;
using broker::MessageIdSource;
using broker::PublishEvent;
using broker::SubKind;
using broker::WireFormat;
using config::AddressAllowed;
using config::ClientClass;
using config::Config;
using config::LogLevel;
using config::PeerIp;
using server::Connection;
using server::Log;
using server::Server;
namespace {

using gateway_detail::CollectMissed;
using gateway_detail::Dump;
using gateway_detail::FindParam;
using gateway_detail::GapJson;
using gateway_detail::Json;
using gateway_detail::Missed;
using gateway_detail::RequestedNames;

// The reconnection delay suggested to EventSource clients.
constexpr uint32_t kSseRetryMs = 2000;

}  // namespace

void GatewayConnection::StartSse(std::string_view channel,
                                 const std::vector<protocol::QueryParam>& params) {
  const auto [channels, patterns] = RequestedNames(channel, params);
  if (channels.empty() && patterns.empty()) {
    Respond(400, "text/plain", "no channel or pattern given\n", {}, true);
    return;
  }
  std::string why;
  if (int refusal = SubscribeStatus(channels, patterns, &why); refusal != 0) {
    RespondRefusal(refusal, why, true);
    return;
  }
  multi_stream_ = channels.size() + patterns.size() > 1 || !patterns.empty();
  std::string head =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\n";
  head += CorsHeaders();
  head += "\r\n";
  const std::string* padding = FindParam(params, "padding");
  if (padding != nullptr && *padding == "1") protocol::AppendSsePadding(&head);
  protocol::AppendSseRetry(kSseRetryMs, &head);
  // Resume: the browser's Last-Event-ID header, or lastEventId for polyfills that cannot set
  // headers. Missed messages of the named channels and patterns come first, after a gap notice
  // if the history does not reach back to that id.
  const std::string* last_event = reader_->request().FindHeader("Last-Event-ID");
  if (last_event == nullptr) last_event = FindParam(params, "lastEventId");
  if (last_event != nullptr && !last_event->empty()) {
    Missed missed = CollectMissed(*gateway_, channels, patterns, *last_event, server_->now_ms());
    if (missed.gap) {
      protocol::AppendSseEvent({.event = "gap", .data = GapJson(*gateway_, *last_event)}, &head);
    }
    for (size_t i = 0; i < missed.messages.size(); ++i) {
      const ChannelHistory::Message& message = *missed.messages[i];
      std::string id = gateway_->FormatId(message.id);
      if (multi_stream_) {
        Json envelope = {{"channel", missed.channels[i]}, {"data", message.payload}, {"id", id}};
        if (!missed.patterns[i].empty()) envelope["pattern"] = missed.patterns[i];
        protocol::AppendSseEvent({.id = id, .data = Dump(envelope)}, &head);
      } else {
        protocol::AppendSseEvent({.id = id, .data = message.payload}, &head);
      }
    }
  }
  Queue(head);
  mode_ = Mode::kSse;
  mode_ms_ = server_->now_ms();
  SubscribeAll(channels, patterns);
}

}  // namespace herald::gateway
