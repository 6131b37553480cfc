#include "gateway/gateway.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "config/address_rule.h"
#include "gateway/assets.h"
#include "gateway/internal.h"
#include "gateway/poll.h"
#include "protocol/glob.h"
#include "protocol/message_id.h"
#include "protocol/numbers.h"
#include "protocol/sse.h"
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
using gateway_detail::Missed;
using gateway_detail::RequestedNames;

using gateway_detail::Json;
using protocol::HttpResult;
using protocol::WsEvent;
using protocol::WsOpcode;

constexpr uint64_t kTickMs = 250;
// After its close frame, a WebSocket connection keeps reading (and dropping) what the peer still
// sends until the peer closes, for as long as bytes keep coming with gaps under kWsLingerIdleMs,
// and never longer than kWsLingerMaxMs in all.
constexpr uint64_t kWsLingerIdleMs = 2000;
constexpr uint64_t kWsLingerMaxMs = 10000;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Helpers shared by the gateway's HTTP/SSE part (gateway.cc) and its WebSocket part
// (gateway_websocket.cc).

namespace gateway_detail {

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

const std::string* FindParam(const std::vector<protocol::QueryParam>& params,
                             std::string_view name) {
  for (const auto& param : params) {
    if (param.name == name) return &param.value;
  }
  return nullptr;
}

Missed CollectMissed(Gateway& gateway, const std::vector<std::string>& channels,
                     const std::vector<std::string>& patterns, std::string_view last_event,
                     uint64_t now_ms) {
  // "start": whatever the history still holds, and no gap notice (nothing was asked for
  // before it); otherwise what came after the id.
  bool from_start = last_event == kResumeFromStart;
  uint64_t since = gateway.ResolveId(last_event);
  uint64_t last = gateway.last_offset();
  ++gateway.counters().history_reads;
  ChannelHistory& history = gateway.history();
  Missed unsorted;
  auto add = [&](const ChannelHistory::Range& range, std::string_view pattern) {
    unsorted.gap = unsorted.gap || range.gap;
    for (size_t i = 0; i < range.messages.size(); ++i) {
      unsorted.messages.push_back(range.messages[i]);
      unsorted.channels.push_back(range.channels[i]);
      unsorted.patterns.push_back(pattern);
    }
  };
  for (const std::string& name : channels) add(history.Since(name, since, last, now_ms), {});
  for (const std::string& name : patterns) {
    add(history.SinceMatching(name, since, last, now_ms), name);
  }
  std::vector<size_t> order(unsorted.messages.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return unsorted.messages[a]->id < unsorted.messages[b]->id;
  });
  Missed missed;
  missed.gap = unsorted.gap && !from_start;
  if (missed.gap) ++gateway.counters().gaps;
  for (size_t i : order) {
    missed.messages.push_back(unsorted.messages[i]);
    missed.channels.push_back(unsorted.channels[i]);
    missed.patterns.push_back(unsorted.patterns[i]);
  }
  return missed;
}

// The channels and patterns an SSE or poll request names: the one in its path, then every
// `channel=` and `pattern=` query parameter.
std::pair<std::vector<std::string>, std::vector<std::string>> RequestedNames(
    std::string_view channel, const std::vector<protocol::QueryParam>& params) {
  std::pair<std::vector<std::string>, std::vector<std::string>> names;
  if (!channel.empty()) names.first.emplace_back(channel);
  for (const auto& param : params) {
    if (param.value.empty()) continue;
    if (param.name == "channel") names.first.push_back(param.value);
    if (param.name == "pattern") names.second.push_back(param.value);
  }
  return names;
}

std::string GapJson(const Gateway& gateway, std::string_view since) {
  return Dump(
      {{"type", "gap"}, {"since", since}, {"last_id", gateway.FormatId(gateway.last_offset())}});
}

}  // namespace gateway_detail

// ---------------------------------------------------------------------------------------------
// Gateway

Gateway::Gateway(Server* server) : server_(server) {
  uv_timer_init(server_->loop(), &timer_);
  timer_.data = this;
}

Gateway::~Gateway() {
  if (observing_) server_->broker().RemoveObserver(this);
  DestroyPollSessions();
  // The loop has stopped running; close the timer and let the loop call its close callback so
  // that uv_loop_close() in ~Server finds no handle left.
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  uv_run(server_->loop(), UV_RUN_NOWAIT);
}

