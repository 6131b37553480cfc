#include "resp/front_end.h"

#include "resp/command_handlers.h"
#include "resp/replication.h"
#include "resp/session.h"

namespace herald::resp {

using server::Server;

RespFrontEnd::RespFrontEnd(Server* server)
    : server_(server), replication_(std::make_unique<ReplicationManager>(this)) {
  server_->AddPart(this);
}

RespFrontEnd::~RespFrontEnd() = default;

bool RespFrontEnd::Listen(std::string* error) {
  // The users first: a bad `user` line or aclfile stops the start, as in Redis.
  if (!BuildUsers(*server_, error)) return false;
  return server_->Listen([this](Server*, uint64_t id) { return new RespSession(this, id); }, error);
}

void RespFrontEnd::OnListening() { replication_->Start(); }

void RespFrontEnd::OnCron() { replication_->Cron(); }

void RespFrontEnd::OnShutdown() { replication_->Shutdown(); }

std::string RespFrontEnd::OnConfigChanged(std::string_view name) {
  replication_->ApplyConfig(name);
  if (name == "requirepass") SyncRequirepass(*server_);
  return {};
}

}  // namespace herald::resp
