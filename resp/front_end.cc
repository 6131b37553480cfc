#include "resp/front_end.h"

#include <algorithm>
#include <ctime>

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

void RespFrontEnd::Pause(uint64_t end_ms, PauseType type) {
  if (pause_type_ == PauseType::kNone) {
    pause_type_ = type;
    pause_end_ms_ = end_ms;
  } else {
    pause_type_ = std::max(pause_type_, type);
    pause_end_ms_ = std::max(pause_end_ms_, end_ms);
  }
  if (pause_timer_closed_) return;
  uint64_t now = server_->now_ms();
  uv_timer_start(
      &pause_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<RespFrontEnd*>(timer->data);
        if (self->pause_type_ != PauseType::kNone &&
            self->server_->now_ms() >= self->pause_end_ms_) {
          self->Unpause();
        }
      },
      pause_end_ms_ > now ? pause_end_ms_ - now : 0, 0);
}

void RespFrontEnd::Unpause() {
  pause_type_ = PauseType::kNone;
  pause_end_ms_ = 0;
  if (!pause_timer_closed_) uv_timer_stop(&pause_timer_);
  std::vector<RespSession*> waiting;
  waiting.swap(postponed_);
  for (RespSession* session : waiting) session->ResumePostponed();
}

bool RespFrontEnd::MustPostpone(uint32_t command_flags) {
  if (pause_type_ == PauseType::kNone) return false;
  if (server_->now_ms() >= pause_end_ms_) {
    Unpause();
    return false;
  }
  return pause_type_ == PauseType::kAll || (command_flags & (kCmdWrite | kCmdMayReplicate)) != 0;
}

void RespFrontEnd::Postpone(RespSession* session) { postponed_.push_back(session); }

void RespFrontEnd::ForgetPostponed(RespSession* session) { std::erase(postponed_, session); }

std::string RespFrontEnd::OnConfigChanged(std::string_view name) {
  replication_->ApplyConfig(name);
  return {};
}

}  // namespace herald::resp
