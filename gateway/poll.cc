// Long-polling: GET /poll, and the sessions that keep a poller subscribed between two polls.

#include "gateway/poll.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <nlohmann/json.hpp>
#include <random>

#include "gateway/gateway.h"
#include "gateway/internal.h"
#include "protocol/numbers.h"
#include "server/server.h"

namespace herald::gateway {

using broker::Delivery;
using broker::FrameCache;
using broker::SubKind;
using gateway_detail::CollectMissed;
using gateway_detail::Dump;
using gateway_detail::FindParam;
using gateway_detail::Json;
using gateway_detail::Missed;
using gateway_detail::RequestedNames;

namespace {

constexpr uint64_t kMaxPollTimeoutS = 300;
constexpr uint64_t kDefaultPollTimeoutS = 30;

// 128 random bits as 32 hex digits: a session id is not guessable by another client.
std::string NewSessionId() {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::random_device device;
  std::string id(32, '0');
  for (size_t i = 0; i < id.size(); i += 8) {
    uint32_t bits = device();
    for (size_t j = 0; j < 8; ++j, bits >>= 4) id[i + j] = kDigits[bits & 15];
  }
  return id;
}

void SortUnique(std::vector<std::string>* names) {
  std::sort(names->begin(), names->end());
  names->erase(std::unique(names->begin(), names->end()), names->end());
}

Json MessageJson(std::string_view channel, std::string_view pattern, const Json& id,
                 std::string_view payload) {
  Json message = {{"channel", channel}, {"id", id}, {"data", payload}};
  if (!pattern.empty()) message["pattern"] = pattern;
  return message;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PollSession

PollSession::PollSession(Gateway* gateway, std::string id, std::vector<std::string> channels,
                         std::vector<std::string> patterns, bool keep)
    : gateway_(gateway),
      id_(std::move(id)),
      channels_(std::move(channels)),
      patterns_(std::move(patterns)),
      keep_(keep) {}

void PollSession::Deliver(const Delivery& delivery, FrameCache& /*frames*/) {
  // Counted as the broker counts it (the RESP figure of /metrics is the rest).
  ++gateway_->counters().deliveries_poll;
  if (dead_) return;
  if (waiter_ != nullptr) {
    GatewayConnection* waiter = waiter_;
    waiter_ = nullptr;
    std::string last = waiter->AnswerPoll(&delivery, this);
    Detach(gateway_->server().now_ms(), &last);
    return;
  }
  if (!keep_ || overflowed_) return;
  const config::Config& cfg = gateway_->server().config();
  if (held_.size() >= static_cast<size_t>(cfg.gateway_poll_buffer) ||
      held_bytes_ + delivery.payload.size() > cfg.gateway_poll_buffer_bytes) {
    // Given up: the next poll is answered from the history, which says whether it has a gap.
    held_.clear();
    held_bytes_ = 0;
    overflowed_ = true;
    return;
  }
  held_.push_back({.channel = std::string(delivery.channel),
                   .pattern = std::string(delivery.pattern),
                   .payload = std::string(delivery.payload),
                   .id = delivery.id});
  held_bytes_ += delivery.payload.size();
}

void PollSession::Detach(uint64_t now_ms, const std::string* last_id) {
  waiter_ = nullptr;
  if (last_id != nullptr) last_id_ = *last_id;
  if (!keep_) {
    Kill();
    return;
  }
  uint64_t grace_ms = static_cast<uint64_t>(gateway_->server().config().gateway_poll_grace) * 1000;
  expires_ms_ = now_ms + grace_ms;
}

// ---------------------------------------------------------------------------------------------
// Gateway: the sessions

PollSession* Gateway::FindPollSession(std::string_view id) {
  auto it = poll_sessions_.find(std::string(id));
  if (it == poll_sessions_.end() || it->second->dead() || !it->second->keep()) return nullptr;
  return it->second.get();
}

PollSession* Gateway::NewPollSession(std::vector<std::string> channels,
                                     std::vector<std::string> patterns, bool keep) {
  const config::Config& cfg = server_->config();
  // At most one kept session per allowed gateway connection; past that a poll still works,
  // without a grace period.
  if (keep && (cfg.gateway_poll_grace == 0 ||
               kept_poll_sessions_ >= static_cast<size_t>(cfg.gateway_maxclients))) {
    keep = false;
  }
  std::string id = keep ? NewSessionId() : fmt::format("~{}", ++poll_session_seq_);
  auto session =
      std::make_unique<PollSession>(this, id, std::move(channels), std::move(patterns), keep);
  PollSession* raw = session.get();
  for (const std::string& name : raw->channels()) {
    server_->broker().Subscribe(raw, SubKind::kChannel, name);
  }
  for (const std::string& name : raw->patterns()) {
    server_->broker().Subscribe(raw, SubKind::kPattern, name);
  }
  if (keep) ++kept_poll_sessions_;
  poll_sessions_.emplace(std::move(id), std::move(session));
  return raw;
}

void Gateway::EndPollSession(PollSession* session) {
  if (GatewayConnection* waiter = session->waiter(); waiter != nullptr) {
    session->Attach(nullptr);
    waiter->AnswerPoll(nullptr, nullptr);
  }
  session->Kill();
}

void Gateway::ExpirePollSessions(uint64_t now_ms) {
  for (auto& [id, session] : poll_sessions_) {
    if (!session->dead() && session->waiter() == nullptr && now_ms >= session->expires_ms()) {
      session->Kill();
    }
  }
}

void Gateway::ReapPollSessions() {
  for (auto it = poll_sessions_.begin(); it != poll_sessions_.end();) {
    if (!it->second->dead()) {
      ++it;
      continue;
    }
    server_->broker().UnsubscribeAll(it->second.get());
    if (it->second->keep()) --kept_poll_sessions_;
    it = poll_sessions_.erase(it);
  }
}

void Gateway::DestroyPollSessions() {
  for (auto& [id, session] : poll_sessions_) server_->broker().UnsubscribeAll(session.get());
  poll_sessions_.clear();
  kept_poll_sessions_ = 0;
}

// ---------------------------------------------------------------------------------------------
// GatewayConnection: GET /poll

void GatewayConnection::HandlePoll(std::string_view channel,
                                   const std::vector<protocol::QueryParam>& params) {
  gateway_->ReapPollSessions();
  auto [channels, patterns] = RequestedNames(channel, params);
  if (channels.empty() && patterns.empty()) {
    Respond(400, "text/plain", "no channel or pattern given\n");
    return;
  }
  std::string why;
  if (int refusal = SubscribeStatus(channels, patterns, &why); refusal != 0) {
    RespondRefusal(refusal, why, false);
    return;
  }
  uint64_t timeout_s = kDefaultPollTimeoutS;
  if (const std::string* text = FindParam(params, "timeout"); text != nullptr && !text->empty()) {
    if (!protocol::ParseUint64(*text, &timeout_s)) {
      Respond(400, "text/plain", "timeout must be a number of seconds\n");
      return;
    }
    timeout_s = std::min<uint64_t>(timeout_s, kMaxPollTimeoutS);
  }
  SortUnique(&channels);
  SortUnique(&patterns);
  // Without `since`, or with since=0: only messages from now on, as for a first poll.
  const std::string* since_param = FindParam(params, "since");
  std::string now_id = gateway_->FormatId(gateway_->last_offset());
  std::string since =
      since_param == nullptr || since_param->empty() || *since_param == "0" ? now_id : *since_param;
  // The session named by `session` (none, empty or unknown: a new one) carries the client's
  // place across the gap between two polls.
  const std::string* session_param = FindParam(params, "session");
  PollSession* session = nullptr;
  if (session_param != nullptr && !session_param->empty()) {
    session = gateway_->FindPollSession(*session_param);
  }
  if (session != nullptr && !session->SameNames(channels, patterns)) {
    // The client changed its subscriptions: the old session's are not what it asks for.
    gateway_->EndPollSession(session);
    gateway_->ReapPollSessions();
    session = nullptr;
  }
  if (session != nullptr && session->waiter() != nullptr) {
    // An earlier poll of the same client still waits (the client gave up on it): it ends now.
    GatewayConnection* old = session->waiter();
    session->Attach(nullptr);
    old->AnswerPoll(nullptr, nullptr);
  }

  Json messages = Json::array();
  std::string last = now_id;
  bool gap = false;
  if (session != nullptr && since == session->last_id() && !session->overflowed()) {
    // Everything after `since` that the session received while no poll waited.
    for (const PollSession::Held& held : session->held()) {
      messages.push_back(
          MessageJson(held.channel, held.pattern, gateway_->IdJson(held.id), held.payload));
      if (held.id != 0) last = gateway_->FormatId(held.id);
    }
    session->ClearHeld();
  } else {
    if (session != nullptr) session->ClearHeld();
    Missed missed = CollectMissed(*gateway_, channels, patterns, since, server_->now_ms());
    for (size_t i = 0; i < missed.messages.size(); ++i) {
      const broker::ChannelHistory::Message& message = *missed.messages[i];
      messages.push_back(MessageJson(missed.channels[i], missed.patterns[i],
                                     gateway_->FormatId(message.id), message.payload));
    }
    if (!missed.messages.empty()) last = gateway_->FormatId(missed.messages.back()->id);
    gap = missed.gap;
  }
  bool want_session = session_param != nullptr;
  if (session == nullptr && (want_session || (messages.empty() && !gap && timeout_s > 0))) {
    session = gateway_->NewPollSession(channels, patterns, want_session);
  }
  if (!messages.empty() || gap || timeout_s == 0) {
    Json reply = {{"messages", std::move(messages)}, {"last_id", last}, {"gap", gap}};
    if (session != nullptr && session->keep()) reply["session"] = session->id();
    if (session != nullptr) session->Detach(server_->now_ms(), &last);
    gateway_->ReapPollSessions();
    Respond(200, "application/json", Dump(reply));
    return;
  }
  if (identity_ != nullptr && identity_->expires_at != 0) {
    // A poll never outlives its token: it is answered (empty) when the token expires.
    int64_t left = std::max<int64_t>(identity_->expires_at - UnixNow(), 0);
    timeout_s = std::min<uint64_t>(timeout_s, static_cast<uint64_t>(left));
  }
  // Wait for the next message: nothing newer than `since` was there for these names, so the
  // session's place is `since` until it answers.
  session->Wait(this, since);
  poll_session_ = session;
  mode_ = Mode::kPoll;
  mode_ms_ = server_->now_ms() + timeout_s * 1000;
}

std::string GatewayConnection::AnswerPoll(const Delivery* delivery, const PollSession* session) {
  poll_session_ = nullptr;
  Json messages = Json::array();
  std::string last;
  if (delivery != nullptr) {
    messages.push_back(MessageJson(delivery->channel, delivery->pattern,
                                   gateway_->IdJson(delivery->id), delivery->payload));
  }
  last = delivery != nullptr && delivery->id != 0 ? gateway_->FormatId(delivery->id)
                                                  : gateway_->FormatId(gateway_->last_offset());
  Json reply = {{"messages", std::move(messages)}, {"last_id", last}, {"gap", false}};
  if (session != nullptr && session->keep()) reply["session"] = session->id();
  // From a delivery the broker is still iterating: back to HTTP with the next input or tick.
  mode_ = Mode::kPollDone;
  Respond(200, "application/json", Dump(reply));
  return last;
}

void GatewayConnection::FinishPoll() {
  if (poll_session_ != nullptr) {
    // The poll ends unanswered (the connection goes away): the session keeps its place.
    poll_session_->Detach(server_->now_ms(), nullptr);
    poll_session_ = nullptr;
  }
  if (mode_ == Mode::kPoll || mode_ == Mode::kPollDone) {
    mode_ = Mode::kHttp;
    mode_ms_ = server_->now_ms();
  }
}

}  // namespace herald::gateway
