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
// The reconnection delay suggested to EventSource clients.
constexpr uint32_t kSseRetryMs = 2000;

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 426:
      return "Upgrade Required";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

// Splits "/prefix/<rest>" into the percent-decoded rest. Returns false if `path` is not under
// `prefix` or the rest does not decode.
bool PathParam(std::string_view path, std::string_view prefix, std::string* out) {
  if (path.size() <= prefix.size() || path.substr(0, prefix.size()) != prefix) return false;
  return protocol::PercentDecode(path.substr(prefix.size()), false, out);
}

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
  if (server_->config().gateway_port == 0) return true;
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

size_t GatewayConnection::ProcessHttp(std::string_view data) {
  size_t used = 0;
  while (used < data.size() && mode_ == Mode::kHttp && !closing() && !close_after_reply()) {
    if (!had_request_ && !in_request_) {
      // Admission (the server left it to us): the gateway's own limits, so that idle browsers
      // never lock out RESP clients, and one address cannot take every slot.
      const Config& cfg = server_->config();
      if (gateway_->connection_count() > static_cast<size_t>(cfg.gateway_maxclients)) {
        ++gateway_->counters().rejected_maxclients;
        Respond(503, "text/plain", "max number of clients reached\n", {}, true);
        return data.size();
      }
      if (counted_address_ && cfg.gateway_max_per_address > 0 &&
          gateway_->CountAddress(PeerIp(peer()), 0) >
              static_cast<uint32_t>(cfg.gateway_max_per_address)) {
        ++gateway_->counters().rejected_per_address;
        Respond(503, "text/plain", "too many connections from this address\n", {}, true);
        return data.size();
      }
    }
    if (!in_request_) {
      in_request_ = true;
      mode_ms_ = server_->now_ms();
    }
    size_t consumed = 0;
    HttpResult result = reader_->Feed(data.substr(used), &consumed);
    used += consumed;
    switch (result) {
      case HttpResult::kNeedMore:
        return data.size();
      case HttpResult::kOk:
      case HttpResult::kUpgrade:
        in_request_ = false;
        had_request_ = true;
        ++gateway_->counters().requests;
        mode_ms_ = server_->now_ms();
        HandleRequest(result == HttpResult::kUpgrade);
        if (mode_ == Mode::kSse || mode_ == Mode::kWebSocket) {
          // No more HTTP on this connection: free the reader and the request it still holds
          // (its headers alone take a few hundred bytes).
          reader_.reset();
        }
        if (mode_ == Mode::kWebSocket && used < data.size()) {
          // Frames sent right behind the handshake.
          used += ProcessWebSocket(data.substr(used));
        }
        break;
      default: {
        int status = protocol::HttpStatusFor(result);
        Log(LogLevel::kVerbose, "HTTP error {} from {}: {}", status, peer(), reader_->error());
        Respond(status, "text/plain", fmt::format("{}\n", reader_->error()), {}, true);
        return data.size();
      }
    }
  }
  return mode_ == Mode::kHttp ? used : data.size();
}

void GatewayConnection::Respond(int status, std::string_view content_type, std::string_view body,
                                std::string_view extra_headers, bool close) {
  // Not called once the reader is gone (SSE, WebSocket); if it were, it would close.
  bool keep =
      !close && reader_ != nullptr && reader_->request().keep_alive && !reader_->request().upgrade;
  if (status >= 400) ++gateway_->counters().errors;
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", status, ReasonPhrase(status));
  if (!body.empty() || status != 204) {
    fmt::format_to(std::back_inserter(out), "Content-Type: {}\r\nContent-Length: {}\r\n",
                   content_type, body.size());
  }
  out += "Cache-Control: no-store\r\n";
  out += CorsHeaders();
  out.append(extra_headers);
  if (!keep) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_only_) out.append(body);
  Queue(out);
  if (!keep) {
    mode_ = Mode::kDone;
    CloseAfterReply();
  }
}

bool GatewayConnection::OriginAllowed(std::string_view origin) const {
  for (const std::string& allowed : server_->config().gateway_cors_origins) {
    if (allowed == "*" || allowed == origin) return true;
  }
  return false;
}

std::string GatewayConnection::CorsHeaders() const {
  if (reader_ == nullptr) return {};
  const std::string* origin = reader_->request().FindHeader("Origin");
  if (origin == nullptr || !OriginAllowed(*origin)) return {};
  return fmt::format("Access-Control-Allow-Origin: {}\r\nVary: Origin\r\n", *origin);
}

bool GatewayConnection::ChannelAllowed(std::string_view channel) const {
  for (const std::string& glob : server_->config().gateway_publish_channels) {
    if (protocol::GlobMatch(glob, channel)) return true;
  }
  return false;
}

