#pragma once

// Handlers of the command table (resp/commands.cc), grouped by the file that defines them.
// Each one runs after ExecuteCommand checked name, arity, authentication and context.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resp/commands.h"

namespace herald::broker {
struct AclCatalog;
}
namespace herald::server {
class Server;
}

namespace herald::resp {

// Replies with an error line, counting it for INFO (text without '-' and CRLF).
void ReplyError(RespSession& client, std::string_view text);
// "ERR wrong number of arguments for '<full name>' command".
void ReplyArityError(RespSession& client, std::string_view full_name);

// pubsub_commands.cc
void SubscribeCommand(RespSession& client, CommandArgs args);
void UnsubscribeCommand(RespSession& client, CommandArgs args);
void PSubscribeCommand(RespSession& client, CommandArgs args);
void PUnsubscribeCommand(RespSession& client, CommandArgs args);
void SSubscribeCommand(RespSession& client, CommandArgs args);
void SUnsubscribeCommand(RespSession& client, CommandArgs args);
void PublishCommand(RespSession& client, CommandArgs args);
void SPublishCommand(RespSession& client, CommandArgs args);
void PubsubChannelsCommand(RespSession& client, CommandArgs args);
void PubsubNumsubCommand(RespSession& client, CommandArgs args);
void PubsubNumpatCommand(RespSession& client, CommandArgs args);
void PubsubShardChannelsCommand(RespSession& client, CommandArgs args);
void PubsubShardNumsubCommand(RespSession& client, CommandArgs args);
void PubsubHelpCommand(RespSession& client, CommandArgs args);

// connection_commands.cc
void PingCommand(RespSession& client, CommandArgs args);
void EchoCommand(RespSession& client, CommandArgs args);
void QuitCommand(RespSession& client, CommandArgs args);
void ResetCommand(RespSession& client, CommandArgs args);
void HelloCommand(RespSession& client, CommandArgs args);
void AuthCommand(RespSession& client, CommandArgs args);
void SelectCommand(RespSession& client, CommandArgs args);
void ClientIdCommand(RespSession& client, CommandArgs args);
void ClientSetNameCommand(RespSession& client, CommandArgs args);
void ClientGetNameCommand(RespSession& client, CommandArgs args);
void ClientListCommand(RespSession& client, CommandArgs args);
void ClientInfoCommand(RespSession& client, CommandArgs args);
void ClientKillCommand(RespSession& client, CommandArgs args);
void ClientReplyCommand(RespSession& client, CommandArgs args);
void ClientNoEvictCommand(RespSession& client, CommandArgs args);
void ClientHelpCommand(RespSession& client, CommandArgs args);
void MonitorCommand(RespSession& client, CommandArgs args);
void ClientPauseCommand(RespSession& client, CommandArgs args);
void ClientUnpauseCommand(RespSession& client, CommandArgs args);
void ClientTrackingCommand(RespSession& client, CommandArgs args);
void ClientCachingCommand(RespSession& client, CommandArgs args);
void ClientGetRedirCommand(RespSession& client, CommandArgs args);
void ClientTrackingInfoCommand(RespSession& client, CommandArgs args);

// One CLIENT LIST / CLIENT INFO line, with Redis 7's fields in Redis's order (ends in "\n").
std::string ClientLine(RespSession& client);

// acl_check.cc
// Every command and subcommand name of Redis 7.0, for ACL rules (broker/acl.h).
const broker::AclCatalog& RedisAclCatalog();
// Records a denial in ACL LOG (context "multi" inside a transaction).
void LogAclDenial(RespSession& client, std::string_view reason, std::string_view object,
                  std::string_view username);
// The whole file at `path`; false if it cannot be opened.
bool ReadAclFile(const std::string& path, std::string* text);
// Builds the ACL users from the configuration (user lines or aclfile, acl-pubsub-default,
// requirepass); false with Redis's message on a bad one.
bool BuildUsers(server::Server& server, std::string* error);
// requirepass is the default user's password: applies a CONFIG SET of it.
void SyncRequirepass(server::Server& server);
// Logs `client` in as `user` if the password is right and the user is on; otherwise logs the
// failure in ACL LOG and returns false.
bool AclAuthenticate(RespSession& client, std::string_view user, std::string_view password);
// The arguments Redis 7.0's ACL check reads from a command line (`args[0]` the command): the
// channels of SUBSCRIBE, SSUBSCRIBE and PSUBSCRIBE (all arguments; patterns, granted literally)
// and of PUBLISH and SPUBLISH (the first), and the keys WATCH names. Views into `args`.
struct AclArgs {
  CommandArgs channels;
  bool patterns = false;
  CommandArgs keys;
};
AclArgs AclArgsOf(const Command& top, CommandArgs args);
// Redis's ACLCheckAllPerm without a reply: one selector must allow the command and its AclArgs.
// Commands that run before AUTH (AUTH, HELLO, QUIT, RESET) pass whatever the rules. A denial is
// counted in INFO's acl_access_denied_* and logged in ACL LOG (context "multi" inside a
// transaction).
enum class AclVerdict : uint8_t { kAllowed, kCommandDenied, kKeyDenied, kChannelDenied };
AclVerdict AclCheckCommand(RespSession& client, const Command& top, const Command* sub,
                           CommandArgs args);
// "NOPERM this user has no permissions to run the '<full name>' command".
std::string AclCommandDeniedError(const Command& top, const Command* sub);
// acl_commands.cc
void AclCommand(RespSession& client, CommandArgs args);  // every ACL subcommand
inline constexpr std::string_view kAclKeyDeniedError =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
inline constexpr std::string_view kAclChannelDeniedError =
    "NOPERM this user has no permissions to access one of the channels used as arguments";

// admin_commands.cc
void InfoCommand(RespSession& client, CommandArgs args);
void ConfigGetCommand(RespSession& client, CommandArgs args);
void ConfigSetCommand(RespSession& client, CommandArgs args);
void ConfigResetStatCommand(RespSession& client, CommandArgs args);
void ConfigRewriteCommand(RespSession& client, CommandArgs args);
void ConfigHelpCommand(RespSession& client, CommandArgs args);
void TimeCommand(RespSession& client, CommandArgs args);
void DbSizeCommand(RespSession& client, CommandArgs args);
void ShutdownCommand(RespSession& client, CommandArgs args);
void FlushCommand(RespSession& client, CommandArgs args);
void FunctionFlushCommand(RespSession& client, CommandArgs args);
void FunctionHelpCommand(RespSession& client, CommandArgs args);
void DebugCommand(RespSession& client, CommandArgs args);

// replication.cc
void PsyncCommand(RespSession& client, CommandArgs args);
void SyncCommand(RespSession& client, CommandArgs args);
void ReplconfCommand(RespSession& client, CommandArgs args);
void ReplicaOfCommand(RespSession& client, CommandArgs args);
void RoleCommand(RespSession& client, CommandArgs args);
void FailoverCommand(RespSession& client, CommandArgs args);
void WaitCommand(RespSession& client, CommandArgs args);

// multi_commands.cc
void MultiCommand(RespSession& client, CommandArgs args);
void ExecCommand(RespSession& client, CommandArgs args);
void DiscardCommand(RespSession& client, CommandArgs args);
void WatchCommand(RespSession& client, CommandArgs args);
void UnwatchCommand(RespSession& client, CommandArgs args);

// admin_commands.cc: whether DEBUG may run for this client (enable-debug-command), checked
// before authentication as Redis checks its protected commands; the refusal text.
bool DebugAllowed(RespSession& client);
inline constexpr std::string_view kDebugNotAllowedError =
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you "
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.";

// command_docs.cc
void CommandCommand(RespSession& client, CommandArgs args);
void CommandCountCommand(RespSession& client, CommandArgs args);
void CommandInfoCommand(RespSession& client, CommandArgs args);
void CommandDocsCommand(RespSession& client, CommandArgs args);
void CommandListCommand(RespSession& client, CommandArgs args);
void CommandHelpCommand(RespSession& client, CommandArgs args);

// Writes a HELP reply: "<NAME> <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" then
// `lines`, then "HELP" / "    Print this help.", as Redis's addReplyHelp does.
void ReplyHelp(RespSession& client, std::string_view name, std::span<const std::string_view> lines);

}  // namespace herald::resp
