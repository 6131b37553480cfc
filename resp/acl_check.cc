// ACL users over RESP, the checks: building the users from the configuration (user lines,
// aclfile, requirepass), AUTH against them, and the check every command and channel passes. The
// ACL command is in acl_commands.cc; the users and their rules live in broker/acl.h.

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>
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
using server::Server;

namespace {

// Every command and subcommand name of Redis 7.0.15 (its COMMAND LIST): rules may name the data
// commands herald lacks ("+get"), so that a redis.conf written for Redis loads unchanged.
constexpr std::string_view kRedisCommands[] = {
    "acl",
    "acl|cat",
    "acl|deluser",
    "acl|dryrun",
    "acl|genpass",
    "acl|getuser",
    "acl|help",
    "acl|list",
    "acl|load",
    "acl|log",
    "acl|save",
    "acl|setuser",
    "acl|users",
    "acl|whoami",
    "append",
    "asking",
    "auth",
    "bgrewriteaof",
    "bgsave",
    "bitcount",
    "bitfield",
    "bitfield_ro",
    "bitop",
    "bitpos",
    "blmove",
    "blmpop",
    "blpop",
    "brpop",
    "brpoplpush",
    "bzmpop",
    "bzpopmax",
    "bzpopmin",
    "client",
    "client|caching",
    "client|getname",
    "client|getredir",
    "client|help",
    "client|id",
    "client|info",
    "client|kill",
    "client|list",
    "client|no-evict",
    "client|pause",
    "client|reply",
    "client|setname",
    "client|tracking",
    "client|trackinginfo",
    "client|unblock",
    "client|unpause",
    "cluster",
    "cluster|addslots",
    "cluster|addslotsrange",
    "cluster|bumpepoch",
    "cluster|count-failure-reports",
    "cluster|countkeysinslot",
    "cluster|delslots",
    "cluster|delslotsrange",
    "cluster|failover",
    "cluster|flushslots",
    "cluster|forget",
    "cluster|getkeysinslot",
    "cluster|help",
    "cluster|info",
    "cluster|keyslot",
    "cluster|links",
    "cluster|meet",
    "cluster|myid",
    "cluster|nodes",
    "cluster|replicas",
    "cluster|replicate",
    "cluster|reset",
    "cluster|saveconfig",
    "cluster|set-config-epoch",
    "cluster|setslot",
    "cluster|shards",
    "cluster|slaves",
    "cluster|slots",
    "command",
    "command|count",
    "command|docs",
    "command|getkeys",
    "command|getkeysandflags",
    "command|help",
    "command|info",
    "command|list",
    "config",
    "config|get",
    "config|help",
    "config|resetstat",
    "config|rewrite",
    "config|set",
    "copy",
    "dbsize",
    "debug",
    "decr",
    "decrby",
    "del",
    "discard",
    "dump",
    "echo",
    "eval",
    "eval_ro",
    "evalsha",
    "evalsha_ro",
    "exec",
    "exists",
    "expire",
    "expireat",
    "expiretime",
    "failover",
    "fcall",
    "fcall_ro",
    "flushall",
    "flushdb",
    "function",
    "function|delete",
    "function|dump",
    "function|flush",
    "function|help",
    "function|kill",
    "function|list",
    "function|load",
    "function|restore",
    "function|stats",
    "geoadd",
    "geodist",
    "geohash",
    "geopos",
    "georadius",
    "georadius_ro",
    "georadiusbymember",
    "georadiusbymember_ro",
    "geosearch",
    "geosearchstore",
    "get",
    "getbit",
    "getdel",
    "getex",
    "getrange",
    "getset",
    "hdel",
    "hello",
    "hexists",
    "hget",
    "hgetall",
    "hincrby",
    "hincrbyfloat",
    "hkeys",
    "hlen",
    "hmget",
    "hmset",
    "hrandfield",
    "hscan",
    "hset",
    "hsetnx",
    "hstrlen",
    "hvals",
    "incr",
    "incrby",
    "incrbyfloat",
    "info",
    "keys",
    "lastsave",
    "latency",
    "latency|doctor",
    "latency|graph",
    "latency|help",
    "latency|histogram",
    "latency|history",
    "latency|latest",
    "latency|reset",
    "lcs",
    "lindex",
    "linsert",
    "llen",
    "lmove",
    "lmpop",
    "lolwut",
    "lpop",
    "lpos",
    "lpush",
    "lpushx",
    "lrange",
    "lrem",
    "lset",
    "ltrim",
    "memory",
    "memory|doctor",
    "memory|help",
    "memory|malloc-stats",
    "memory|purge",
    "memory|stats",
    "memory|usage",
    "mget",
    "migrate",
    "module",
    "module|help",
    "module|list",
    "module|load",
    "module|loadex",
    "module|unload",
    "monitor",
    "move",
    "mset",
    "msetnx",
    "multi",
    "object",
    "object|encoding",
    "object|freq",
    "object|help",
    "object|idletime",
    "object|refcount",
    "persist",
    "pexpire",
    "pexpireat",
    "pexpiretime",
    "pfadd",
    "pfcount",
    "pfdebug",
    "pfmerge",
    "pfselftest",
    "ping",
    "psetex",
    "psubscribe",
    "psync",
    "pttl",
    "publish",
    "pubsub",
    "pubsub|channels",
    "pubsub|help",
    "pubsub|numpat",
    "pubsub|numsub",
    "pubsub|shardchannels",
    "pubsub|shardnumsub",
    "punsubscribe",
    "quit",
    "randomkey",
    "readonly",
    "readwrite",
    "rename",
    "renamenx",
    "replconf",
    "replicaof",
    "reset",
    "restore",
    "restore-asking",
    "role",
    "rpop",
    "rpoplpush",
    "rpush",
    "rpushx",
    "sadd",
    "save",
    "scan",
    "scard",
    "script",
    "script|debug",
    "script|exists",
    "script|flush",
    "script|help",
    "script|kill",
    "script|load",
    "sdiff",
    "sdiffstore",
    "select",
    "set",
    "setbit",
    "setex",
    "setnx",
    "setrange",
    "shutdown",
    "sinter",
    "sintercard",
    "sinterstore",
    "sismember",
    "slaveof",
    "slowlog",
    "slowlog|get",
    "slowlog|help",
    "slowlog|len",
    "slowlog|reset",
    "smembers",
    "smismember",
    "smove",
    "sort",
    "sort_ro",
    "spop",
    "spublish",
    "srandmember",
    "srem",
    "sscan",
    "ssubscribe",
    "strlen",
    "subscribe",
    "substr",
    "sunion",
    "sunionstore",
    "sunsubscribe",
    "swapdb",
    "sync",
    "time",
    "touch",
    "ttl",
    "type",
    "unlink",
    "unsubscribe",
    "unwatch",
    "wait",
    "watch",
    "xack",
    "xadd",
    "xautoclaim",
    "xclaim",
    "xdel",
    "xgroup",
    "xgroup|create",
    "xgroup|createconsumer",
    "xgroup|delconsumer",
    "xgroup|destroy",
    "xgroup|help",
    "xgroup|setid",
    "xinfo",
    "xinfo|consumers",
    "xinfo|groups",
    "xinfo|help",
    "xinfo|stream",
    "xlen",
    "xpending",
    "xrange",
    "xread",
    "xreadgroup",
    "xrevrange",
    "xsetid",
    "xtrim",
    "zadd",
    "zcard",
    "zcount",
    "zdiff",
    "zdiffstore",
    "zincrby",
    "zinter",
    "zintercard",
    "zinterstore",
    "zlexcount",
    "zmpop",
    "zmscore",
    "zpopmax",
    "zpopmin",
    "zrandmember",
    "zrange",
    "zrangebylex",
    "zrangebyscore",
    "zrangestore",
    "zrank",
    "zrem",
    "zremrangebylex",
    "zremrangebyrank",
    "zremrangebyscore",
    "zrevrange",
    "zrevrangebylex",
    "zrevrangebyscore",
    "zrevrank",
    "zscan",
    "zscore",
    "zunion",
    "zunionstore",
};

bool IsRedisName(std::string_view name) {
  return std::binary_search(std::begin(kRedisCommands), std::end(kRedisCommands), name);
}

}  // namespace

