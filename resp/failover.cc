// FAILOVER (Redis 7.0's failoverCommand in replication.c; the replies and their order are
// Redis's): the master side's coordinated handoff to one of its replicas. The rest of the master
// side is replication.cc; the PSYNC ... FAILOVER the new master receives is handled there too.

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "protocol/errors.h"
#include "protocol/numbers.h"
#include "resp/command_handlers.h"
#include "resp/front_end.h"
#include "resp/replication.h"
#include "server/logging.h"
#include "server/server.h"

namespace herald::resp {

using config::LogLevel;
using protocol::EqualsIgnoreCase;
using server::Log;

// FAILOVER (Redis 7.0's failoverCommand; the replies and their order are Redis's)

void ReplicationManager::Failover(RespSession& client, CommandArgs args) {
  if (args.size() == 2 && EqualsIgnoreCase(args[1], "abort")) {
    if (failover_state_ == FailoverState::kNone) {
      ReplyError(client, "ERR No failover in progress.");
      return;
    }
    AbortFailover("Failover manually aborted");
    client.reply().SimpleString("OK");
    return;
  }
  int64_t timeout = 0;
  bool force = false;
  int64_t port = 0;
  bool have_host = false;
  std::string host;
  for (size_t j = 1; j < args.size(); ++j) {
    if (EqualsIgnoreCase(args[j], "timeout") && j + 1 < args.size() && timeout == 0) {
      if (!protocol::ParseInt64(args[j + 1], &timeout)) {
        ReplyError(client, protocol::errors::kNotInteger);
        return;
      }
      if (timeout <= 0) {
        ReplyError(client, "ERR FAILOVER timeout must be greater than 0");
        return;
      }
      ++j;
    } else if (EqualsIgnoreCase(args[j], "to") && j + 2 < args.size() && !have_host) {
      if (!protocol::ParseInt64(args[j + 2], &port)) {
        ReplyError(client, protocol::errors::kNotInteger);
        return;
      }
      host.assign(args[j + 1]);
      have_host = true;
      j += 2;
    } else if (EqualsIgnoreCase(args[j], "force") && !force) {
      force = true;
    } else {
      ReplyError(client, protocol::errors::kSyntax);
      return;
    }
  }
  if (failover_state_ != FailoverState::kNone) {
    ReplyError(client, "ERR FAILOVER already in progress.");
    return;
  }
  if (is_replica()) {
    ReplyError(client, "ERR FAILOVER is not valid when server is a replica.");
    return;
  }
  if (replicas_.empty()) {
    ReplyError(client, "ERR FAILOVER requires connected replicas.");
    return;
  }
  if (force && (timeout == 0 || !have_host)) {
    ReplyError(client,
               "ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
    return;
  }
  failover_host_.clear();
  failover_port_ = 0;
  if (have_host) {
    RespSession* replica = FindReplica(host, port);
    if (replica == nullptr) {
      ReplyError(client, "ERR FAILOVER target HOST and PORT is not a replica.");
      return;
    }
    // Our replicas are online from their PSYNC reply on, except pre-PSYNC ones, which cannot
    // ACK and so can never be caught up.
    if (replica->replica_peer().pre_psync) {
      ReplyError(client, "ERR FAILOVER target replica is not online.");
      return;
    }
    failover_host_ = host;
    failover_port_ = port;
    Log(LogLevel::kNotice, "FAILOVER requested to {}:{}.", host, port);
  } else {
    Log(LogLevel::kNotice, "FAILOVER requested to any replica.");
  }
  failover_end_ms_ = timeout > 0 ? server_->now_ms() + static_cast<uint64_t>(timeout) : 0;
  failover_force_ = force;
  failover_state_ = FailoverState::kWaitForSync;
  // CLIENT PAUSE WRITE until the failover ends: PUBLISH waits, so the stream stops growing and a
  // replica can catch up. Ask for ACKs now rather than at the replicas' next second.
  front_->Pause(PausePurpose::kFailover, UINT64_MAX, PauseType::kWrite);
  AppendToStream(kGetAckCommand);
  client.reply().SimpleString("OK");
}

RespSession* ReplicationManager::FindReplica(std::string_view host, int64_t port) const {
  for (RespSession* replica : replicas_) {
    if (EqualsIgnoreCase(ReplicaIp(*replica), host) &&
        replica->replica_peer().listening_port == port) {
      return replica;
    }
  }
  return nullptr;
}

// From the cron (once a second) and on every ACK while waiting.
void ReplicationManager::UpdateFailoverStatus() {
  if (failover_state_ != FailoverState::kWaitForSync) return;
  if (failover_end_ms_ != 0 && failover_end_ms_ <= server_->now_ms()) {
    if (failover_force_) {
      Log(LogLevel::kNotice, "FAILOVER to {}:{} time out exceeded, failing over.", failover_host_,
          failover_port_);
      failover_state_ = FailoverState::kInProgress;
      SetMaster(failover_host_, static_cast<int>(failover_port_));
    } else {
      AbortFailover("Replica never caught up before timeout");
    }
    return;
  }
  const int64_t offset = backlog_.master_repl_offset();
  RespSession* caught_up = nullptr;
  if (!failover_host_.empty()) {
    RespSession* replica = FindReplica(failover_host_, failover_port_);
    if (replica != nullptr && replica->replica_peer().ack_offset == offset) caught_up = replica;
  } else {
    for (RespSession* replica : replicas_) {
      if (replica->replica_peer().ack_offset == offset) {
        caught_up = replica;
        failover_host_ = ReplicaIp(*replica);
        failover_port_ = replica->replica_peer().listening_port;
        break;
      }
    }
  }
  if (caught_up == nullptr) return;
  failover_state_ = FailoverState::kInProgress;
  Log(LogLevel::kNotice, "Failover target {}:{} is synced, failing over.", failover_host_,
      failover_port_);
  SetMaster(failover_host_, static_cast<int>(failover_port_));
}

void ReplicationManager::ClearFailoverState() {
  failover_state_ = FailoverState::kNone;
  failover_host_.clear();
  failover_port_ = 0;
  failover_end_ms_ = 0;
  failover_force_ = false;
  front_->Unpause(PausePurpose::kFailover);
}

void ReplicationManager::AbortFailover(std::string_view why) {
  if (failover_state_ == FailoverState::kNone) return;
  if (!failover_host_.empty()) {
    Log(LogLevel::kNotice, "FAILOVER to {}:{} aborted: {}", failover_host_, failover_port_, why);
  } else {
    Log(LogLevel::kNotice, "FAILOVER to any replica aborted: {}", why);
  }
  if (failover_state_ == FailoverState::kInProgress) UnsetMaster();
  ClearFailoverState();
}

}  // namespace herald::resp
