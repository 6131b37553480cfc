#include "resp/commands.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "protocol/errors.h"
#include "protocol/numbers.h"
#include "resp/command_doc_data.h"
#include "resp/command_handlers.h"
#include "resp/front_end.h"
#include "resp/session.h"
#include "server/server.h"

namespace herald::resp {

using server::Server;
namespace {

// Flag sets shared by several commands (Redis 7.0's command JSON files).
constexpr uint32_t kSubscribeFlags =
    kCmdPubSub | kCmdNoScript | kCmdLoading | kCmdStale | kCmdPubSubContext;
constexpr uint32_t kPublishFlags =
    kCmdPubSub | kCmdLoading | kCmdStale | kCmdFast | kCmdMayReplicate;
constexpr uint32_t kPubsubInfoFlags = kCmdPubSub | kCmdLoading | kCmdStale;
constexpr uint32_t kConnectionFlags =
    kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth | kCmdAllowBusy;
constexpr uint32_t kClientFlags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
constexpr uint32_t kClientFastFlags = kCmdNoScript | kCmdLoading | kCmdStale;
constexpr uint32_t kConfigFlags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
constexpr uint32_t kHelpFlags = kCmdLoading | kCmdStale;
constexpr uint32_t kReplicaOfFlags = kCmdAdmin | kCmdNoScript | kCmdStale | kCmdNoAsyncLoading;
constexpr uint32_t kTransactionFlags =
    kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast | kCmdAllowBusy;
constexpr uint32_t kSyncFlags = kCmdAdmin | kCmdNoScript | kCmdNoAsyncLoading | kCmdNoMulti;

const Command kPubsubSubcommands[] = {
    {"channels", -2, kPubsubInfoFlags, PubsubChannelsCommand, {}, "@pubsub @slow"},
    {"help", 2, kHelpFlags, PubsubHelpCommand, {}, "@slow"},
    {"numpat", 2, kPubsubInfoFlags, PubsubNumpatCommand, {}, "@pubsub @slow"},
    {"numsub", -2, kPubsubInfoFlags, PubsubNumsubCommand, {}, "@pubsub @slow"},
    {"shardchannels", -2, kPubsubInfoFlags, PubsubShardChannelsCommand, {}, "@pubsub @slow"},
    {"shardnumsub", -2, kPubsubInfoFlags, PubsubShardNumsubCommand, {}, "@pubsub @slow"},
};

const Command kClientSubcommands[] = {
    {"caching", 3, kClientFastFlags, ClientCachingCommand, {}, "@slow @connection"},
    {"getname", 2, kClientFastFlags, ClientGetNameCommand, {}, "@slow @connection"},
    {"getredir", 2, kClientFastFlags, ClientGetRedirCommand, {}, "@slow @connection"},
    {"help", 2, kHelpFlags, ClientHelpCommand, {}, "@slow @connection"},
    {"id", 2, kClientFastFlags, ClientIdCommand, {}, "@slow @connection"},
    {"info", 2, kClientFastFlags, ClientInfoCommand, {}, "@slow @connection"},
    {"kill", -3, kClientFlags, ClientKillCommand, {}, "@admin @slow @dangerous @connection"},
    {"list", -2, kClientFlags, ClientListCommand, {}, "@admin @slow @dangerous @connection"},
    {"no-evict", 3, kClientFlags, ClientNoEvictCommand, {}, "@admin @slow @dangerous @connection"},
    {"pause", -3, kClientFlags, ClientPauseCommand, {}, "@admin @slow @dangerous @connection"},
    {"reply", 3, kClientFastFlags, ClientReplyCommand, {}, "@slow @connection"},
    {"setname", 3, kClientFastFlags, ClientSetNameCommand, {}, "@slow @connection"},
    {"tracking", -3, kClientFastFlags, ClientTrackingCommand, {}, "@slow @connection"},
    {"trackinginfo", 2, kClientFastFlags, ClientTrackingInfoCommand, {}, "@slow @connection"},
    {"unpause", 2, kClientFlags, ClientUnpauseCommand, {}, "@admin @slow @dangerous @connection"},
};

const Command kConfigSubcommands[] = {
    {"get", -3, kConfigFlags, ConfigGetCommand, {}, "@admin @slow @dangerous"},
    {"help", 2, kHelpFlags, ConfigHelpCommand, {}, "@slow"},
    {"resetstat", 2, kConfigFlags, ConfigResetStatCommand, {}, "@admin @slow @dangerous"},
    {"rewrite", 2, kConfigFlags, ConfigRewriteCommand, {}, "@admin @slow @dangerous"},
    {"set", -4, kConfigFlags, ConfigSetCommand, {}, "@admin @slow @dangerous"},
};

const Command kCommandSubcommands[] = {
    {"count", 2, kHelpFlags, CommandCountCommand, {}, "@slow @connection"},
    {"docs", -2, kHelpFlags, CommandDocsCommand, {}, "@slow @connection"},
    {"getkeys", -4, kHelpFlags, CommandGetKeysCommand, {}, "@slow @connection"},
    {"getkeysandflags", -4, kHelpFlags, CommandGetKeysAndFlagsCommand, {}, "@slow @connection"},
    {"help", 2, kHelpFlags, CommandHelpCommand, {}, "@slow @connection"},
    {"info", -2, kHelpFlags, CommandInfoCommand, {}, "@slow @connection"},
    {"list", -2, kHelpFlags, CommandListCommand, {}, "@slow @connection"},
};

const Command kFunctionSubcommands[] = {
    {"flush", -2, kCmdWrite | kCmdNoScript, FunctionFlushCommand, {}, "@write @slow @scripting"},
    {"help", 2, kHelpFlags, FunctionHelpCommand, {}, "@slow @scripting"},
};

constexpr uint32_t kAclAdminFlags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
constexpr uint32_t kAclFlags = kCmdNoScript | kCmdLoading | kCmdStale;
constexpr std::string_view kAclAdmin = "@admin @slow @dangerous";
const Command kAclSubcommands[] = {
    {"cat", -2, kAclFlags, AclCommand, {}, "@slow"},
    {"deluser", -3, kAclAdminFlags, AclCommand, {}, kAclAdmin},
    {"dryrun", -4, kAclAdminFlags, AclCommand, {}, kAclAdmin},
    {"genpass", -2, kAclFlags, AclCommand, {}, "@slow"},
    {"getuser", 3, kAclAdminFlags, AclCommand, {}, kAclAdmin},
    {"help", 2, kHelpFlags, AclCommand, {}, "@slow"},
    {"list", 2, kAclAdminFlags, AclCommand, {}, kAclAdmin},
    {"load", 2, kAclAdminFlags, AclCommand, {}, kAclAdmin},
    {"log", -2, kAclAdminFlags, AclCommand, {}, kAclAdmin},
    {"save", 2, kAclAdminFlags, AclCommand, {}, kAclAdmin},
    {"setuser", -3, kAclAdminFlags, AclCommand, {}, kAclAdmin},
    {"users", 2, kAclAdminFlags, AclCommand, {}, kAclAdmin},
    {"whoami", 2, kAclFlags, AclCommand, {}, "@slow"},
};

// The command table, sorted by name.
const Command kCommands[] = {
    {"acl", -2, kCmdSentinel, nullptr, kAclSubcommands, "@slow"},
    {"auth", -2, kConnectionFlags | kCmdSentinel, AuthCommand, {}, "@fast @connection"},
    {"client", -2, kCmdSentinel, nullptr, kClientSubcommands, "@slow"},
    {"command", -1, kHelpFlags | kCmdSentinel, CommandCommand, kCommandSubcommands,
     "@slow @connection"},
    {"config", -2, 0, nullptr, kConfigSubcommands, "@slow"},
    {"dbsize", 1, kCmdReadOnly | kCmdFast, DbSizeCommand, {}, "@keyspace @read @fast"},
    {"debug",
     -2,
     kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale,
     DebugCommand,
     {},
     "@admin @slow @dangerous"},
    {"discard", 1, kTransactionFlags, DiscardCommand, {}, "@fast @transaction"},
    {"echo", 2, kCmdLoading | kCmdStale | kCmdFast, EchoCommand, {}, "@fast @connection"},
    {"exec",
     1,
     kCmdNoScript | kCmdLoading | kCmdStale | kCmdSkipSlowlog,
     ExecCommand,
     {},
     "@slow @transaction"},
    {"failover",
     -1,
     kCmdAdmin | kCmdNoScript | kCmdStale,
     FailoverCommand,
     {},
     "@admin @slow @dangerous"},
    {"flushall", -1, kCmdWrite, FlushCommand, {}, "@keyspace @write @slow @dangerous"},
    {"flushdb", -1, kCmdWrite, FlushCommand, {}, "@keyspace @write @slow @dangerous"},
    {"function", -2, 0, nullptr, kFunctionSubcommands, "@slow"},
    {"hello", -1, kConnectionFlags | kCmdSentinel, HelloCommand, {}, "@fast @connection"},
    {"info", -1, kCmdLoading | kCmdStale | kCmdSentinel, InfoCommand, {}, "@slow @dangerous"},
    {"monitor",
     1,
     kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale,
     MonitorCommand,
     {},
     "@admin @slow @dangerous"},
    {"multi", 1, kTransactionFlags, MultiCommand, {}, "@fast @transaction"},
    {"ping", -1, kCmdFast | kCmdSentinel | kCmdPubSubContext, PingCommand, {}, "@fast @connection"},
    {"psubscribe", -2, kSubscribeFlags, PSubscribeCommand, {}, "@pubsub @slow"},
    {"psync", -3, kSyncFlags, PsyncCommand, {}, "@admin @slow @dangerous"},
    {"publish", 3, kPublishFlags, PublishCommand, {}, "@pubsub @fast"},
    {"pubsub", -2, 0, nullptr, kPubsubSubcommands, "@slow"},
    {"punsubscribe", -1, kSubscribeFlags, PUnsubscribeCommand, {}, "@pubsub @slow"},
    {"quit", -1, kConnectionFlags | kCmdPubSubContext, QuitCommand, {}, "@fast @connection"},
    {"replconf",
     -1,
     kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale | kCmdAllowBusy,
     ReplconfCommand,
     {},
     "@admin @slow @dangerous"},
    {"replicaof", 3, kReplicaOfFlags, ReplicaOfCommand, {}, "@admin @slow @dangerous"},
    {"reset", 1, kConnectionFlags | kCmdPubSubContext, ResetCommand, {}, "@fast @connection"},
    {"role",
     1,
     kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast,
     RoleCommand,
     {},
     "@admin @fast @dangerous"},
    {"select", 2, kCmdLoading | kCmdStale | kCmdFast, SelectCommand, {}, "@fast @connection"},
    {"shutdown",
     -1,
     kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale | kCmdNoMulti | kCmdSentinel |
         kCmdAllowBusy,
     ShutdownCommand,
     {},
     "@admin @slow @dangerous"},
    {"slaveof", 3, kReplicaOfFlags, ReplicaOfCommand, {}, "@admin @slow @dangerous"},
    {"spublish", 3, kPublishFlags, SPublishCommand, {}, "@pubsub @fast"},
    {"ssubscribe", -2, kSubscribeFlags, SSubscribeCommand, {}, "@pubsub @slow"},
    {"subscribe", -2, kSubscribeFlags, SubscribeCommand, {}, "@pubsub @slow"},
    {"sunsubscribe", -1, kSubscribeFlags, SUnsubscribeCommand, {}, "@pubsub @slow"},
    {"sync", 1, kSyncFlags, SyncCommand, {}, "@admin @slow @dangerous"},
    {"time", 1, kCmdLoading | kCmdStale | kCmdFast, TimeCommand, {}, "@fast"},
    {"unsubscribe", -1, kSubscribeFlags, UnsubscribeCommand, {}, "@pubsub @slow"},
    {"unwatch", 1, kTransactionFlags, UnwatchCommand, {}, "@fast @transaction"},
    {"wait", 3, kCmdNoScript, WaitCommand, {}, "@slow @connection"},
    {"watch", -2, kTransactionFlags, WatchCommand, {}, "@fast @transaction"},
};

const Command* FindIn(std::span<const Command> table, std::string_view name) {
  for (const Command& command : table) {
    if (protocol::EqualsIgnoreCase(command.name, name)) return &command;
  }
  return nullptr;
}

// Redis's addReplyErrorFormat turns CR and LF into spaces so that an error stays one line.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return text;
}

std::string UpperCase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool ArityOk(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

// One run of a command's handler, counted in total_commands_processed: how long it took and how
// many error replies it wrote. The handler may reset the statistics (CONFIG RESETSTAT): the run
// still counts, as in Redis.
struct HandlerRun {
  uint64_t ns;
  uint64_t errors;
};
HandlerRun RunHandler(RespSession& client, const Command& command, CommandArgs args) {
  server::Stats& stats = client.server().stats();
  ++stats.commands_processed;
  const uint64_t errors_before = stats.error_replies;
  const auto start = std::chrono::steady_clock::now();
  command.handler(client, args);
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  const uint64_t errors_after = stats.error_replies;
  return {static_cast<uint64_t>(ns),
          errors_after > errors_before ? errors_after - errors_before : 0};
}

}  // namespace

std::span<const Command> AllCommands() { return kCommands; }

const Command* FindCommand(std::string_view name) { return FindIn(kCommands, name); }

void ReplyError(RespSession& client, std::string_view text) {
  ++client.server().stats().error_replies;
  client.front().command_stats().RecordError(text);
  client.reply().Error(text);
}

void ReplyArityError(RespSession& client, std::string_view full_name) {
  ReplyError(client, fmt::format(fmt::runtime(protocol::errors::kWrongArity), full_name));
}

CommandOutcome ExecuteCommand(RespSession& client, CommandArgs args) {
  const Command* command = FindCommand(args[0]);
  // CLIENT CACHING YES/NO applies to the next command only: any command but CLIENT ends it,
  // even one refused (Redis's resetClient()).
  if (TrackingState* tracking = client.tracking();
      tracking != nullptr &&
      (command == nullptr || command->subcommands.data() != kClientSubcommands)) {
    tracking->caching = false;
  }
  // Redis's rejectCommand: inside MULTI a refusal dooms the transaction; a refused EXEC ends it,
  // its error quoted after "because of: " (without the generic "ERR ").
  const bool is_exec = command != nullptr && command->handler == ExecCommand;
  auto refuse = [&client, is_exec](std::string_view error) {
    if (is_exec) {
      client.DiscardTransaction();
      if (error.starts_with("ERR ")) error.remove_prefix(4);
      ReplyError(client, fmt::format("EXECABORT Transaction discarded because of: {}", error));
    } else {
      client.FlagTransaction();
      ReplyError(client, error);
    }
    return CommandOutcome::kRefused;
  };
  if (command == nullptr) {
    // Arguments are quoted one by one until 128 bytes of them are shown, each cut to what is
    // left of those 128 bytes, as Redis does.
    std::string shown;
    for (size_t i = 1; i < args.size() && shown.size() < 128; ++i) {
      size_t room = 128 - shown.size();
      shown += fmt::format("'{}' ", args[i].substr(0, room));
    }
    return refuse(OneLine(fmt::format(fmt::runtime(protocol::errors::kUnknownCommand),
                                      args[0].substr(0, 128), shown)));
  }
  const Command* top = command;
  const Command* sub = nullptr;
  if (!command->subcommands.empty() && args.size() >= 2) {
    sub = FindIn(command->subcommands, args[1]);
    if (sub == nullptr) {
      return refuse(OneLine(fmt::format(fmt::runtime(protocol::errors::kUnknownSubcommand),
                                        args[1].substr(0, 128), UpperCase(command->name))));
    }
    command = sub;
  }
  // "client|list": only error replies need it spelled out.
  auto full_name = [top, sub] {
    std::string name(top->name);
    if (sub != nullptr) {
      name += '|';
      name += sub->name;
    }
    return name;
  };
  CommandStats& stats = client.front().command_stats();
  if (!ArityOk(command->arity, args.size()) || command->handler == nullptr) {
    stats.RecordRejected(top, sub);
    return refuse(fmt::format(fmt::runtime(protocol::errors::kWrongArity), full_name()));
  }
  // DEBUG is a protected command: Redis refuses it before looking at authentication.
  if (command->handler == DebugCommand && !DebugAllowed(client)) {
    stats.RecordRejected(top, sub);
    return refuse(kDebugNotAllowedError);
  }
  if (!client.authenticated() && (command->flags & kCmdNoAuth) == 0) {
    stats.RecordRejected(top, sub);
    return refuse(protocol::errors::kNoAuth);
  }
  // Inside MULTI everything but these is queued (Redis's processCommand exceptions).
  const bool queue = client.in_multi() && command->handler != ExecCommand &&
                     command->handler != DiscardCommand && command->handler != MultiCommand &&
                     command->handler != WatchCommand && command->handler != QuitCommand &&
                     command->handler != ResetCommand;
  // Redis checks ACLs after authentication, before the subscribed-context rule: the command and
  // its channels, all of them before it runs (SUBSCRIBE a b subscribes none when b is refused),
  // or is queued. A refusal is a rejected call, as in Redis's commandstats. Commands that run
  // before AUTH (AUTH, HELLO, QUIT, RESET) pass whatever the user's rules: a client of a user
  // without them (`user default off`, which resets the default user) can still log in.
  switch (AclCheckCommand(client, *top, sub, args)) {
    case AclVerdict::kAllowed:
      break;
    case AclVerdict::kCommandDenied:
      stats.RecordRejected(top, sub);
      return refuse(AclCommandDeniedError(*top, sub));
    case AclVerdict::kKeyDenied:
      stats.RecordRejected(top, sub);
      return refuse(kAclKeyDeniedError);
    case AclVerdict::kChannelDenied:
      stats.RecordRejected(top, sub);
      return refuse(kAclChannelDeniedError);
  }
  if (client.in_subscribed_context() && (command->flags & kCmdPubSubContext) == 0) {
    stats.RecordRejected(top, sub);
    return refuse(fmt::format(fmt::runtime(protocol::errors::kSubscribedContext), full_name()));
  }
  if (client.in_multi() && (command->flags & kCmdNoMulti) != 0) {
    stats.RecordRejected(top, sub);
    return refuse("ERR Command not allowed inside a transaction");
  }
  // CLIENT PAUSE holds a command that passed the checks (replicas are never paused); EXEC has
  // the flags of what it runs, so a PUBLISH waits out a WRITE pause queued or not.
  uint32_t flags = command->flags;
  if (is_exec && client.transaction() != nullptr) flags |= client.transaction()->flags;
  // Set before the pause check: as Redis, CLIENT LIST shows a held client on cmd=<its command>.
  client.set_last_command(top, sub);
  if (client.link_role() != LinkRole::kReplica && client.front().MustPostpone(flags)) {
    client.Postpone();
    return CommandOutcome::kPostponed;
  }
  if (queue) {
    if (!client.QueueCommand(top, sub, args)) return CommandOutcome::kRefused;
    client.reply().SimpleString("QUEUED");
    return CommandOutcome::kQueued;
  }
  HandlerRun run = RunHandler(client, *command, args);
  // EXEC fails only by its own error, not by those of the commands it ran.
  if (is_exec) run.errors -= std::min(run.errors, client.TakeExecErrors());
  stats.RecordCall(top, sub, run.ns, run.errors > 0);
  return CommandOutcome::kRan;
}

void ExecuteQueued(RespSession& client, const Command* top, const Command* sub, CommandArgs args) {
  const Command* command = sub != nullptr ? sub : top;
  // The rules may have changed since the command was queued (ACL SETUSER, or AUTH earlier in
  // this transaction).
  AclVerdict verdict = AclCheckCommand(client, *top, sub, args);
  if (verdict != AclVerdict::kAllowed) {
    ReplyError(client,
               fmt::format("NOPERM ACLs rules changed between the moment the transaction was "
                           "accumulated and the EXEC call. This command is no longer allowed "
                           "for the following reason: {}",
                           verdict == AclVerdict::kCommandDenied
                               ? "no permission to execute the command or subcommand"
                           : verdict == AclVerdict::kKeyDenied
                               ? "no permission to touch the specified keys"
                               : "no permission to access one of the channels used as arguments"));
    return;
  }
  // CLIENT LIST shows cmd=exec throughout, as Redis does.
  const HandlerRun run = RunHandler(client, *command, args);
  client.front().command_stats().RecordCall(top, sub, run.ns, run.errors > 0);
  if (client.front().has_monitors()) client.front().FeedMonitors(client, args, command);
}

void ReplyHelp(RespSession& client, std::string_view name,
               std::span<const std::string_view> lines) {
  protocol::RespWriter& reply = client.reply();
  reply.ArrayHeader(lines.size() + 3);
  reply.SimpleString(
      fmt::format("{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", UpperCase(name)));
  for (std::string_view line : lines) reply.SimpleString(line);
  reply.SimpleString("HELP");
  reply.SimpleString("    Prints this help.");
}

}  // namespace herald::resp
