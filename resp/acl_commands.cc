// The ACL command with Redis 7.0's replies. Building the users, AUTH and the per-command check
// are in acl_check.cc; the users and their rules live in broker/acl.h.

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "protocol/numbers.h"
#include "resp/command_handlers.h"
#include "resp/front_end.h"
#include "resp/session.h"
#include "server/logging.h"
#include "server/server.h"

namespace herald::resp {

using broker::AclCatalog;
using broker::AclStore;
using broker::AclUser;
using config::LogLevel;
using protocol::EqualsIgnoreCase;
using server::Server;

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The clients logged in as `user`.
std::vector<RespSession*> ClientsOf(Server& server, const AclUser* user) {
  std::vector<RespSession*> found;
  for (server::Connection* connection : server.connections()) {
    auto* session = dynamic_cast<RespSession*>(connection);
    if (session != nullptr && &session->user() == user) found.push_back(session);
  }
  return found;
}

// Redis 7 disconnects a user's clients whose subscriptions its new rules no longer allow, and
// every client of a deleted user. The client running the command gets its reply first.
void DisconnectAfterChange(RespSession& self, const std::shared_ptr<AclUser>& user, bool deleted) {
  Server& server = self.server();
  broker::Broker& broker = server.broker();
  for (RespSession* client : ClientsOf(server, user.get())) {
    bool drop = deleted;
    if (!drop && !user->allchannels()) {
      for (broker::SubKind kind :
           {broker::SubKind::kChannel, broker::SubKind::kShardChannel, broker::SubKind::kPattern}) {
        for (const std::string& name : broker.Names(client, kind)) {
          if (!user->MayUseChannel(name, kind == broker::SubKind::kPattern)) drop = true;
        }
      }
    }
    if (!drop) continue;
    if (client == &self) {
      client->CloseAfterReply();
    } else {
      client->CloseAsap("ACL change");
    }
  }
}

void ReplyUserLines(RespSession& client) {
  const auto& users = client.server().acl().users();
  protocol::RespWriter& reply = client.reply();
  reply.ArrayHeader(users.size());
  for (const auto& [name, user] : users)
    reply.Bulk(fmt::format("user {} {}", name, user->Describe()));
}

std::string AclFileText(const AclStore& store) {
  std::string text;
  for (const auto& [name, user] : store.users()) {
    fmt::format_to(std::back_inserter(text), "user {} {}\n", name, user->Describe());
  }
  return text;
}

constexpr std::string_view kNoAclFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.";

}  // namespace

