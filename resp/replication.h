#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker.h"
#include "replication/backlog.h"
#include "replication/replica_link.h"
#include "replication/replication_state.h"
#include "resp/commands.h"
#include "resp/session.h"

namespace herald::resp {

// What WAIT and FAILOVER write into the stream to make every replica ACK at once.
inline constexpr std::string_view kGetAckCommand =
    "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";

class PublishForwarding;
class ReplicationManager;
class RespFrontEnd;

// Our connection to our master: a RESP connection (so that CLIENT LIST shows it with flags=M and
// CLIENT KILL TYPE master finds it) whose input is not parsed as commands but fed to the
// ReplicationManager's repl::ReplicaLink. Created by the manager, owned and freed by the server
// like every connection.
class MasterConnection final : public RespSession {
 public:
  MasterConnection(RespFrontEnd* front, uint64_t id, ReplicationManager* manager);

  bool idle_timeout_applies() const override { return false; }

 protected:
  size_t ProcessInput(std::string_view data) override;
  void OnConnected() override;

 private:
  ReplicationManager* manager_;
};

// Everything replication needs on one node, master side and replica side, wired to sockets.
// The protocol decisions live in the sans-IO layer (replication/); this class only moves bytes
// and keeps the lists.
//
//   local PUBLISH ──► OnPublish ──► AppendToStream ──► backlog_ ──slices──► every replica's
//   (master only)                     ▲                                       output queue
//                                     │ the same bytes, unchanged
//   master ──► MasterConnection ──► OnMasterInput ──► link_ (repl::ReplicaLink)
//                                       │ kPublish events ──► Broker::Publish (origin
//                                       │                     kReplication: not propagated)
//                                       └ FeedResult.stream ─► AppendToStream
//
// So every node of a chain holds the top master's replid and the same offsets, and a replica's
// replicas get exactly the bytes its master sent (Redis's
// replicationFeedStreamFromMasterStream).
//
// As in Redis, a master keeps the stream only while someone needs it: the backlog is created
// (with a new replication ID) when the first replica arrives, and freed repl-backlog-ttl seconds
// after the last one left; in between the offset stays put and PUBLISH costs nothing here. With
// the gateway on (gateway-port not 0) the stream always runs, because gateway message ids are
// stream offsets: they are the positions messages are resumed from. A replica always keeps it.
//
// Single-threaded; every method runs on the loop.
class ReplicationManager final : public broker::MessageIdSource {
 public:
  // Registers with the server's broker; the timers live on the server's loop.
  explicit ReplicationManager(RespFrontEnd* front);
  ~ReplicationManager() override;
  ReplicationManager(const ReplicationManager&) = delete;
  ReplicationManager& operator=(const ReplicationManager&) = delete;

  // Call once the listeners are open (our port is announced to the master): starts connecting
  // to the configured `replicaof` master, if any.
  void Start();
  // Server shutdown: closes the timers and stops reconnecting. The server closes the
  // connections (ours included) afterwards.
  void Shutdown();
  // Once per second: ACKs and timeouts of the master link, pings to and timeouts of replicas,
  // the backlog TTL.
  void Cron();
  // A replication directive changed with CONFIG SET (canonical name).
  void ApplyConfig(std::string_view name);

  // True when `replicaof` is set, whether or not the link is up (Redis's masterhost != NULL).
  bool is_replica() const;
  // True when we are a replica whose link to the master is streaming.
  bool master_link_up() const override;
  // The offset of the last byte of our replication stream.
  int64_t master_repl_offset() const { return backlog_.master_repl_offset(); }
  // Connected replicas (INFO connected_slaves).
  size_t replica_count() const override { return replicas_.size(); }

  // Commands. Each writes its reply (if any) through `client`.
  void Psync(RespSession& client, CommandArgs args);
  void Sync(RespSession& client);
  void Replconf(RespSession& client, CommandArgs args);
  void ReplicaOf(RespSession& client, CommandArgs args);
  void Role(RespSession& client);
  void Wait(RespSession& client, CommandArgs args);
  // FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms], as Redis 7.0's failoverCommand.
  void Failover(RespSession& client, CommandArgs args);
  bool failover_in_progress() const { return failover_state_ != FailoverState::kNone; }
  // EXEC propagating more than one PUBLISH / SPUBLISH: as Redis 7.0, a master wraps them in
  // MULTI ... EXEC in the stream. BeginTransaction() appends MULTI and returns true if this node
  // feeds a stream (a master keeping one); EndTransaction() then appends EXEC, unless the stream
  // was replaced meanwhile (REPLICAOF inside the transaction).
  bool BeginTransaction();
  void EndTransaction();
  // The `# Replication` section of INFO.
  void WriteInfo(std::string* out) const;

  // A RESP connection is closing: forget it as a replica, a WAIT waiter or our master link.
  void OnSessionClosing(RespSession* session);
  // MasterConnection callbacks.
  void OnMasterConnected(MasterConnection* connection);
  size_t OnMasterInput(MasterConnection* connection, std::string_view data);

  // The broker's id source: on a master, a client's PUBLISH / SPUBLISH enters the stream as
  // sent and its id is the stream offset past it; on a replica it stays local (id 0).
  uint64_t AssignId(const broker::PublishEvent& event) override;
  Line line() const override;

