#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resp/command_stats.h"
#include "server/server.h"

namespace herald::resp {

class ReplicationManager;
class RespSession;
struct Command;

// CLIENT PAUSE modes, weakest first.
enum class PauseType : uint8_t { kNone, kWrite, kAll };

// Who paused (Redis's pause_purpose): each keeps its own mode and end, so that CLIENT UNPAUSE
// does not end a FAILOVER's pause and a FAILOVER's end does not cancel a user's CLIENT PAUSE.
enum class PausePurpose : uint8_t { kClientCommand, kFailover };
inline constexpr size_t kPausePurposes = 2;

// The RESP front end as one part of the server: it opens the RESP listeners (port, bind,
// unixsocket), creates a RespSession for each client, and owns what RESP clients share: the
// replication manager (replicas and our master are RESP connections too) and the scratch
// buffers commands run in. Create after the Server, before Listen(); destroy before the Server.
class RespFrontEnd final : public server::ServerPart {
 public:
  explicit RespFrontEnd(server::Server* server);
  ~RespFrontEnd() override;
  RespFrontEnd(const RespFrontEnd&) = delete;
  RespFrontEnd& operator=(const RespFrontEnd&) = delete;

  // Opens the RESP listeners (Server::Listen). Returns false with `*error` set as redis-server
  // refuses to start.
  bool Listen(std::string* error);

  server::Server& server() { return *server_; }
  // Master and replica roles, the backlog, the link to our master (resp/replication.h).
  ReplicationManager& replication() { return *replication_; }
  // Where the command being run writes its reply (RespSession::reply()). Commands run one at
  // a time, so every connection shares it instead of carrying a buffer of its own.
  std::string& reply_scratch() { return reply_scratch_; }
  // Likewise for the arguments of the request being run (RequestParser::set_args_storage).
  std::vector<std::string_view>& args_scratch() { return args_scratch_; }
  // The unix time the server started at: INFO's rdb_last_save_time (Redis sets it at start-up
  // and herald never saves).
  int64_t start_unix_time() const { return start_unix_time_; }
  // INFO commandstats, errorstats, latencystats.
  CommandStats& command_stats() { return command_stats_; }
  // Clients with CLIENT TRACKING on (INFO tracking_clients); kept by RespSession.
  size_t& tracking_clients() { return tracking_clients_; }

  // CLIENT PAUSE (and FAILOVER's): until `end_ms` (server.now_ms() clock; UINT64_MAX: until
  // Unpause), with `type`. A purpose's ongoing pause is only extended and strengthened, as in
  // Redis, until Unpause(purpose). The pause in force is the strongest of the purposes'.
  void Pause(PausePurpose purpose, uint64_t end_ms, PauseType type);
  // Ends `purpose`'s pause; if what remains is weaker, every postponed client is resumed, oldest
  // first (those still held are postponed again).
  void Unpause(PausePurpose purpose);
  // Whether a command with these flags (resp/commands.h) must wait: every command under ALL,
  // write and may-replicate ones (PUBLISH) under WRITE. Ends an expired pause first.
  bool MustPostpone(uint32_t command_flags);
  // A client whose command waits for the pause to end; it is resumed by Unpause(). Forget()
  // drops one that closes.
  void Postpone(RespSession* session);
  void ForgetPostponed(RespSession* session);
  // INFO blocked_clients counts them.
  size_t postponed_count() const { return postponed_.size(); }

  // MONITOR: the clients in monitor mode, and the line each of them gets for a command `from`
  // ran (Redis's replicationFeedMonitors: time, db, address, the arguments quoted, AUTH and
  // HELLO AUTH passwords redacted; admin commands are not shown).
  void AddMonitor(RespSession* session);
  void RemoveMonitor(RespSession* session);
  bool has_monitors() const { return !monitors_.empty(); }
  // `command` is the command run (nullptr: from.last_run_command()).
  void FeedMonitors(RespSession& from, std::span<const std::string_view> args,
                    const Command* command = nullptr);

  void OnListening() override;
  void OnCron() override;
  void OnShutdown() override;
  std::string OnConfigChanged(std::string_view name) override;

 private:
  server::Server* server_;
  std::unique_ptr<ReplicationManager> replication_;
  std::string reply_scratch_;
  std::vector<std::string_view> args_scratch_;
  int64_t start_unix_time_ = 0;
  size_t tracking_clients_ = 0;
  CommandStats command_stats_;
  struct PauseEvent {
    PauseType type = PauseType::kNone;  // kNone: this purpose does not pause
    uint64_t end_ms = 0;
  };
  // Drops expired purposes, recomputes the pause in force, re-arms the timer for the next end,
  // and resumes the postponed clients if the pause got weaker (Redis's
  // updateClientPauseTypeAndEndTime).
  void UpdatePause();

  PauseEvent pauses_[kPausePurposes];
  PauseType pause_type_ = PauseType::kNone;  // the strongest of pauses_
  uv_timer_t pause_timer_;
  bool pause_timer_closed_ = false;
  std::vector<RespSession*> postponed_;
  std::vector<RespSession*> monitors_;
};

}  // namespace herald::resp
