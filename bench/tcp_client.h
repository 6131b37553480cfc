#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/tls_client.h"

namespace herald::bench {

class TcpClient;

// Per-loop state shared by every client on that loop. One per thread if the tool ever runs
// several loops; nothing in it is synchronised.
//
// - One read buffer for all sockets: libuv calls alloc_cb and read_cb back to back for one
//   socket, so the buffer is free again when read_cb returns, and 10,000 subscribers cost one
//   buffer instead of 10,000. Bytes of an incomplete reply are moved to the client's own carry
//   buffer.
// - Output is flushed once per loop turn, from a uv_prepare_t (before the loop blocks), for every
//   client that queued something, so replies handled in one turn leave in one write.
class LoopContext {
 public:
  explicit LoopContext(uv_loop_t* loop);
  ~LoopContext();
  LoopContext(const LoopContext&) = delete;
  LoopContext& operator=(const LoopContext&) = delete;

  uv_loop_t* loop() const { return loop_; }
  // Stops the flush hook so that the loop can end; call once all clients are closing.
  void Shutdown();

 private:
  friend class TcpClient;
  static void OnPrepare(uv_prepare_t* handle);
  void FlushDirty();

  uv_loop_t* loop_;
  uv_prepare_t prepare_;
  bool prepare_open_ = true;
  std::vector<char> read_buffer_;
  std::vector<char> plain_buffer_;  // TLS: decrypted bytes, shared the same way
  std::vector<TcpClient*> dirty_;
  std::vector<TcpClient*> flushing_;
};

// A TCP connection with batched output. Subclasses speak a protocol by implementing OnData().
//
// Lifetime: the object owns its uv_tcp_t and must outlive the handle's close callback; the owner
// calls Close() and destroys the object only once closed() is true (after the loop ran).
// Output: Queue()/QueueSpace() append to a buffer that is written at the next loop turn, first
// with uv_try_write, the rest with one uv_write in flight (which pins its own buffer until
// write_cb; new output meanwhile goes to the other buffer). No allocation once both buffers have
// reached their working size.
// TLS (UseTls): the handshake runs first and OnConnected() follows it; queued plaintext is
// encrypted at flush time into `wire_`, whose ciphertext then takes the path above, and what
// is read is decrypted into the loop's shared plaintext buffer before OnData() sees it.
class TcpClient {
 public:
  explicit TcpClient(LoopContext* ctx);
  virtual ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  // Makes the connection TLS; call before Connect(). `context` must outlive the client.
  void UseTls(const TlsClientContext* context);
  // Starts connecting to `addr` (copied). OnConnected() or OnFailure() follows.
  void Connect(const sockaddr* addr);

  // Appends bytes to the output and schedules a flush at the next loop turn.
  void Queue(std::string_view bytes);
  // Appends `n` uninitialised bytes and returns where they start; the caller fills them before
  // returning to the loop. The pointer is invalidated by the next Queue/QueueSpace.
  char* QueueSpace(size_t n);
  // Writes what is queued now instead of at the next loop turn (paced publishers, where the
  // send time matters).
  void FlushNow();

  // Stops reading and closes the socket; idempotent. Queued output is dropped.
  void Close();

  bool connected() const { return connected_; }
  bool closing() const { return closing_; }
  bool closed() const { return closed_; }
  // Bytes queued or in flight, i.e. not yet accepted by the kernel.
  size_t pending_output() const { return out_.size() + wire_.size() + inflight_.size(); }
  // TLS: the protocol and cipher once the handshake is done ("" otherwise, or without TLS).
  std::string tls_description() const { return tls_ ? tls_->description() : ""; }

 protected:
  // The connection is established and reading has started.
  virtual void OnConnected() = 0;
  // Bytes arrived, read at `now_ns` (uv_hrtime, taken once per read). Returns how many bytes
  // were used; the rest is offered again with the next read appended. May call Close().
  virtual size_t OnData(const char* data, size_t len, uint64_t now_ns) = 0;
  // Connect, read or write failed, or the peer closed the connection (status UV_EOF), while the
  // client was not closing; status 0 when `what` says it all (a TLS failure). The client closes
  // itself right after this returns.
  virtual void OnFailure(std::string_view what, int status) = 0;

 private:
  static void OnConnect(uv_connect_t* req, int status);
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWriteDone(uv_write_t* req, int status);
  static void OnClose(uv_handle_t* handle);

  friend class LoopContext;
  void HandleRead(ssize_t nread, const char* data);
  void Deliver(const char* data, size_t len, uint64_t now);
  void HandleTlsRead(const char* data, size_t len, uint64_t now);
  void Ready();
  void Flush();
  void MarkDirty();
  void Fail(std::string_view what, int status);

  LoopContext* ctx_;
  uv_tcp_t tcp_;
  uv_connect_t connect_req_;
  uv_write_t write_req_;
  std::string out_;   // queued, not yet handed to the kernel (TLS: not yet encrypted)
  std::string wire_;  // TLS: ciphertext not yet handed to the kernel
  std::unique_ptr<TlsStream> tls_;
  std::string inflight_;  // pinned by write_req_ while writing_
  std::string carry_;     // the incomplete tail of earlier reads
  bool handle_open_ = false;
  bool connected_ = false;
  bool writing_ = false;
  bool dirty_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

}  // namespace herald::bench
