// The gateway's HTTP side: reading requests, routing them, and answering them (gateway.h lists
// the routes).

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

using gateway_detail::Dump;
using gateway_detail::FindParam;
using gateway_detail::Json;
using protocol::HttpResult;

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

size_t GatewayConnection::ProcessHttp(std::string_view data) {
  size_t used = 0;
  while (used < data.size() && mode_ == Mode::kHttp && !closing() && !close_after_reply() &&
         !awaiting_forward_) {
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
    } else if (broker::PublishForwarder* forwarder = ActiveForwarder()) {
      // On a replica the message goes to the top of the tree, always (a browser on an edge node
      // must reach every node): answered once it is back here with its id (resp/forwarding.h).
      // Further requests on this connection wait.
      std::string error = forwarder->Forward(
          SubKind::kChannel, channel, request.body, true, this,
          [this, upgrade](const broker::PublishForwarder::Result& r) {
            awaiting_forward_ = false;
            if (!r.error.empty()) {
              Respond(503, "application/json", Dump({{"error", r.error}}), {}, upgrade);
            } else {
              ++server_->stats().published;
              Respond(200, "application/json",
                      Dump({{"receivers", r.receivers}, {"id", gateway_->IdJson(r.id)}}), {},
                      upgrade);
            }
            ResumeInput();
          });
      if (!error.empty()) {
        Respond(503, "application/json", Dump({{"error", error}}), {}, upgrade);
      } else {
        awaiting_forward_ = true;
      }
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

}  // namespace herald::gateway