 private:
  // Redis's repl_state, up to the point where the ReplicaLink takes over.
  enum class LinkPhase : uint8_t {
    kNone,        // we are a master
    kConnect,     // waiting to (re)connect
    kConnecting,  // TCP connect in progress
    kLinked,      // connected: link_->state() says how far the handshake is
  };

  // Redis's failover_state: kWaitForSync while writes are paused and we wait for a replica's
  // ACK to reach our offset; kInProgress once we are a replica of the target and our PSYNC
  // FAILOVER is on its way.
  enum class FailoverState : uint8_t { kNone, kWaitForSync, kInProgress };

  // A client blocked in WAIT.
  struct Waiter {
    RespSession* client;
    int64_t offset;        // replicas must have acknowledged this offset
    int64_t numreplicas;   // this many of them
    uint64_t deadline_ms;  // 0: no timeout
  };

  // Appends `bytes` (whole commands) to the stream: into the backlog, and as shared slices to
  // every replica.
  void AppendToStream(std::string_view bytes);
  void AttachReplica(RespSession& client);
  // Starts the stream for the first replica of a master that keeps none (see above).
  void CreateBacklogIfNeeded();
  // Closes every replica at the next loop turn (they reconnect and PSYNC).
  void DropReplicas(std::string_view why);
  std::string ReplicaName(const RespSession& replica) const;
  std::string ReplicaIp(const RespSession& replica) const;

  repl::ReplicaLinkConfig LinkConfig() const;
  void SetMaster(std::string host, int port);
  void UnsetMaster();
  void ConnectToMaster();
  void ScheduleReconnect(uint64_t delay_ms);
  void CloseMasterConnection();
  void FlushLinkOutput();
  void OnLinkUp();
  // The current connection to our master is gone (closed by anyone).
  void OnLinkDown();
  void LogFullResync(const repl::LinkEvent& event);

  // The state file (repl-state-file): read once at start, written by Cron and Shutdown while
  // the ID or offset moved.
  void LoadSavedState();
  void SaveState();

  // Failover (Redis's updateFailoverStatus, clearFailoverState, abortFailover).
  void UpdateFailoverStatus();
  void ClearFailoverState();
  void AbortFailover(std::string_view why);
  RespSession* FindReplica(std::string_view host, int64_t port) const;

  size_t CountAcks(int64_t offset) const;
  void CheckWaiters(bool timeouts_only);
  void ArmWaitTimer();

  static void OnReconnectTimer(uv_timer_t* timer);
  static void OnWaitTimer(uv_timer_t* timer);

  RespFrontEnd* front_;
  server::Server* server_;
  repl::Backlog backlog_;
  // Whether the stream is kept (Redis's server.repl_backlog != NULL). While false, backlog_
  // holds only the offset.
  bool backlog_active_ = false;
  repl::ReplicationState state_;
  // Our replicas, in the order they attached (INFO's slave0, slave1, ...).
  std::vector<RespSession*> replicas_;
  std::vector<Waiter> waiters_;
  // Scratch space reused by every append.
  std::vector<repl::BacklogSlice> slices_;
  std::string scratch_;
  // Above this, scratch_ is freed after use instead of kept for the next PUBLISH.
  static constexpr size_t kScratchKeepBytes = 64 * 1024;
  // Message-id line (MessageIdSource::line): where this node's continuous stream began and how
  // many times it restarted.
  int64_t line_start_ = 0;
  uint64_t line_generation_ = 0;

  std::string transaction_replid_;  // the replid BeginTransaction() wrote MULTI under

  // Replica side.
  LinkPhase phase_ = LinkPhase::kNone;
  MasterConnection* master_connection_ = nullptr;
  std::unique_ptr<repl::ReplicaLink> link_;
  // Whether our replid/offset describe a history a master may continue (Redis's cached master):
  // false for a node that started as a replica and never synced.
  bool psync_with_history_ = false;
  // Whether the RDB of our master's last full sync held data: a replica fully synced from us
  // (our RDB is always empty) does not get it, and is warned about in the log.
  bool master_rdb_had_data_ = false;
  // What the current connection attempt asked for, for the log line of a full resync.
  std::string requested_replid_;
  int64_t requested_offset_ = 0;
  uint64_t connect_started_ms_ = 0;
  // Whether the current connection reached the stream: the link may fail (and close itself)
  // before the connection does, so its own state cannot tell any more.
  bool link_was_up_ = false;
  uint64_t link_down_since_ms_ = 0;  // 0: the link has not been up and gone down yet
  uint64_t link_up_since_ms_ = 0;
  // What the state file holds (offset -1: nothing written yet), and whether the last write
  // failed (logged once until one succeeds).
  std::string saved_replid_;
  int64_t saved_offset_ = -1;
  bool save_failed_ = false;
  uint64_t reconnect_delay_ms_ = 0;

  // Master side.
  FailoverState failover_state_ = FailoverState::kNone;
  std::string failover_host_;  // empty: any replica that catches up
  int64_t failover_port_ = 0;
  uint64_t failover_end_ms_ = 0;  // 0: no TIMEOUT
  bool failover_force_ = false;
  uint64_t cron_ticks_ = 0;
  uint64_t no_replicas_since_ms_ = 0;

  uv_timer_t reconnect_timer_;
  uv_timer_t wait_timer_;
  bool shut_down_ = false;
  // Publishes of this replica sent to its master (resp/forwarding.h).
  std::unique_ptr<PublishForwarding> forwarding_;
};

}  // namespace herald::resp
