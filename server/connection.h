#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "protocol/shared_bytes.h"
#include "server/out_queue.h"
#include "server/tls.h"

namespace herald::server {

class Server;

// A client socket (TCP or Unix) with its input buffer and output queue. Subclasses speak a
// protocol by implementing ProcessInput(); they only queue output, and the server flushes every
// connection with pending output once per loop turn (Server::OnPrepare).
//
// Lifetime: a Connection owns its libuv handle and is deleted only after the handle's close
// callback, by the server (never `delete this` from a call chain that may touch it again).
// Closing is a state: Close() stops reading and unsubscribes at once; memory goes later.
class Connection {
 public:
  Connection(Server* server, uint64_t id);
  virtual ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Accepts a pending connection from `listener` and starts reading. Returns a UV_E* code on
  // failure, after which the caller deletes the object (no handle was initialised... see .cc).
  int Accept(uv_stream_t* listener, bool is_unix);

  // Starts an outgoing TCP connection to `address` (an IPv4 or IPv6 sockaddr, copied). Returns a
  // UV_E* code if it could not even start; the caller then Close()s the connection. Otherwise
  // OnConnected() runs once the connection is up (reading has started by then); a connection
  // that fails later is logged and Close()d, which calls OnClosing() as usual. Output queued
  // before the connection is up is written once it is.
  int Connect(const sockaddr* address);
  // Makes the connection speak TLS: call right after a successful Accept() (role kAccept), or
  // before Connect() (kConnect). Plaintext output waits until the handshake is complete; a
  // handshake that fails or takes longer than tls-handshake-timeout closes the connection.
  // False if OpenSSL could not create the session (the caller closes the connection).
  bool StartTls(SSL_CTX* context, TlsSession::Role role, ClientCertificates certificates);
  bool is_tls() const { return tls_ != nullptr; }
  const TlsSession* tls() const { return tls_.get(); }
  // True between a successful Connect() call and its completion.
  bool connecting() const { return connecting_; }

  // Runs ProcessInput() again over the input kept from earlier reads, at the next loop turn:
  // for a connection that stopped consuming input for a while (a client blocked in WAIT).
  void ResumeInput();

  // Queues bytes (copied) or a shared frame (referenced) and schedules a flush.
  void Queue(std::string_view bytes);
  void QueueShared(const protocol::SharedBytes& frame);
  void QueueShared(const protocol::SharedBytes& block, uint32_t offset, uint32_t length);

  // Writes as much queued output as the socket takes now; the rest goes out through one
  // uv_write in flight. Called by the server once per loop turn for every dirty connection.
  void Flush();
  // Sends a FIN once everything queued is written (it must be: call after Flush()) and keeps
  // the connection open for reading, so that a peer still sending gets no RST. False when
  // output is still queued or the socket refuses; the caller then closes as usual.
  bool ShutdownWrite();

  // Stops processing input; closes once everything queued is written (QUIT, protocol errors).
  void CloseAfterReply();
  // Closes at the next loop turn, dropping queued output (output limits, CLIENT KILL). Safe to
  // call from inside a delivery.
  void CloseAsap(std::string_view reason);
  // Closes now: stops reading, calls OnClosing(), starts uv_close. Idempotent.
  void Close();

  Server& server() { return *server_; }
  uint64_t id() const { return id_; }
  bool closing() const { return closing_; }
  bool close_after_reply() const { return close_after_reply_; }
  const std::string& peer() const { return peer_; }  // "ip:port" or "/path:0"
  // Our end of it, read from the socket when asked (CLIENT LIST laddr): "" once closed.
  std::string local() const;
  bool is_unix() const { return is_unix_; }
  bool peer_is_loopback() const { return peer_is_loopback_; }
  int fd() const;
  uint64_t created_ms() const { return created_ms_; }
  uint64_t last_interaction_ms() const { return last_interaction_ms_; }
  size_t input_buffered() const { return in_len_; }
  size_t input_capacity() const { return in_cap_; }
  const OutQueue& output() const { return out_; }