bool Gateway::Start(std::string* error) {
  if (server_->config().gateway_port == 0 && server_->config().gateway_tls_port == 0) return true;
  // Before listening: a gateway whose token keys cannot be loaded must not serve at all.
  if (!ApplyAuthConfig(true, error)) {
    config_error_ = true;
    return false;
  }
  if (!server_->ListenHttp(
          [this](Server* s, uint64_t id) { return new GatewayConnection(s, id, this); }, error)) {
    return false;
  }
  ApplyHistoryLimits();
  // The first SHA-1 through OpenSSL maps in a couple of MB of libcrypto and its provider state:
  // a fixed cost of serving WebSockets at all, paid here rather than by the first client.
  protocol::WsAcceptKey("dGhlIHNhbXBsZSBub25jZQ==");
  server_->broker().AddObserver(this);
  observing_ = true;
  uv_timer_start(&timer_, OnTick, kTickMs, kTickMs);
  // The timer alone must not keep the loop running after Server::Shutdown.
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));
  timer_started_ = true;
  return true;
}

int64_t Gateway::Publish(std::string_view channel, std::string_view payload, bool binary) {
  publishing_binary_ = binary;
  last_publish_id_ = 0;
  int64_t receivers = server_->broker().Publish(SubKind::kChannel, channel, payload);
  publishing_binary_ = false;
  ++server_->stats().published;
  return receivers;
}

namespace {

MessageIdSource::Line LineOf(const Broker& broker) {
  const MessageIdSource* source = broker.id_source();
  return source != nullptr ? source->line() : MessageIdSource::Line{};
}

}  // namespace

std::string Gateway::FormatId(uint64_t id) const {
  MessageIdSource::Line line = LineOf(server_->broker());
  std::string_view replid =
      !line.replid2.empty() && id <= line.second_offset ? line.replid2 : line.replid;
  return protocol::FormatMessageId(replid, id);
}

Json Gateway::IdJson(uint64_t id) const { return id == 0 ? Json(nullptr) : Json(FormatId(id)); }

uint64_t Gateway::ResolveId(std::string_view text) const {
  protocol::MessageId id;
  if (!protocol::ParseMessageId(text, &id)) return UINT64_MAX;
  MessageIdSource::Line line = LineOf(server_->broker());
  auto epoch_of = [](std::string_view replid) {
    return replid.substr(0, protocol::kMessageIdEpochSize);
  };
  if (id.epoch == epoch_of(line.replid) && id.offset <= line.offset) return id.offset;
  if (!line.replid2.empty() && id.epoch == epoch_of(line.replid2) &&
      id.offset <= line.second_offset) {
    return id.offset;
  }
  return UINT64_MAX;
}

uint64_t Gateway::last_offset() const { return LineOf(server_->broker()).offset; }

ChannelHistory& Gateway::history() {
  MessageIdSource::Line line = LineOf(server_->broker());
  if (line.generation != history_generation_) {
    // The stream restarted at line.start: what the history holds belongs to another history
    // (and its ids would be named with the wrong replication ID).
    history_.Clear(line.start);
    history_generation_ = line.generation;
  }
  return history_;
}

void Gateway::OnPublish(const PublishEvent& event) {
  if (event.kind != SubKind::kChannel) return;
  last_publish_id_ = event.id;
  // Messages without an id (published on a replica: local to it) cannot be resumed from.
  if (event.id != 0) history().Append(event.channel, event.id, server_->now_ms(), event.payload);
}

void Gateway::ApplyHistoryLimits() {
  const Config& cfg = server_->config();
  history_.set_limits({.max_count = static_cast<size_t>(cfg.gateway_history_size),
                       .max_bytes = cfg.gateway_history_bytes,
                       .max_age_ms = static_cast<uint64_t>(cfg.gateway_history_age) * 1000});
}

void Gateway::Add(GatewayConnection* connection) {
  connection->registry_index_ = static_cast<uint32_t>(connections_.size());
  connections_.push_back(connection);
  server_->set_gateway_connection_count(connections_.size());
}

uint32_t Gateway::CountAddress(std::string_view ip, int delta) {
  auto it = per_address_.try_emplace(std::string(ip), 0).first;
  it->second += delta;
  uint32_t count = it->second;
  if (count == 0) per_address_.erase(it);
  return count;
}

void Gateway::Remove(GatewayConnection* connection) {
  const size_t index = connection->registry_index_;
  if (index >= connections_.size() || connections_[index] != connection) return;
  // Swap-remove: the last connection takes the freed slot.
  connections_[index] = connections_.back();
  connections_[index]->registry_index_ = static_cast<uint32_t>(index);
  connections_.pop_back();
  server_->set_gateway_connection_count(connections_.size());
}

