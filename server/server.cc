#include "server/server.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <random>

#include "server/connection.h"
#include "server/logging.h"
#include "server/open_files.h"

namespace herald::server {

using config::Config;
using config::ConfigStore;
using config::LogLevel;

// A listening socket: TCP on one address, or the Unix socket.
struct Server::Listener {
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } handle;
  Server* server = nullptr;
  bool is_unix = false;
  bool http = false;  // a gateway listener (Server::ListenHttp)
  bool tls = false;   // its connections speak TLS (tls-port, gateway-tls-port)
  std::string name;
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle); }
};

namespace {

std::string RandomHex(size_t n) {
  std::random_device device;
  std::mt19937_64 rng((static_cast<uint64_t>(device()) << 32) ^ device());
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n, '0');
  for (char& c : out) c = kDigits[rng() & 15];
  return out;
}

void CloseAndDelete(uv_handle_t* handle) {
  // Listener handles are the first member of their Listener; it is freed when closed.
  delete static_cast<Server::Listener*>(handle->data);
}

}  // namespace

Server::Server(ConfigStore* config) : config_(config), read_buffer_(new char[kReadBufferSize]) {
  uv_loop_init(&loop_);
  start_ms_ = uv_now(&loop_);
  run_id_ = RandomHex(40);
  uv_prepare_init(&loop_, &prepare_);
  prepare_.data = this;
  uv_timer_init(&loop_, &cron_);
  cron_.data = this;
  uv_signal_init(&loop_, &sigterm_);
  sigterm_.data = this;
  uv_signal_init(&loop_, &sigint_);
  sigint_.data = this;
}

Server::~Server() { uv_loop_close(&loop_); }

bool Server::Listen(ConnectionFactory factory, std::string* error) {
  factory_ = std::move(factory);
  if (TlsContext::Wanted(config())) {
    std::string reason;
    tls_ = TlsContext::Create(config(), &reason);
    if (tls_ == nullptr) {
      Log(LogLevel::kWarning, "{}", reason);
      *error = "Failed to configure TLS. Check logs for more info.";
      return false;
    }
  }
  if (!OpenListeners(error)) return false;
  uv_prepare_start(&prepare_, OnPrepare);
  uv_timer_start(&cron_, OnCron, 1000, 1000);
  uv_signal_start(&sigterm_, OnSignal, SIGTERM);
  uv_signal_start(&sigint_, OnSignal, SIGINT);
  // Our port is known now: it is what a replica announces to its master.
  for (ServerPart* part : parts_) part->OnListening();
  return true;
}

int Server::OpenTcpListener(const std::string& entry, int port, bool http,
                            std::unique_ptr<Listener>* out, std::string* address, bool* skippable) {
  bool optional = !entry.empty() && entry[0] == '-';
  *address = optional ? entry.substr(1) : entry;
  bool v6 = address->find(':') != std::string::npos;
  if (*address == "*") *address = "0.0.0.0";
  if (*address == "::*") *address = "::";
  sockaddr_storage addr;
  int rc = v6 ? uv_ip6_addr(address->c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr))
              : uv_ip4_addr(address->c_str(), port, reinterpret_cast<sockaddr_in*>(&addr));
  auto listener = std::make_unique<Listener>();
  listener->server = this;
  listener->http = http;
  listener->name = *address + ":" + std::to_string(port);
  if (rc == 0) {
    uv_tcp_init(&loop_, &listener->handle.tcp);
    listener->handle.tcp.data = listener.get();
    rc = uv_tcp_bind(&listener->handle.tcp, reinterpret_cast<sockaddr*>(&addr),
                     v6 ? UV_TCP_IPV6ONLY : 0);
    if (rc == 0) rc = uv_listen(listener->stream(), config().tcp_backlog, OnConnection);
    if (rc != 0) {
      // The handle was initialised: it is freed by its close callback, not here.
      uv_close(reinterpret_cast<uv_handle_t*>(&listener->handle), CloseAndDelete);
      listener.release();
    }
  }
  // A '-' address that this host does not have is skipped, as Redis does.
  *skippable = rc != 0 && optional && (rc == UV_EADDRNOTAVAIL || rc == UV_EAFNOSUPPORT);
  if (rc == 0) *out = std::move(listener);
  return rc;
}

