#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::config {

// Output-buffer classes of client-output-buffer-limit, in Redis's order.
enum class ClientClass : uint8_t { kNormal = 0, kReplica = 1, kPubSub = 2 };
inline constexpr int kClientClassCount = 3;

// One class's limits: close at `hard_bytes`, or after staying at or above `soft_bytes` for more
// than `soft_seconds`. Zero disables a limit.
struct OutputLimit {
  uint64_t hard_bytes = 0;
  uint64_t soft_bytes = 0;
  int64_t soft_seconds = 0;
};

enum class LogLevel : uint8_t { kDebug, kVerbose, kNotice, kWarning, kNothing };

// Every setting herald acts on, with Redis 7.0's defaults except where noted. The server reads
// these fields directly; only ConfigStore writes them.
struct Config {
  int port = 6379;
  // Redis's built-in default is "* -::*"; herald, like Redis's shipped redis.conf, listens on
  // loopback only unless told otherwise. A leading '-' marks an address that may be unavailable.
  // An empty list (`bind ""`) means no TCP listener at all, as in Redis.
  std::vector<std::string> bind = {"127.0.0.1", "-::1"};
  std::string unixsocket;
  int unixsocketperm = 0;  // octal in the file, 0 = leave the umask's permissions
  std::string requirepass;
  // ACL users: the `user` lines of the configuration (name and rules each), an ACL file, the
  // channels of new users, the ACL LOG's length (broker/acl.h).
  std::vector<std::vector<std::string>> acl_users;
  std::string aclfile;
  std::string acl_pubsub_default = "resetchannels";
  int64_t acllog_max_len = 128;
  std::string enable_debug_command = "no";  // DEBUG: no | yes | local (loopback clients only)
  bool protected_mode = true;
  // 1 .. 4294967295 as in Redis (an unsigned int there).
  int64_t maxclients = 10000;
  int timeout = 0;          // seconds a client may be idle; 0 = never closed
  int tcp_keepalive = 300;  // seconds; 0 = off
  int tcp_backlog = 511;
  OutputLimit output_limits[kClientClassCount] = {
      {0, 0, 0},                        // normal
      {256ull << 20, 64ull << 20, 60},  // replica
      {32ull << 20, 8ull << 20, 60},    // pubsub
  };
  uint64_t client_query_buffer_limit = 1ull << 30;
  uint64_t proto_max_bulk_len = 512ull << 20;
  LogLevel loglevel = LogLevel::kNotice;
  std::string logfile;  // empty = standard output
  std::string pidfile;
  bool daemonize = false;
  // The start-up banner with "Port:" and "PID:" lines (Redis's logo), also when stdout is no tty.
  bool always_show_logo = false;
  int databases = 16;  // SELECT accepts 0 .. databases-1

  // Replication. `replicaof <host> <port>`: master_host is empty on a master. Only ConfigStore
  // (loading, or SetReplicaOf for the REPLICAOF command) changes them.
  std::string master_host;
  int master_port = 0;
  std::string masterauth;
  std::string masteruser;
  uint64_t repl_backlog_size = 1ull << 20;
  // The replication ID and offset, written on shutdown and once a second while they change, read
  // at start: a restarted node continues with PSYNC (Redis keeps them in its RDB).
  std::string repl_state_file = "herald-repl.state";
  int64_t repl_backlog_ttl = 3600;    // seconds a master without replicas keeps its history
  int repl_timeout = 60;              // seconds
  int repl_ping_replica_period = 10;  // seconds
  std::string replica_announce_ip;    // "" = the address the master sees
  int replica_announce_port = 0;      // 0 = our own port
  // What a RESP PUBLISH / SPUBLISH on a replica does: "local" (Redis: delivered on this node
  // only) or "forward" (sent to our master, so it reaches the whole tree). The gateway's
  // publishes always forward.
  std::string replica_publish = "local";
  int replica_publish_max_inflight = 1000;  // forwarded publishes awaiting the master at once
  int replica_publish_timeout = 5000;       // ms a forwarded publish may wait for the master

  // TLS (server/tls.h), Redis's directives: tls-port listens for RESP over TLS beside `port`;
  // tls-replication makes the link to our master TLS. One certificate serves every TLS socket.
  int tls_port = 0;  // 0 = no TLS listener
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_key_file_pass;
  std::string tls_client_cert_file;  // "" = tls_cert_file, for the link to our master
  std::string tls_client_key_file;
  std::string tls_client_key_file_pass;
  std::string tls_dh_params_file;
  std::string tls_ca_cert_file;
  std::string tls_ca_cert_dir;
  std::string tls_auth_clients = "yes";  // no | yes | optional: client certificates
  std::string tls_protocols;             // "" = "TLSv1.2 TLSv1.3"
  std::string tls_ciphers;               // TLS 1.2 cipher list, "" = OpenSSL's default
  std::string tls_ciphersuites;          // TLS 1.3 suites, "" = OpenSSL's default
  bool tls_replication = false;
  bool tls_prefer_server_ciphers = false;
  bool tls_session_caching = true;
  int tls_session_cache_size = 20480;
  int tls_session_cache_timeout = 300;
  int tls_handshake_timeout = 10;  // seconds; herald's own (Redis has none)

