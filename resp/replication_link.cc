// Replication wired to sockets, the replica side: REPLICAOF and the link to our master. The
// handshake and the stream reader are replication/'s ReplicaLink (sans-IO); this file owns the
// connection, the reconnect timer, and hands the stream's publishes to the broker.

#include <fmt/format.h>
#include <netdb.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "protocol/errors.h"
#include "protocol/numbers.h"
#include "protocol/resp_writer.h"
#include "resp/command_handlers.h"
#include "resp/forwarding.h"
#include "resp/front_end.h"
#include "resp/replication.h"
#include "server/logging.h"
#include "server/server.h"

namespace herald::resp {

using broker::PublishOrigin;
using broker::SubKind;
using config::Config;
using config::LogLevel;
using server::Connection;
using server::Log;
using server::SetLogRole;
namespace {

using protocol::EqualsIgnoreCase;

// A lost link is retried after 100 ms, then twice as long each failed attempt, up to 2 s: a short
// drop resumes quickly, a master that is down is not hammered.
constexpr uint64_t kFirstReconnectDelayMs = 100;
constexpr uint64_t kMaxReconnectDelayMs = 2000;

// Redis's catClientInfoString, reduced to what identifies the client in a log line.
std::string ClientDescription(const RespSession& client) {
  return fmt::format("id={} addr={} laddr={} name={}", client.id(), client.peer(), client.local(),
                     client.name());
}

}  // namespace

// Resolves `host` (an address or a name) for a TCP connection to `port`. Names are resolved
// synchronously, as Redis does for its master: this happens once per connection attempt.
// Returns 0 or a UV_E* code.
int ResolveAddress(uv_loop_t* loop, const std::string& host, int port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(out)) == 0) return 0;
  if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(out)) == 0) return 0;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  uv_getaddrinfo_t request;
  const std::string service = std::to_string(port);
  // Without a callback libuv resolves synchronously.
  int rc = uv_getaddrinfo(loop, &request, nullptr, host.c_str(), service.c_str(), &hints);
  if (rc != 0) return rc;
  rc = UV_EAI_NONAME;
  for (addrinfo* ai = request.addrinfo; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6) {
      std::memcpy(out, ai->ai_addr, ai->ai_addrlen);
      rc = 0;
      break;
    }
  }
  uv_freeaddrinfo(request.addrinfo);
  return rc;
}

// ---------------------------------------------------------------------------------------------
// MasterConnection

MasterConnection::MasterConnection(RespFrontEnd* front, uint64_t id, ReplicationManager* manager)
    : RespSession(front, id), manager_(manager) {
  set_link_role(LinkRole::kMaster);
}

size_t MasterConnection::ProcessInput(std::string_view data) {
  return manager_->OnMasterInput(this, data);
}

void MasterConnection::OnConnected() { manager_->OnMasterConnected(this); }
// ---------------------------------------------------------------------------------------------
// REPLICAOF and the replica side

void ReplicationManager::ReplicaOf(RespSession& client, CommandArgs args) {
  if (failover_state_ != FailoverState::kNone) {
    ReplyError(client, "ERR REPLICAOF not allowed while failing over.");
    return;
  }
  if (EqualsIgnoreCase(args[1], "no") && EqualsIgnoreCase(args[2], "one")) {
    if (is_replica()) {
      UnsetMaster();
      Log(LogLevel::kNotice, "MASTER MODE enabled (user request from '{}')",
          ClientDescription(client));
    }
    client.reply().SimpleString("OK");
    return;
  }
  if (client.link_role() == LinkRole::kReplica) {
    ReplyError(client, "ERR Command is not valid when client is a replica.");
    return;
  }
  int64_t port = 0;
  if (!protocol::ParseInt64(args[2], &port) || port < 0 || port > 65535) {
    ReplyError(client, "ERR Invalid master port");
    return;
  }
  const Config& cfg = server_->config();
  if (is_replica() && EqualsIgnoreCase(cfg.master_host, args[1]) && cfg.master_port == port) {
    Log(LogLevel::kNotice,
        "REPLICAOF would result into synchronization with the master we are already connected "
        "with. No operation performed.");
    client.reply().SimpleString("OK Already connected to specified master");
    return;
  }
  SetMaster(std::string(args[1]), static_cast<int>(port));
  Log(LogLevel::kNotice, "REPLICAOF {}:{} enabled (user request from '{}')", cfg.master_host,
      cfg.master_port, ClientDescription(client));
  client.reply().SimpleString("OK");
}

