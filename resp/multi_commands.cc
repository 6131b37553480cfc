// MULTI, EXEC, DISCARD, WATCH and UNWATCH (Redis 7.0's multi.c, for the commands Herald has).
//
// ExecuteCommand (resp/commands.cc) queues a command that passed every check while the client is
// in MULTI, and flags the transaction when it refuses one. EXEC then runs the queue here in one
// go: nothing else runs in between, as nothing else runs while any command does.
//
// Herald has no keys, so WATCH has nothing to watch: it replies +OK and a transaction is never
// aborted for a watched key (EXEC never replies a null array).

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

#include "broker/acl.h"
#include "resp/command_handlers.h"
#include "resp/commands.h"
#include "resp/front_end.h"
#include "resp/replication.h"
#include "resp/session.h"
#include "server/server.h"

namespace herald::resp {

namespace {

// Whether EXEC will propagate this queued command: a PUBLISH or SPUBLISH the user may still run
// (ExecuteQueued checks again; nothing is logged here).
bool WillPropagate(const RespSession& client, const Transaction::Queued& queued, CommandArgs args) {
  const Command& run = queued.sub != nullptr ? *queued.sub : *queued.top;
  if (run.handler != PublishCommand && run.handler != SPublishCommand) return false;
  return client.user().Check(queued.top->name, queued.sub != nullptr ? queued.sub->name : "",
                             run.acl_categories, args.subspan(1, 1), false,
                             nullptr) == broker::AclDenied::kNone;
}

}  // namespace

void MultiCommand(RespSession& client, CommandArgs /*args*/) {
  // Not an error that dooms the transaction: EXEC still runs what was queued.
  if (client.in_multi()) {
    ReplyError(client, "ERR MULTI calls can not be nested");
    return;
  }
  client.StartTransaction();
  client.reply().SimpleString("OK");
}

void DiscardCommand(RespSession& client, CommandArgs /*args*/) {
  if (!client.in_multi()) {
    ReplyError(client, "ERR DISCARD without MULTI");
    return;
  }
  client.DiscardTransaction();
  client.reply().SimpleString("OK");
}

void WatchCommand(RespSession& client, CommandArgs /*args*/) {
  if (client.in_multi()) {
    ReplyError(client, "ERR WATCH inside MULTI is not allowed");
    return;
  }
  client.reply().SimpleString("OK");
}

void UnwatchCommand(RespSession& client, CommandArgs /*args*/) {
  client.reply().SimpleString("OK");
}

void ExecCommand(RespSession& client, CommandArgs /*args*/) {
  if (!client.in_multi()) {
    ReplyError(client, "ERR EXEC without MULTI");
    return;
  }
  if (client.transaction()->dirty) {
    client.DiscardTransaction();
    ReplyError(client, "EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  const Transaction& multi = *client.transaction();
  std::string& out = client.front().reply_scratch();
  std::vector<std::string_view> argv;

  // Redis 7.0 wraps what a transaction propagates in MULTI ... EXEC when that is more than one
  // command; a single PUBLISH goes to replicas alone.
  size_t propagated = 0;
  for (const Transaction::Queued& queued : multi.commands) {
    multi.Args(queued, &argv);
    if (WillPropagate(client, queued, argv)) ++propagated;
  }
  ReplicationManager& replication = client.front().replication();
  const bool wrapped = propagated > 1 && replication.BeginTransaction();

  // CLIENT REPLY inside the transaction silences what follows it, element by element: Redis
  // drops the replies added while OFF (or while EXEC itself is skipped), the array header
  // included. A SKIP inside the transaction skips the command after EXEC, not one inside it.
  auto silenced = [&client] {
    return client.reply_mode() == ReplyMode::kOff || client.reply_mode() == ReplyMode::kSkipThis;
  };
  client.reply().ArrayHeader(multi.commands.size());
  if (silenced()) out.clear();
  client.set_in_exec(true);
  for (const Transaction::Queued& queued : multi.commands) {
    multi.Args(queued, &argv);
    size_t mark = out.size();
    const uint64_t errors_before = client.server().stats().error_replies;
    ExecuteQueued(client, queued.top, queued.sub, argv);
    const uint64_t errors_after = client.server().stats().error_replies;
    if (errors_after > errors_before) client.add_exec_errors(errors_after - errors_before);
    if (silenced()) out.resize(mark);
  }
  client.set_in_exec(false);
  if (wrapped) replication.EndTransaction();
  client.DiscardTransaction();
  client.set_reply_filtered();
}

}  // namespace herald::resp
