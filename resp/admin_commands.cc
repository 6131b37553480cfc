// Server-level commands: INFO, CONFIG, TIME, DBSIZE, SHUTDOWN, and the harmless data-store
// commands (FLUSHALL, FLUSHDB, FUNCTION FLUSH, DEBUG) that generic Redis tooling sends.

#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "broker/acl.h"
#include "protocol/errors.h"
#include "protocol/numbers.h"
#include "resp/command_handlers.h"
#include "resp/front_end.h"
#include "resp/replication.h"
#include "resp/session.h"
#include "server/connection.h"
#include "server/logging.h"
#include "server/server.h"

#ifndef HERALD_VERSION
#define HERALD_VERSION "0.1.0"
#endif

namespace herald::resp {

using broker::Broker;
using broker::SubKind;
using config::LogLevel;
using server::Connection;
using server::Log;
using server::Server;
using server::Stats;
namespace {

using protocol::EqualsIgnoreCase;

uint64_t RssBytes() {
  long pages = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    long size = 0;
    if (std::fscanf(f, "%ld %ld", &size, &pages) != 2) pages = 0;
    std::fclose(f);
  }
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

std::string HumanBytes(uint64_t n) {
  double value = static_cast<double>(n);
  if (n < 1024) return fmt::format("{}B", n);
  if (n < (1ull << 20)) return fmt::format("{:.2f}K", value / 1024);
  if (n < (1ull << 30)) return fmt::format("{:.2f}M", value / (1 << 20));
  return fmt::format("{:.2f}G", value / (1 << 30));
}

void Field(std::string* out, std::string_view name, auto value) {
  fmt::format_to(std::back_inserter(*out), "{}:{}\r\n", name, value);
}

void ServerSection(RespFrontEnd& front, std::string* out) {
  Server& server = front.server();
  utsname uts;
  uname(&uts);
  timeval now;
  gettimeofday(&now, nullptr);
  uint64_t uptime = (server.now_ms() - server.start_ms()) / 1000;
  char exe[512] = {0};
  ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (exe_len < 0) exe_len = 0;
  out->append("# Server\r\n");
  Field(out, "redis_version", "7.0.15");
  Field(out, "redis_git_sha1", "00000000");
  Field(out, "redis_git_dirty", 0);
  Field(out, "redis_build_id", "0");
  Field(out, "redis_mode", "standalone");
  Field(out, "herald_version", HERALD_VERSION);
  Field(out, "os", fmt::format("{} {} {}", uts.sysname, uts.release, uts.machine));
  Field(out, "arch_bits", sizeof(void*) * 8);
  Field(out, "monotonic_clock", "POSIX clock_gettime");
  Field(out, "multiplexing_api", "epoll");
  Field(out, "atomicvar_api", "c11-builtin");
  Field(out, "gcc_version", fmt::format("{}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__));
  Field(out, "process_id", getpid());
  Field(out, "process_supervised", "no");
  Field(out, "run_id", server.run_id());
  Field(out, "tcp_port", server.config().port);
  Field(out, "server_time_usec",
        static_cast<uint64_t>(now.tv_sec) * 1000000 + static_cast<uint64_t>(now.tv_usec));
  Field(out, "uptime_in_seconds", uptime);
  Field(out, "uptime_in_days", uptime / 86400);
  Field(out, "hz", 10);
  Field(out, "configured_hz", 10);
  Field(out, "lru_clock", (static_cast<uint64_t>(now.tv_sec) * 1000 / 1000) & ((1 << 24) - 1));
  Field(out, "executable", std::string_view(exe, static_cast<size_t>(exe_len)));
  Field(out, "config_file", server.config_store().config_file());
  Field(out, "io_threads_active", 0);
}

void ClientsSection(RespFrontEnd& front, std::string* out) {
  Server& server = front.server();
  size_t max_in = 0;
  size_t max_out = 0;
  size_t blocked = front.postponed_count();  // CLIENT PAUSE
  for (const Connection* connection : server.connections()) {
    max_in = std::max(max_in, connection->input_capacity());
    max_out = std::max(max_out, connection->output().bytes());
    if (const auto* session = dynamic_cast<const RespSession*>(connection)) {
      blocked += session->blocked() ? 1 : 0;  // WAIT
    }
  }
  out->append("# Clients\r\n");
  // Like Redis, replicas are not counted as clients (the link to our master is).
  Field(out, "connected_clients", server.connection_count() - front.replication().replica_count());
  Field(out, "cluster_connections", 0);
  Field(out, "maxclients", server.config().maxclients);
  Field(out, "client_recent_max_input_buffer", max_in);
  Field(out, "client_recent_max_output_buffer", max_out);
  Field(out, "blocked_clients", blocked);
  Field(out, "tracking_clients", front.tracking_clients());
  Field(out, "clients_in_timeout_table", 0);
}

void MemorySection(RespFrontEnd& /*front*/, std::string* out) {
  struct mallinfo2 info = mallinfo2();
  uint64_t used = info.uordblks + info.hblkhd;
  uint64_t rss = RssBytes();
  out->append("# Memory\r\n");
  Field(out, "used_memory", used);
  Field(out, "used_memory_human", HumanBytes(used));
  Field(out, "used_memory_rss", rss);
  Field(out, "used_memory_rss_human", HumanBytes(rss));
  Field(out, "maxmemory", 0);
  Field(out, "maxmemory_human", "0B");
  Field(out, "maxmemory_policy", "noeviction");
  Field(out, "mem_allocator", "libc");
}

void PersistenceSection(RespFrontEnd& front, std::string* out) {
  out->append("# Persistence\r\n");
  Field(out, "loading", 0);
  Field(out, "async_loading", 0);
  Field(out, "rdb_changes_since_last_save", 0);
  Field(out, "rdb_bgsave_in_progress", 0);
  Field(out, "rdb_last_save_time", front.start_unix_time());
  Field(out, "rdb_last_bgsave_status", "ok");
  Field(out, "aof_enabled", 0);
  Field(out, "aof_rewrite_in_progress", 0);
  Field(out, "aof_last_write_status", "ok");
}

void StatsSection(RespFrontEnd& front, std::string* out) {
  Server& server = front.server();
  const Stats& stats = server.stats();
  Broker& broker = server.broker();
  out->append("# Stats\r\n");
  Field(out, "total_connections_received", stats.connections_received);
  Field(out, "total_commands_processed", stats.commands_processed);
  Field(out, "instantaneous_ops_per_sec", 0);
  Field(out, "total_net_input_bytes", stats.net_input_bytes);
  Field(out, "total_net_output_bytes", stats.net_output_bytes);
  Field(out, "rejected_connections", stats.rejected_connections);
  Field(out, "sync_full", stats.sync_full);
  Field(out, "sync_partial_ok", stats.sync_partial_ok);
  Field(out, "sync_partial_err", stats.sync_partial_err);
  Field(out, "expired_keys", 0);
  Field(out, "evicted_keys", 0);
  Field(out, "evicted_clients", 0);
  Field(out, "keyspace_hits", 0);
  Field(out, "keyspace_misses", 0);
  Field(out, "pubsub_channels", broker.Count(SubKind::kChannel));
  Field(out, "pubsub_patterns", broker.Count(SubKind::kPattern));
  Field(out, "pubsubshard_channels", broker.Count(SubKind::kShardChannel));
  Field(out, "total_error_replies", stats.error_replies);
  Field(out, "client_query_buffer_limit_disconnections", stats.query_limit_disconnections);
  Field(out, "client_output_buffer_limit_disconnections", stats.output_limit_disconnections);
  // Redis 7.2's ACL refusal counters (where 7.2 and later print them, after the fields above).
  Field(out, "acl_access_denied_auth", stats.acl_denied_auth);
  Field(out, "acl_access_denied_cmd", stats.acl_denied_cmd);
  Field(out, "acl_access_denied_key", stats.acl_denied_key);
  Field(out, "acl_access_denied_channel", stats.acl_denied_channel);
  Field(out, "total_messages_published", broker.messages_published());
  Field(out, "total_messages_delivered", broker.deliveries());
  // herald's own: TLS handshakes done, failed (garbage, bad certificate, peer gave up) and timed
  // out (tls-handshake-timeout).
  Field(out, "tls_handshakes", stats.tls_handshakes);
  Field(out, "tls_handshake_errors", stats.tls_handshake_errors);
  Field(out, "tls_handshake_timeouts", stats.tls_handshake_timeouts);
}

void ReplicationSection(RespFrontEnd& front, std::string* out) {
  front.replication().WriteInfo(out);
}

void CpuSection(RespFrontEnd& /*front*/, std::string* out) {
  rusage self;
  rusage children;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  auto seconds = [](const timeval& tv) {
    return fmt::format("{}.{:06}", tv.tv_sec, static_cast<long>(tv.tv_usec));
  };
  out->append("# CPU\r\n");
  Field(out, "used_cpu_sys", seconds(self.ru_stime));
  Field(out, "used_cpu_user", seconds(self.ru_utime));
  Field(out, "used_cpu_sys_children", seconds(children.ru_stime));
  Field(out, "used_cpu_user_children", seconds(children.ru_utime));
}

void ModulesSection(RespFrontEnd& /*front*/, std::string* out) { out->append("# Modules\r\n"); }

void ClusterSection(RespFrontEnd& /*front*/, std::string* out) {
  out->append("# Cluster\r\n");
  Field(out, "cluster_enabled", 0);
}

void CommandStatsSection(RespFrontEnd& front, std::string* out) {
  out->append("# Commandstats\r\n");
  front.command_stats().WriteCommandStats(out);
}

void ErrorStatsSection(RespFrontEnd& front, std::string* out) {
  out->append("# Errorstats\r\n");
  front.command_stats().WriteErrorStats(out);
}

void LatencyStatsSection(RespFrontEnd& front, std::string* out) {
  out->append("# Latencystats\r\n");
  front.command_stats().WriteLatencyStats(out);
}

void KeyspaceSection(RespFrontEnd& /*front*/, std::string* out) { out->append("# Keyspace\r\n"); }

struct InfoSection {
  std::string_view name;
  bool in_default;  // INFO, INFO default; INFO all and everything have every section
  void (*write)(RespFrontEnd&, std::string*);
};

// Redis 7.0's sections in its order (genRedisInfoString).
constexpr InfoSection kSections[] = {
    {"server", true, ServerSection},
    {"clients", true, ClientsSection},
    {"memory", true, MemorySection},
    {"persistence", true, PersistenceSection},
    {"stats", true, StatsSection},
    {"replication", true, ReplicationSection},
    {"cpu", true, CpuSection},
    {"modules", true, ModulesSection},
    {"commandstats", false, CommandStatsSection},
    {"errorstats", true, ErrorStatsSection},
    {"latencystats", false, LatencyStatsSection},
    {"cluster", true, ClusterSection},
    {"keyspace", true, KeyspaceSection},
};

}  // namespace

void InfoCommand(RespSession& client, CommandArgs args) {
  bool defaults = args.size() == 1;
  bool all = false;
  std::vector<std::string_view> wanted;
  for (size_t i = 1; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "default")) {
      defaults = true;
    } else if (EqualsIgnoreCase(args[i], "all") || EqualsIgnoreCase(args[i], "everything")) {
      all = true;
    } else {
      wanted.push_back(args[i]);
    }
  }
  std::string text;
  int written = 0;
  for (const InfoSection& section : kSections) {
    bool selected = all || (defaults && section.in_default);
    for (std::string_view name : wanted)
      selected = selected || EqualsIgnoreCase(name, section.name);
    if (!selected) continue;
    if (written++ > 0) text.append("\r\n");
    section.write(client.front(), &text);
  }
  client.reply().Verbatim(text);
}

void ConfigGetCommand(RespSession& client, CommandArgs args) {
  std::vector<std::string_view> patterns(args.begin() + 2, args.end());
  auto pairs = client.server().config_store().Get(patterns);
  client.reply().MapHeader(pairs.size());
  for (const auto& [name, value] : pairs) {
    client.reply().Bulk(name);
    client.reply().Bulk(value);
  }
}

void ConfigSetCommand(RespSession& client, CommandArgs args) {
  // The arity check (-4) turned away fewer than one pair; an odd count past it is a syntax error
  // in Redis.
  if ((args.size() - 2) % 2 != 0) {
    ReplyError(client, protocol::errors::kSyntax);
    return;
  }
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (size_t i = 2; i + 1 < args.size(); i += 2) pairs.emplace_back(args[i], args[i + 1]);
  std::string error = client.server().config_store().Set(pairs);
  if (!error.empty()) {
    ReplyError(client, error);
    return;
  }
  client.reply().SimpleString("OK");
}

void ConfigRewriteCommand(RespSession& client, CommandArgs /*args*/) {
  std::vector<std::string> users;
  for (const auto& [name, user] : client.server().acl().users()) {
    users.push_back(fmt::format("user {} {}", name, user->Describe()));
  }
  std::string error = client.server().config_store().Rewrite(users);
  if (!error.empty()) {
    constexpr std::string_view kWriteError = "ERR Rewriting config file: ";
    if (error.starts_with(kWriteError)) {
      Log(LogLevel::kWarning, "CONFIG REWRITE failed: {}", error.substr(kWriteError.size()));
    }
    ReplyError(client, error);
    return;
  }
  Log(LogLevel::kNotice, "CONFIG REWRITE executed with success.");
  client.reply().SimpleString("OK");
}

void ConfigResetStatCommand(RespSession& client, CommandArgs /*args*/) {
  client.server().stats() = Stats{};
  client.front().command_stats().Reset();
  client.reply().SimpleString("OK");
}

void ConfigHelpCommand(RespSession& client, CommandArgs /*args*/) {
  static constexpr std::string_view kLines[] = {
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Rewrite the configuration file.",
  };
  ReplyHelp(client, "config", kLines);
}

void TimeCommand(RespSession& client, CommandArgs /*args*/) {
  timeval now;
  gettimeofday(&now, nullptr);
  client.reply().ArrayHeader(2);
  client.reply().Bulk(std::to_string(now.tv_sec));
  client.reply().Bulk(std::to_string(now.tv_usec));
}

void DbSizeCommand(RespSession& client, CommandArgs /*args*/) { client.reply().Integer(0); }

void ShutdownCommand(RespSession& client, CommandArgs args) {
  for (size_t i = 1; i < args.size(); ++i) {
    std::string_view option = args[i];
    if (EqualsIgnoreCase(option, "abort")) {
      ReplyError(client, "ERR No shutdown in progress.");
      return;
    }
    if (!EqualsIgnoreCase(option, "nosave") && !EqualsIgnoreCase(option, "save") &&
        !EqualsIgnoreCase(option, "now") && !EqualsIgnoreCase(option, "force")) {
      ReplyError(client, protocol::errors::kSyntax);
      return;
    }
  }
  // Nothing to save: shut down at once; the client sees the connection close, as with Redis.
  client.server().Shutdown();
}

void FlushCommand(RespSession& client, CommandArgs args) {
  if (args.size() > 2 || (args.size() == 2 && !EqualsIgnoreCase(args[1], "async") &&
                          !EqualsIgnoreCase(args[1], "sync"))) {
    ReplyError(client, protocol::errors::kSyntax);
    return;
  }
  client.reply().SimpleString("OK");
}

void FunctionFlushCommand(RespSession& client, CommandArgs args) {
  if (args.size() > 3 || (args.size() == 3 && !EqualsIgnoreCase(args[2], "async") &&
                          !EqualsIgnoreCase(args[2], "sync"))) {
    ReplyError(client, "ERR Bad flush type");
    return;
  }
  client.reply().SimpleString("OK");
}

void FunctionHelpCommand(RespSession& client, CommandArgs /*args*/) {
  static constexpr std::string_view kLines[] = {
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries and functions (herald keeps none).",
  };
  ReplyHelp(client, "function", kLines);
}

bool DebugAllowed(RespSession& client) {
  const std::string& enabled = client.server().config().enable_debug_command;
  return enabled == "yes" || (enabled == "local" && client.peer_is_loopback());
}

// ExecuteCommand refused it already unless DebugAllowed().
void DebugCommand(RespSession& client, CommandArgs args) {
  std::string_view sub = args[1];
  size_t argc = args.size();
  if (EqualsIgnoreCase(sub, "help") && argc == 2) {
    static constexpr std::string_view kLines[] = {
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "SDSLEN <key>",
        "    Show low level SDS string info representing `key` and value.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
    };
    ReplyHelp(client, "debug", kLines);
  } else if (EqualsIgnoreCase(sub, "log") && argc == 3) {
    Log(LogLevel::kWarning, "DEBUG LOG: {}", args[2]);
    client.reply().SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "sleep") && argc == 3) {
    // strtod as Redis: "x" sleeps 0 seconds. Blocks the loop on purpose (test suites use it to
    // simulate a busy server), at most a minute.
    double seconds = std::strtod(std::string(args[2]).c_str(), nullptr);
    if (seconds > 0) usleep(static_cast<useconds_t>(std::min(seconds, 60.0) * 1e6));
    client.reply().SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "error") && argc == 3) {
    // As Redis does: the text as given, on one line, no "ERR " added, and not counted in the
    // error statistics.
    std::string text(args[2]);
    std::replace(text.begin(), text.end(), '\r', ' ');
    std::replace(text.begin(), text.end(), '\n', ' ');
    client.reply().Error(text);
  } else if (EqualsIgnoreCase(sub, "digest") && argc == 2) {
    // The digest of an empty keyspace.
    client.reply().SimpleString(std::string(40, '0'));
  } else if (EqualsIgnoreCase(sub, "digest-value") && argc >= 2) {
    client.reply().ArrayHeader(argc - 2);
    for (size_t i = 2; i < argc; ++i) client.reply().SimpleString(std::string(40, '0'));
  } else if ((EqualsIgnoreCase(sub, "object") || EqualsIgnoreCase(sub, "sdslen") ||
              EqualsIgnoreCase(sub, "listpack") || EqualsIgnoreCase(sub, "quicklist")) &&
             argc >= 3) {
    ReplyError(client, "ERR no such key");  // there are no keys
  } else {
    // What herald does not do (RELOAD, JMAP, SET-ACTIVE-EXPIRE, ...) is refused as Redis refuses
    // what it does not know.
    ReplyError(client,
               fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try "
                           "DEBUG HELP.",
                           sub.substr(0, 128)));
  }
}

}  // namespace herald::resp