bool Server::OpenListeners(std::string* error) {
  const Config& cfg = config();
  if (cfg.port != 0) {
    for (const std::string& entry : cfg.bind) {
      std::unique_ptr<Listener> listener;
      std::string address;
      bool skippable = false;
      int rc = OpenTcpListener(entry, cfg.port, /*http=*/false, &listener, &address, &skippable);
      if (rc != 0) {
        if (skippable) {
          Log(LogLevel::kNotice, "Skipping optional bind address {}: {}", address, uv_strerror(rc));
          continue;
        }
        Log(LogLevel::kWarning, "Warning: Could not create server TCP listening socket {}:{}: {}",
            address, cfg.port, uv_strerror(rc));
        *error = fmt::format("Failed listening on port {} (tcp), aborting.", cfg.port);
        return false;
      }
      listeners_.push_back(std::move(listener));
    }
  }
  if (!cfg.unixsocket.empty()) {
    auto listener = std::make_unique<Listener>();
    listener->server = this;
    listener->is_unix = true;
    listener->name = cfg.unixsocket;
    uv_pipe_init(&loop_, &listener->handle.pipe, 0);
    listener->handle.pipe.data = listener.get();
    unlink(cfg.unixsocket.c_str());  // a stale socket file from an earlier run
    int rc = uv_pipe_bind(&listener->handle.pipe, cfg.unixsocket.c_str());
    if (rc == 0 && cfg.unixsocketperm != 0) {
      chmod(cfg.unixsocket.c_str(), static_cast<mode_t>(cfg.unixsocketperm));
    }
    if (rc == 0) rc = uv_listen(listener->stream(), cfg.tcp_backlog, OnConnection);
    if (rc != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&listener->handle), CloseAndDelete);
      listener.release();
      *error = fmt::format("Failed opening Unix socket {}: {}", cfg.unixsocket, uv_strerror(rc));
      return false;
    }
    listeners_.push_back(std::move(listener));
  }
  if (!OpenTlsListeners(error)) return false;
  if (listeners_.empty() && tls_listeners_.empty()) {
    *error = "Configured to not listen anywhere, exiting.";
    return false;
  }
  return true;
}

bool Server::OpenTlsListeners(std::string* error) {
  const Config& cfg = config();
  if (cfg.tls_port == 0) return true;
  for (const std::string& entry : cfg.bind) {
    std::unique_ptr<Listener> listener;
    std::string address;
    bool skippable = false;
    int rc = OpenTcpListener(entry, cfg.tls_port, /*http=*/false, &listener, &address, &skippable);
    if (rc != 0) {
      if (skippable) continue;
      Log(LogLevel::kWarning, "Warning: Could not create server TCP listening socket {}:{}: {}",
          address, cfg.tls_port, uv_strerror(rc));
      *error = fmt::format("Failed listening on port {} (tls), aborting.", cfg.tls_port);
      return false;
    }
    listener->tls = true;
    tls_listeners_.push_back(std::move(listener));
  }
  return true;
}

bool Server::ListenHttp(ConnectionFactory factory, std::string* error) {
  http_factory_ = std::move(factory);
  const Config& cfg = config();
  if (cfg.gateway_port != 0 && !OpenHttpListeners(cfg.gateway_port, false, error)) return false;
  if (cfg.gateway_tls_port != 0 && !OpenHttpListeners(cfg.gateway_tls_port, true, error)) {
    return false;
  }
  if (http_listeners_.empty()) {
    *error = "HTTP gateway: no gateway-bind address could be opened";
    return false;
  }
  return true;
}

bool Server::OpenHttpListeners(int port, bool tls, std::string* error) {
  for (const std::string& entry : config().gateway_bind) {
    std::unique_ptr<Listener> listener;
    std::string address;
    bool skippable = false;
    int rc = OpenTcpListener(entry, port, /*http=*/true, &listener, &address, &skippable);
    if (rc != 0) {
      if (skippable) continue;
      *error = fmt::format("Could not listen for HTTP{} on {}:{}: {}", tls ? "S" : "", address,
                           port, uv_strerror(rc));
      return false;
    }
    listener->tls = tls;
    Log(LogLevel::kNotice, "HTTP gateway listening on {}{}", listener->name,
        tls ? " (https, wss)" : "");
    http_listeners_.push_back(std::move(listener));
  }
  return true;
}

