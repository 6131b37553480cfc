#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/acl.h"
#include "broker/broker.h"
#include "protocol/resp_parser.h"
#include "protocol/resp_writer.h"
#include "resp/commands.h"
#include "resp/transaction.h"
#include "server/connection.h"

namespace herald::resp {

struct Command;
class RespFrontEnd;

// CLIENT REPLY modes.
enum class ReplyMode : uint8_t { kOn, kOff, kSkipNext, kSkipThis };

// What a RESP connection is to replication (Redis's CLIENT_SLAVE / CLIENT_MASTER flags).
enum class LinkRole : uint8_t {
  kClient,   // an ordinary client
  kReplica,  // one of our replicas (it sent PSYNC or SYNC): it receives the replication stream
             // and gets no replies to its later commands (REPLCONF ACK)
  kMaster,   // our own connection to our master (resp/replication.h)
};

// CLIENT TRACKING state (Redis's CLIENT_TRACKING_* flags). Herald has no keys, so nothing is
// ever invalidated: the state is only kept to be reported back (TRACKINGINFO, GETREDIR, CLIENT
// LIST) and checked as Redis checks it.
struct TrackingState {
  bool bcast = false;
  bool optin = false;
  bool optout = false;
  bool noloop = false;
  bool caching = false;            // CLIENT CACHING YES/NO, for the next command only
  int64_t redirect = 0;            // REDIRECT <id>, 0 for none
  std::set<std::string> prefixes;  // BCAST prefixes, sorted like Redis's rax
};

// What a connection announced with REPLCONF, and its progress once it is one of our replicas.
// Written by the replication commands and the ReplicationManager only.
struct ReplicaPeer {
  int64_t listening_port = 0;  // REPLCONF listening-port (0: not announced)
  std::string announced_ip;    // REPLCONF ip-address ("": use the peer address)
  bool capa_eof = false;       // REPLCONF capa eof
  bool capa_psync2 = false;    // REPLCONF capa psync2: understands +CONTINUE <replid>
  bool pre_psync = false;      // attached with SYNC: never ACKs, so never times out
  int64_t ack_offset = 0;      // the last REPLCONF ACK offset
  uint64_t ack_ms = 0;         // when it arrived (the attach time until the first ACK)
};

// A RESP client: parses requests, runs them through the command table, and receives pub/sub
// messages as a broker Subscriber. Replies of one command are gathered in reply_ and queued
// when the command ends, unless CLIENT REPLY says otherwise; pub/sub pushes (acks and
// messages) are queued immediately and are never silenced.
class RespSession : public server::Connection, public broker::Subscriber {
 public:
  RespSession(RespFrontEnd* front, uint64_t id);
  ~RespSession() override;

  // The front end this client belongs to: replication, the shared scratch buffers.
  RespFrontEnd& front() { return *front_; }

  // The writer for the current command's reply.
  protocol::RespWriter& reply() { return writer_; }
  // Queues `bytes` as a push (subscribe acks): ahead of the current command's reply, and even
  // with CLIENT REPLY OFF.
  void Push(std::string_view bytes);

