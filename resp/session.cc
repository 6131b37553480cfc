#include "resp/session.h"

#include "protocol/errors.h"
#include "protocol/numbers.h"
#include "resp/commands.h"
#include "resp/front_end.h"
#include "resp/replication.h"
#include "server/logging.h"
#include "server/server.h"

namespace herald::resp {

using broker::Delivery;
using broker::FrameCache;
using broker::WireFormat;
using config::ClientClass;
using config::Config;
using config::LogLevel;
using server::Connection;
using server::Log;
using server::Stats;

RespSession::RespSession(RespFrontEnd* front, uint64_t id)
    : Connection(&front->server(), id), front_(front), writer_(&front->reply_scratch(), 2) {
  parser_.set_args_storage(&front->args_scratch());
  SetDefaultAuth();
  parser_.limits().max_bulk_len = server_->config().proto_max_bulk_len;
}

RespSession::~RespSession() = default;

void RespSession::set_resp(int resp) {
  resp_ = resp;
  writer_ = protocol::RespWriter(&front_->reply_scratch(), resp);
}

void RespSession::Push(std::string_view bytes) {
  // Inside EXEC a push is one element of EXEC's reply array, where Redis 7.0 writes it.
  if (in_exec_) {
    front_->reply_scratch().append(bytes);
    return;
  }
  Queue(bytes);
}

ClientClass RespSession::output_class() const {
  if (link_role_ == LinkRole::kReplica) return ClientClass::kReplica;
  return total_count() > 0 ? ClientClass::kPubSub : ClientClass::kNormal;
}

// As in Redis, a client blocked in WAIT and our master link are never closed for being idle.
bool RespSession::idle_timeout_applies() const {
  return link_role_ == LinkRole::kClient && !blocked_ && !monitor_ &&
         Connection::idle_timeout_applies();
}

void RespSession::Unblock(std::string_view reply) {
  if (!blocked_) return;
  blocked_ = false;
  if (reply_mode_ == ReplyMode::kOn) EmitReply(reply);
  ResumeInput();
}

void RespSession::EmitReply(std::string_view reply) {
  if (!replies_waiting()) {
    Queue(reply);
  } else if (!reply.empty()) {
    reply_slots_->push_back({.ready = true, .bytes = std::string(reply)});
  }
}

uint64_t RespSession::ReserveReply() {
  if (reply_slots_ == nullptr) reply_slots_ = std::make_unique<ReplySlots>();
  reply_slots_->push_back({});
  return reply_slots_->first + reply_slots_->size() - 1;
}

void RespSession::FillReply(uint64_t slot, std::string_view reply) {
  if (reply_slots_ == nullptr || slot < reply_slots_->first ||
      slot - reply_slots_->first >= reply_slots_->size()) {
    return;
  }
  ReplySlot& entry = (*reply_slots_)[static_cast<size_t>(slot - reply_slots_->first)];
  entry.ready = true;
  entry.bytes.assign(reply);
  const bool was_full = reply_slots_->size() >= kMaxReplySlots;
  while (!reply_slots_->empty() && reply_slots_->front().ready) {
    Queue(reply_slots_->front().bytes);
    reply_slots_->pop_front();
    ++reply_slots_->first;
  }
  if (close_when_answered_ && reply_slots_->empty()) {
    CloseAfterReply();
  } else if (was_full && reply_slots_->size() < kMaxReplySlots) {
    ResumeInput();
  }
}

void RespSession::CloseAfterReplies() {
  if (replies_waiting()) {
    close_when_answered_ = true;
  } else {
    CloseAfterReply();
  }
}

void RespSession::Deliver(const Delivery& delivery, FrameCache& frames) {
  WireFormat format = resp_ == 3 ? WireFormat::kResp3 : WireFormat::kResp2;
  protocol::SharedBytes& frame = frames.slot(format);
  if (!frame) {
    frame = protocol::EncodePubSubMessage(resp_, delivery.kind, delivery.pattern, delivery.channel,
                                          delivery.payload);
  }
  // A message this client published to itself inside EXEC lands in EXEC's array, as in 7.0.
  if (in_exec_) {
    front_->reply_scratch().append(frame.view());
    return;
  }
  QueueShared(frame);
}

size_t RespSession::ProcessInput(std::string_view data) {
  size_t used = 0;
  while (used < data.size() && !closing() && !close_after_reply() && !close_when_answered_ &&
         !blocked_ && !postponed_ &&
         (reply_slots_ == nullptr || reply_slots_->size() < kMaxReplySlots)) {
    parser_.limits().unauthenticated = !authenticated_;
    parser_.limits().max_bulk_len = server_->config().proto_max_bulk_len;
    size_t consumed = 0;
    protocol::RequestResult result = parser_.Parse(data.substr(used), &consumed);
    if (result == protocol::RequestResult::kNeedMore) break;
    if (result == protocol::RequestResult::kError) {
      Log(LogLevel::kVerbose, "Protocol error ({}) from client: id={} addr={}", parser_.error(),
          id(), peer());
      std::string line = "-ERR ";
      line.append(parser_.error());
      line.append("\r\n");
      EmitReply(line);
      ++server_->stats().error_replies;
      front_->command_stats().RecordError(line.substr(1));
      CloseAfterReply();
      parser_.Reset();
      return data.size();
    }
    const auto& args = parser_.args();
    if (args.empty()) {
      used += consumed;
      continue;
    }
    // An HTTP request sent to the RESP port: drop it silently as Redis does, so a browser or a
    // cross-protocol attack cannot make us answer anything.
    if (protocol::EqualsIgnoreCase(args[0], "post") ||
        protocol::EqualsIgnoreCase(args[0], "host:")) {
      Log(LogLevel::kWarning,
          "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: "
          "commands to Redis. Connection from {} aborted.",
          peer());
      Close();
      return data.size();
    }
    front_->reply_scratch().clear();
    CommandArgs command_args(args.data(), args.size());
    running_ = true;
    running_input_bytes_ = data.size() - used;
    running_argv_bytes_ = 0;
    for (std::string_view arg : command_args) running_argv_bytes_ += arg.size();
    CommandOutcome outcome = ExecuteCommand(*this, command_args);
    running_ = false;
    if (outcome == CommandOutcome::kPostponed) {
      // Postponed by CLIENT PAUSE: the request stays in the input, parsed again once resumed.
      parser_.Reset();
      break;
    }
    used += consumed;
    FinishCommand();
    // After the reply, as Redis does: a monitor sees its own PING answered, then fed.
    if (outcome == CommandOutcome::kRan && front_->has_monitors()) {
      front_->FeedMonitors(*this, command_args);
    }
  }
  return used;
}

void RespSession::FinishCommand() {
  std::string& reply = front_->reply_scratch();
  // A replica gets the replication stream and nothing else (Redis never answers REPLCONF ACK,
  // and nothing else is expected from a replica).
  if (link_role_ != LinkRole::kClient) {
    reply.clear();
    return;
  }
  // CLIENT REPLY OFF/SKIP drop the command's own reply; pushes were queued already. EXEC
  // applied them to its array element by element (reply_filtered_).
  if (reply_mode_ == ReplyMode::kOn || reply_filtered_) EmitReply(reply);
  reply_filtered_ = false;
  switch (reply_mode_) {
    case ReplyMode::kOn:
    case ReplyMode::kOff:
      break;
    case ReplyMode::kSkipNext:
      // Set by CLIENT REPLY SKIP: this command (the SKIP itself) is silent, and so is the next.
      reply_mode_ = ReplyMode::kSkipThis;
      break;
    case ReplyMode::kSkipThis:
      reply_mode_ = ReplyMode::kOn;
      break;
  }
  reply.clear();
  if (reply.capacity() > 64 * 1024) reply.shrink_to_fit();
}

TrackingState& RespSession::EnableTracking() {
  if (!tracking_) {
    tracking_ = std::make_unique<TrackingState>();
    ++front_->tracking_clients();
  }
  return *tracking_;
}

void RespSession::DisableTracking() {
  if (!tracking_) return;
  tracking_.reset();
  --front_->tracking_clients();
}

void RespSession::Reset() {
  DiscardTransaction();
  server_->broker().UnsubscribeAll(this);
  DisableTracking();
  StopMonitor();
  set_resp(2);
  db_ = 0;
  if (names_) names_->name.clear();
  reply_mode_ = ReplyMode::kOn;
  SetDefaultAuth();
}

void RespSession::SetDefaultAuth() {
  user_ = server_->acl().Find("default");
  authenticated_ = user_->nopass() && user_->enabled();
}

void RespSession::StartMonitor() {
  if (monitor_) return;
  monitor_ = true;
  front_->AddMonitor(this);
}

void RespSession::StopMonitor() {
  if (!monitor_) return;
  monitor_ = false;
  front_->RemoveMonitor(this);
}

void RespSession::Postpone() {
  postponed_ = true;
  front_->Postpone(this);
}

void RespSession::ResumePostponed() {
  if (!postponed_) return;
  postponed_ = false;
  ResumeInput();
}

void RespSession::OnClosing() {
  if (postponed_) front_->ForgetPostponed(this);
  postponed_ = false;
  server_->broker().UnsubscribeAll(this);
  DisableTracking();
  StopMonitor();
  front_->replication().OnSessionClosing(this);
}

void RespSession::OnAccepted() {
  const Config& cfg = server_->config();
  Stats& stats = server_->stats();
  // The gateway's connections have their own limit: idle browsers never lock out redis-cli.
  if (server_->connection_count() - server_->gateway_connection_count() >
      static_cast<size_t>(cfg.maxclients)) {
    ++stats.rejected_connections;
    Queue(fmt::format("-{}\r\n", protocol::errors::kMaxClients));
    CloseAfterReply();
    return;
  }
  if (cfg.protected_mode && server_->acl().Find("default")->nopass() && !peer_is_loopback()) {
    Log(LogLevel::kWarning, "Denied connection from {}: protected mode", peer());
    ++stats.rejected_connections;
    Queue(fmt::format("-{}\r\n", protocol::errors::kProtectedMode));
    CloseAfterReply();
    return;
  }
  Log(LogLevel::kVerbose, "Accepted {}", peer());
}

const std::string& RespSession::Empty() {
  static const std::string empty;
  return empty;
}

RespSession::ClientNames& RespSession::Names() {
  if (!names_) names_ = std::make_unique<ClientNames>();
  return *names_;
}

ReplicaPeer& RespSession::replica_peer() {
  if (!replica_peer_) replica_peer_ = std::make_unique<ReplicaPeer>();
  return *replica_peer_;
}

const ReplicaPeer& RespSession::replica_peer() const {
  static const ReplicaPeer none;
  return replica_peer_ ? *replica_peer_ : none;
}

size_t RespSession::memory_usage() const {
  size_t total = sizeof(RespSession) + input_capacity() + output().bytes() + argv_bytes();
  if (names_) total += sizeof(ClientNames) + names_->name.capacity();
  if (tracking_) {
    total += sizeof(TrackingState);
    for (const std::string& prefix : tracking_->prefixes) total += 48 + prefix.capacity();
  }
  if (replica_peer_) total += sizeof(ReplicaPeer) + replica_peer_->announced_ip.capacity();
  if (multi_) total += multi_->memory_usage();
  return total;
}

void RespSession::StartTransaction() {
  if (!multi_) multi_ = std::make_unique<Transaction>();
}

bool RespSession::QueueCommand(const Command* top, const Command* sub, CommandArgs args) {
  Transaction& multi = *multi_;
  // A transaction already doomed keeps nothing more (Redis 7.0 replies +QUEUED all the same).
  if (multi.dirty) return true;
  size_t arg_bytes = 0;
  for (std::string_view arg : args) arg_bytes += arg.size();
  // The queue counts against client-query-buffer-limit like unparsed input: a client that
  // queues more than that is closed, as one that sends a too long request is.
  if (multi.memory_usage() + arg_bytes + input_buffered() >
      server_->config().client_query_buffer_limit) {
    Log(LogLevel::kWarning,
        "Closing client that reached max query buffer length (MULTI queue): id={} addr={}", id(),
        peer());
    ++server_->stats().query_limit_disconnections;
    DiscardTransaction();
    Close();
    return false;
  }
  multi.Add(top, sub, args);
  return true;
}

std::string RespSession::last_command() const {
  if (last_command_ == nullptr) return "NULL";
  std::string name(last_command_->name);
  if (last_subcommand_ != nullptr) {
    name += '|';
    name += last_subcommand_->name;
  }
  return name;
}

}  // namespace herald::resp