  // HTTP gateway (gateway/gateway.h): WebSocket, SSE and HTTP publishing for browsers.
  int gateway_port = 8080;  // 0 = no gateway
  std::vector<std::string> gateway_bind = {"127.0.0.1", "-::1"};
  int gateway_tls_port = 0;                       // https and wss, tls-cert-file's certificate
  std::string gateway_tls_auth_clients = "no";    // browsers carry no client certificate
  uint64_t gateway_max_header_bytes = 16 * 1024;  // 431 above
  uint64_t gateway_max_body_bytes = 1 << 20;      // 413 above
  int gateway_header_timeout = 10;                // seconds for a whole request to arrive
  int gateway_keepalive_timeout = 60;             // seconds an idle keep-alive connection lives
  uint64_t gateway_ws_max_message = 1 << 20;      // WebSocket close 1009 above
  int gateway_sse_heartbeat = 15;  // seconds between SSE heartbeats and WebSocket pings; 0 = off
  std::vector<std::string> gateway_cors_origins;  // allowed Origins ("*" = any); empty = none
  std::string gateway_publish_token;              // Bearer token: may publish from any address
  // Who may publish without the token (IP addresses, CIDR blocks, "*"), and to which channels
  // (globs) anyone may publish through the gateway.
  std::vector<std::string> gateway_publish_from = {"127.0.0.1", "::1"};
  std::vector<std::string> gateway_publish_channels = {"*"};
  int gateway_history_size = 100;            // messages kept per channel; 0 = no history
  uint64_t gateway_history_bytes = 1 << 20;  // payload bytes kept per channel
  int gateway_history_age = 300;             // seconds a message is kept; 0 = no limit
  // Long-poll sessions (gateway/poll.h): how long a poller keeps its place after an answer,
  // and what it may receive meanwhile.
  int gateway_poll_grace = 5;                      // seconds; 0 = no sessions kept
  int gateway_poll_buffer = 100;                   // messages held per session
  uint64_t gateway_poll_buffer_bytes = 256 << 10;  // payload bytes held per session
  // Browser tokens (gateway/auth.h). gateway-auth: "off" (no tokens: the publish rules above),
  // "optional" (a token adds its grants; without one, gateway-anonymous-channels), "required"
  // (every subscribe and publish needs a token or the publish token), or "auto": required when
  // requirepass is set, otherwise optional.
  std::string gateway_auth = "auto";
  std::string gateway_jwt_secret;           // HMAC key of HS256/384/512 tokens
  std::string gateway_jwt_public_key_file;  // PEM public key (RSA or P-256) of RS256/ES256 tokens
  std::string gateway_jwt_issuer;           // when set, tokens must carry this "iss"
  std::string gateway_jwt_audience;         // when set, tokens must name it in "aud"
  bool gateway_jwt_require_exp = true;      // refuse tokens without "exp"
  int gateway_jwt_leeway = 60;              // seconds of clock skew allowed on exp/nbf/iat
  uint64_t gateway_jwt_max_bytes = 8192;    // longest token accepted
  // What clients without a token may subscribe to (globs), in modes off and optional.
  std::vector<std::string> gateway_anonymous_channels = {"*"};
  int gateway_max_subscriptions = 1024;  // channels + patterns per gateway connection
  int gateway_maxclients = 10000;        // gateway connections in all (maxclients: RESP's)
  int gateway_max_per_address = 1000;    // gateway connections from one IP address; 0 = no limit
  // Reverse proxies whose X-Forwarded-For (or Forwarded) header names the client: addresses
  // and CIDR blocks; none by default (the header is then ignored, as anyone can send it).
  std::vector<std::string> gateway_trusted_proxies;
  std::string gateway_proxy_header = "x-forwarded-for";  // or "forwarded" (RFC 7239)
  // Who may read /metrics (besides the publish token): addresses, CIDR blocks, "*".
  std::vector<std::string> gateway_metrics_from = {"127.0.0.1", "::1"};
};

