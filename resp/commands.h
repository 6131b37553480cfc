#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace herald::resp {

class RespSession;

using CommandArgs = std::span<const std::string_view>;
// Runs a command whose name, arity and permissions were already checked. Writes its reply
// through client.reply() (or pushes through client.Push()).
using CommandHandler = void (*)(RespSession& client, CommandArgs args);

// Command flags: the ones herald acts on, plus those COMMAND reports as Redis does.
enum CommandFlag : uint32_t {
  kCmdPubSubContext = 1u << 0,  // may run in RESP2 subscribed state
  kCmdNoAuth = 1u << 1,         // may run before AUTH
  kCmdAdmin = 1u << 2,
  kCmdPubSub = 1u << 3,
  kCmdFast = 1u << 4,
  kCmdLoading = 1u << 5,
  kCmdStale = 1u << 6,
  kCmdNoScript = 1u << 7,
  kCmdMayReplicate = 1u << 8,
  kCmdWrite = 1u << 9,
  kCmdReadOnly = 1u << 10,
  kCmdNoMulti = 1u << 11,
  kCmdAllowBusy = 1u << 12,
  kCmdSentinel = 1u << 13,
  kCmdSkipSlowlog = 1u << 14,
  kCmdNoMandatoryKeys = 1u << 15,
  kCmdNoAsyncLoading = 1u << 16,
};

// Flags of one argument in COMMAND DOCS.
enum ArgFlag : uint8_t { kArgOptional = 1, kArgMultiple = 2, kArgMultipleToken = 4 };

// One row of the command table: {name, arity (-N means at least N), flags, handler}, with
// subcommands for container commands (CLIENT, CONFIG, PUBSUB, ...). Documentation for COMMAND
// DOCS lives apart, keyed by full name (resp/command_doc_data.h).
struct Command {
  std::string_view name;  // lower case; subcommands hold only their own part ("numpat")
  int arity;
  uint32_t flags;
  CommandHandler handler;
  std::span<const Command> subcommands = {};
  std::string_view acl_categories = "";  // space separated, e.g. "@pubsub @slow"
};

// Looks up `args[0]` (and `args[1]` for containers), checks arity, authentication, ACL and the
// RESP2 subscribed-state rule, then runs it (or, inside MULTI, queues it), replying with Redis's
// exact errors otherwise. A refusal inside MULTI flags the transaction; a refused EXEC discards
// it ("-EXECABORT Transaction discarded because of: <error>").
enum class CommandOutcome : uint8_t {
  kRefused,    // not run: unknown, wrong arity, NOAUTH, subscribed context (an error replied)
  kRan,        // the handler ran (RespSession::last_run_command() is the command)
  kPostponed,  // CLIENT PAUSE holds it: nothing done, the client is postponed
  kQueued,     // inside MULTI: kept for EXEC, +QUEUED replied
};
CommandOutcome ExecuteCommand(RespSession& client, CommandArgs args);

// Runs one command EXEC took from the queue: ACL checked again (Redis replies an element
// "-NOPERM ACLs rules changed ..." if the rules changed since), then the handler, counted in
// INFO commandstats and shown to MONITOR like any command.
void ExecuteQueued(RespSession& client, const Command* top, const Command* sub, CommandArgs args);

// Every top-level command, in table order (COMMAND, COMMAND COUNT, COMMAND DOCS).
std::span<const Command> AllCommands();
// Case-insensitive lookup of a top-level command; nullptr if unknown.
const Command* FindCommand(std::string_view name);

}  // namespace herald::resp