const AclCatalog& RedisAclCatalog() {
  static const AclCatalog kCatalog{
      .is_command =
          [](std::string_view name) {
            return name.find('|') == std::string_view::npos && IsRedisName(name);
          },
      .is_subcommand =
          [](std::string_view name, std::string_view sub) {
            if (sub.empty()) {
              // Whether the command has subcommands at all.
              std::string prefix = std::string(name) + "|";
              auto it =
                  std::lower_bound(std::begin(kRedisCommands), std::end(kRedisCommands), prefix);
              return it != std::end(kRedisCommands) && it->starts_with(prefix);
            }
            return IsRedisName(fmt::format("{}|{}", name, sub));
          }};
  return kCatalog;
}

void LogAclDenial(RespSession& client, std::string_view reason, std::string_view object,
                  std::string_view username) {
  Server& server = client.server();
  std::string info = ClientLine(client);
  if (!info.empty() && info.back() == '\n') info.pop_back();
  server.acl().Log({.reason = std::string(reason),
                    .context = client.in_multi() ? "multi" : "toplevel",
                    .object = std::string(object),
                    .username = std::string(username),
                    .client_info = std::move(info)},
                   server.now_ms(), static_cast<size_t>(server.config().acllog_max_len));
}

bool ReadAclFile(const std::string& path, std::string* text) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  std::ostringstream content;
  content << file.rdbuf();
  *text = content.str();
  return true;
}