void AclCommand(RespSession& client, CommandArgs args) {
  Server& server = client.server();
  AclStore& store = server.acl();
  protocol::RespWriter& reply = client.reply();
  std::string sub = Lower(args[1]);
  if (sub == "setuser") {
    std::vector<std::string_view> rules(args.begin() + 3, args.end());
    std::string error;
    if (!store.SetUser(args[2], rules, RedisAclCatalog(), &error)) {
      ReplyError(client, error);
      return;
    }
    DisconnectAfterChange(client, store.Find(args[2]), false);
    reply.SimpleString("OK");
  } else if (sub == "deluser") {
    int64_t deleted = 0;
    for (size_t i = 2; i < args.size(); ++i) {
      if (args[i] == "default") {
        ReplyError(client, "ERR The 'default' user cannot be removed");
        return;
      }
    }
    for (size_t i = 2; i < args.size(); ++i) {
      if (std::shared_ptr<AclUser> user = store.DeleteUser(args[i])) {
        ++deleted;
        DisconnectAfterChange(client, user, true);
      }
    }
    reply.Integer(deleted);
  } else if (sub == "getuser") {
    std::shared_ptr<AclUser> user = store.Find(args[2]);
    if (user == nullptr) {
      reply.Null();
      return;
    }
    reply.MapHeader(6);
    reply.Bulk("flags");
    std::vector<std::string> flags = user->Flags();
    reply.ArrayHeader(flags.size());
    for (const std::string& flag : flags) reply.Bulk(flag);
    reply.Bulk("passwords");
    reply.ArrayHeader(user->password_hashes().size());
    for (const std::string& hash : user->password_hashes()) reply.Bulk(hash);
    reply.Bulk("commands");
    reply.Bulk(user->DescribeCommands());
    reply.Bulk("keys");
    reply.Bulk(user->DescribeKeys());
    reply.Bulk("channels");
    reply.Bulk(user->DescribeChannels());
    reply.Bulk("selectors");
    reply.ArrayHeader(user->selectors().size());
    for (const broker::AclSelector& selector : user->selectors()) {
      reply.MapHeader(3);
      reply.Bulk("commands");
      reply.Bulk(selector.DescribeCommands());
      reply.Bulk("keys");
      reply.Bulk(selector.DescribeKeys());
      reply.Bulk("channels");
      reply.Bulk(selector.DescribeChannels());
    }
  } else if (sub == "list") {
    ReplyUserLines(client);
  } else if (sub == "users") {
    reply.ArrayHeader(store.users().size());
    for (const auto& [name, user] : store.users()) reply.Bulk(name);
  } else if (sub == "whoami") {
    reply.Bulk(client.user().name());
  } else if (sub == "cat") {
    if (args.size() == 2) {
      const auto& all = broker::AclCategories();
      reply.ArrayHeader(all.size());
      for (std::string_view category : all) reply.Bulk(category);
      return;
    }
    if (args.size() > 3) {
      // Redis's fallback for a known subcommand with too many arguments.
      ReplyError(client, fmt::format("ERR unknown subcommand or wrong number of arguments for "
                                     "'{}'. Try ACL HELP.",
                                     args[1].substr(0, 128)));
      return;
    }
    std::string category = Lower(args[2]);
    const auto& all = broker::AclCategories();
    if (std::find(all.begin(), all.end(), category) == all.end()) {
      ReplyError(client, fmt::format("ERR Unknown category '{}'", args[2]));
      return;
    }
    std::string tag = "@" + category;
    std::vector<std::string> names;
    auto has = [&](std::string_view categories) {
      size_t at = categories.find(tag);
      return at != std::string_view::npos &&
             (at + tag.size() == categories.size() || categories[at + tag.size()] == ' ');
    };
    for (const Command& command : AllCommands()) {
      if (command.subcommands.empty()) {
        if (has(command.acl_categories)) names.emplace_back(command.name);
        continue;
      }
      for (const Command& child : command.subcommands) {
        if (has(child.acl_categories))
          names.push_back(fmt::format("{}|{}", command.name, child.name));
      }
    }
    reply.ArrayHeader(names.size());
    for (const std::string& name : names) reply.Bulk(name);
  } else if (sub == "log") {
    if (args.size() > 3) {
      // Redis's fallback for a known subcommand with too many arguments.
      ReplyError(client, fmt::format("ERR unknown subcommand or wrong number of arguments for "
                                     "'{}'. Try ACL HELP.",
                                     args[1].substr(0, 128)));
      return;
    }
    size_t count = 10;
    if (args.size() == 3) {
      if (EqualsIgnoreCase(args[2], "reset")) {
        store.ResetLog();
        reply.SimpleString("OK");
        return;
      }
      int64_t value = 0;
      if (!protocol::ParseInt64(args[2], &value) || value < 0) {
        ReplyError(client, "ERR value is out of range, must be positive");
        return;
      }
      count = static_cast<size_t>(value);
    }
    const auto& log = store.log();
    size_t n = std::min(count, log.size());
    uint64_t now = server.now_ms();
    reply.ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) {
      const AclStore::LogEntry& entry = log[i];
      reply.MapHeader(7);
      reply.Bulk("count");
      reply.Integer(static_cast<int64_t>(entry.count));
      reply.Bulk("reason");
      reply.Bulk(entry.reason);
      reply.Bulk("context");
      reply.Bulk(entry.context);
      reply.Bulk("object");
      reply.Bulk(entry.object);
      reply.Bulk("username");
      reply.Bulk(entry.username);
      reply.Bulk("age-seconds");
      // Redis 7.0's age counts from the entry's last occurrence.
      reply.Double(static_cast<double>(now - entry.updated_ms) / 1000.0);
      reply.Bulk("client-info");
      reply.Bulk(entry.client_info);
    }
  } else if (sub == "dryrun") {
    std::shared_ptr<AclUser> user = store.Find(args[2]);
    if (user == nullptr) {
      ReplyError(client, fmt::format("ERR User '{}' not found", args[2]));
      return;
    }
    const Command* command = FindCommand(args[3]);
    if (command == nullptr) {
      ReplyError(client, fmt::format("ERR Command '{}' not found", args[3]));
      return;
    }
    const Command* child = nullptr;
    if (!command->subcommands.empty() && args.size() >= 5) {
      for (const Command& candidate : command->subcommands) {
        if (EqualsIgnoreCase(candidate.name, args[4])) child = &candidate;
      }
    }
    const Command& run = child != nullptr ? *child : *command;
    // The commands that need no authentication pass any rules, as in Redis.
    if ((command->flags & kCmdNoAuth) != 0) {
      reply.SimpleString("OK");
      return;
    }
    // The line as the command would run it: args[3] is the command.
    const AclArgs acl_args = AclArgsOf(*command, args.subspan(3));
    size_t denied = 0;
    broker::AclDenied why = user->Check(
        command->name, child != nullptr ? child->name : std::string_view(), run.acl_categories,
        acl_args.channels, acl_args.patterns, &denied, acl_args.keys);
    if (why == broker::AclDenied::kKey) {
      reply.Bulk(fmt::format("This user has no permissions to access the '{}' key",
                             acl_args.keys[denied]));
      return;
    }
    if (why == broker::AclDenied::kCommand) {
      std::string full(command->name);
      if (child != nullptr) full += fmt::format("|{}", child->name);
      reply.Bulk(fmt::format("This user has no permissions to run the '{}' command", full));
      return;
    }
    if (why == broker::AclDenied::kChannel) {
      reply.Bulk(fmt::format("This user has no permissions to access the '{}' channel",
                             acl_args.channels[denied]));
      return;
    }
    reply.SimpleString("OK");
  } else if (sub == "genpass") {
    int64_t bits = 256;
    if (args.size() > 3) {
      // Redis's fallback for a known subcommand with too many arguments.
      ReplyError(client, fmt::format("ERR unknown subcommand or wrong number of arguments for "
                                     "'{}'. Try ACL HELP.",
                                     args[1].substr(0, 128)));
      return;
    }
    if (args.size() == 3 && (!protocol::ParseInt64(args[2], &bits) || bits <= 0 || bits > 4096)) {
      ReplyError(client,
                 "ERR ACL GENPASS argument must be the number of bits for the output password, a "
                 "positive number up to 4096");
      return;
    }
    size_t chars = static_cast<size_t>((bits + 3) / 4);
    std::vector<unsigned char> random((chars + 1) / 2);
    RAND_bytes(random.data(), static_cast<int>(random.size()));
    std::string hex;
    for (unsigned char byte : random) fmt::format_to(std::back_inserter(hex), "{:02x}", byte);
    hex.resize(chars);
    reply.Bulk(hex);
  } else if (sub == "save") {
    const std::string& path = server.config().aclfile;
    if (path.empty()) {
      ReplyError(client, kNoAclFile);
      return;
    }
    std::string temp = path + ".tmp";
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out << AclFileText(store);
      if (!out.flush()) {
        ReplyError(client,
                   "ERR There was an error trying to save the ACLs. Please check the server logs "
                   "for more information");
        return;
      }
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
      ReplyError(client,
                 "ERR There was an error trying to save the ACLs. Please check the server logs for "
                 "more information");
      return;
    }
    reply.SimpleString("OK");
  } else if (sub == "load") {
    const std::string& path = server.config().aclfile;
    if (path.empty()) {
      ReplyError(client, kNoAclFile);
      return;
    }
    std::string text;
    std::map<std::string, std::shared_ptr<AclUser>, std::less<>> users;
    std::string why;
    if (!ReadAclFile(path, &text)) {
      ReplyError(client,
                 fmt::format("ERR Error loading ACLs, opening file '{}': No such file or directory",
                             path));
      return;
    }
    if (!store.ParseUserLines(text, RedisAclCatalog(), &users, &why, path)) {
      ReplyError(client, "ERR " + why);
      return;
    }
    // As Redis 7.0: the default user is updated in place (its clients stay), every other user
    // is new, and the clients of the old ones are disconnected (after this reply).
    if (auto it = users.find("default"); it != users.end()) {
      std::shared_ptr<AclUser> old = store.Find("default");
      *old = std::move(*it->second);
      it->second = old;
    }
    for (const auto& [name, user] : store.users()) {
      if (name != "default") DisconnectAfterChange(client, user, true);
    }
    store.ReplaceAll(std::move(users));
    reply.SimpleString("OK");
  } else if (sub == "help") {
    static constexpr std::string_view kLines[] = {
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username."};
    ReplyHelp(client, "ACL", kLines);
  }
}

}  // namespace herald::resp