  // The output-limit class this connection belongs to now.
  virtual config::ClientClass output_class() const { return config::ClientClass::kNormal; }
  // Which front end it belongs to (metrics): RESP connections, or the HTTP gateway's.
  virtual bool is_gateway() const { return false; }
  // Whether the `timeout` directive may close this connection when idle. Like Redis: only
  // normal clients, never subscribers, replicas or the link to our master.
  virtual bool idle_timeout_applies() const {
    return output_class() == config::ClientClass::kNormal;
  }
  // Checks the output limits of output_class(); schedules a close if one is exceeded. Called on
  // every append and once per second by the server's cron (so the soft limit fires without
  // traffic).
  void CheckOutputLimits();
  // Redis's clientsCronResizeQueryBuffer, called once per second by the server's cron: an input
  // buffer grown for a big request but holding little, with no read for kResizeIdleMs, shrinks
  // to what it holds (freed if empty). The output queue needs no such pass: it returns its
  // memory as soon as it is written out.
  void ShrinkInputIfIdle(uint64_t now_ms);
  // Input buffers up to this size are kept as they are.
  static constexpr size_t kKeptInputBytes = 64 * 1024;
  static constexpr uint64_t kResizeIdleMs = 2000;

 protected:
  // Consumes complete requests from `data` and returns how many bytes were used; the rest is
  // kept and offered again, with more bytes appended, after the next read.
  virtual size_t ProcessInput(std::string_view data) = 0;
  // Called once when the connection starts closing (unsubscribe, deregister).
  virtual void OnClosing() {}
  // Called once when a Connect() completes successfully.
  virtual void OnConnected() {}
  // Called once when the server accepted this connection from one of its listeners, reading
  // started: the protocol may refuse it here (queue a reply, CloseAfterReply()).
  virtual void OnAccepted() {}

  Server* server_;

 private:
  friend class Server;
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWriteDone(uv_write_t* req, int status);
  static void OnClose(uv_handle_t* handle);
  static void OnConnect(uv_connect_t* req, int status);
  void HandleConnect(int status);
  void ReadTcpAddresses();
  void ProcessPendingInput();
  void HandleRead(ssize_t nread, const uv_buf_t* buf);
  // Hands `n` bytes of plaintext at `base` (the server's read buffer, or in_ + in_len_) to
  // ProcessInput and keeps what it leaves. False if the connection closed.
  bool ConsumeInput(char* base, size_t n);
  void HandleTlsRead(const char* data, size_t n);
  void FlushTls();
  // Moves queued plaintext into TLS records while little ciphertext waits: the output limits
  // keep seeing the plaintext queue. False (after closing) on an encryption error.
  bool EncryptQueued();
  void TlsFailed(std::string_view what);
  void HandleWriteDone(int status);
  void MarkDirty();
  void EnsureInputRoom(size_t room);
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle_); }

  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } handle_;
  // Allocated when first needed: most connections never have a write pending in libuv (the
  // kernel takes everything at once) and only our link to a master connects out.
  std::unique_ptr<uv_write_t> write_req_;
  std::unique_ptr<uv_connect_t> connect_req_;
  uint64_t id_;
  static constexpr uint32_t kNotInTable = UINT32_MAX;
  uint32_t table_index_ = kNotInTable;  // position in Server::connections_
  std::string peer_;
  bool is_unix_ = false;
  bool peer_is_loopback_ = false;
  bool handle_open_ = false;
  bool closing_ = false;
  bool close_after_reply_ = false;
  bool close_asap_ = false;
  bool dirty_ = false;  // in the server's attention list
  bool handle_closed_ = false;
  bool connecting_ = false;
  bool resume_input_ = false;   // ResumeInput() asked for, done by the server's attention pass
  size_t write_in_flight_ = 0;  // bytes of the uv_write in flight, 0 if none
  uint64_t created_ms_ = 0;
  uint64_t last_interaction_ms_ = 0;
  uint64_t soft_limit_since_ms_ = 0;

  // Input that arrived but was not consumed yet. Empty most of the time: reads land in the
  // server's shared read buffer and only an incomplete request is copied here.
  char* in_ = nullptr;
  size_t in_len_ = 0;
  size_t in_cap_ = 0;

  OutQueue out_;

  // TLS connections only: the session, and ciphertext taken from it for the socket, of which
  // tls_out_pos_ bytes are written (the rest may be in an uv_write: it is not touched then).
  std::unique_ptr<TlsSession> tls_;
  std::string tls_out_;
  size_t tls_out_pos_ = 0;
  bool tls_shutdown_sent_ = false;
};

}  // namespace herald::server