// Like Redis's replicationSetMaster: our replicas stay (they may continue with us), and a node
// that was a master offers its own history to the new master, so that a former sibling
// promoted with REPLICAOF NO ONE can answer +CONTINUE.
void ReplicationManager::SetMaster(std::string host, int port) {
  const bool was_master = !is_replica();
  server_->config_store().SetReplicaOf(std::move(host), port);
  forwarding_->Reset("publish cannot be forwarded: the master changed");
  CloseMasterConnection();
  if (was_master) psync_with_history_ = true;
  // A replica keeps the stream it receives, for replicas of its own.
  backlog_active_ = true;
  SetLogRole('S');
  phase_ = LinkPhase::kConnect;
  reconnect_delay_ms_ = 0;
  const Config& cfg = server_->config();
  Log(LogLevel::kNotice, "Connecting to MASTER {}:{}", cfg.master_host, cfg.master_port);
  ConnectToMaster();
}

// Redis's replicationUnsetMaster: the history we followed becomes replid2, so that replicas of
// our old master re-pointed at us can still PSYNC, and our own replicas are dropped so that they
// reconnect and learn the new ID.
void ReplicationManager::UnsetMaster() {
  server_->config_store().SetReplicaOf({}, 0);
  forwarding_->Reset("publish cannot be forwarded: this node was promoted to master");
  CloseMasterConnection();
  phase_ = LinkPhase::kNone;
  link_.reset();
  state_.ShiftReplicationId(backlog_.master_repl_offset());
  DropReplicas("because this node was promoted to master");
  SetLogRole('M');
  no_replicas_since_ms_ = server_->now_ms();
}

void ReplicationManager::CloseMasterConnection() {
  if (!shut_down_) uv_timer_stop(&reconnect_timer_);
  if (master_connection_ == nullptr) return;
  MasterConnection* connection = master_connection_;
  // Detach first, so that OnSessionClosing does not schedule a reconnect to the old master.
  master_connection_ = nullptr;
  OnLinkDown();
  connection->Close();
}

repl::ReplicaLinkConfig ReplicationManager::LinkConfig() const {
  const Config& cfg = server_->config();
  repl::ReplicaLinkConfig link;
  // As Redis: a replica that reaches its master over TLS announces its own TLS port.
  int own_port = cfg.tls_replication && cfg.tls_port != 0 ? cfg.tls_port : cfg.port;
  link.listening_port = cfg.replica_announce_port != 0 ? cfg.replica_announce_port : own_port;
  link.announce_ip = cfg.replica_announce_ip;
  link.master_user = cfg.masteruser;
  link.master_auth = cfg.masterauth;
  link.timeout_ms = int64_t{cfg.repl_timeout} * 1000;
  return link;
}

void ReplicationManager::ConnectToMaster() {
  if (shut_down_ || !is_replica() || master_connection_ != nullptr) return;
  const Config& cfg = server_->config();
  sockaddr_storage address;
  int rc = ResolveAddress(server_->loop(), cfg.master_host, cfg.master_port, &address);
  if (rc != 0) {
    Log(LogLevel::kWarning, "Unable to connect to MASTER {}:{}: {}", cfg.master_host,
        cfg.master_port, uv_strerror(rc));
    phase_ = LinkPhase::kConnect;
    ScheduleReconnect(reconnect_delay_ms_);
    return;
  }
  auto* connection = new MasterConnection(front_, server_->NextConnectionId(), this);
  server_->AddConnection(connection);
  master_connection_ = connection;
  phase_ = LinkPhase::kConnecting;
  connect_started_ms_ = server_->now_ms();
  if (cfg.tls_replication &&
      (server_->tls() == nullptr ||
       !connection->StartTls(server_->tls()->connector(), server::TlsSession::Role::kConnect,
                             server::ClientCertificates::kRequired))) {
    Log(LogLevel::kWarning, "Unable to connect to MASTER {}:{}: TLS is not configured",
        cfg.master_host, cfg.master_port);
    connection->Close();
    return;
  }
  rc = connection->Connect(reinterpret_cast<const sockaddr*>(&address));
  if (rc != 0) {
    Log(LogLevel::kWarning, "Unable to connect to MASTER {}:{}: {}", cfg.master_host,
        cfg.master_port, uv_strerror(rc));
    // OnSessionClosing schedules the next attempt.
    connection->Close();
  }
}