void Server::CloseListeners() {
  CloseListeners(&listeners_);
  CloseListeners(&tls_listeners_);
}

void Server::CloseListeners(std::vector<std::unique_ptr<Listener>>* listeners) {
  for (auto& listener : *listeners) {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener->handle), CloseAndDelete);
    if (listener->is_unix) unlink(listener->name.c_str());
    listener.release();
  }
  listeners->clear();
}

int Server::Run() {
  uv_run(&loop_, UV_RUN_DEFAULT);
  return 0;
}

void Server::Shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  Log(LogLevel::kWarning, "User requested shutdown...");
  // First, so that closing the link to our master below does not schedule a reconnect.
  for (ServerPart* part : parts_) part->OnShutdown();
  CloseListeners();
  for (auto& listener : http_listeners_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener->handle), CloseAndDelete);
    listener.release();
  }
  http_listeners_.clear();
  std::vector<Connection*> all = connections_;
  for (Connection* connection : all) connection->Close();
  uv_prepare_stop(&prepare_);
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&cron_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
  // Connections closed above may still sit in the attention list; free them here since the
  // prepare handle will not run again.
  for (Connection* connection : attention_) connection->dirty_ = false;
  attention_.clear();
  if (!config().pidfile.empty()) unlink(config().pidfile.c_str());
  Log(LogLevel::kWarning, "Herald is now ready to exit, bye bye...");
}

void Server::OnConnection(uv_stream_t* listener, int status) {
  auto* self = static_cast<Listener*>(listener->data);
  if (status < 0) {
    Log(LogLevel::kWarning, "Accepting client connection: {}", uv_strerror(status));
    return;
  }
  self->server->HandleConnection(self);
}

void Server::HandleConnection(Listener* listener) {
  uint64_t id = next_id_++;
  Connection* connection = listener->http ? http_factory_(this, id) : factory_(this, id);
  AddConnection(connection);
  int rc = connection->Accept(listener->stream(), listener->is_unix);
  if (rc != 0) {
    Log(LogLevel::kWarning, "Accepting client connection: {}", uv_strerror(rc));
    connection->Close();
    return;
  }
  if (listener->tls) {
    const std::string& certificates =
        listener->http ? config().gateway_tls_auth_clients : config().tls_auth_clients;
    if (!connection->StartTls(tls_->acceptor(), TlsSession::Role::kAccept,
                              ParseClientCertificates(certificates))) {
      connection->Close();
      return;
    }
  }
  ++stats_.connections_received;
  // Admission rules (maxclients, protected mode) are the protocol's: it answers in its own terms.
  connection->OnAccepted();
}

void Server::NeedsAttention(Connection* connection) { attention_.push_back(connection); }

void Server::AddConnection(Connection* connection) {
  if (connection->table_index_ != Connection::kNotInTable) return;
  connection->table_index_ = static_cast<uint32_t>(connections_.size());
  connections_.push_back(connection);
}

void Server::Unregister(Connection* connection) {
  uint32_t index = connection->table_index_;
  if (index == Connection::kNotInTable) return;
  Connection* last = connections_.back();
  connections_[index] = last;
  last->table_index_ = index;
  connections_.pop_back();
  connection->table_index_ = Connection::kNotInTable;
}

void Server::Release(Connection* connection) {
  if (!connection->dirty_) delete connection;
}

void Server::OnPrepare(uv_prepare_t* handle) {
  static_cast<Server*>(handle->data)->ProcessAttention();
}

void Server::ProcessAttention() {
  // Flushing happens once per loop turn, just before the loop waits for I/O (Redis's
  // beforeSleep): everything the turn's commands and deliveries queued leaves in one writev
  // per connection.
  while (!attention_.empty()) {
    attention_work_.swap(attention_);
    for (Connection* connection : attention_work_) {
      connection->dirty_ = false;
      if (connection->handle_closed_) {
        delete connection;
      } else if (connection->close_asap_) {
        connection->Close();
      } else {
        if (connection->resume_input_) {
          connection->resume_input_ = false;
          connection->ProcessPendingInput();
        }
        connection->Flush();
      }
    }
    attention_work_.clear();
  }
}

