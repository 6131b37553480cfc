// Publishing from a replica: the forward connection to our master (see forwarding.h).

#include "resp/forwarding.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "protocol/numbers.h"
#include "protocol/resp_writer.h"
#include "resp/front_end.h"
#include "resp/replication.h"
#include "server/logging.h"
#include "server/server.h"

namespace herald::resp {

using broker::SubKind;
using config::Config;
using config::LogLevel;
using server::Log;

namespace {
constexpr std::string_view kNoLink = "publish cannot be forwarded: no link with the master";
constexpr std::string_view kLost = "publish cannot be forwarded: connection to the master lost";
constexpr std::string_view kTimeout =
    "publish cannot be forwarded: no answer from the master within replica-publish-timeout";
constexpr std::string_view kTooMany =
    "publish cannot be forwarded: too many publishes waiting for the master "
    "(replica-publish-max-inflight)";
}  // namespace

// Defined in replication_link.cc.
int ResolveAddress(uv_loop_t* loop, const std::string& host, int port, sockaddr_storage* out);

ForwardConnection::ForwardConnection(RespFrontEnd* front, uint64_t id,
                                     PublishForwarding* forwarding)
    : RespSession(front, id), forwarding_(forwarding) {}

size_t ForwardConnection::ProcessInput(std::string_view data) {
  return forwarding_->OnReplies(this, data);
}

PublishForwarding::PublishForwarding(RespFrontEnd* front, ReplicationManager* manager)
    : front_(front), manager_(manager) {
  front_->server().broker().set_forwarder(this);
}

PublishForwarding::~PublishForwarding() { front_->server().broker().set_forwarder(nullptr); }

bool PublishForwarding::active() const { return manager_->is_replica(); }

std::string PublishForwarding::Forward(SubKind kind, std::string_view channel,
                                       std::string_view payload, bool need_id, const void* owner,
                                       Done done) {
  const Config& cfg = front_->server().config();
  if (!manager_->master_link_up()) return std::string(kNoLink);
  if (pending_.size() >= static_cast<size_t>(cfg.replica_publish_max_inflight)) {
    return std::string(kTooMany);
  }
  if (connection_ == nullptr && !Connect()) return std::string(kNoLink);
  scratch_.clear();
  protocol::RespWriter writer(&scratch_, 2);
  writer.ArrayHeader(3);
  writer.Bulk(kind == SubKind::kShardChannel ? "SPUBLISH" : "PUBLISH");
  writer.Bulk(channel);
  writer.Bulk(payload);
  connection_->Queue(scratch_);
  pending_.push_back({.kind = kind,
                      .channel = std::string(channel),
                      .payload = std::string(payload),
                      .need_id = need_id,
                      .owner = owner,
                      .done = std::move(done),
                      .deadline_ms = front_->server().now_ms() +
                                     static_cast<uint64_t>(cfg.replica_publish_timeout)});
  return {};
}

bool PublishForwarding::Connect() {
  server::Server& server = front_->server();
  const Config& cfg = server.config();
  sockaddr_storage address;
  if (ResolveAddress(server.loop(), cfg.master_host, cfg.master_port, &address) != 0) return false;
  auto* connection = new ForwardConnection(front_, server.NextConnectionId(), this);
  // Named here too, so that our own CLIENT LIST tells it from a client's connection.
  connection->set_name(std::string(kForwardClientName));
  server.AddConnection(connection);
  connection_ = connection;
  if (cfg.tls_replication &&
      (server.tls() == nullptr ||
       !connection->StartTls(server.tls()->connector(), server::TlsSession::Role::kConnect,
                             server::ClientCertificates::kRequired))) {
    CloseConnection(kLost);
    return false;
  }
  if (connection->Connect(reinterpret_cast<const sockaddr*>(&address)) != 0) {
    CloseConnection(kLost);
    return false;
  }
  // Queued now, written once connected, answered before any PUBLISH.
  scratch_.clear();
  protocol::RespWriter writer(&scratch_, 2);
  handshake_replies_ = 0;
  if (!cfg.masterauth.empty()) {
    if (!cfg.masteruser.empty()) {
      writer.ArrayHeader(3);
      writer.Bulk("AUTH");
      writer.Bulk(cfg.masteruser);
    } else {
      writer.ArrayHeader(2);
      writer.Bulk("AUTH");
    }
    writer.Bulk(cfg.masterauth);
    ++handshake_replies_;
  }
  writer.ArrayHeader(3);
  writer.Bulk("CLIENT");
  writer.Bulk("SETNAME");
  writer.Bulk(kForwardClientName);
  ++handshake_replies_;
  connection->Queue(scratch_);
  return true;
}

void PublishForwarding::CloseConnection(std::string_view why) {
  if (connection_ == nullptr) return;
  ForwardConnection* connection = connection_;
  connection_ = nullptr;
  connection->Close();  // OnSessionClosing no longer recognizes it
  FailUnanswered(why);
}

void PublishForwarding::FailUnanswered(std::string_view why) {
  for (Pending& p : pending_) {
    if (!p.replied) Fail(p, why);
  }
  Settle();
}

void PublishForwarding::Fail(Pending& p, std::string_view why) {
  p.replied = true;
  p.seen = true;  // it will not come back: take it out of the matching
  if (p.done) {
    Done done = std::move(p.done);
    p.done = nullptr;
    done({.error = std::string(why)});
  }
}

void PublishForwarding::Settle() {
  for (Pending& p : pending_) {
    if (!p.done || !p.replied || (p.need_id && !p.seen)) continue;
    Done done = std::move(p.done);
    p.done = nullptr;
    done({.error = {}, .receivers = p.receivers, .id = p.id});
  }
  std::erase_if(pending_, [](const Pending& p) { return p.replied && p.seen; });
}

void PublishForwarding::Cancel(const void* owner) {
  for (Pending& p : pending_) {
    if (p.owner == owner) p.done = nullptr;
  }
}

// The master's replies are single lines (+OK, -ERR ..., :count): we send nothing else.
size_t PublishForwarding::OnReplies(ForwardConnection* connection, std::string_view data) {
  if (connection != connection_) return data.size();
  size_t used = 0;
  bool failed = false;
  while (!failed) {
    size_t end = data.find("\r\n", used);
    if (end == std::string_view::npos) break;
    std::string_view line = data.substr(used, end - used);
    used = end + 2;
    if (handshake_replies_ > 0) {
      // AUTH's reply (if we sent one), then CLIENT SETNAME's.
      const bool is_auth = handshake_replies_ == 2;
      --handshake_replies_;
      if (!line.empty() && line[0] == '-') {
        if (is_auth) {
          Log(LogLevel::kWarning, "Unable to AUTH to MASTER for forwarded publishes: {}",
              line.substr(1));
          failed = true;
        } else {
          // Publishing still works; a Herald relay above us just cannot tell this connection
          // from a client's, so it forwards further only with its own replica-publish forward.
          Log(LogLevel::kWarning,
              "Unable to name the forwarded publishes' connection {} on the MASTER (masteruser "
              "needs +client|setname): {}",
              kForwardClientName, line.substr(1));
        }
      }
      continue;
    }
    auto it =
        std::find_if(pending_.begin(), pending_.end(), [](const Pending& p) { return !p.replied; });
    if (it == pending_.end()) continue;  // timed out meanwhile
    if (!line.empty() && line[0] == ':' && protocol::ParseInt64(line.substr(1), &it->receivers)) {
      it->replied = true;
    } else {
      Fail(*it, !line.empty() && line[0] == '-' ? line.substr(1) : line);
    }
  }
  Settle();
  if (failed) CloseConnection(kLost);
  return used;
}

void PublishForwarding::OnStreamPublish(SubKind kind, std::string_view channel,
                                        std::string_view payload, uint64_t id) {
  for (Pending& p : pending_) {
    if (p.seen || p.kind != kind || p.channel != channel || p.payload != payload) continue;
    p.seen = true;
    p.id = id;
    // A copy seen before the master's reply is settled once the reply comes.
    break;
  }
  Settle();
}

void PublishForwarding::Cron(uint64_t now_ms) {
  bool unanswered = false;
  for (Pending& p : pending_) {
    if (now_ms < p.deadline_ms) continue;
    if (!p.replied) {
      unanswered = true;
    } else {
      Fail(p, kTimeout);  // answered, but its copy never came back through the stream
    }
  }
  if (unanswered) {
    Log(LogLevel::kWarning, "The master did not answer forwarded publishes within {} ms",
        front_->server().config().replica_publish_timeout);
    CloseConnection(kTimeout);
  }
  Settle();
}

void PublishForwarding::OnSessionClosing(RespSession* session) {
  if (session == connection_) {
    connection_ = nullptr;
    FailUnanswered(kLost);
    return;
  }
  Cancel(session);
}

void PublishForwarding::Reset(std::string_view why) {
  CloseConnection(why);
  for (Pending& p : pending_) Fail(p, why);
  Settle();
}

}  // namespace herald::resp
