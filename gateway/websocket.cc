// The WebSocket side of the gateway's connections: frames in (RFC 6455 via protocol::WsDecoder),
// the close handshake, and the /ws JSON command protocol with its history replay.

#include "protocol/websocket.h"

#include <cctype>
#include <string>
#include <vector>

#include "gateway/gateway.h"
#include "gateway/internal.h"
#include "server/logging.h"
#include "server/server.h"

namespace herald::gateway {

using broker::Broker;
using broker::SubKind;
using config::Config;
using config::LogLevel;
using server::Log;

using gateway_detail::CollectMissed;
using gateway_detail::Dump;
using gateway_detail::GapJson;
using gateway_detail::Json;
using gateway_detail::Missed;
using protocol::WsEvent;
using protocol::WsOpcode;

namespace {

protocol::WsDecoderLimits WsLimitsFrom(const Config& config) {
  protocol::WsDecoderLimits limits;
  limits.max_message_size = config.gateway_ws_max_message;
  return limits;
}

}  // namespace

size_t GatewayConnection::ProcessWebSocket(std::string_view data) {
  size_t used = 0;
  while (mode_ == Mode::kWebSocket && !closing() && !close_after_reply()) {
    if (decoder_ == nullptr) {
      decoder_ = std::make_unique<protocol::WsDecoder>(WsLimitsFrom(server_->config()));
    }
    size_t consumed = 0;
    WsEvent event = decoder_->Feed(data.substr(used), &consumed);
    used += consumed;
    switch (event) {
      case WsEvent::kNeedMore:
        // Between frames a new decoder would carry on exactly like this one: drop it, so that
        // an idle WebSocket holds neither the decoder nor a message buffer.
        if (decoder_->idle()) decoder_.reset();
        return data.size();
      case WsEvent::kMessage:
        ++gateway_->counters().websocket_messages_in;
        HandleWsMessage(decoder_->opcode(), decoder_->payload());
        break;
      case WsEvent::kPing: {
        std::string pong;
        protocol::AppendWsFrame(WsOpcode::kPong, decoder_->payload(), &pong);
        Queue(pong);
        break;
      }
      case WsEvent::kPong:
        break;
      case WsEvent::kClose:
        // A non-null empty reason: the codec memcpy()s it.
        SendWsClose(decoder_->close_code(), std::string_view("", 0));
        return data.size();
      case WsEvent::kError:
        Log(LogLevel::kVerbose, "WebSocket protocol error from {}: {}", peer(),
            decoder_->close_reason());
        ++gateway_->counters().errors;
        SendWsClose(decoder_->close_code(), decoder_->close_reason());
        return data.size();
    }
  }
  return data.size();
}

void GatewayConnection::SendWsClose(uint16_t code, std::string_view reason) {
  std::string frame;
  protocol::AppendWsCloseFrame(code, reason, &frame);
  Queue(frame);
  server_->broker().UnsubscribeAll(this);
  // Closing the socket while the peer is still sending (the rest of a refused message, frames
  // already in flight) would answer those bytes with a RST, which can destroy the close frame
  // before the peer reads it: browsers and `ws` then report 1006 instead of our code. So write
  // the close frame and a FIN now (RFC 6455 7.1.1: the server closes the TCP connection first)
  // and discard input until the peer closes its side too (kWsLinger). A peer that does not even
  // take the close frame right away gets the plain close after the write.
  Flush();
  if (closing()) return;
  if (ShutdownWrite()) {
    mode_ = Mode::kWsLinger;
    mode_ms_ = server_->now_ms();
    return;
  }
  mode_ = Mode::kDone;
  CloseAfterReply();
}

void GatewayConnection::PushJson(const std::string& json) {
  std::string frame;
  protocol::AppendWsFrame(WsOpcode::kText, json, &frame);
  Queue(frame);
}

void GatewayConnection::HandleWsMessage(WsOpcode opcode, std::string_view payload) {
  if (json_protocol_) {
    if (opcode != WsOpcode::kText) {
      SendWsClose(protocol::kWsCloseUnsupportedData, "the /ws protocol is JSON text");
      return;
    }
    HandleJsonCommand(payload);
    return;
  }
  std::string why;
  if (int refusal = PublishStatus(ws_channel(), &why); refusal != 0) {
    SendWsClose(refusal == 401 ? kWsCloseTokenExpired : kWsCloseForbidden, why);
    return;
  }
  if (broker::PublishForwarder* forwarder = ActiveForwarder()) {
    // On a replica the message goes to the top of the tree (resp/forwarding.h). It comes back
    // through the stream as bytes only, so the master's gateway tells text from binary by UTF-8.
    auto failed = [this](std::string_view error) {
      SendWsClose(kWsCloseTryAgainLater, std::string(error).substr(0, 120));
    };
    std::string error =
        forwarder->Forward(SubKind::kChannel, ws_channel(), payload, false, this,
                           [this, failed](const broker::PublishForwarder::Result& r) {
                             if (!r.error.empty()) {
                               failed(r.error);
                             } else {
                               ++server_->stats().published;
                             }
                           });
    if (!error.empty()) failed(error);
    return;
  }
  gateway_->Publish(ws_channel(), payload, opcode == WsOpcode::kBinary);
}

void GatewayConnection::HandleJsonCommand(std::string_view text) {
  Json command = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto error = [this](std::string_view message, int code = 400) {
    PushJson(Dump({{"type", "error"}, {"message", message}, {"code", code}}));
  };
  if (!command.is_array() || command.empty() || !command[0].is_string()) {
    error("expected a JSON array like [\"SUBSCRIBE\",\"channel\"]");
    return;
  }
  std::vector<std::string> args;
  for (const Json& item : command) {
    if (!item.is_string()) {
      error("every element must be a string");
      return;
    }
    args.push_back(item.get<std::string>());
  }
  std::string name = args[0];
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Broker& broker = server_->broker();
  auto ack = [this](std::string_view type, std::string_view key, std::string_view value) {
    PushJson(Dump({{"type", type},
                   {key, value},
                   {"count", static_cast<uint64_t>(channel_and_pattern_count())}}));
  };
  if (name == "AUTH") {
    // A token, first or fresh (before the current one expires). The new grants must still
    // cover every subscription the connection holds, else it is closed, as Redis 7 disconnects
    // a client whose ACL user loses a channel it is subscribed to.
    if (args.size() != 2) {
      error("wrong number of arguments");
      return;
    }
    TokenRefusal refused;
    if (!UseToken(args[1], &refused)) {
      PushJson(Dump({{"type", "error"},
                     {"message", refused.message},
                     {"reason", refused.name},
                     {"code", 401}}));
      return;
    }
    std::string why;
    if (SubscribeStatus(broker.Names(this, SubKind::kChannel),
                        broker.Names(this, SubKind::kPattern), &why, /*adding=*/false) != 0) {
      SendWsClose(kWsCloseForbidden, why);
      return;
    }
    PushJson(Dump(
        {{"type", "auth"},
         {"subject", identity_->subject},
         {"expires", identity_->expires_at == 0 ? Json(nullptr) : Json(identity_->expires_at)}}));
  } else if (name == "PING") {
    PushJson(args.size() > 1 ? Dump({{"type", "pong"}, {"data", args[1]}}) : "{\"type\":\"pong\"}");
  } else if (name == "SUBSCRIBE" || name == "PSUBSCRIBE") {
    if (args.size() < 2) {
      error("wrong number of arguments");
      return;
    }
    bool pattern = name == "PSUBSCRIBE";
    std::vector<std::string> names(args.begin() + 1, args.end());
    std::string why;
    static const std::vector<std::string> kNone;
    if (int refusal = SubscribeStatus(pattern ? kNone : names, pattern ? names : kNone, &why);
        refusal != 0) {
      // Nothing of a refused command is subscribed.
      error(why, refusal);
      return;
    }
    std::vector<std::string> added;
    for (size_t i = 1; i < args.size(); ++i) {
      if (broker.Subscribe(this, pattern ? SubKind::kPattern : SubKind::kChannel, args[i])) {
        added.push_back(args[i]);
      }
      ack(pattern ? "psubscribe" : "subscribe", pattern ? "pattern" : "channel", args[i]);
    }
    if (!resume_id().empty() && !added.empty()) ReplayJson(added, pattern);
  } else if (name == "UNSUBSCRIBE" || name == "PUNSUBSCRIBE") {
    bool pattern = name == "PUNSUBSCRIBE";
    SubKind kind = pattern ? SubKind::kPattern : SubKind::kChannel;
    std::vector<std::string> names(args.begin() + 1, args.end());
    if (names.empty()) names = broker.Names(this, kind);
    for (const std::string& item : names) {
      broker.Unsubscribe(this, kind, item);
      ack(pattern ? "punsubscribe" : "unsubscribe", pattern ? "pattern" : "channel", item);
    }
  } else if (name == "PUBLISH") {
    if (args.size() != 3) {
      error("wrong number of arguments");
      return;
    }
    std::string why;
    if (int refusal = PublishStatus(args[1], &why); refusal != 0) {
      error(why, refusal);
      return;
    }
    if (broker::PublishForwarder* forwarder = ActiveForwarder()) {
      // On a replica: answered once the message is back from the master with its id.
      auto answer = [this, channel = args[1]](const broker::PublishForwarder::Result& r) {
        if (!r.error.empty()) {
          PushJson(Dump({{"type", "error"}, {"message", r.error}, {"code", 503}}));
          return;
        }
        ++server_->stats().published;
        PushJson(Dump({{"type", "publish"},
                       {"channel", channel},
                       {"receivers", r.receivers},
                       {"id", gateway_->IdJson(r.id)}}));
      };
      std::string failure =
          forwarder->Forward(SubKind::kChannel, args[1], args[2], true, this, answer);
      if (!failure.empty()) error(failure, 503);
      return;
    }
    int64_t receivers = gateway_->Publish(args[1], args[2], false);
    PushJson(Dump({{"type", "publish"},
                   {"channel", args[1]},
                   {"receivers", receivers},
                   {"id", gateway_->IdJson(gateway_->last_publish_id())}}));
  } else {
    error("unknown command '" + args[0] + "'");
  }
}

void GatewayConnection::ReplayJson(const std::vector<std::string>& names, bool pattern) {
  static const std::vector<std::string> kNone;
  Missed missed = CollectMissed(*gateway_, pattern ? kNone : names, pattern ? names : kNone,
                                resume_id(), server_->now_ms());
  if (missed.gap) PushJson(GapJson(*gateway_, resume_id()));
  for (size_t i = 0; i < missed.messages.size(); ++i) {
    Json push = {{"type", pattern ? "pmessage" : "message"},
                 {"channel", missed.channels[i]},
                 {"data", missed.messages[i]->payload},
                 {"id", gateway_->FormatId(missed.messages[i]->id)}};
    if (pattern) push["pattern"] = missed.patterns[i];
    PushJson(Dump(push));
  }
}

}  // namespace herald::gateway