void GatewayConnection::HandleRequest(bool upgrade) {
  protocol::HttpRequest& request = reader_->request();
  head_only_ = request.method == "HEAD";
  protocol::TargetParts target = protocol::SplitTarget(request.target);
  std::vector<protocol::QueryParam> params;
  if (!protocol::ParseQuery(target.query, &params)) {
    Respond(400, "text/plain", "malformed query string\n", {}, true);
    return;
  }
  bool get = request.method == "GET" || head_only_;
  std::string channel;
  if (request.method == "OPTIONS") {
    // CORS preflight.
    const std::string* origin = request.FindHeader("Origin");
    if (origin != nullptr && !OriginAllowed(*origin)) {
      Respond(403, "text/plain", "origin not allowed\n", {}, upgrade);
      return;
    }
    Respond(204, "", "",
            "Allow: GET, POST, OPTIONS\r\n"
            "Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n"
            "Access-Control-Allow-Headers: Authorization, Content-Type, Last-Event-ID\r\n"
            "Access-Control-Max-Age: 600\r\n",
            upgrade);
    return;
  }
  if (const WebAsset* asset = FindWebAsset(target.path); asset != nullptr) {
    // The browser client and demo page (gateway/assets.h), revalidated by ETag.
    if (!get) {
      Respond(405, "text/plain", "method not allowed\n", "Allow: GET, HEAD\r\n", upgrade);
      return;
    }
    bool keep = !upgrade && request.keep_alive;
    Queue(BuildAssetResponse(*asset, request.FindHeader("If-None-Match"), head_only_, keep,
                             CorsHeaders()));
    if (!keep) {
      mode_ = Mode::kDone;
      CloseAfterReply();
    }
    return;
  }
  if (target.path == "/metrics") {
    if (!get) {
      Respond(405, "text/plain", "method not allowed\n", "Allow: GET, HEAD\r\n", upgrade);
      return;
    }
    if (!MetricsPermitted(params)) {
      ++gateway_->counters().metrics_refused;
      Respond(403, "text/plain", "metrics not allowed\n", {}, upgrade);
      return;
    }
    Respond(200, "text/plain; version=0.0.4; charset=utf-8", gateway_->RenderMetrics(), {},
            upgrade);
    return;
  }
  if (target.path == "/healthz") {
    if (!get) {
      Respond(405, "text/plain", "method not allowed\n", "Allow: GET, HEAD\r\n", upgrade);
      return;
    }
    Respond(200, "text/plain", "ok\n", {}, upgrade);
    return;
  }
  // Everything below acts on channels: who is asking?
  if (!Authenticate(params)) return;
  if (target.path.starts_with("/publish/")) {
    std::string why;
    int refusal = 0;
    if (!PathParam(target.path, "/publish/", &channel)) {
      Respond(404, "text/plain", "not found\n", {}, upgrade);
    } else if (request.method != "POST") {
      Respond(405, "text/plain", "method not allowed\n", "Allow: POST\r\n", upgrade);
    } else if (!OriginPermitted()) {
      // A page of another site must not publish with this browser's address or cookies.
      Respond(403, "application/json", "{\"error\":\"origin not allowed\"}", {}, upgrade);
    } else if ((refusal = PublishStatus(channel, &why)) != 0) {
      RespondRefusal(refusal, why, upgrade);
    } else {
      int64_t receivers = gateway_->Publish(channel, request.body, false);
      Respond(
          200, "application/json",
          Dump({{"receivers", receivers}, {"id", gateway_->IdJson(gateway_->last_publish_id())}}),
          {}, upgrade);
    }
    return;
  }
  if (target.path == "/poll" || target.path.starts_with("/poll/")) {
    if (target.path != "/poll" && !PathParam(target.path, "/poll/", &channel)) {
      Respond(404, "text/plain", "not found\n", {}, upgrade);
    } else if (!get) {
      Respond(405, "text/plain", "method not allowed\n", "Allow: GET\r\n", upgrade);
    } else {
      HandlePoll(channel, params);
    }
    return;
  }
  bool sse = target.path == "/sse" || target.path.starts_with("/sse/");
  bool ws = target.path == "/ws" || target.path.starts_with("/ws/");
  if ((sse && target.path != "/sse" && !PathParam(target.path, "/sse/", &channel)) ||
      (ws && target.path != "/ws" && !PathParam(target.path, "/ws/", &channel)) || (!sse && !ws)) {
    Respond(404, "text/plain", "not found\n", {}, upgrade);
    return;
  }
  if (!get) {
    Respond(405, "text/plain", "method not allowed\n", "Allow: GET\r\n", upgrade);
    return;
  }
  if (sse) {
    if (upgrade) {
      Respond(400, "text/plain", "unexpected upgrade\n", {}, true);
      return;
    }
    StartSse(channel, params);
    return;
  }
  // WebSocket.
  protocol::WsHandshakeResult check = protocol::CheckWsHandshake(request);
  if (check != protocol::WsHandshakeResult::kOk) {
    Queue(protocol::BuildWsHandshakeRejection(check));
    mode_ = Mode::kDone;
    CloseAfterReply();
    return;
  }
  // Browsers let any page open a WebSocket to any site (no CORS): without this check a page
  // of another site could subscribe and publish with the visitor's address (cross-site
  // WebSocket hijacking).
  if (!OriginPermitted()) {
    Respond(403, "text/plain", "origin not allowed\n", {}, true);
    return;
  }
  if (target.path != "/ws") {
    std::string why;
    if (int refusal = SubscribeStatus({channel}, {}, &why); refusal != 0) {
      RespondRefusal(refusal, why, true);
      return;
    }
  }
  Queue(protocol::BuildWsHandshakeResponse(request));
  json_protocol_ = target.path == "/ws";
  if (const std::string* last_event = FindParam(params, "lastEventId");
      json_protocol_ && last_event != nullptr) {
    ws_name_ = *last_event;
  }
  StartWebSocket(channel);
}

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
