// herald-server: redis-server's command line, a redis.conf, one event loop.

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/gateway.h"
#include "resp/front_end.h"
#include "server/logging.h"
#include "server/server.h"

#ifndef HERALD_VERSION
#define HERALD_VERSION "0.1.0"
#endif

namespace {

using herald::config::LogLevel;

constexpr char kUsage[] =
    "Usage: ./herald-server [/path/to/redis.conf] [options] [-]\n"
    "       ./herald-server - (read config from stdin)\n"
    "       ./herald-server -v or --version\n"
    "       ./herald-server -h or --help\n"
    "\n"
    "Herald is a Redis 7.0 compatible pub/sub server: it reads redis.conf files and takes the\n"
    "same options as redis-server. Every configuration directive can be given on the command\n"
    "line as --directive value (see redis.conf.example).\n"
    "\n"
    "Examples:\n"
    "       ./herald-server (run the server with default config)\n"
    "       ./herald-server /etc/redis/6379.conf\n"
    "       ./herald-server --port 7777\n"
    "       ./herald-server --port 7777 --replicaof 127.0.0.1 8888\n"
    "       ./herald-server /etc/myredis.conf --loglevel verbose -\n"
    "       ./herald-server /etc/myredis.conf --loglevel verbose\n";

void Daemonize() {
  if (fork() != 0) _exit(0);  // the parent returns to the shell
  setsid();
  int fd = open("/dev/null", O_RDWR);
  if (fd >= 0) {
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO) close(fd);
  }
}

// Raises the open-file limit to its hard maximum and lowers maxclients if even that cannot hold
// maxclients plus the descriptors the server keeps for itself, as redis-server does.
void AdjustOpenFilesLimit(herald::config::ConfigStore* store) {
  constexpr int kReserved = 32;
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  int maxclients = store->config().maxclients;
  rlim_t needed = static_cast<rlim_t>(maxclients) + kReserved;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    int reduced = static_cast<int>(limit.rlim_cur) - kReserved;
    if (reduced < 1) reduced = 1;
    herald::server::Log(LogLevel::kWarning,
                        "You requested maxclients of {} requiring at least {} max file "
                        "descriptors.",
                        maxclients, needed);
    herald::server::Log(LogLevel::kWarning,
                        "Current maximum open files is {}. maxclients has been reduced to {} to "
                        "compensate for low ulimit. If you need higher maxclients increase "
                        "'ulimit -n'.",
                        limit.rlim_cur, reduced);
    std::string value = std::to_string(reduced);
    store->Set({{"maxclients", value}});
  }
  herald::server::Log(LogLevel::kNotice, "Open files limit is {}: up to {} clients accepted.",
                      limit.rlim_cur, store->config().maxclients);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace herald::server;
  using namespace herald::config;
  using herald::gateway::Gateway;
  using herald::resp::RespFrontEnd;
  CommandLine command_line;
  std::string error;
  if (!ParseCommandLine(argc, argv, &command_line, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  if (command_line.help) {
    std::fputs(kUsage, stderr);
    return 1;  // as redis-server does
  }
  if (command_line.version) {
    std::printf("Herald server v=%s redis-compat=7.0.15 bits=%d\n", HERALD_VERSION,
                static_cast<int>(sizeof(void*) * 8));
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);

  ConfigStore store;
  std::vector<std::string> notices;
  if (!store.Load(command_line, &error, &notices)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const Config& config = store.config();
  SetLogLevel(config.loglevel);
  if (!config.master_host.empty()) SetLogRole('S');
  if (config.daemonize && config.logfile.empty()) SetLogLevel(LogLevel::kNothing);
  if (!SetLogFile(config.logfile)) {
    std::fprintf(stderr, "Can't open the log file: %s\n", config.logfile.c_str());
    return 1;
  }
  if (config.daemonize) Daemonize();

  Log(LogLevel::kNotice, "oO0OoO0OoO0Oo Herald is starting oO0OoO0OoO0Oo");
  Log(LogLevel::kNotice, "Herald version={}, redis-compat=7.0.15, bits={}, pid={}, just started",
      HERALD_VERSION, sizeof(void*) * 8, getpid());
  if (command_line.config_file.empty()) {
    Log(LogLevel::kWarning,
        "Warning: no config file specified, using the default config. In order to specify a "
        "config file use {} /path/to/redis.conf",
        argv[0]);
  } else {
    Log(LogLevel::kNotice, "Configuration loaded");
  }
  for (const std::string& notice : notices) Log(LogLevel::kNotice, "{}", notice);
  AdjustOpenFilesLimit(&store);

  if (!config.pidfile.empty()) {
    if (FILE* pid = std::fopen(config.pidfile.c_str(), "w")) {
      std::fprintf(pid, "%d\n", static_cast<int>(getpid()));
      std::fclose(pid);
    }
  }

  // The wiring: the server (loop, listeners, connections) and its two front ends, each of which
  // talks to the other only through the server's broker.
  Server server(&store);
  store.set_apply_hook(
      [&server](const std::vector<std::string>& changed) { return server.ApplyConfig(changed); });
  RespFrontEnd resp(&server);
  if (!resp.Listen(&error)) {
    Log(LogLevel::kWarning, "{}", error);
    return 1;
  }
  // The HTTP gateway is optional: if its port cannot be opened, RESP keeps serving.
  Gateway gateway(&server);
  if (!gateway.Start(&error)) {
    if (gateway.config_error()) {
      Log(LogLevel::kWarning, "Fatal: the gateway cannot start: {}", error);
      return 1;
    }
    Log(LogLevel::kWarning, "Warning: {}", error);
  }
  Log(LogLevel::kNotice, "Server initialized");
  Log(LogLevel::kNotice, "Ready to accept connections tcp");
  return server.Run();
}