void Gateway::OnTick(uv_timer_t* handle) { static_cast<Gateway*>(handle->data)->Tick(); }

void Gateway::Tick() {
  uint64_t now = server_->now_ms();
  ApplyHistoryLimits();  // CONFIG SET may have changed them
  std::string auth_error;
  ApplyAuthConfig(false, &auth_error);
  if (++tick_count_ % 4 == 0) history_.Expire(now);
  ExpirePollSessions(now);
  ReapPollSessions();
  // OnTick may close a connection, which removes it from the registry.
  std::vector<GatewayConnection*> all(connections_);
  for (GatewayConnection* connection : all) connection->OnTick(now);
}

// ---------------------------------------------------------------------------------------------
// GatewayConnection

namespace {

protocol::HttpLimits LimitsFrom(const Config& config) {
  protocol::HttpLimits limits;
  limits.max_header_bytes = config.gateway_max_header_bytes;
  limits.max_body_bytes = config.gateway_max_body_bytes;
  return limits;
}

}  // namespace

GatewayConnection::GatewayConnection(Server* server, uint64_t id, Gateway* gateway)
    : Connection(server, id),
      gateway_(gateway),
      reader_(std::make_unique<protocol::HttpRequestReader>(LimitsFrom(server->config()))),
      mode_ms_(server->now_ms()) {
  gateway_->Add(this);
}

GatewayConnection::~GatewayConnection() = default;

std::string_view GatewayConnection::transport() const {
  switch (mode_) {
    case Mode::kSse:
      return "sse";
    case Mode::kWebSocket:
      return "websocket";
    case Mode::kPoll:
    case Mode::kPollDone:
      return "poll";
    default:
      return "http";
  }
}

ClientClass GatewayConnection::output_class() const {
  return mode_ == Mode::kSse || mode_ == Mode::kWebSocket ? ClientClass::kPubSub
                                                          : ClientClass::kNormal;
}

void GatewayConnection::OnClosing() {
  if (poll_session_ != nullptr) {
    poll_session_->Attach(nullptr);
    FinishPoll();
  }
  server_->broker().UnsubscribeAll(this);
  if (broker::PublishForwarder* forwarder = server_->broker().forwarder()) forwarder->Cancel(this);
  if (counted_address_) gateway_->CountAddress(PeerIp(peer()), -1);
  counted_address_ = false;
  gateway_->Remove(this);
}

void GatewayConnection::OnAccepted() {
  std::string_view ip = PeerIp(peer());
  if (!config::AddressAllowed(server_->config().gateway_trusted_proxies, ip)) {
    gateway_->CountAddress(ip, +1);
    counted_address_ = true;
  }
}

void GatewayConnection::OnTick(uint64_t now_ms) {
  if (closing()) return;
  if (identity_ != nullptr && ExpireToken(UnixNow())) return;
  const Config& cfg = server_->config();
  switch (mode_) {
    case Mode::kHttp: {
      // A request (or a new connection's first one) must arrive whole within the header
      // deadline, however slowly its bytes trickle in (slowloris); between requests an idle
      // keep-alive connection is closed silently.
      bool fresh = !had_request_ && !in_request_;
      uint64_t limit_s =
          in_request_ || fresh ? cfg.gateway_header_timeout : cfg.gateway_keepalive_timeout;
      if (limit_s > 0 && now_ms - mode_ms_ > limit_s * 1000) {
        if (in_request_ || fresh) {
          Respond(408, "text/plain", "request timeout\n", {}, true);
        } else {
          Close();
        }
      }
      break;
    }
    case Mode::kSse: {
      uint64_t interval = static_cast<uint64_t>(cfg.gateway_sse_heartbeat) * 1000;
      if (interval > 0 && now_ms - mode_ms_ >= interval) {
        static const protocol::SharedBytes kHeartbeat = protocol::SharedBytes::Copy(":\n\n");
        QueueShared(kHeartbeat);
        mode_ms_ = now_ms;
      }
      break;
    }
    case Mode::kWebSocket: {
      // Ping every heartbeat interval; a peer silent for two intervals (no pong, no data) is
      // dead.
      uint64_t interval = static_cast<uint64_t>(cfg.gateway_sse_heartbeat) * 1000;
      if (interval == 0) break;
      if (now_ms - last_interaction_ms() > 2 * interval + kTickMs) {
        Log(LogLevel::kVerbose, "Closing unresponsive WebSocket client {}", peer());
        Close();
      } else if (now_ms - mode_ms_ >= interval) {
        std::string ping;
        protocol::AppendWsFrame(WsOpcode::kPing, "", &ping);
        Queue(ping);
        mode_ms_ = now_ms;
      }
      break;
    }
    case Mode::kPoll:
      if (now_ms >= mode_ms_) {
        // Nothing came: an empty answer, and the session's grace period starts.
        PollSession* session = poll_session_;
        session->Attach(nullptr);
        std::string last = AnswerPoll(nullptr, session);
        session->Detach(now_ms, &last);
        FinishPoll();
      }
      break;
    case Mode::kPollDone:
      FinishPoll();
      break;
    case Mode::kDone:
      break;
    case Mode::kWsLinger:
      if (now_ms - last_interaction_ms() > kWsLingerIdleMs || now_ms - mode_ms_ > kWsLingerMaxMs) {
        Close();
      }
      break;
  }
}