  int resp() const { return resp_; }
  void set_resp(int resp);
  bool authenticated() const { return authenticated_; }
  // The ACL user the client acts as ("default" until AUTH), and logging in as one.
  const broker::AclUser& user() const { return *user_; }
  const std::shared_ptr<broker::AclUser>& user_ptr() const { return user_; }
  void LogIn(std::shared_ptr<broker::AclUser> user) {
    user_ = std::move(user);
    authenticated_ = true;
  }
  // A new connection's (and RESET's) state: the default user, authenticated if it has no
  // password and is on (Redis's clientSetDefaultAuth).
  void SetDefaultAuth();
  int db() const { return db_; }
  void set_db(int db) { db_ = db; }
  // CLIENT SETNAME, "" until set.
  const std::string& name() const { return names_ ? names_->name : Empty(); }
  void set_name(std::string name) { Names().name = std::move(name); }
  // CLIENT NO-EVICT: only shown (flag `e`), herald evicts no clients for memory.
  bool no_evict() const { return no_evict_; }
  void set_no_evict(bool value) { no_evict_ = value; }
  ReplyMode reply_mode() const { return reply_mode_; }
  void set_reply_mode(ReplyMode mode) { reply_mode_ = mode; }
  // CLIENT LIST's cmd=: "publish", "client|list", "NULL" before the first command.
  std::string last_command() const;
  // The command (and subcommand, or nullptr) being run: pointers into the static command
  // table, so recording them costs nothing per command.
  void set_last_command(const Command* command, const Command* sub) {
    last_command_ = command;
    last_subcommand_ = sub;
  }
  // The command (or subcommand) that ran last; nullptr before the first.
  const Command* last_run_command() const {
    return last_subcommand_ != nullptr ? last_subcommand_ : last_command_;
  }
  // RESP2 with at least one subscription: only the pub/sub commands may run.
  bool in_subscribed_context() const { return resp_ == 2 && total_count() > 0; }

  // CLIENT TRACKING: nullptr when off.
  TrackingState* tracking() { return tracking_.get(); }
  const TrackingState* tracking() const { return tracking_.get(); }
  // Turns tracking on (a fresh state) or off, keeping the front end's count of tracking clients.
  TrackingState& EnableTracking();
  void DisableTracking();

  LinkRole link_role() const { return link_role_; }
  void set_link_role(LinkRole role) { link_role_ = role; }
  // What a replica told us about itself (created on first use: only replicas have one).
  ReplicaPeer& replica_peer();
  const ReplicaPeer& replica_peer() const;
  // The replication offset just after this client's last PUBLISH (Redis's c->woff): what WAIT
  // waits for. 0 if it never published.
  int64_t write_offset() const { return write_offset_; }
  void set_write_offset(int64_t offset) { write_offset_ = offset; }

  // A blocked client (WAIT) runs no further commands: its input stays buffered until Unblock(),
  // which queues `reply` (the blocked command's reply, complete RESP) and resumes the input at the
  // next loop turn.
  bool blocked() const { return blocked_; }
  void Block() { blocked_ = true; }
  void Unblock(std::string_view reply);

  // Replies that come later (a publish forwarded to our master, resp/forwarding.h): a client may
  // pipeline such commands; each reserves its reply's place, and the replies of the commands
  // after it wait behind it, so the client gets every reply in the order of its commands. At
  // most kMaxReplySlots wait; then the client's input waits until they are answered.
  static constexpr size_t kMaxReplySlots = 128;
  uint64_t ReserveReply();
  // `reply` (complete RESP, or empty for none) for the slot ReserveReply() gave.
  void FillReply(uint64_t slot, std::string_view reply);
  bool replies_waiting() const { return reply_slots_ != nullptr && !reply_slots_->empty(); }
  // QUIT, CLIENT KILL of itself: closes once the replies still to come went out, and runs no
  // further command meanwhile.
  void CloseAfterReplies();

  // CLIENT LIST's qbuf and argv-mem: while a command runs, the unprocessed input including the
  // request being run and the bytes of its arguments; otherwise the input kept for later and 0.
  size_t query_buffer_bytes() const { return running_ ? running_input_bytes_ : input_buffered(); }
  size_t argv_bytes() const { return running_ ? running_argv_bytes_ : 0; }
  // What this client holds in memory (CLIENT LIST tot-mem): the object, its input buffer, its
  // queued output, the running command's arguments and the optional parts.
  size_t memory_usage() const;

  // MONITOR: receives every command run by any client (RespFrontEnd::FeedMonitors()).
  bool monitor() const { return monitor_; }
  void StartMonitor();
  void StopMonitor();

  // CLIENT PAUSE: this client's next command waits, unparsed, until the pause ends.
  bool postponed() const { return postponed_; }
  void Postpone();
  void ResumePostponed();

