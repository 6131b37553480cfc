#include "resp/front_end.h"

#include <ctime>

#include "resp/replication.h"
#include "resp/session.h"

namespace herald::resp {

using server::Server;

RespFrontEnd::RespFrontEnd(Server* server)
    : server_(server),
      replication_(std::make_unique<ReplicationManager>(this)),
      start_unix_time_(static_cast<int64_t>(std::time(nullptr))) {
  server_->AddPart(this);
}

RespFrontEnd::~RespFrontEnd() = default;

bool RespFrontEnd::Listen(std::string* error) {
  return server_->Listen([this](Server*, uint64_t id) { return new RespSession(this, id); }, error);
}

void RespFrontEnd::OnListening() { replication_->Start(); }

void RespFrontEnd::OnCron() { replication_->Cron(); }

void RespFrontEnd::OnShutdown() { replication_->Shutdown(); }

std::string RespFrontEnd::OnConfigChanged(std::string_view name) {
  replication_->ApplyConfig(name);
  return {};
}

}  // namespace herald::resp
