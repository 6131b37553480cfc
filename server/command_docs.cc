// COMMAND and its subcommands: what redis-cli and client libraries learn about the server.

#include <string>

#include "protocol/numbers.h"
#include "server/command_handlers.h"
#include "server/resp_session.h"

namespace herald::server {
namespace {

struct FlagName {
  uint32_t flag;
  std::string_view name;
};

constexpr FlagName kFlagNames[] = {
    {kCmdWrite, "write"},        {kCmdReadOnly, "readonly"},   {kCmdAdmin, "admin"},
    {kCmdPubSub, "pubsub"},      {kCmdNoScript, "noscript"},   {kCmdLoading, "loading"},
    {kCmdStale, "stale"},        {kCmdSkipSlowlog, "skip_slowlog"}, {kCmdFast, "fast"},
    {kCmdNoAuth, "no_auth"},     {kCmdMayReplicate, "may_replicate"},
    {kCmdSentinel, "sentinel"},  {kCmdNoMandatoryKeys, "no_mandatory_keys"},
    {kCmdNoMulti, "no_multi"},   {kCmdAllowBusy, "allow_busy"},
};

std::vector<std::string_view> Split(std::string_view text) {
  std::vector<std::string_view> words;
  while (!text.empty()) {
    size_t space = text.find(' ');
    if (space != 0) words.push_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return words;
}

// One COMMAND INFO entry: name, arity, flags, first/last key and step, ACL categories, tips,
// key specs, subcommands (Redis 7 layout).
void WriteInfo(protocol::RespWriter& reply, const Command& command, std::string_view parent) {
  std::string name = parent.empty() ? std::string(command.name)
                                    : std::string(parent) + "|" + std::string(command.name);
  reply.ArrayHeader(10);
  reply.Bulk(name);
  reply.Integer(command.arity);
  std::vector<std::string_view> flags;
  for (const FlagName& flag : kFlagNames) {
    if ((command.flags & flag.flag) != 0) flags.push_back(flag.name);
  }
  reply.SetHeader(flags.size());
  for (std::string_view flag : flags) reply.SimpleString(flag);
  bool has_key = command.name == "spublish";
  reply.Integer(has_key ? 1 : 0);
  reply.Integer(has_key ? 1 : 0);
  reply.Integer(has_key ? 1 : 0);
  std::vector<std::string_view> categories = Split(command.acl_categories);
  reply.SetHeader(categories.size());
  for (std::string_view category : categories) reply.SimpleString(category);
  reply.SetHeader(0);
  reply.ArrayHeader(0);
  reply.ArrayHeader(command.subcommands.size());
  for (const Command& sub : command.subcommands) WriteInfo(reply, sub, command.name);
}

void WriteDoc(protocol::RespWriter& reply, const Command& command, std::string_view parent) {
  reply.Bulk(parent.empty() ? std::string(command.name)
                            : std::string(parent) + "|" + std::string(command.name));
  size_t fields = command.doc != nullptr ? 4 : 0;
  if (!command.subcommands.empty()) ++fields;
  reply.MapHeader(fields);
  if (command.doc != nullptr) {
    reply.Bulk("summary");
    reply.Bulk(command.doc->summary);
    reply.Bulk("since");
    reply.Bulk(command.doc->since);
    reply.Bulk("group");
    reply.Bulk(command.doc->group);
    reply.Bulk("complexity");
    reply.Bulk(command.doc->complexity);
  }
  if (!command.subcommands.empty()) {
    reply.Bulk("subcommands");
    reply.MapHeader(command.subcommands.size());
    for (const Command& sub : command.subcommands) WriteDoc(reply, sub, command.name);
  }
}

// Finds "name" or "container|sub".
const Command* Lookup(std::string_view full_name, std::string_view* parent) {
  size_t bar = full_name.find('|');
  if (bar == std::string_view::npos) {
    *parent = {};
    return FindCommand(full_name);
  }
  const Command* container = FindCommand(full_name.substr(0, bar));
  if (container == nullptr) return nullptr;
  *parent = container->name;
  for (const Command& sub : container->subcommands) {
    if (protocol::EqualsIgnoreCase(sub.name, full_name.substr(bar + 1))) return &sub;
  }
  return nullptr;
}

}  // namespace

void CommandCommand(RespSession& client, CommandArgs /*args*/) {
  auto commands = AllCommands();
  client.reply().ArrayHeader(commands.size());
  for (const Command& command : commands) WriteInfo(client.reply(), command, "");
}

void CommandCountCommand(RespSession& client, CommandArgs /*args*/) {
  client.reply().Integer(static_cast<int64_t>(AllCommands().size()));
}

void CommandListCommand(RespSession& client, CommandArgs /*args*/) {
  auto commands = AllCommands();
  client.reply().ArrayHeader(commands.size());
  for (const Command& command : commands) client.reply().Bulk(command.name);
}

void CommandInfoCommand(RespSession& client, CommandArgs args) {
  if (args.size() == 2) {
    CommandCommand(client, args);
    return;
  }
  client.reply().ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    std::string_view parent;
    const Command* command = Lookup(args[i], &parent);
    if (command == nullptr) {
      client.reply().NullArray();
    } else {
      WriteInfo(client.reply(), *command, parent);
    }
  }
}

void CommandDocsCommand(RespSession& client, CommandArgs args) {
  if (args.size() == 2) {
    auto commands = AllCommands();
    client.reply().MapHeader(commands.size());
    for (const Command& command : commands) WriteDoc(client.reply(), command, "");
    return;
  }
  std::vector<std::pair<const Command*, std::string_view>> found;
  for (size_t i = 2; i < args.size(); ++i) {
    std::string_view parent;
    if (const Command* command = Lookup(args[i], &parent)) found.emplace_back(command, parent);
  }
  client.reply().MapHeader(found.size());
  for (const auto& [command, parent] : found) WriteDoc(client.reply(), *command, parent);
}

void CommandHelpCommand(RespSession& client, CommandArgs /*args*/) {
  static constexpr std::string_view kLines[] = {
      "(no subcommand)",
      "    Return details about all Redis commands.",
      "COUNT",
      "    Return the total number of commands in this Redis server.",
      "LIST",
      "    Return a list of all commands in this Redis server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
  };
  ReplyHelp(client, "command", kLines);
}

}  // namespace herald::server