void Server::OnCron(uv_timer_t* handle) { static_cast<Server*>(handle->data)->Cron(); }

void Server::Cron() {
  const Config& cfg = config();
  uint64_t now = now_ms();
  std::vector<Connection*> idle;
  for (Connection* connection : connections_) {
    if (!connection->output().empty()) connection->CheckOutputLimits();
    connection->ShrinkInputIfIdle(now);
    // Like Redis, pub/sub subscribers are never closed for being idle.
    if (cfg.timeout > 0 && connection->idle_timeout_applies() &&
        now - connection->last_interaction_ms() > static_cast<uint64_t>(cfg.timeout) * 1000) {
      idle.push_back(connection);
    }
  }
  for (Connection* connection : idle) {
    Log(LogLevel::kVerbose, "Closing idle client");
    connection->Close();
  }
  if (tls_ != nullptr) CheckTlsHandshakes(now);
  for (ServerPart* part : parts_) part->OnCron();
}

// A TLS client that connects and then sends nothing (or too little) would hold a connection
// slot for ever: the handshake has tls-handshake-timeout seconds.
void Server::CheckTlsHandshakes(uint64_t now) {
  uint64_t limit = static_cast<uint64_t>(config().tls_handshake_timeout) * 1000;
  std::vector<Connection*> stalled;
  for (Connection* connection : connections_) {
    if (connection->is_tls() && !connection->tls()->established() &&
        now - connection->created_ms() > limit) {
      stalled.push_back(connection);
    }
  }
  for (Connection* connection : stalled) {
    ++stats_.tls_handshake_timeouts;
    Log(LogLevel::kVerbose, "TLS handshake with {} timed out", connection->peer());
    connection->Close();
  }
}

void Server::OnSignal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Server*>(handle->data);
  Log(LogLevel::kWarning, "Received {} scheduling shutdown...",
      signum == SIGINT ? "SIGINT" : "SIGTERM");
  self->Shutdown();
}

std::string Server::ApplyConfig(const std::vector<std::string>& changed) {
  for (const std::string& name : changed) {
    if (name == "loglevel") SetLogLevel(config().loglevel);
    // Users created or reset from now on start with the new channel rule; existing ones keep
    // theirs, as in Redis.
    if (name == "acl-pubsub-default") {
      acl().set_allchannels_default(config().acl_pubsub_default == "allchannels");
    }
    if (name == "maxclients") {
      // Redis's updateMaxclients: more clients than the open-file limit can be raised to hold
      // are refused, naming the number that would fit.
      OpenFilesOutcome outcome = AdjustOpenFilesLimit(config().maxclients);
      if (outcome.maxclients != config().maxclients || !outcome.fatal.empty()) {
        Log(LogLevel::kWarning,
            "Failed applying new configuration. Possibly related to new maxclients setting. "
            "Restoring previous settings.");
        return fmt::format(
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating "
            "system is not able to handle the specified number of clients, try with {}",
            static_cast<int32_t>(static_cast<uint32_t>(outcome.maxclients)));
      }
    }
    for (ServerPart* part : parts_) {
      std::string error = part->OnConfigChanged(name);
      if (!error.empty()) return error;
    }
    if (name.starts_with("tls-") && name != "tls-handshake-timeout") {
      // Redis's tlsConfigure on CONFIG SET: new connections use the new settings; a failure
      // keeps the old ones.
      if (TlsContext::Wanted(config())) {
        std::string reason;
        std::unique_ptr<TlsContext> context = TlsContext::Create(config(), &reason);
        if (context == nullptr) {
          Log(LogLevel::kWarning, "{}", reason);
          return fmt::format(
              "ERR CONFIG SET failed (possibly related to argument '{}') - Unable to update TLS "
              "configuration. Check server logs.",
              name);
        }
        tls_ = std::move(context);
      }
      if (name == "tls-port") {
        CloseListeners(&tls_listeners_);
        std::string error;
        if (!OpenTlsListeners(&error)) return "ERR " + error;
      }
    }
    if (name == "port" || name == "bind") {
      CloseListeners();
      std::string error;
      if (!OpenListeners(&error)) return "ERR " + error;
    }
  }
  return "";
}

}  // namespace herald::server
