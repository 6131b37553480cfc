#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/acl.h"
#include "broker/broker.h"
#include "config/config.h"
#include "server/tls.h"

namespace herald::server {

class Connection;

// Counters reported by INFO stats; reset by CONFIG RESETSTAT.
struct Stats {
  uint64_t connections_received = 0;
  uint64_t commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t output_limit_disconnections = 0;
  uint64_t gateway_output_limit_disconnections = 0;  // of them, gateway (SSE, WebSocket) clients
  uint64_t query_limit_disconnections = 0;
  uint64_t error_replies = 0;
  // Refusals by ACL, as Redis 7.2's acl_access_denied_* (7.0 has no such fields): failed AUTH and
  // HELLO AUTH, and -NOPERM for a command or a channel (Herald has no keys: no key refusals).
  uint64_t acl_denied_auth = 0;
  uint64_t acl_denied_cmd = 0;
  uint64_t acl_denied_key = 0;  // WATCH's keys: herald has no others
  uint64_t acl_denied_channel = 0;
  uint64_t published = 0;
  uint64_t sync_full = 0;               // full resyncs served to replicas
  uint64_t sync_partial_ok = 0;         // PSYNCs answered with +CONTINUE
  uint64_t sync_partial_err = 0;        // PSYNCs with an ID that ended in a full resync
  uint64_t tls_handshakes = 0;          // TLS handshakes completed
  uint64_t tls_handshake_errors = 0;    // failed: garbage, wrong certificate, peer gave up
  uint64_t tls_handshake_timeouts = 0;  // not done within tls-handshake-timeout
};

// A part of the node that main wires into the server (the RESP front end with replication, the
// browser gateway). The server knows nothing of what a part does: it only calls it at the moments
// of its own life that concern every part, in the order the parts were added.
class ServerPart {
 public:
  virtual ~ServerPart() = default;
  // Server::Listen opened the listeners (our port is known now).
  virtual void OnListening() {}
  // Once a second, from the server's cron, after the connections' own checks.
  virtual void OnCron() {}
  // Shutdown began: stop timers and reconnects. The server closes every connection afterwards.
  virtual void OnShutdown() {}
  // CONFIG SET changed the directive `name` (canonical name). Returns "" or the error reply
  // text (without '-'), which makes CONFIG SET fail and restore the old values.
  virtual std::string OnConfigChanged(std::string_view name) {
    (void)name;
    return {};
  }
};

// The event loop and everything that lives as long as the process: configuration, broker,
// listeners and the table of connected clients. Single-threaded; every method runs on the loop.
class Server {
 public:
  using ConnectionFactory = std::function<Connection*(Server*, uint64_t id)>;