  // MULTI / EXEC (resp/multi_commands.cc). in_multi(): between MULTI and the end of EXEC or
  // DISCARD. in_exec(): while EXEC runs the queue; pushes (subscribe acks, messages to this
  // client) then go into EXEC's reply array, as in Redis 7.0.
  bool in_multi() const { return multi_ != nullptr; }
  bool in_exec() const { return in_exec_; }
  void set_in_exec(bool value) { in_exec_ = value; }
  const Transaction* transaction() const { return multi_.get(); }
  void StartTransaction();
  // Queues a command that passed every check. Returns false (and closes the client) when the
  // queue would outgrow client-query-buffer-limit.
  bool QueueCommand(const Command* top, const Command* sub, CommandArgs args);
  // A command was refused inside MULTI: EXEC will reply EXECABORT (Redis's flagTransaction).
  void FlagTransaction() {
    if (multi_) multi_->dirty = true;
  }
  // Ends MULTI (not while EXEC runs the queue: EXEC ends it when done).
  void DiscardTransaction() {
    if (!in_exec_) multi_.reset();
  }
  // EXEC filtered its reply by CLIENT REPLY itself: the next FinishCommand() sends it as is.
  void set_reply_filtered() { reply_filtered_ = true; }
  // Error replies of the commands EXEC ran: they count for those commands, not as a failed
  // EXEC (INFO commandstats), so ExecuteCommand takes them out of EXEC's own.
  void add_exec_errors(uint64_t n) { exec_errors_ += n; }
  uint64_t TakeExecErrors() { return std::exchange(exec_errors_, 0); }

  // RESET: back to a fresh connection's state, subscriptions dropped silently.
  void Reset();

  config::ClientClass output_class() const override;
  bool idle_timeout_applies() const override;
  void Deliver(const broker::Delivery& delivery, broker::FrameCache& frames) override;

 protected:
  size_t ProcessInput(std::string_view data) override;
  void OnClosing() override;
  // maxclients and protected mode, answered in RESP as redis-server does.
  void OnAccepted() override;

 private:
  void FinishCommand();

  RespFrontEnd* front_;
  protocol::RequestParser parser_;
  protocol::RespWriter writer_;  // into RespFrontEnd::reply_scratch()
  int resp_ = 2;
  bool authenticated_ = false;
  std::shared_ptr<broker::AclUser> user_;
  int db_ = 0;
  ReplyMode reply_mode_ = ReplyMode::kOn;
  bool no_evict_ = false;
  // Rarely set, so kept out of line: an idle connection pays one pointer for them.
  struct ClientNames {
    std::string name;
  };
  static const std::string& Empty();
  ClientNames& Names();
  std::unique_ptr<ClientNames> names_;
  const Command* last_command_ = nullptr;
  const Command* last_subcommand_ = nullptr;
  std::unique_ptr<TrackingState> tracking_;
  LinkRole link_role_ = LinkRole::kClient;
  std::unique_ptr<ReplicaPeer> replica_peer_;
  int64_t write_offset_ = 0;
  // A reply, or the place of one still to come.
  struct ReplySlot {
    bool ready = false;
    std::string bytes;
  };
  struct ReplySlots : std::deque<ReplySlot> {
    uint64_t first = 0;  // the slot number of front()
  };
  // Queues `reply`, or puts it behind the replies still to come.
  void EmitReply(std::string_view reply);
  std::unique_ptr<ReplySlots> reply_slots_;  // created at the first ReserveReply()
  bool close_when_answered_ = false;         // CloseAfterReplies() waits for reply_slots_
  bool blocked_ = false;
  bool postponed_ = false;
  bool monitor_ = false;
  std::unique_ptr<Transaction> multi_;
  bool in_exec_ = false;
  bool reply_filtered_ = false;
  uint64_t exec_errors_ = 0;
  bool running_ = false;  // inside ExecuteCommand
  size_t running_input_bytes_ = 0;
  size_t running_argv_bytes_ = 0;
};

}  // namespace herald::resp