size_t GatewayConnection::ProcessInput(std::string_view data) {
  switch (mode_) {
    case Mode::kHttp:
      return ProcessHttp(data);
    case Mode::kWebSocket:
      return ProcessWebSocket(data);
    case Mode::kPollDone:
      FinishPoll();
      return mode_ == Mode::kHttp ? ProcessHttp(data) : data.size();
    case Mode::kPoll:
      return 0;  // a pipelined request waits for the poll's answer
    case Mode::kSse:
    case Mode::kDone:
    case Mode::kWsLinger:
      break;
  }
  return data.size();
}

void GatewayConnection::StartWebSocket(std::string_view channel) {
  mode_ = Mode::kWebSocket;
  mode_ms_ = server_->now_ms();
  if (!json_protocol_) {
    ws_name_.assign(channel);
    server_->broker().Subscribe(this, SubKind::kChannel, ws_channel());
  }
}

void GatewayConnection::Deliver(const Delivery& delivery, FrameCache& frames) {
  Gateway::Counters& counters = gateway_->counters();
  if (mode_ == Mode::kSse) {
    ++counters.deliveries_sse;
    WireFormat format = multi_stream_ ? WireFormat::kSseJson : WireFormat::kSse;
    protocol::SharedBytes& frame = frames.slot(format);
    if (!frame) {
      // A message without an id (local to a replica) goes without `id:`: the browser keeps
      // the last id it had, which is still where it would resume.
      std::string id_text = delivery.id == 0 ? std::string() : gateway_->FormatId(delivery.id);
      if (multi_stream_) {
        Json envelope = {{"channel", delivery.channel},
                         {"data", delivery.payload},
                         {"id", gateway_->IdJson(delivery.id)}};
        if (!delivery.pattern.empty()) envelope["pattern"] = delivery.pattern;
        std::string text = Dump(envelope);
        frame = protocol::EncodeSseEvent({.id = id_text, .data = text});
      } else {
        frame = protocol::EncodeSseEvent({.id = id_text, .data = delivery.payload});
      }
    }
    QueueShared(frame);
    return;
  }
  if (mode_ != Mode::kWebSocket) return;
  ++counters.deliveries_websocket;
  if (json_protocol_) {
    protocol::SharedBytes& frame = frames.slot(WireFormat::kWebSocketJson);
    if (!frame) {
      Json push = {{"type", delivery.pattern.empty() ? "message" : "pmessage"},
                   {"channel", delivery.channel},
                   {"data", delivery.payload},
                   {"id", gateway_->IdJson(delivery.id)}};
      if (!delivery.pattern.empty()) push["pattern"] = delivery.pattern;
      frame = protocol::EncodeWsFrame(WsOpcode::kText, Dump(push));
    }
    QueueShared(frame);
    return;
  }
  // One message is one frame for every subscriber: whichever opcode the first one chose.
  protocol::SharedBytes& text = frames.slot(WireFormat::kWebSocketText);
  protocol::SharedBytes& binary = frames.slot(WireFormat::kWebSocketBinary);
  if (!text && !binary) {
    if (gateway_->publishing_binary() || !protocol::IsValidUtf8(delivery.payload)) {
      binary = protocol::EncodeWsFrame(WsOpcode::kBinary, delivery.payload);
    } else {
      text = protocol::EncodeWsFrame(WsOpcode::kText, delivery.payload);
    }
  }
  QueueShared(text ? text : binary);
}

void GatewayConnection::SubscribeAll(const std::vector<std::string>& channels,
                                     const std::vector<std::string>& patterns) {
  for (const std::string& name : channels) {
    server_->broker().Subscribe(this, SubKind::kChannel, name);
  }
  for (const std::string& name : patterns) {
    server_->broker().Subscribe(this, SubKind::kPattern, name);
  }
}

}  // namespace herald::gateway
