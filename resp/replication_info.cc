// INFO's replication section: Redis 7.0's fields in Redis's order, for both roles.

#include <fmt/format.h>

#include <iterator>
#include <string>

#include "resp/front_end.h"
#include "resp/replication.h"
#include "server/server.h"

namespace herald::resp {

using config::Config;

void ReplicationManager::WriteInfo(std::string* out) const {
  const Config& cfg = server_->config();
  const uint64_t now = server_->now_ms();
  auto field = [out](std::string_view name, const auto& value) {
    fmt::format_to(std::back_inserter(*out), "{}:{}\r\n", name, value);
  };
  // The ignored replica-* directives are still reported with their configured values.
  auto setting = [this](std::string_view name) {
    auto pairs = server_->config_store().Get({name});
    return pairs.empty() ? std::string() : pairs.front().second;
  };
  out->append("# Replication\r\n");
  field("role", is_replica() ? "slave" : "master");
  if (is_replica()) {
    const bool up = master_link_up();
    field("master_host", cfg.master_host);
    field("master_port", cfg.master_port);
    field("master_link_status", up ? "up" : "down");
    field("master_last_io_seconds_ago",
          up ? static_cast<int64_t>((now - static_cast<uint64_t>(link_->last_io_ms())) / 1000)
             : int64_t{-1});
    const bool syncing =
        link_ != nullptr && phase_ == LinkPhase::kLinked && link_->sync_in_progress();
    field("master_sync_in_progress", syncing ? 1 : 0);
    // Redis shows 1 before any sync, and the cached master's offset while the link is down.
    const int64_t offset =
        up ? link_->offset() : (psync_with_history_ ? backlog_.master_repl_offset() : 1);
    field("slave_read_repl_offset", offset);
    field("slave_repl_offset", offset);
    if (syncing) {
      const int64_t total = link_->rdb_size();
      const int64_t read = link_->rdb_read();
      field("master_sync_total_bytes", total);
      field("master_sync_read_bytes", read);
      field("master_sync_left_bytes", total >= 0 ? total - read : int64_t{-1});
      field("master_sync_perc",
            fmt::format(
                "{:.2f}",
                total > 0 ? 100.0 * static_cast<double>(read) / static_cast<double>(total) : 0.0));
      field("master_sync_last_io_seconds_ago",
            (now - static_cast<uint64_t>(link_->last_io_ms())) / 1000);
    }
    if (!up) {
      field("master_link_down_since_seconds",
            link_down_since_ms_ != 0 ? static_cast<int64_t>((now - link_down_since_ms_) / 1000)
                                     : int64_t{-1});
    }
    field("slave_priority", setting("replica-priority"));
    field("slave_read_only", setting("replica-read-only") == "yes" ? 1 : 0);
    field("replica_announced", setting("replica-announced") == "yes" ? 1 : 0);
  }
  field("connected_slaves", replicas_.size());
  // Redis counts, when both min-replicas directives are set, the replicas whose last ACK is at
  // most min-replicas-max-lag seconds old.
  const std::string to_write = setting("min-replicas-to-write");
  const std::string max_lag = setting("min-replicas-max-lag");
  if (to_write != "0" && !to_write.empty() && max_lag != "0" && !max_lag.empty()) {
    const uint64_t lag_limit_s = std::strtoull(max_lag.c_str(), nullptr, 10);
    size_t good = 0;
    for (const RespSession* replica : replicas_) {
      if ((now - replica->replica_peer().ack_ms) / 1000 <= lag_limit_s) ++good;
    }
    field("min_slaves_good_slaves", good);
  }
  size_t index = 0;
  for (const RespSession* replica : replicas_) {
    const ReplicaPeer& peer = replica->replica_peer();
    fmt::format_to(std::back_inserter(*out),
                   "slave{}:ip={},port={},state=online,offset={},lag={}\r\n", index++,
                   ReplicaIp(*replica), peer.listening_port, peer.ack_offset,
                   (now - peer.ack_ms) / 1000);
  }
  field("master_failover_state", failover_state_ == FailoverState::kNone ? "no-failover"
                                 : failover_state_ == FailoverState::kWaitForSync
                                     ? "waiting-for-sync"
                                     : "failover-in-progress");
  field("master_replid", state_.replid());
  field("master_replid2", state_.replid2());
  field("master_repl_offset", backlog_.master_repl_offset());
  field("second_repl_offset", state_.second_repl_offset());
  // Redis shows 0 for the first byte offset while there is no backlog.
  field("repl_backlog_active", backlog_active_ ? 1 : 0);
  field("repl_backlog_size", backlog_.size_limit());
  field("repl_backlog_first_byte_offset", backlog_active_ ? backlog_.first_byte_offset() : 0);
  field("repl_backlog_histlen", backlog_active_ ? backlog_.histlen() : 0);
}

}  // namespace herald::resp
