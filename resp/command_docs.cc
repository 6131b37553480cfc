// COMMAND and its subcommands: what redis-cli and client libraries learn about the server.
// Replies follow Redis 7.0.15 byte for byte; only the order of commands differs, since Redis lists
// them in the order of a randomly seeded hash table and herald in table order.

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "protocol/errors.h"
#include "protocol/glob.h"
#include "protocol/numbers.h"
#include "resp/command_doc_data.h"
#include "resp/command_handlers.h"
#include "resp/session.h"

namespace herald::resp {
namespace {

// COMMAND GETKEYS errors. They belong in protocol/errors.h with the others once that file is free
// to edit.
constexpr std::string_view kInvalidCommand = "ERR Invalid command specified";
constexpr std::string_view kNoKeyArguments = "ERR The command has no key arguments";

struct FlagName {
  uint32_t flag;
  std::string_view name;
};

// The flags COMMAND INFO shows, in Redis 7.0's order. Redis 7.0 does not show may_replicate or
// sentinel, although commands carry them.
constexpr FlagName kFlagNames[] = {
    {kCmdWrite, "write"},
    {kCmdReadOnly, "readonly"},
    {kCmdAdmin, "admin"},
    {kCmdPubSub, "pubsub"},
    {kCmdNoScript, "noscript"},
    {kCmdLoading, "loading"},
    {kCmdStale, "stale"},
    {kCmdSkipSlowlog, "skip_slowlog"},
    {kCmdFast, "fast"},
    {kCmdNoAuth, "no_auth"},
    {kCmdNoMandatoryKeys, "no_mandatory_keys"},
    {kCmdNoAsyncLoading, "no_async_loading"},
    {kCmdNoMulti, "no_multi"},
    {kCmdAllowBusy, "allow_busy"},
};

// ACL categories in the order Redis 7.0 lists them, whatever order the table spells them in.
constexpr std::string_view kAclCategories[] = {
    "@keyspace",   "@read",        "@write",     "@set",         "@sortedset", "@list",
    "@hash",       "@string",      "@bitmap",    "@hyperloglog", "@geo",       "@stream",
    "@pubsub",     "@admin",       "@fast",      "@slow",        "@blocking",  "@dangerous",
    "@connection", "@transaction", "@scripting",
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

// Position of `word` ("@pubsub") in kAclCategories; unknown words sort last.
size_t AclRank(std::string_view word) {
  return static_cast<size_t>(std::ranges::find(kAclCategories, word) - std::begin(kAclCategories));
}

std::vector<std::string_view> AclCategories(const Command& command) {
  std::vector<std::string_view> words = Split(command.acl_categories);
  std::ranges::stable_sort(words, {}, AclRank);
  return words;
}

bool HasAclCategory(const Command& command, std::string_view category) {
  for (std::string_view word : Split(command.acl_categories)) {
    if (word.size() > 1 && word[0] == '@' && protocol::EqualsIgnoreCase(word.substr(1), category)) {
      return true;
    }
  }
  return false;
}

std::string FullName(const Command& command, std::string_view parent) {
  if (parent.empty()) return std::string(command.name);
  std::string name(parent);
  name += '|';
  name += command.name;
  return name;
}

std::string LowerCase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The documentation of `full_name`, or an empty entry (every field absent) for a command that has
// none.
const CommandDocEntry& DocFor(std::string_view full_name) {
  static constexpr CommandDocEntry kUndocumented{};
  const CommandDocEntry* doc = FindCommandDoc(full_name);
  return doc != nullptr ? *doc : kUndocumented;
}

void WriteKeySpec(protocol::RespWriter& reply, const KeySpecDoc& spec) {
  reply.MapHeader(spec.notes.empty() ? 3 : 4);
  if (!spec.notes.empty()) {
    reply.Bulk("notes");
    reply.Bulk(spec.notes);
  }
  reply.Bulk("flags");
  reply.SetHeader(spec.flags.size());
  for (std::string_view flag : spec.flags) reply.SimpleString(flag);
  // Only "index" and "range" exist in the data model (see command_doc_data.h).
  reply.Bulk("begin_search");
  reply.MapHeader(2);
  reply.Bulk("type");
  reply.Bulk("index");
  reply.Bulk("spec");
  reply.MapHeader(1);
  reply.Bulk("index");
  reply.Integer(spec.begin_search.index);
  reply.Bulk("find_keys");
  reply.MapHeader(2);
  reply.Bulk("type");
  reply.Bulk("range");
  reply.Bulk("spec");
  reply.MapHeader(3);
  reply.Bulk("lastkey");
  reply.Integer(spec.find_keys.lastkey);
  reply.Bulk("keystep");
  reply.Integer(spec.find_keys.keystep);
  reply.Bulk("limit");
  reply.Integer(spec.find_keys.limit);
}

// One COMMAND INFO entry: name, arity, flags, first/last key and step, ACL categories, tips,
// key specs, subcommands (Redis 7 layout). Flags, arity and categories come from the command
// table; the rest from the documentation data.
void WriteInfo(protocol::RespWriter& reply, const Command& command, std::string_view parent) {
  std::string name = FullName(command, parent);
  const CommandDocEntry& doc = DocFor(name);
  reply.ArrayHeader(10);
  reply.Bulk(name);
  reply.Integer(command.arity);
  size_t flag_count = 0;
  for (const FlagName& flag : kFlagNames) flag_count += (command.flags & flag.flag) != 0 ? 1 : 0;
  reply.SetHeader(flag_count);
  for (const FlagName& flag : kFlagNames) {
    if ((command.flags & flag.flag) != 0) reply.SimpleString(flag.name);
  }
  reply.Integer(doc.legacy_range.first);
  reply.Integer(doc.legacy_range.last);
  reply.Integer(doc.legacy_range.step);
  std::vector<std::string_view> categories = AclCategories(command);
  reply.SetHeader(categories.size());
  for (std::string_view category : categories) reply.SimpleString(category);
  reply.SetHeader(doc.tips.size());
  for (std::string_view tip : doc.tips) reply.Bulk(tip);
  reply.SetHeader(doc.key_specs.size());
  for (const KeySpecDoc& spec : doc.key_specs) WriteKeySpec(reply, spec);
  // Redis replies an empty set for "no subcommands" but an array when there are some, which only
  // RESP3 can tell apart.
  if (command.subcommands.empty()) {
    reply.SetHeader(0);
  } else {
    reply.ArrayHeader(command.subcommands.size());
    for (const Command& sub : command.subcommands) WriteInfo(reply, sub, command.name);
  }
}

void WriteArg(protocol::RespWriter& reply, const DocArg& arg) {
  size_t fields = 2;
  fields += arg.key_spec_index >= 0 ? 1 : 0;
  fields += !arg.token.empty() ? 1 : 0;
  fields += !arg.summary.empty() ? 1 : 0;
  fields += !arg.since.empty() ? 1 : 0;
  fields += !arg.deprecated_since.empty() ? 1 : 0;
  fields += arg.flags != 0 ? 1 : 0;
  fields += !arg.args.empty() ? 1 : 0;
  reply.MapHeader(fields);
  reply.Bulk("name");
  reply.Bulk(arg.name);
  reply.Bulk("type");
  reply.Bulk(DocArgTypeName(arg.type));
  if (arg.key_spec_index >= 0) {
    reply.Bulk("key_spec_index");
    reply.Integer(arg.key_spec_index);
  }
  if (!arg.token.empty()) {
    reply.Bulk("token");
    reply.Bulk(arg.token);
  }
  if (!arg.summary.empty()) {
    reply.Bulk("summary");
    reply.Bulk(arg.summary);
  }
  if (!arg.since.empty()) {
    reply.Bulk("since");
    reply.Bulk(arg.since);
  }
  if (!arg.deprecated_since.empty()) {
    reply.Bulk("deprecated_since");
    reply.Bulk(arg.deprecated_since);
  }
  if (arg.flags != 0) {
    reply.Bulk("flags");
    int count = ((arg.flags & kArgOptional) != 0) + ((arg.flags & kArgMultiple) != 0) +
                ((arg.flags & kArgMultipleToken) != 0);
    reply.SetHeader(count);
    if ((arg.flags & kArgOptional) != 0) reply.SimpleString("optional");
    if ((arg.flags & kArgMultiple) != 0) reply.SimpleString("multiple");
    if ((arg.flags & kArgMultipleToken) != 0) reply.SimpleString("multiple_token");
  }
  if (!arg.args.empty()) {
    reply.Bulk("arguments");
    reply.ArrayHeader(arg.args.size());
    for (const DocArg& child : arg.args) WriteArg(reply, child);
  }
}

// One COMMAND DOCS key/value pair: the full name, then a map of the documented fields (absent
// ones left out) and the subcommands herald has.
void WriteDoc(protocol::RespWriter& reply, const Command& command, std::string_view parent) {
  std::string name = FullName(command, parent);
  reply.Bulk(name);
  const CommandDocEntry& d = DocFor(name);
  const std::pair<std::string_view, std::string_view> head[] = {
      {"summary", d.summary}, {"since", d.since}, {"group", d.group}, {"complexity", d.complexity}};
  const std::pair<std::string_view, std::string_view> deprecation[] = {
      {"deprecated_since", d.deprecated_since}, {"replaced_by", d.replaced_by}};
  size_t fields = 0;
  for (const auto& [key, value] : head) fields += value.empty() ? 0 : 1;
  fields += d.doc_flags != 0 ? 1 : 0;
  for (const auto& [key, value] : deprecation) fields += value.empty() ? 0 : 1;
  fields += !d.history.empty() ? 1 : 0;
  fields += !d.args.empty() ? 1 : 0;
  fields += !command.subcommands.empty() ? 1 : 0;
  reply.MapHeader(fields);
  for (const auto& [key, value] : head) {
    if (value.empty()) continue;
    reply.Bulk(key);
    reply.Bulk(value);
  }
  if (d.doc_flags != 0) {
    reply.Bulk("doc_flags");
    reply.SetHeader(((d.doc_flags & kDocDeprecated) != 0) + ((d.doc_flags & kDocSysCmd) != 0));
    if ((d.doc_flags & kDocDeprecated) != 0) reply.SimpleString("deprecated");
    if ((d.doc_flags & kDocSysCmd) != 0) reply.SimpleString("syscmd");
  }
  for (const auto& [key, value] : deprecation) {
    if (value.empty()) continue;
    reply.Bulk(key);
    reply.Bulk(value);
  }
  if (!d.history.empty()) {
    reply.Bulk("history");
    reply.SetHeader(d.history.size());
    for (const DocHistory& entry : d.history) {
      reply.ArrayHeader(2);
      reply.Bulk(entry.version);
      reply.Bulk(entry.description);
    }
  }
  if (!d.args.empty()) {
    reply.Bulk("arguments");
    reply.ArrayHeader(d.args.size());
    for (const DocArg& arg : d.args) WriteArg(reply, arg);
  }
  if (!command.subcommands.empty()) {
    reply.Bulk("subcommands");
    reply.MapHeader(command.subcommands.size());
    for (const Command& sub : command.subcommands) WriteDoc(reply, sub, command.name);
  }
}

// Finds "name" or "container|sub" (case-insensitive); nullptr if either part is unknown. Sets
// *parent to the container's name, or to empty for a top-level command.
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

// COMMAND GETKEYS and GETKEYSANDFLAGS: the keys a command would take, found with its key specs
// (index begin, range find: all herald's specs are of that kind). Only WATCH has keys. The
// shard channels of SPUBLISH and friends have key specs too, but flagged not_key, which Redis
// answers with "no key arguments". Redis skips the arity check for commands without keys, so
// herald does too.
void GetKeys(RespSession& client, CommandArgs args, bool with_flags) {
  const Command* command = FindCommand(args[2]);
  std::string full_name = command != nullptr ? std::string(command->name) : std::string();
  if (command != nullptr && !command->subcommands.empty() && args.size() > 3) {
    std::string_view parent;
    command = Lookup(std::string(args[2]) + "|" + std::string(args[3]), &parent);
    if (command != nullptr) full_name = fmt::format("{}|{}", parent, command->name);
  }
  if (command == nullptr) {
    ReplyError(client, kInvalidCommand);
    return;
  }
  const CommandDocEntry* doc = FindCommandDoc(full_name);
  std::vector<const KeySpecDoc*> specs;
  if (doc != nullptr) {
    for (const KeySpecDoc& spec : doc->key_specs) {
      if (std::find(spec.flags.begin(), spec.flags.end(), "not_key") == spec.flags.end()) {
        specs.push_back(&spec);
      }
    }
  }
  if (specs.empty()) {
    ReplyError(client, kNoKeyArguments);
    return;
  }
  CommandArgs argv = args.subspan(2);
  if (!(command->arity > 0 ? argv.size() == static_cast<size_t>(command->arity)
                           : argv.size() >= static_cast<size_t>(-command->arity))) {
    ReplyError(client, "ERR Invalid number of arguments specified for command");
    return;
  }
  std::vector<std::pair<std::string_view, const KeySpecDoc*>> keys;
  for (const KeySpecDoc* spec : specs) {
    const int first = spec->begin_search.index;
    if (first >= static_cast<int>(argv.size())) continue;
    const int last = spec->find_keys.lastkey < 0
                         ? static_cast<int>(argv.size()) + spec->find_keys.lastkey
                         : first + spec->find_keys.lastkey;
    for (int i = first; i <= last && i < static_cast<int>(argv.size());
         i += std::max(spec->find_keys.keystep, 1)) {
      keys.emplace_back(argv[static_cast<size_t>(i)], spec);
    }
  }
  protocol::RespWriter& reply = client.reply();
  reply.ArrayHeader(keys.size());
  for (const auto& [key, spec] : keys) {
    if (!with_flags) {
      reply.Bulk(key);
      continue;
    }
    reply.ArrayHeader(2);
    reply.Bulk(key);
    reply.SetHeader(spec->flags.size());
    for (std::string_view flag : spec->flags) reply.SimpleString(flag);
  }
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

// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: every command and
// subcommand that passes the filter, each container followed by its subcommands.
void CommandListCommand(RespSession& client, CommandArgs args) {
  enum class Filter { kNone, kModule, kAclCat, kPattern } filter = Filter::kNone;
  std::string value;
  if (args.size() == 5 && protocol::EqualsIgnoreCase(args[2], "filterby")) {
    value = args[4];
    if (protocol::EqualsIgnoreCase(args[3], "module")) {
      filter = Filter::kModule;
    } else if (protocol::EqualsIgnoreCase(args[3], "aclcat")) {
      filter = Filter::kAclCat;
    } else if (protocol::EqualsIgnoreCase(args[3], "pattern")) {
      filter = Filter::kPattern;
      // Redis matches patterns case-insensitively; command names are lower case, so lowering
      // the pattern (ranges included) gives the same result.
      value = LowerCase(value);
    }
  }
  if (args.size() != 2 && filter == Filter::kNone) {
    ReplyError(client, protocol::errors::kSyntax);
    return;
  }
  auto matches = [&](const Command& command, const std::string& name) {
    switch (filter) {
      case Filter::kNone:
        return true;
      case Filter::kModule:
        return false;  // herald loads no modules
      case Filter::kAclCat:
        return HasAclCategory(command, value);
      case Filter::kPattern:
        return protocol::GlobMatch(value, name);
    }
    return false;
  };
  std::vector<std::string> names;
  for (const Command& command : AllCommands()) {
    std::string name(command.name);
    if (matches(command, name)) names.push_back(name);
    for (const Command& sub : command.subcommands) {
      std::string sub_name = FullName(sub, command.name);
      if (matches(sub, sub_name)) names.push_back(std::move(sub_name));
    }
  }
  client.reply().ArrayHeader(names.size());
  for (const std::string& name : names) client.reply().Bulk(name);
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
      // A null bulk in RESP2, not a null array: Redis uses its generic null here.
      client.reply().Null();
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
  // Unknown names are left out; repeated names are repeated, as in Redis.
  std::vector<std::pair<const Command*, std::string_view>> found;
  for (size_t i = 2; i < args.size(); ++i) {
    std::string_view parent;
    if (const Command* command = Lookup(args[i], &parent)) found.emplace_back(command, parent);
  }
  client.reply().MapHeader(found.size());
  for (const auto& [command, parent] : found) WriteDoc(client.reply(), *command, parent);
}

void CommandGetKeysCommand(RespSession& client, CommandArgs args) { GetKeys(client, args, false); }

void CommandGetKeysAndFlagsCommand(RespSession& client, CommandArgs args) {
  GetKeys(client, args, true);
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
      "GETKEYS <full-command>",
      "    Return the keys from a full Redis command.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and the access flags from a full Redis command.",
  };
  ReplyHelp(client, "command", kLines);
}

}  // namespace herald::resp
