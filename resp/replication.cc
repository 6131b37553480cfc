// Replication wired to sockets, the master side: PSYNC, the stream to replicas, WAIT, plus the
// ROLE, REPLCONF, SYNC and WAIT commands, the cron and INFO's replication section. FAILOVER is
// failover.cc, the replica side replication_link.cc; the protocol itself is in replication/
// (sans-IO).

#include "resp/replication.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

#include "protocol/errors.h"
#include "protocol/numbers.h"
#include "protocol/resp_writer.h"
#include "replication/state_file.h"
#include "resp/command_handlers.h"
#include "resp/forwarding.h"
#include "resp/front_end.h"
#include "server/logging.h"
#include "server/server.h"

namespace herald::resp {

using broker::MessageIdSource;
using broker::PublishEvent;
using broker::PublishOrigin;
using config::Config;
using config::LogLevel;
using server::Connection;
using server::Log;
using server::SetLogRole;
using server::Stats;
namespace {

using protocol::EqualsIgnoreCase;

// What a master writes into the stream every repl-ping-replica-period (Redis's own spelling,
// lower case, so a Redis replica counts the same 14 bytes).
constexpr std::string_view kPingCommand = "*1\r\n$4\r\nping\r\n";
// Redis's NET_HOST_STR_LEN: the longest REPLCONF ip-address accepted.
constexpr size_t kMaxAnnouncedIpLength = 256;

constexpr std::string_view kNoMasterLink =
    "NOMASTERLINK Can't SYNC while not connected with my master";
// How long after our link came up a replica ahead of us is told to wait rather than resynced.
constexpr uint64_t kCatchUpMs = 10000;
constexpr std::string_view kPendingOutput = "ERR SYNC and PSYNC are invalid with pending output";
constexpr std::string_view kWaitOnReplica =
    "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a "
    "replica is configured to be writable (which is not the default) writes to replicas are just "
    "local and are not propagated.";

// "1.2.3.4" of "1.2.3.4:5", "::1" of "::1:5".
std::string_view HostOf(std::string_view address) {
  size_t colon = address.rfind(':');
  return colon == std::string_view::npos ? address : address.substr(0, colon);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Life cycle

ReplicationManager::ReplicationManager(RespFrontEnd* front)
    : front_(front), server_(&front->server()), backlog_(server_->config().repl_backlog_size) {
  uv_timer_init(server_->loop(), &reconnect_timer_);
  reconnect_timer_.data = this;
  uv_timer_init(server_->loop(), &wait_timer_);
  wait_timer_.data = this;
  server_->broker().set_id_source(this);
  forwarding_ = std::make_unique<PublishForwarding>(front, this);
  no_replicas_since_ms_ = server_->now_ms();
  // Gateway message ids are stream offsets, so with the gateway on the stream always runs.
  backlog_active_ = server_->config().gateway_port != 0;
  LoadSavedState();
}

// Redis's loadDataFromDisk with an RDB's repl-id/repl-offset: a replica takes them as its cached
// master (it asks its master to continue from there); a master starts a new ID with the saved one
// as replid2, valid up to the saved offset + 1, so that its replicas continue with it.
void ReplicationManager::LoadSavedState() {
  const std::string& path = server_->config().repl_state_file;
  if (path.empty()) return;
  std::ifstream file(path, std::ios::binary);
  if (!file) return;
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  repl::SavedReplication saved;
  std::string why;
  if (text.size() > 4096 || !repl::ParseSavedReplication(text, &saved, &why)) {
    Log(LogLevel::kWarning, "Ignoring the replication state in {}: {}", path,
        why.empty() ? "too big" : why);
    return;
  }
  if (saved.port != server_->config().port) {
    Log(LogLevel::kWarning,
        "Ignoring the replication state in {}: written by the node on port {} (give each node "
        "its own dir or repl-state-file)",
        path, saved.port);
    return;
  }
  state_ = repl::ReplicationState(saved.replid);
  backlog_.Reset(saved.offset);
  line_start_ = saved.offset;
  backlog_active_ = true;
  saved_replid_ = saved.replid;
  saved_offset_ = saved.offset;
  if (is_replica()) {
    psync_with_history_ = true;
    Log(LogLevel::kNotice,
        "Loaded the replication ID {} and offset {} from {}: a partial resynchronization with "
        "the master will be tried",
        saved.replid, saved.offset, path);
  } else {
    state_.ShiftReplicationId(saved.offset);
    Log(LogLevel::kNotice,
        "Loaded the replication ID {} and offset {} from {}; my new replication IDs are '{}' "
        "and '{}'",
        saved.replid, saved.offset, path, state_.replid(), state_.replid2());
  }
}

void ReplicationManager::SaveState() {
  const std::string& path = server_->config().repl_state_file;
  if (path.empty()) return;
  // Only a history someone may continue: a master's running stream, a replica's synced one.
  if (is_replica() ? !psync_with_history_ : !backlog_active_) return;
  // A replica saves its master's ID; a master its own (the one its replicas follow).
  const std::string& replid = state_.replid();
  int64_t offset = backlog_.master_repl_offset();
  if (replid == saved_replid_ && offset == saved_offset_) return;
  std::string tmp = path + ".tmp";
  std::string text = repl::FormatSavedReplication(
      {.replid = replid, .offset = offset, .port = server_->config().port});
  bool ok = false;
  if (FILE* out = std::fopen(tmp.c_str(), "wb")) {
    ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
    ok = std::fclose(out) == 0 && ok;
    ok = ok && std::rename(tmp.c_str(), path.c_str()) == 0;
  }
  if (!ok) {
    if (!save_failed_) {
      Log(LogLevel::kWarning, "Failed to write the replication state to {}: {}", path,
          std::strerror(errno));
    }
    save_failed_ = true;
    std::remove(tmp.c_str());
    return;
  }
  save_failed_ = false;
  saved_replid_ = replid;
  saved_offset_ = offset;
}

ReplicationManager::~ReplicationManager() { server_->broker().set_id_source(nullptr); }

bool ReplicationManager::is_replica() const { return !server_->config().master_host.empty(); }

bool ReplicationManager::master_link_up() const {
  return phase_ == LinkPhase::kLinked && link_ != nullptr && link_->link_up();
}

void ReplicationManager::Start() {
  if (!is_replica()) return;
  const Config& cfg = server_->config();
  // A replica always keeps the stream it receives, for its own replicas (Redis creates the
  // backlog when the first sync completes; ours fills from then on too).
  backlog_active_ = true;
  SetLogRole('S');
  phase_ = LinkPhase::kConnect;
  Log(LogLevel::kNotice, "Connecting to MASTER {}:{}", cfg.master_host, cfg.master_port);
  ConnectToMaster();
}

void ReplicationManager::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  SaveState();
  uv_close(reinterpret_cast<uv_handle_t*>(&reconnect_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&wait_timer_), nullptr);
}

void ReplicationManager::ApplyConfig(std::string_view name) {
  if (name == "repl-backlog-size") backlog_.Resize(server_->config().repl_backlog_size);
}

// ---------------------------------------------------------------------------------------------
// The stream, master side

uint64_t ReplicationManager::AssignId(const PublishEvent& event) {
  // A replica never propagates: what its master sent is forwarded as received (OnMasterInput),
  // and a PUBLISH run on the replica itself stays local, as in Redis.
  if (event.origin != PublishOrigin::kClient || is_replica()) return 0;
  // Redis keeps no stream on a master without replicas and without a backlog: the offset stays
  // where it is (0 on a fresh master) and the message costs nothing here.
  if (!backlog_active_) return 0;
  scratch_.clear();
  protocol::RespWriter writer(&scratch_, 2);
  writer.ArrayHeader(3);
  writer.Bulk(event.verb);
  writer.Bulk(event.channel);
  writer.Bulk(event.payload);
  AppendToStream(scratch_);
  // One big PUBLISH must not leave its encoding allocated for good.
  if (scratch_.capacity() > kScratchKeepBytes) std::string().swap(scratch_);
  return static_cast<uint64_t>(backlog_.master_repl_offset());
}

bool ReplicationManager::BeginTransaction() {
  if (is_replica() || !backlog_active_) return false;
  AppendToStream("*1\r\n$5\r\nMULTI\r\n");
  transaction_replid_ = state_.replid();
  return true;
}

void ReplicationManager::EndTransaction() {
  // A REPLICAOF inside the transaction ended this stream: there is nothing to close.
  if (is_replica() || !backlog_active_ || state_.replid() != transaction_replid_) return;
  AppendToStream("*1\r\n$4\r\nEXEC\r\n");
}

MessageIdSource::Line ReplicationManager::line() const {
  Line line;
  line.replid = state_.replid();
  if (state_.second_repl_offset() > 0) {
    line.replid2 = state_.replid2();
    // second_repl_offset is the first offset of the new history: ids (offsets past a command)
    // up to one less belong to the old one.
    line.second_offset = static_cast<uint64_t>(state_.second_repl_offset() - 1);
  }
  line.start = static_cast<uint64_t>(line_start_);
  line.offset = static_cast<uint64_t>(backlog_.master_repl_offset());
  line.generation = line_generation_;
  return line;
}

// Each replica's queue gets references to the backlog's own blocks: one copy of the bytes however
// many replicas there are, and a slow replica costs only its queue entries, bounded by its output
// limit (client-output-buffer-limit replica).
void ReplicationManager::AppendToStream(std::string_view bytes) {
  slices_.clear();
  backlog_.Append(bytes, &slices_);
  for (RespSession* replica : replicas_) {
    for (const repl::BacklogSlice& slice : slices_) {
      replica->QueueShared(slice.block, slice.offset, slice.length);
    }
  }
  // The slices are references: kept until the next append, a big command's block would outlive
  // every queue and the backlog's own trimming.
  slices_.clear();
}

// Redis's syncCommand: the first replica of a master without a backlog starts a new history,
// since the offsets it skipped while no stream was kept cannot be continued by anyone. Only a
// full resynchronization gets here (a partial one needs the backlog), and before
// +FULLRESYNC is written, so the replica learns the new ID.
void ReplicationManager::CreateBacklogIfNeeded() {
  if (backlog_active_) return;
  state_.ChangeReplicationId();
  backlog_.Reset(backlog_.master_repl_offset());
  backlog_active_ = true;
  Log(LogLevel::kNotice, "Replication backlog created, my new replication IDs are '{}' and '{}'",
      state_.replid(), state_.replid2());
}

void ReplicationManager::AttachReplica(RespSession& client) {
  client.set_link_role(LinkRole::kReplica);
  ReplicaPeer& peer = client.replica_peer();
  peer.ack_ms = server_->now_ms();
  peer.ack_offset = 0;
  replicas_.push_back(&client);
  no_replicas_since_ms_ = 0;
}

// Deferred closes: the replica being dropped may be the connection whose command we are running.
void ReplicationManager::DropReplicas(std::string_view why) {
  std::vector<RespSession*> replicas;
  replicas.swap(replicas_);
  for (RespSession* replica : replicas) replica->CloseAsap(why);
  if (!replicas.empty()) no_replicas_since_ms_ = server_->now_ms();
}

std::string ReplicationManager::ReplicaIp(const RespSession& replica) const {
  const ReplicaPeer& peer = replica.replica_peer();
  return peer.announced_ip.empty() ? std::string(HostOf(replica.peer())) : peer.announced_ip;
}

std::string ReplicationManager::ReplicaName(const RespSession& replica) const {
  const ReplicaPeer& peer = replica.replica_peer();
  if (peer.listening_port == 0) return ReplicaIp(replica) + ":<unknown-replica-port>";
  return fmt::format("{}:{}", ReplicaIp(replica), peer.listening_port);
}

// ---------------------------------------------------------------------------------------------
// Master-side commands

// Redis 7.0's syncCommand order of checks: an attached replica is ignored, then our own link,
// then pending output, then the offset argument, and only then the PSYNC decision. The
// outcomes:
//   -NOMASTERLINK: we are a replica whose link is down (the replica retries later);
//   -ERR value is not an integer: a bad offset (nothing changes);
//   +CONTINUE [<replid>] then the backlog from the requested offset;
//   +FULLRESYNC <replid> <offset> then an empty RDB, then the stream from <offset> + 1.
void ReplicationManager::Psync(RespSession& client, CommandArgs args) {
  if (client.link_role() != LinkRole::kClient) return;
  // FAILOVER's handoff: our master, now paused and a replica of ours, asks us to take over from
  // the history we share; the PSYNC itself then continues as any other.
  if (args.size() > 3 && EqualsIgnoreCase(args[3], "failover")) {
    Log(LogLevel::kWarning, "Failover request received for replid {}.", args[1]);
    if (!is_replica()) {
      ReplyError(client, "ERR PSYNC FAILOVER can't be sent to a master.");
      return;
    }
    if (!EqualsIgnoreCase(args[1], state_.replid())) {
      ReplyError(client, "ERR PSYNC FAILOVER replid must match my replid.");
      return;
    }
    UnsetMaster();
    Log(LogLevel::kNotice, "MASTER MODE enabled (failover request from 'id={} addr={}')",
        client.id(), client.peer());
  }
  if (failover_state_ != FailoverState::kNone) {
    ReplyError(client, "NOMASTERLINK Can't SYNC while failing over");
    return;
  }
  if (is_replica() && !master_link_up()) {
    ReplyError(client, kNoMasterLink);
    return;
  }
  if (!client.output().empty()) {
    ReplyError(client, kPendingOutput);
    return;
  }
  // A replica of ours ahead of us on our own history (we restarted from a state file a moment
  // older than what we had sent it, and our master is still sending us the rest): it waits for
  // us to catch up instead of starting over. -LOADING means "try again later" to every replica.
  if (int64_t wanted = 0; is_replica() && EqualsIgnoreCase(args[1], state_.replid()) &&
                          protocol::ParseInt64(args[2], &wanted) &&
                          wanted > backlog_.master_repl_offset() + 1 &&
                          server_->now_ms() - link_up_since_ms_ < kCatchUpMs) {
    ReplyError(client, "LOADING herald is catching up with its master, try again later");
    return;
  }
  repl::PsyncDecision decision = repl::DecidePsync(args[1], args[2], state_, backlog_);
  if (decision.outcome == repl::PsyncOutcome::kBadOffset) {
    ReplyError(client, protocol::errors::kNotInteger);
    return;
  }
  // Without a backlog nothing can be continued, not even "nothing missing" (Redis checks
  // server.repl_backlog first).
  if (!backlog_active_ && decision.outcome == repl::PsyncOutcome::kContinue) {
    decision = {repl::PsyncOutcome::kFullResync, repl::PsyncReason::kNotInBacklog,
                backlog_.master_repl_offset()};
  }
  Stats& stats = server_->stats();
  const std::string name = ReplicaName(client);
  Log(LogLevel::kNotice, "Replica {} asks for synchronization", name);
  if (decision.outcome == repl::PsyncOutcome::kContinue) {
    AttachReplica(client);
    client.Queue(repl::FormatContinue(state_.replid(), client.replica_peer().capa_psync2));
    slices_.clear();
    backlog_.SlicesFrom(decision.offset, &slices_);
    for (const repl::BacklogSlice& slice : slices_) {
      client.QueueShared(slice.block, slice.offset, slice.length);
    }
    slices_.clear();
    ++stats.sync_partial_ok;
    Log(LogLevel::kNotice,
        "Partial resynchronization request from {} accepted. Sending {} bytes of backlog "
        "starting from offset {}.",
        name, backlog_.master_repl_offset() + 1 - decision.offset, decision.offset);
    return;
  }
  switch (decision.reason) {
    case repl::PsyncReason::kFullResyncRequested:
      Log(LogLevel::kNotice, "Full resync requested by replica {}", name);
      break;
    case repl::PsyncReason::kReplidMismatch:
      Log(LogLevel::kNotice,
          "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for "
          "'{}', my replication IDs are '{}' and '{}')",
          args[1], state_.replid(), state_.replid2());
      break;
    case repl::PsyncReason::kSecondIdOffsetTooBig:
      Log(LogLevel::kNotice,
          "Partial resynchronization not accepted: Requested offset for second ID was {}, but I "
          "can reply up to {}",
          args[2], state_.second_repl_offset());
      break;
    default:
      Log(LogLevel::kNotice,
          "Unable to partial resync with replica {} for lack of backlog (Replica request was: "
          "{}).",
          name, args[2]);
      break;
  }
  if (args[1] != "?") ++stats.sync_partial_err;
  ++stats.sync_full;
  AttachReplica(client);
  CreateBacklogIfNeeded();
  // An empty RDB in disk framing: the stream may follow at once (no ACK needed first), and a
  // Redis replica loads it as an empty data set.
  client.Queue(repl::FormatFullResync(state_.replid(), decision.offset));
  // Below a master whose data we dropped, the empty RDB says so (our replicas warn in turn).
  client.Queue(is_replica() && master_rdb_had_data_ ? repl::UpstreamDataRdbPayload()
                                                    : repl::EmptyRdbPayload());
  Log(LogLevel::kNotice, "Synchronization with replica {} succeeded", name);
  if (is_replica() && master_rdb_had_data_) {
    Log(LogLevel::kWarning,
        "Replica {} got an empty data set: this node's master holds data that herald does not "
        "pass on (a redis-server replica has only what is written from now on)",
        name);
  }
}

// The pre-PSYNC protocol: the RDB without +FULLRESYNC, then the stream. Such a replica can never
// resume and sends no ACKs.
void ReplicationManager::Sync(RespSession& client) {
  if (client.link_role() != LinkRole::kClient) return;
  if (is_replica() && !master_link_up()) {
    ReplyError(client, kNoMasterLink);
    return;
  }
  if (!client.output().empty()) {
    ReplyError(client, kPendingOutput);
    return;
  }
  Log(LogLevel::kNotice, "Replica {} asks for synchronization", ReplicaName(client));
  ++server_->stats().sync_full;
  client.replica_peer().pre_psync = true;
  AttachReplica(client);
  CreateBacklogIfNeeded();
  client.Queue(is_replica() && master_rdb_had_data_ ? repl::UpstreamDataRdbPayload()
                                                    : repl::EmptyRdbPayload());
  Log(LogLevel::kNotice, "Synchronization with replica {} succeeded", ReplicaName(client));
}

// REPLCONF <option> <value> ...: +OK after all options, except ACK and GETACK, which Redis never
// answers (not even with an error).
void ReplicationManager::Replconf(RespSession& client, CommandArgs args) {
  if (args.size() % 2 == 0) {
    ReplyError(client, protocol::errors::kSyntax);
    return;
  }
  ReplicaPeer& peer = client.replica_peer();
  for (size_t i = 1; i + 1 < args.size(); i += 2) {
    const std::string_view option = args[i];
    const std::string_view value = args[i + 1];
    if (EqualsIgnoreCase(option, "listening-port")) {
      int64_t port = 0;
      if (!protocol::ParseInt64(value, &port)) {
        ReplyError(client, protocol::errors::kNotInteger);
        return;
      }
      peer.listening_port = port;
    } else if (EqualsIgnoreCase(option, "ip-address")) {
      if (value.size() >= kMaxAnnouncedIpLength) {
        ReplyError(client,
                   fmt::format("ERR REPLCONF ip-address provided by replica instance is too long: "
                               "{} bytes",
                               value.size()));
        return;
      }
      peer.announced_ip.assign(value);
    } else if (EqualsIgnoreCase(option, "capa")) {
      // Unknown capabilities are ignored, so that newer replicas can announce more.
      if (EqualsIgnoreCase(value, "eof")) peer.capa_eof = true;
      if (EqualsIgnoreCase(value, "psync2")) peer.capa_psync2 = true;
    } else if (EqualsIgnoreCase(option, "ack")) {
      // Only an attached replica's ACK means anything; a bad offset is ignored silently.
      if (client.link_role() != LinkRole::kReplica) return;
      int64_t offset = 0;
      if (!protocol::ParseInt64(value, &offset)) return;
      if (offset > peer.ack_offset) peer.ack_offset = offset;
      peer.ack_ms = server_->now_ms();
      if (!waiters_.empty()) CheckWaiters(false);
      UpdateFailoverStatus();
      return;
    } else if (EqualsIgnoreCase(option, "getack")) {
      // Our master asks through the stream, which the link answers itself; from anyone else it
      // makes us ACK early, as in Redis.
      if (master_link_up() && link_->Ack()) FlushLinkOutput();
      return;
    } else if (EqualsIgnoreCase(option, "rdb-only")) {
      // Redis's redis-cli --rdb option: only the RDB, then close. An empty RDB is all we have;
      // accepting the option keeps the exchange Redis-shaped.
    } else {
      ReplyError(client, fmt::format("ERR Unrecognized REPLCONF option: {}", option));
      return;
    }
  }
  client.reply().SimpleString("OK");
}

void ReplicationManager::Role(RespSession& client) {
  protocol::RespWriter& reply = client.reply();
  if (!is_replica()) {
    reply.ArrayHeader(3);
    reply.Bulk("master");
    reply.Integer(backlog_.master_repl_offset());
    reply.ArrayHeader(replicas_.size());
    for (const RespSession* replica : replicas_) {
      const ReplicaPeer& peer = replica->replica_peer();
      reply.ArrayHeader(3);
      reply.Bulk(ReplicaIp(*replica));
      reply.Bulk(std::to_string(peer.listening_port));
      reply.Bulk(std::to_string(peer.ack_offset));
    }
    return;
  }
  const Config& cfg = server_->config();
  std::string_view state = "connect";
  if (phase_ == LinkPhase::kConnecting) {
    state = "connecting";
  } else if (phase_ == LinkPhase::kLinked && link_ != nullptr) {
    state = link_->RoleStateName();
  }
  reply.ArrayHeader(5);
  reply.Bulk("slave");
  reply.Bulk(cfg.master_host);
  reply.Integer(cfg.master_port);
  reply.Bulk(state);
  reply.Integer(master_link_up() ? link_->offset() : -1);
}

// WAIT numreplicas timeout. Blocks the client until `numreplicas` replicas acknowledged the
// stream up to the client's last PUBLISH (or the timeout, in ms, passes; 0 waits forever), then
// replies with how many did. While it waits, the stream carries REPLCONF GETACK so that replicas
// answer at once instead of at their next once-a-second ACK.
void ReplicationManager::Wait(RespSession& client, CommandArgs args) {
  if (is_replica()) {
    ReplyError(client, kWaitOnReplica);
    return;
  }
  // Redis parses the timeout first.
  int64_t timeout = 0;
  if (!protocol::ParseInt64(args[2], &timeout)) {
    ReplyError(client, "ERR timeout is not an integer or out of range");
    return;
  }
  if (timeout < 0) {
    ReplyError(client, "ERR timeout is negative");
    return;
  }
  int64_t numreplicas = 0;
  if (!protocol::ParseInt64(args[1], &numreplicas)) {
    ReplyError(client, protocol::errors::kNotInteger);
    return;
  }
  const int64_t offset = client.write_offset();
  const size_t acked = CountAcks(offset);
  // Inside EXEC nothing may block: the count so far is the answer (Redis's DENY_BLOCKING).
  if (static_cast<int64_t>(acked) >= numreplicas || client.in_exec()) {
    client.reply().Integer(static_cast<int64_t>(acked));
    return;
  }
  const uint64_t deadline = timeout > 0 ? server_->now_ms() + static_cast<uint64_t>(timeout) : 0;
  waiters_.push_back({&client, offset, numreplicas, deadline});
  client.Block();
  if (!replicas_.empty()) AppendToStream(kGetAckCommand);
  ArmWaitTimer();
}

size_t ReplicationManager::CountAcks(int64_t offset) const {
  return static_cast<size_t>(std::count_if(replicas_.begin(), replicas_.end(), [&](auto* r) {
    return r->replica_peer().ack_offset >= offset;
  }));
}

// Unblocks the waiters whose replicas acknowledged enough, and (with `timeouts_only`, from the
// timer) those whose time is up, replying with the count either way.
void ReplicationManager::CheckWaiters(bool timeouts_only) {
  const uint64_t now = server_->now_ms();
  std::vector<Waiter> done;
  auto ready = [&](const Waiter& w) {
    const bool expired = w.deadline_ms != 0 && now >= w.deadline_ms;
    const bool enough = static_cast<int64_t>(CountAcks(w.offset)) >= w.numreplicas;
    return timeouts_only ? expired : enough;
  };
  for (const Waiter& w : waiters_) {
    if (ready(w)) done.push_back(w);
  }
  std::erase_if(waiters_, ready);
  for (const Waiter& w : done) {
    w.client->Unblock(fmt::format(":{}\r\n", CountAcks(w.offset)));
  }
  ArmWaitTimer();
}

void ReplicationManager::ArmWaitTimer() {
  if (shut_down_) return;
  uint64_t earliest = 0;
  for (const Waiter& w : waiters_) {
    if (w.deadline_ms != 0 && (earliest == 0 || w.deadline_ms < earliest)) earliest = w.deadline_ms;
  }
  if (earliest == 0) {
    uv_timer_stop(&wait_timer_);
    return;
  }
  const uint64_t now = server_->now_ms();
  uv_timer_start(&wait_timer_, OnWaitTimer, earliest > now ? earliest - now : 0, 0);
}

void ReplicationManager::OnWaitTimer(uv_timer_t* timer) {
  static_cast<ReplicationManager*>(timer->data)->CheckWaiters(true);
}

void ReplicationManager::OnSessionClosing(RespSession* session) {
  forwarding_->OnSessionClosing(session);
  if (session->blocked()) {
    std::erase_if(waiters_, [session](const Waiter& w) { return w.client == session; });
    ArmWaitTimer();
  }
  switch (session->link_role()) {
    case LinkRole::kClient:
      return;
    case LinkRole::kReplica: {
      auto it = std::find(replicas_.begin(), replicas_.end(), session);
      if (it == replicas_.end()) return;
      replicas_.erase(it);
      Log(LogLevel::kNotice, "Connection with replica {} lost.", ReplicaName(*session));
      if (replicas_.empty()) no_replicas_since_ms_ = server_->now_ms();
      if (!waiters_.empty()) CheckWaiters(false);
      return;
    }
    case LinkRole::kMaster:
      if (session != master_connection_) return;
      master_connection_ = nullptr;
      OnLinkDown();
      phase_ = LinkPhase::kConnect;
      ScheduleReconnect(reconnect_delay_ms_);
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Cron

void ReplicationManager::Cron() {
  UpdateFailoverStatus();
  ++cron_ticks_;
  SaveState();
  const uint64_t now = server_->now_ms();
  forwarding_->Cron(now);
  const Config& cfg = server_->config();
  const uint64_t timeout_ms = static_cast<uint64_t>(cfg.repl_timeout) * 1000;

  // Replica side: a connect that takes too long, a silent master, and the once-a-second ACK.
  if (is_replica() && master_connection_ != nullptr) {
    if (phase_ == LinkPhase::kConnecting && now - connect_started_ms_ > timeout_ms) {
      Log(LogLevel::kWarning, "Timeout connecting to the MASTER...");
      master_connection_->Close();
    } else if (phase_ == LinkPhase::kLinked && link_ != nullptr) {
      if (link_->Tick(static_cast<int64_t>(now)) != repl::LinkError::kNone) {
        Log(LogLevel::kWarning, "{}", link_->last_error());
        master_connection_->Close();
      } else if (link_->Ack()) {
        FlushLinkOutput();
      }
    }
  }

  // Master side. Only a top master pings: an intermediate forwards its master's pings.
  // As Redis, no PING while a FAILOVER with a TIMEOUT waits: it would move the offset the
  // replicas must reach.
  if (!is_replica() && !replicas_.empty() &&
      !(failover_state_ == FailoverState::kWaitForSync && failover_end_ms_ != 0) &&
      cron_ticks_ % static_cast<uint64_t>(std::max(cfg.repl_ping_replica_period, 1)) == 0) {
    AppendToStream(kPingCommand);
  }
  std::vector<RespSession*> timed_out;
  for (RespSession* replica : replicas_) {
    const ReplicaPeer& peer = replica->replica_peer();
    if (!peer.pre_psync && now - peer.ack_ms > timeout_ms) timed_out.push_back(replica);
  }
  for (RespSession* replica : timed_out) {
    Log(LogLevel::kWarning, "Disconnecting timedout replica (streaming sync): {}",
        ReplicaName(*replica));
    replica->Close();
  }

  // repl-backlog-ttl: a master alone for that long frees its backlog, as Redis's
  // replicationCron does. Without the gateway the stream stops altogether: a new replication ID
  // (the history cannot be continued any more), the offset stays put until a replica arrives
  // and CreateBacklogIfNeeded() starts again. With the gateway, message ids are stream offsets,
  // so only the history goes: offsets and the ID stay, and a replica asking for the forgotten
  // bytes gets a full resync.
  if (!is_replica() && replicas_.empty() && cfg.repl_backlog_ttl > 0 && backlog_active_ &&
      no_replicas_since_ms_ != 0 &&
      now - no_replicas_since_ms_ > static_cast<uint64_t>(cfg.repl_backlog_ttl) * 1000) {
    const bool keep_stream = cfg.gateway_port != 0;
    if (!keep_stream || backlog_.histlen() > 0) {
      Log(LogLevel::kNotice,
          "Replication backlog freed after {} seconds without connected replicas.",
          cfg.repl_backlog_ttl);
      backlog_.Reset(backlog_.master_repl_offset());
    }
    if (!keep_stream) {
      state_.ChangeReplicationId();
      backlog_active_ = false;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Command handlers (resp/command_handlers.h)

void PsyncCommand(RespSession& client, CommandArgs args) {
  client.front().replication().Psync(client, args);
}

void SyncCommand(RespSession& client, CommandArgs /*args*/) {
  client.front().replication().Sync(client);
}

void ReplconfCommand(RespSession& client, CommandArgs args) {
  client.front().replication().Replconf(client, args);
}

void ReplicaOfCommand(RespSession& client, CommandArgs args) {
  client.front().replication().ReplicaOf(client, args);
}

void RoleCommand(RespSession& client, CommandArgs /*args*/) {
  client.front().replication().Role(client);
}

void FailoverCommand(RespSession& client, CommandArgs args) {
  client.front().replication().Failover(client, args);
}

void WaitCommand(RespSession& client, CommandArgs args) {
  client.front().replication().Wait(client, args);
}

}  // namespace herald::resp