void ReplicationManager::ScheduleReconnect(uint64_t delay_ms) {
  if (shut_down_ || !is_replica()) return;
  uv_timer_start(&reconnect_timer_, OnReconnectTimer, delay_ms, 0);
  reconnect_delay_ms_ = std::clamp(delay_ms * 2, kFirstReconnectDelayMs, kMaxReconnectDelayMs);
}

void ReplicationManager::OnReconnectTimer(uv_timer_t* timer) {
  static_cast<ReplicationManager*>(timer->data)->ConnectToMaster();
}

void ReplicationManager::OnMasterConnected(MasterConnection* connection) {
  if (connection != master_connection_) return;
  link_ = std::make_unique<repl::ReplicaLink>(LinkConfig());
  repl::PsyncRequest request;
  if (psync_with_history_) {
    request.replid = state_.replid();
    request.offset = backlog_.master_repl_offset();
  }
  request.failover = failover_state_ == FailoverState::kInProgress;
  requested_replid_ = request.replid;
  requested_offset_ = request.offset;
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync started");
  if (psync_with_history_) {
    Log(LogLevel::kNotice, "Trying a partial resynchronization (request {}:{}).", request.replid,
        request.offset + 1);
  } else {
    Log(LogLevel::kNotice, "Partial resynchronization not possible (no cached master)");
  }
  phase_ = LinkPhase::kLinked;
  link_->Start(request, static_cast<int64_t>(server_->now_ms()));
  FlushLinkOutput();
}

void ReplicationManager::FlushLinkOutput() {
  if (link_ == nullptr) return;
  if (master_connection_ != nullptr && !link_->output().empty()) {
    master_connection_->Queue(link_->output());
  }
  link_->ClearOutput();
}

void ReplicationManager::OnLinkUp() {
  psync_with_history_ = true;
  link_up_since_ms_ = server_->now_ms();
  link_was_up_ = true;
  reconnect_delay_ms_ = 0;
  link_down_since_ms_ = 0;
}

void ReplicationManager::OnLinkDown() {
  if (link_was_up_) {
    link_was_up_ = false;
    link_down_since_ms_ = server_->now_ms();
    Log(LogLevel::kNotice, "Connection with master lost.");
  }
  if (link_ != nullptr) link_->Close();
}

// The one line that says what a full resync cost: the bytes of the master's stream between what
// we had and where the master restarted us were never applied here, so the messages they carried
// were not delivered to this node's subscribers (nor to our replicas').
void ReplicationManager::LogFullResync(const repl::LinkEvent& event) {
  Log(LogLevel::kNotice, "Full resync from master: {}:{}", event.replid, event.offset);
  if (requested_replid_.empty()) return;
  const int64_t gap = event.offset - requested_offset_;
  if (event.replid == requested_replid_) {
    Log(LogLevel::kWarning,
        "Partial resynchronization failed: full resync from offset {} to {}: {} bytes of the "
        "replication stream were lost (messages published meanwhile were not delivered here)",
        requested_offset_, event.offset, std::max<int64_t>(gap, 0));
  } else {
    Log(LogLevel::kWarning,
        "Partial resynchronization failed: the master's history {} does not continue ours ({} up "
        "to offset {}): full resync at offset {}; {} bytes of the replication stream were lost "
        "or replaced (messages published meanwhile may not have been delivered here)",
        event.replid, requested_replid_, requested_offset_, event.offset,
        std::max<int64_t>(gap, 0));
  }
}