// Called by the front end at start and when requirepass changes: requirepass is the default
// user's password (Redis: "resetpass >pass", or "nopass" for none).
void SyncRequirepass(Server& server) {
  std::string error;
  const std::string& pass = server.config().requirepass;
  if (pass.empty()) {
    server.acl().SetUser("default", {"nopass"}, RedisAclCatalog(), &error);
  } else {
    std::string rule = ">" + pass;
    server.acl().SetUser("default", {"resetpass", rule}, RedisAclCatalog(), &error);
  }
}

bool BuildUsers(Server& server, std::string* error) {
  const config::Config& cfg = server.config();
  AclStore& store = server.acl();
  store.set_allchannels_default(cfg.acl_pubsub_default == "allchannels");
  if (!cfg.aclfile.empty() && !cfg.acl_users.empty()) {
    *error =
        "Configuring Redis with users defined in redis.conf and at the same setting an ACL file "
        "path is invalid. This setup is very likely to lead to configuration errors and security "
        "holes, please define either an ACL file or declare users directly in your redis.conf, "
        "but not both.";
    return false;
  }
  std::map<std::string, std::shared_ptr<AclUser>, std::less<>> users;
  std::string text;
  if (!cfg.aclfile.empty()) {
    if (!ReadAclFile(cfg.aclfile, &text)) {
      *error = fmt::format("Error loading ACLs, opening file '{}': No such file or directory",
                           cfg.aclfile);
      return false;
    }
  } else {
    for (const std::vector<std::string>& line : cfg.acl_users) {
      text += "user";
      for (size_t i = 0; i < line.size(); ++i) {
        text += " " + line[i];
        // A redis.conf "user default ..." starts from a reset default user (sanitize-payload).
        if (i == 0 && line[0] == "default") text += " reset";
      }
      text += "\n";
    }
  }
  std::string why;
  if (!store.ParseUserLines(text, RedisAclCatalog(), &users, &why, cfg.aclfile)) {
    *error = cfg.aclfile.empty()
                 ? fmt::format("Error in user declaration: {}", why)
                 : fmt::format("Aborting Redis startup because of ACL errors: {}", why);
    return false;
  }
  bool has_default = users.find("default") != users.end();
  store.ReplaceAll(std::move(users));
  // requirepass sets the default user's password unless the users define it themselves.
  if (!has_default || !cfg.requirepass.empty()) SyncRequirepass(server);
  return true;
}

bool AclAuthenticate(RespSession& client, std::string_view name, std::string_view password) {
  std::shared_ptr<AclUser> user = client.server().acl().Find(name);
  if (user != nullptr && user->enabled() && user->CheckPassword(password)) {
    client.LogIn(std::move(user));
    return true;
  }
  LogAclDenial(client, "auth", "AUTH", name);
  return false;
}

std::string AclCommandDeniedError(const Command& top, const Command* sub) {
  std::string full(top.name);
  if (sub != nullptr) full += fmt::format("|{}", sub->name);
  return fmt::format("NOPERM this user has no permissions to run the '{}' command", full);
}

AclArgs AclArgsOf(const Command& top, CommandArgs args) {
  AclArgs out;
  const std::string_view name = top.name;
  CommandArgs rest = args.subspan(std::min<size_t>(1, args.size()));
  if (name == "publish" || name == "spublish") {
    out.channels = rest.first(std::min<size_t>(1, rest.size()));
  } else if (name == "subscribe" || name == "ssubscribe" || name == "psubscribe") {
    out.channels = rest;
    out.patterns = name == "psubscribe";
  } else if (name == "watch") {
    out.keys = rest;  // the one command with keys
  }
  return out;
}

AclVerdict AclCheckCommand(RespSession& client, const Command& top, const Command* sub,
                           CommandArgs args) {
  if (((sub != nullptr ? sub->flags : top.flags) & kCmdNoAuth) != 0) return AclVerdict::kAllowed;
  const AclUser& user = client.user();
  server::Stats& stats = client.server().stats();
  const Command& run = sub != nullptr ? *sub : top;
  const AclArgs acl_args = AclArgsOf(top, args);
  size_t denied = 0;
  broker::AclDenied why =
      user.Check(top.name, sub != nullptr ? sub->name : std::string_view(), run.acl_categories,
                 acl_args.channels, acl_args.patterns, &denied, acl_args.keys);
  switch (why) {
    case broker::AclDenied::kNone:
      return AclVerdict::kAllowed;
    case broker::AclDenied::kCommand: {
      ++stats.acl_denied_cmd;
      std::string full(top.name);
      if (sub != nullptr) full += fmt::format("|{}", sub->name);
      LogAclDenial(client, "command", full, user.name());
      return AclVerdict::kCommandDenied;
    }
    case broker::AclDenied::kKey:
      ++stats.acl_denied_key;
      LogAclDenial(client, "key", acl_args.keys[denied], user.name());
      return AclVerdict::kKeyDenied;
    case broker::AclDenied::kChannel:
      break;
  }
  ++stats.acl_denied_channel;
  LogAclDenial(client, "channel", acl_args.channels[denied], user.name());
  return AclVerdict::kChannelDenied;
}
}  // namespace herald::resp