// What herald-server's command line asked for (redis-server's syntax).
struct CommandLine {
  bool help = false;
  bool version = false;
  // The configuration file, "" if none, "-" for standard input only.
  std::string config_file;
  // True when "-" was given (as the first or the last argument, as redis-server wants it): the
  // configuration continues on standard input, after `config_file` if there is one.
  bool config_from_stdin = false;
  // The `--directive value ...` options rewritten as config lines, values quoted the way
  // redis-server quotes them ("port \"7000\" \nbind \"a\" \"b\" "), to be applied after the file
  // and standard input, exactly as redis-server does.
  std::string overrides;
};

// Parses argv (argv[0] is the program name) as redis-server 7.0 does: `--help`/`-h` and
// `--version`/`-v` only as the first argument; a first argument not starting with '-' is the
// config file; "-" first or last reads standard input; every `--name` starts a config line and
// the arguments after it are its values (a lone `--save` becomes `save ""`). Nothing is validated
// here: a malformed option surfaces as a config error from ConfigStore::Load, with its line.
// Returns false with `*error` set only when argv itself is unusable (argc < 1 or a null argument).
bool ParseCommandLine(int argc, const char* const* argv, CommandLine* out, std::string* error);

// Owns a Config and the table of directives that fills it: redis.conf parsing (with `include`),
// command-line overrides, and CONFIG GET / CONFIG SET semantics.
class ConfigStore {
 public:
  ConfigStore();
  ~ConfigStore();

  const Config& config() const { return config_; }

  // Loads `path` ("" = none, "-" = standard input), then the `overrides` text. On failure returns
  // false and sets `*error` to the complete message to print, in Redis's style:
  //   *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
  //   Reading the configuration file, at line 3
  //   >>> 'port "abc"'
  //   argument couldn't be parsed into an integer
  // followed by a `<file>:<line>: <reason>` line naming the file. Directives that only make
  // sense for a data store (save, appendonly, maxmemory, ...) are accepted and stored; each one
  // seen appends a line to `*notices` for the log.
  // The message has no trailing newline. A file that cannot be read gives Redis's one-line
  // "Fatal error, can't open config file '<path>': <strerror>" instead of the block.
  bool Load(const std::string& path, const std::string& overrides, std::string* error,
            std::vector<std::string>* notices);

  // Load() for a parsed command line: the file, then standard input if asked, then the overrides.
  bool Load(const CommandLine& command_line, std::string* error, std::vector<std::string>* notices);

  // CONFIG GET: every (name, value) pair whose name matches any of the glob `patterns`, in table
  // order, each at most once, values rendered as Redis renders them (yes/no, bytes, "a b").
  std::vector<std::pair<std::string, std::string>> Get(
      const std::vector<std::string_view>& patterns) const;

  // CONFIG SET name value [name value ...]: all or nothing. Returns "" on success, otherwise the
  // reply text without the leading '-', e.g. "ERR Unknown option or number of arguments for
  // CONFIG SET - 'foo'" or "ERR CONFIG SET failed (possibly related to argument 'port') - ...".
  // After the values are assigned, `apply` (if set) is called with the canonical names of the
  // directives whose value changed (it is not called when nothing changed); if it returns a
  // non-empty error the old values are restored, `apply` is called once more with the same names
  // so that the server can return to them (its result is ignored), and the first error is
  // returned verbatim: the hook words it like Redis ("ERR CONFIG SET failed (possibly related to
  // argument 'bind') - ...").
  std::string Set(const std::vector<std::pair<std::string_view, std::string_view>>& pairs);
  void set_apply_hook(std::function<std::string(const std::vector<std::string>&)> apply) {
    apply_ = std::move(apply);
  }

  // REPLICAOF host port / REPLICAOF NO ONE (empty host): changes what CONFIG GET replicaof
  // answers, as in Redis, although the directive is immutable for CONFIG SET.
  void SetReplicaOf(std::string host, int port);

  // CONFIG REWRITE, with Redis 7.0's algorithm: the loaded file's lines stay where they are, each
  // directive's first lines are replaced with its current value(s) and its leftover lines blanked,
  // directives the file lacks are appended after "# Generated by CONFIG REWRITE" when they differ
  // from the default, lines herald cannot read back are commented out as "# ??? <line>", runs of
  // blank lines become one. Written to a temporary file in the same directory, fsynced, then
  // renamed over the file. Returns "" or the error reply text (without '-').
  // `user_lines` are the ACL users as "user <name> <rules>" lines (ACL LIST): they replace the
  // file's user lines, as in Redis, unless an aclfile is configured (then the file's user lines
  // are dropped and none are written).
  std::string Rewrite(const std::vector<std::string>& user_lines = {}) const;

  // The absolute path of the loaded config file ("" if none), for INFO's config_file field.
  const std::string& config_file() const { return config_file_; }

 private:
  Config config_;
  std::string config_file_;
  std::function<std::string(const std::vector<std::string>&)> apply_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::config