  explicit Server(config::ConfigStore* config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens the listeners of the configuration (bind/port, unixsocket) for RESP clients, whose
  // connections `factory` creates. Returns false with `*error` set if none could be opened or a
  // mandatory address failed, as redis-server refuses to start then.
  bool Listen(ConnectionFactory factory, std::string* error);
  // Opens the HTTP gateway listeners (gateway-bind, gateway-port), whose connections `factory`
  // creates; call after Listen(). They skip the RESP-specific maxclients and protected-mode
  // replies (the gateway answers in HTTP) and stay open across CONFIG SET port/bind. Returns
  // false with `*error` set if no address could be opened or a mandatory one failed.
  bool ListenHttp(ConnectionFactory factory, std::string* error);
  // The TLS contexts (server/tls.h), built by Listen() when the configuration wants TLS;
  // nullptr otherwise. CONFIG SET of a tls-* directive builds them again.
  TlsContext* tls() { return tls_.get(); }
  // Runs the loop until Shutdown(). Returns the process exit code.
  int Run();
  // Stops accepting, closes every connection and makes Run() return.
  void Shutdown();

  // Registers a part (not owned; it must outlive the loop's run). Call before Listen().
  void AddPart(ServerPart* part) { parts_.push_back(part); }

  uv_loop_t* loop() { return &loop_; }
  broker::Broker& broker() { return broker_; }
  // The ACL users (built by the RESP front end from the configuration; browser tokens may name
  // them too).
  broker::AclStore& acl() { return acl_; }
  const config::Config& config() const { return config_->config(); }
  config::ConfigStore& config_store() { return *config_; }
  Stats& stats() { return stats_; }
  uint64_t now_ms() const { return uv_now(&loop_); }
  uint64_t start_ms() const { return start_ms_; }
  const std::string& run_id() const { return run_id_; }
  int tcp_port() const { return config().port; }

  // Every live connection by id (CLIENT LIST, CLIENT KILL, INFO clients).
  // Every client connection, in no particular order (CLIENT LIST, INFO, cron).
  const std::vector<Connection*>& connections() const { return connections_; }
  size_t connection_count() const { return connections_.size(); }
  // Of them, the gateway's, which have their own limit (gateway-maxclients): maxclients counts
  // the others (INFO's connected_clients still counts them all). Kept by the gateway.
  size_t gateway_connection_count() const { return gateway_connections_; }
  void set_gateway_connection_count(size_t count) { gateway_connections_ = count; }

  // Re-applies the settings CONFIG SET may change at run time (listeners, log level, ...).
  std::string ApplyConfig(const std::vector<std::string>& changed);

  // Connection plumbing (see Connection): the loop-wide buffer reads land in, and the list of
  // connections that need attention (flush or close) at the next loop turn.
  char* read_buffer() { return read_buffer_.get(); }
  static constexpr size_t kReadBufferSize = 64 * 1024;
  void NeedsAttention(Connection* connection);
  // A connection the server did not accept itself (the link to our master): NextConnectionId()
  // gives its id, AddConnection() enters it in the client table. The server then owns it like any
  // other connection.
  uint64_t NextConnectionId() { return next_id_++; }
  void AddConnection(Connection* connection);
  // A connection started closing: it leaves the client table at once.
  void Unregister(Connection* connection);
  // A connection's handle is closed: its memory may go (now, or after the attention pass).
  void Release(Connection* connection);

 public:
  struct Listener;

 private:
  static void OnPrepare(uv_prepare_t* handle);
  static void OnCron(uv_timer_t* handle);
  static void OnSignal(uv_signal_t* handle, int signum);
  static void OnConnection(uv_stream_t* listener, int status);
  void HandleConnection(Listener* listener);
  void ProcessAttention();
  void Cron();
  bool OpenListeners(std::string* error);
  // The tls-port listeners, on the same bind addresses as `port`.
  bool OpenTlsListeners(std::string* error);
  void CloseListeners(std::vector<std::unique_ptr<Listener>>* listeners);
  void CheckTlsHandshakes(uint64_t now);
  // Opens one TCP listener for a bind entry ("addr", "-addr" = optional, "*", "::*") on `port`.
  // Returns 0 with the listener in *out, or a UV_E* code; *address is the address tried and
  // *skippable says the failure only concerns an optional address this host lacks.
  int OpenTcpListener(const std::string& entry, int port, bool http, std::unique_ptr<Listener>* out,
                      std::string* address, bool* skippable);
  void CloseListeners();
  // One listener per gateway-bind address on `port` (gateway-port, or gateway-tls-port).
  bool OpenHttpListeners(int port, bool tls, std::string* error);

  uv_loop_t loop_;
  config::ConfigStore* config_;
  broker::Broker broker_;
  broker::AclStore acl_;
  Stats stats_;
  std::vector<ServerPart*> parts_;
  ConnectionFactory factory_;
  ConnectionFactory http_factory_;
  std::vector<std::unique_ptr<Listener>> http_listeners_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Listener>> tls_listeners_;
  std::unique_ptr<TlsContext> tls_;
  // Each connection knows its position (Connection::table_index_): removal is a swap with the
  // last, and the table costs 8 bytes per connection instead of a hash node and bucket.
  std::vector<Connection*> connections_;
  size_t gateway_connections_ = 0;
  std::vector<Connection*> attention_;
  std::vector<Connection*> attention_work_;
  std::unique_ptr<char[]> read_buffer_;
  uv_prepare_t prepare_;
  uv_timer_t cron_;
  uv_signal_t sigterm_;
  uv_signal_t sigint_;
  uint64_t next_id_ = 1;
  uint64_t start_ms_ = 0;
  std::string run_id_;
  bool shutting_down_ = false;
};

}  // namespace herald::server
