#include "resp/front_end.h"

#include <fmt/format.h>
#include <sys/time.h>

#include <algorithm>
#include <ctime>
#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "protocol/quoting.h"
#include "resp/command_handlers.h"
#include "resp/commands.h"
#include "resp/replication.h"
#include "resp/session.h"

namespace herald::resp {

using server::Server;

RespFrontEnd::RespFrontEnd(Server* server)
    : server_(server),
      replication_(std::make_unique<ReplicationManager>(this)),
      start_unix_time_(static_cast<int64_t>(std::time(nullptr))) {
  server_->AddPart(this);
  uv_timer_init(server_->loop(), &pause_timer_);
  pause_timer_.data = this;
}

RespFrontEnd::~RespFrontEnd() = default;

bool RespFrontEnd::Listen(std::string* error) {
  // The users first: a bad `user` line or aclfile stops the start, as in Redis.
  if (!BuildUsers(*server_, error)) return false;
  return server_->Listen([this](Server*, uint64_t id) { return new RespSession(this, id); }, error);
}

void RespFrontEnd::OnListening() { replication_->Start(); }

void RespFrontEnd::OnCron() { replication_->Cron(); }

void RespFrontEnd::OnShutdown() {
  replication_->Shutdown();
  if (!pause_timer_closed_) {
    pause_timer_closed_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&pause_timer_), nullptr);
  }
}

void RespFrontEnd::Pause(PausePurpose purpose, uint64_t end_ms, PauseType type) {
  PauseEvent& pause = pauses_[static_cast<size_t>(purpose)];
  if (pause.type == PauseType::kNone) {
    pause.type = type;
    pause.end_ms = end_ms;
  } else {
    pause.type = std::max(pause.type, type);
    pause.end_ms = std::max(pause.end_ms, end_ms);
  }
  UpdatePause();
}

void RespFrontEnd::Unpause(PausePurpose purpose) {
  pauses_[static_cast<size_t>(purpose)] = PauseEvent{};
  UpdatePause();
}

void RespFrontEnd::UpdatePause() {
  const PauseType old_type = pause_type_;
  const uint64_t now = server_->now_ms();
  pause_type_ = PauseType::kNone;
  uint64_t next_end = UINT64_MAX;
  for (PauseEvent& pause : pauses_) {
    if (pause.type == PauseType::kNone) continue;
    if (now >= pause.end_ms) {
      pause = PauseEvent{};
      continue;
    }
    pause_type_ = std::max(pause_type_, pause.type);
    next_end = std::min(next_end, pause.end_ms);
  }
  if (!pause_timer_closed_) {
    // A FAILOVER's pause has no end: only its Unpause ends it, so no timer for it.
    if (next_end == UINT64_MAX) {
      uv_timer_stop(&pause_timer_);
    } else {
      uv_timer_start(
          &pause_timer_,
          [](uv_timer_t* timer) { static_cast<RespFrontEnd*>(timer->data)->UpdatePause(); },
          next_end - now, 0);
    }
  }
  if (pause_type_ < old_type) {
    std::vector<RespSession*> waiting;
    waiting.swap(postponed_);
    for (RespSession* session : waiting) session->ResumePostponed();
  }
}

bool RespFrontEnd::MustPostpone(uint32_t command_flags) {
  if (pause_type_ == PauseType::kNone) return false;
  const uint64_t now = server_->now_ms();
  for (const PauseEvent& pause : pauses_) {
    if (pause.type != PauseType::kNone && now >= pause.end_ms) {
      UpdatePause();
      break;
    }
  }
  return pause_type_ == PauseType::kAll || (pause_type_ == PauseType::kWrite &&
                                            (command_flags & (kCmdWrite | kCmdMayReplicate)) != 0);
}

void RespFrontEnd::Postpone(RespSession* session) { postponed_.push_back(session); }

void RespFrontEnd::ForgetPostponed(RespSession* session) { std::erase(postponed_, session); }

std::string RespFrontEnd::OnConfigChanged(std::string_view name) {
  replication_->ApplyConfig(name);
  if (name == "requirepass") SyncRequirepass(*server_);
  return {};
}

void RespFrontEnd::AddMonitor(RespSession* session) { monitors_.push_back(session); }

void RespFrontEnd::RemoveMonitor(RespSession* session) { std::erase(monitors_, session); }

namespace {

// The arguments Redis redacts as it runs AUTH and HELLO: every password and user name.
std::vector<bool> Redacted(std::span<const std::string_view> args) {
  std::vector<bool> redacted(args.size(), false);
  if (protocol::EqualsIgnoreCase(args[0], "auth")) {
    if (args.size() <= 3) {
      for (size_t i = 1; i < args.size(); ++i) redacted[i] = true;
    }
  } else if (protocol::EqualsIgnoreCase(args[0], "hello")) {
    int64_t version = 0;
    if (args.size() >= 2 &&
        (!protocol::ParseInt64(args[1], &version) || version < 2 || version > 3)) {
      return redacted;
    }
    for (size_t j = 2; j < args.size(); ++j) {
      size_t more = args.size() - j - 1;
      if (protocol::EqualsIgnoreCase(args[j], "auth") && more >= 2) {
        redacted[j + 1] = redacted[j + 2] = true;
        j += 2;
      } else if (protocol::EqualsIgnoreCase(args[j], "setname") && more >= 1) {
        j += 1;
      } else {
        break;
      }
    }
  }
  return redacted;
}

}  // namespace

void RespFrontEnd::FeedMonitors(RespSession& from, std::span<const std::string_view> args,
                                const Command* command) {
  if (command == nullptr) command = from.last_run_command();
  if (command == nullptr || (command->flags & kCmdAdmin) != 0 || args.empty()) return;
  timeval now;
  gettimeofday(&now, nullptr);
  std::string line =
      fmt::format("+{}.{:06} ", static_cast<long>(now.tv_sec), static_cast<long>(now.tv_usec));
  if (from.is_unix()) {
    fmt::format_to(std::back_inserter(line), "[{} unix:{}]", from.db(),
                   server_->config().unixsocket);
  } else {
    fmt::format_to(std::back_inserter(line), "[{} {}]", from.db(), from.peer());
  }
  std::vector<bool> redacted = Redacted(args);
  for (size_t i = 0; i < args.size(); ++i) {
    line.push_back(' ');
    protocol::AppendRedisQuoted(&line, redacted[i] ? std::string_view("(redacted)") : args[i]);
  }
  line.append("\r\n");
  for (RespSession* monitor : monitors_) monitor->Queue(line);
}

}  // namespace herald::resp