// The events come in stream order; the stream bytes of this read (whole commands, all after any
// sync event) are forwarded after the events, so our replicas see a publish after our own
// subscribers do and the offsets of every node stay equal.
size_t ReplicationManager::OnMasterInput(MasterConnection* connection, std::string_view data) {
  if (connection != master_connection_ || link_ == nullptr) return data.size();
  const repl::FeedResult result = link_->Feed(data, static_cast<int64_t>(server_->now_ms()));
  bool failed = false;
  for (const repl::LinkEvent& event : result.events) {
    switch (event.kind) {
      case repl::LinkEventKind::kFullResync:
        LogFullResync(event);
        break;
      case repl::LinkEventKind::kSyncComplete:
        DropReplicas("because this node's master did a full resynchronization");
        if (event.replid.empty()) {
          state_.ChangeReplicationId();
        } else {
          state_.AdoptMasterId(std::string(event.replid));
        }
        backlog_.Reset(event.offset);
        // Message ids restart from here: earlier ones belong to another history.
        line_start_ = event.offset;
        ++line_generation_;
        OnLinkUp();
        // A full resync is not what a FAILOVER expects, but it is a working link all the same.
        if (failover_state_ == FailoverState::kInProgress) ClearFailoverState();
        Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: Finished with success");
        master_rdb_had_data_ = event.rdb_has_data || event.rdb_upstream_data;
        if (event.rdb_has_data) {
          Log(LogLevel::kWarning,
              "The master's RDB holds data (keys or functions), which herald does not keep: a "
              "redis-server replicating from this node gets an empty data set and only the "
              "commands that follow");
        } else if (event.rdb_upstream_data) {
          Log(LogLevel::kWarning,
              "A node above this one in the chain has data (keys or functions) that a herald "
              "relay dropped: a redis-server replicating from this node gets an empty data set "
              "and only the commands that follow");
        }
        break;
      case repl::LinkEventKind::kContinue:
        if (event.replid_changed) {
          state_.AdoptContinueId(event.replid, event.offset);
          DropReplicas("because this node's master changed replication ID");
          Log(LogLevel::kNotice, "Master replication ID changed to {}", event.replid);
        }
        OnLinkUp();
        if (failover_state_ == FailoverState::kInProgress) ClearFailoverState();
        Log(LogLevel::kNotice,
            "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        break;
      case repl::LinkEventKind::kPublish:
        forwarding_->OnStreamPublish(event.sharded ? SubKind::kShardChannel : SubKind::kChannel,
                                     event.channel, event.message,
                                     static_cast<uint64_t>(event.offset));
        server_->broker().Publish(event.sharded ? SubKind::kShardChannel : SubKind::kChannel,
                                  event.channel, event.message, {}, PublishOrigin::kReplication,
                                  static_cast<uint64_t>(event.offset));
        break;
      case repl::LinkEventKind::kRetryLater:
        Log(LogLevel::kNotice,
            "Master is currently unable to PSYNC but should be in the future: {}", event.text);
        failed = true;
        break;
      case repl::LinkEventKind::kError:
        // A refused masteruser/masterauth gets Redis 7.0's line; the link retries like any other.
        if (event.error == repl::LinkError::kAuthRejected) {
          Log(LogLevel::kWarning, "Unable to AUTH to MASTER: {}", event.text);
        } else {
          Log(LogLevel::kWarning, "Error on the link with MASTER: {}", event.text);
        }
        failed = true;
        break;
    }
  }
  if (!result.stream.empty()) AppendToStream(result.stream);
  FlushLinkOutput();
  if (failed && failover_state_ == FailoverState::kInProgress) {
    // The target refused the handoff: we become a master again (Redis's abortFailover).
    AbortFailover("Failover target rejected psync request");
    return data.size();
  }
  if (failed) connection->Close();
  return result.consumed;
}

}  // namespace herald::resp
