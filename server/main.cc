// herald-server: redis-server's command line, a redis.conf, one event loop.

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/gateway.h"
#include "resp/front_end.h"
#include "server/logging.h"
#include "server/open_files.h"
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

// Raises the open-file limit for maxclients, or lowers maxclients to what the limit allows, as
// redis-server does at start-up. False when not even one client fits (Redis exits then).
bool AdjustOpenFilesLimit(herald::config::ConfigStore* store) {
  herald::server::OpenFilesOutcome outcome =
      herald::server::AdjustOpenFilesLimit(store->config().maxclients);
  if (!outcome.fatal.empty()) {
    herald::server::Log(LogLevel::kWarning, "{}", outcome.fatal);
    return false;
  }
  if (outcome.maxclients != store->config().maxclients) {
    std::string value = std::to_string(outcome.maxclients);
    store->Set({{"maxclients", value}});
  }
  // The gateway's connections have their own limit on top (gateway-maxclients): room for them
  // too, as far as the hard limit allows; past it the gateway's accepts fail and are logged.
  const herald::config::Config& cfg = store->config();
  rlimit limit;
  if (cfg.gateway_port != 0 && getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
      limit.rlim_cur != RLIM_INFINITY) {
    rlim_t wanted = limit.rlim_cur + static_cast<rlim_t>(cfg.gateway_maxclients);
    if (limit.rlim_max != RLIM_INFINITY) wanted = std::min(wanted, limit.rlim_max);
    if (wanted > limit.rlim_cur) {
      rlimit raised = {wanted, limit.rlim_max};
      if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    herald::server::Log(LogLevel::kNotice,
                        "Open files limit is {}: up to {} RESP clients and {} gateway "
                        "connections.",
                        limit.rlim_cur, cfg.maxclients, cfg.gateway_maxclients);
  }
  return true;
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
  // Redis changes to `dir` while loading its config: relative paths (aclfile) start there.
  for (const auto& [name, dir] : store.Get({"dir"})) {
    std::error_code ec;
    if (!dir.empty() && dir != std::filesystem::current_path(ec).string() &&
        chdir(dir.c_str()) != 0) {
      std::fprintf(stderr, "Can't chdir to '%s': %s\n", dir.c_str(), std::strerror(errno));
      return 1;
    }
  }
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
  // Redis's rule for its logo: stdout is a terminal and the log goes there, or always-show-logo.
  // Tools that start redis-server (Redis's own test suite) wait for its "PID:" line.
  int shown_port = config.port != 0 ? config.port : config.tls_port;
  if ((config.logfile.empty() && isatty(STDOUT_FILENO) != 0) || config.always_show_logo) {
    Log(LogLevel::kNotice, "Herald {} (redis-compat 7.0.15) {} bit", HERALD_VERSION,
        sizeof(void*) * 8);
    Log(LogLevel::kNotice, "Running in standalone mode");
    Log(LogLevel::kNotice, "Port: {}", shown_port);
    Log(LogLevel::kNotice, "PID: {}", getpid());
  } else {
    Log(LogLevel::kNotice, "Running mode=standalone, port={}.", shown_port);
  }
  if (!AdjustOpenFilesLimit(&store)) return 1;

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
  if (config.tls_port != 0) Log(LogLevel::kNotice, "Ready to accept connections tls");
  return server.Run();
}
