#include "server/connection.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "server/logging.h"
#include "server/server.h"

namespace herald::server {

using config::LogLevel;
using config::OutputLimit;
namespace {

// At most this many pieces go into one writev; the rest waits for the next write.
constexpr size_t kMaxIovecs = 512;
// uv_buf_t is documented to be ABI compatible with struct iovec on Unix; the output queue
// gathers iovecs and hands them to libuv as they are.
static_assert(sizeof(uv_buf_t) == sizeof(iovec));

// Formats a socket address as Redis does in CLIENT LIST: "1.2.3.4:5" or "::1:5".
std::string AddressString(const sockaddr_storage& addr, bool* loopback) {
  char ip[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  *loopback = false;
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    uv_ip4_name(in, ip, sizeof(ip));
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    uv_ip6_name(in6, ip, sizeof(ip));
    port = ntohs(in6->sin6_port);
  }
  // Redis 7.0 treats exactly these two addresses as local for protected mode.
  *loopback = std::strcmp(ip, "127.0.0.1") == 0 || std::strcmp(ip, "::1") == 0;
  return std::string(ip) + ":" + std::to_string(port);
}

}  // namespace

Connection::Connection(Server* server, uint64_t id) : server_(server), id_(id) {
  created_ms_ = server->now_ms();
  last_interaction_ms_ = created_ms_;
}

Connection::~Connection() { std::free(in_); }

int Connection::Accept(uv_stream_t* listener, bool is_unix) {
  is_unix_ = is_unix;
  int rc = is_unix ? uv_pipe_init(server_->loop(), &handle_.pipe, 0)
                   : uv_tcp_init(server_->loop(), &handle_.tcp);
  if (rc != 0) return rc;
  handle_open_ = true;
  handle_.tcp.data = this;
  rc = uv_accept(listener, stream());
  if (rc != 0) return rc;
  if (is_unix) {
    char path[256];
    size_t len = sizeof(path);
    if (uv_pipe_getsockname(&handle_.pipe, path, &len) == 0) peer_.assign(path, len);
    peer_ += ":0";  // as Redis shows unix socket clients: the socket path, on both ends
    peer_is_loopback_ = true;
  } else {
    ReadTcpAddresses();
  }
  return uv_read_start(stream(), OnAlloc, OnRead);
}

std::string Connection::local() const {
  if (is_unix_) return peer_;
  if (!handle_open_ || closing_) return {};
  sockaddr_storage addr;
  int len = sizeof(addr);
  bool ignored = false;
  if (uv_tcp_getsockname(&handle_.tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {};
  return AddressString(addr, &ignored);
}

// The peer's address for CLIENT LIST and logs, and the socket options every TCP connection gets.
void Connection::ReadTcpAddresses() {
  sockaddr_storage addr;
  int len = sizeof(addr);
  if (uv_tcp_getpeername(&handle_.tcp, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    peer_ = AddressString(addr, &peer_is_loopback_);
  }
  uv_tcp_nodelay(&handle_.tcp, 1);
  int keepalive = server_->config().tcp_keepalive;
  if (keepalive > 0) uv_tcp_keepalive(&handle_.tcp, 1, static_cast<unsigned>(keepalive));
}

int Connection::Connect(const sockaddr* address) {
  is_unix_ = false;
  // Known before the connection is up, for the log lines of a failed attempt.
  sockaddr_storage copy{};
  std::memcpy(&copy, address,
              address->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  peer_ = AddressString(copy, &peer_is_loopback_);
  int rc = uv_tcp_init(server_->loop(), &handle_.tcp);
  if (rc != 0) return rc;
  handle_open_ = true;
  handle_.tcp.data = this;
  if (connect_req_ == nullptr) connect_req_ = std::make_unique<uv_connect_t>();
  connect_req_->data = this;
  rc = uv_tcp_connect(connect_req_.get(), &handle_.tcp, address, OnConnect);
  if (rc != 0) return rc;
  connecting_ = true;
  return 0;
}

void Connection::OnConnect(uv_connect_t* req, int status) {
  static_cast<Connection*>(req->data)->HandleConnect(status);
}

// A Close() during the attempt makes libuv call this with UV_ECANCELED before the close
// callback, so the object is still alive here in every case.
void Connection::HandleConnect(int status) {
  connecting_ = false;
  if (closing_) return;
  if (status < 0) {
    Log(LogLevel::kWarning, "Error condition on socket connecting to {}: {}", peer_,
        uv_strerror(status));
    Close();
    return;
  }
  ReadTcpAddresses();
  last_interaction_ms_ = server_->now_ms();
  int rc = uv_read_start(stream(), OnAlloc, OnRead);
  if (rc != 0) {
    Log(LogLevel::kWarning, "Reading from {}: {}", peer_, uv_strerror(rc));
    Close();
    return;
  }
  if (tls_ != nullptr) {
    // The ClientHello; the rest of the handshake runs in HandleTlsRead.
    if (tls_->Handshake() == TlsSession::Status::kError) {
      ++server_->stats().tls_handshake_errors;
      TlsFailed("TLS handshake failed with");
      return;
    }
    MarkDirty();
  }
  OnConnected();
  // Output queued while connecting waited for the socket.
  if (!closing_ && !out_.empty()) MarkDirty();
}

void Connection::ResumeInput() {
  if (closing_ || resume_input_) return;
  resume_input_ = true;
  if (!dirty_) {
    dirty_ = true;
    server_->NeedsAttention(this);
  }
}

void Connection::ProcessPendingInput() {
  if (closing_ || close_after_reply_ || in_len_ == 0) return;
  size_t used = ProcessInput(std::string_view(in_, in_len_));
  if (closing_ || close_after_reply_) {
    in_len_ = 0;
    return;
  }
  if (used > 0) {
    std::memmove(in_, in_ + used, in_len_ - used);
    in_len_ -= used;
  }
}

int Connection::fd() const {
  uv_os_fd_t fd = -1;
  if (handle_open_ && !handle_closed_) {
    uv_fileno(reinterpret_cast<const uv_handle_t*>(&handle_), &fd);
  }
  return fd;
}

void Connection::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(handle->data);
  // TLS ciphertext is copied into the session at once: it never needs a buffer of its own.
  if (self->in_len_ == 0 || self->tls_ != nullptr) {
    // Nothing pending: read into the loop-wide buffer, so idle connections own no input memory.
    *buf = uv_buf_init(self->server_->read_buffer(), Server::kReadBufferSize);
    return;
  }
  self->EnsureInputRoom(16 * 1024);
  *buf =
      uv_buf_init(self->in_ + self->in_len_, static_cast<unsigned>(self->in_cap_ - self->in_len_));
}

void Connection::EnsureInputRoom(size_t room) {
  if (in_cap_ - in_len_ >= room) return;
  size_t cap = std::max(in_cap_ * 2, in_len_ + room);
  char* grown = static_cast<char*>(std::realloc(in_, cap));
  if (grown == nullptr) std::abort();
  in_ = grown;
  in_cap_ = cap;
}

void Connection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  static_cast<Connection*>(stream->data)->HandleRead(nread, buf);
}

void Connection::HandleRead(ssize_t nread, const uv_buf_t* buf) {
  if (nread < 0) {
    if (nread != UV_EOF) Log(LogLevel::kVerbose, "Reading from client: {}", uv_strerror(nread));
    if (tls_ != nullptr && !tls_->established()) {
      // The peer gave up (or probed the port) before the handshake was done.
      ++server_->stats().tls_handshake_errors;
      Log(LogLevel::kVerbose, "TLS handshake with {} failed: connection closed by peer", peer_);
    }
    Close();
    return;
  }
  if (nread == 0 || closing_) return;
  server_->stats().net_input_bytes += static_cast<uint64_t>(nread);
  last_interaction_ms_ = server_->now_ms();
  size_t n = static_cast<size_t>(nread);
  if (tls_ != nullptr) {
    HandleTlsRead(buf->base, n);
    return;
  }
  if (close_after_reply_) return;  // input after QUIT or a protocol error is ignored
  ConsumeInput(buf->base, n);
}

bool Connection::ConsumeInput(char* base, size_t n) {
  if (base == server_->read_buffer()) {
    size_t used = ProcessInput(std::string_view(base, n));
    if (used < n && !closing_ && !close_after_reply_) {
      // Keep the incomplete request for the next read.
      EnsureInputRoom(n - used);
      std::memcpy(in_, base + used, n - used);
      in_len_ = n - used;
    }
  } else {
    in_len_ += n;
    size_t used = ProcessInput(std::string_view(in_, in_len_));
    if (used > 0) {
      std::memmove(in_, in_ + used, in_len_ - used);
      in_len_ -= used;
    }
  }
  if (closing_ || close_after_reply_) {
    in_len_ = 0;
  } else if (in_len_ > server_->config().client_query_buffer_limit) {
    Log(LogLevel::kWarning, "Closing client that reached max query buffer length: id={} addr={}",
        id_, peer_);
    ++server_->stats().query_limit_disconnections;
    Close();
    return false;
  }
  if (in_len_ == 0 && in_cap_ > kKeptInputBytes) {
    // A big request is done: give its memory back.
    std::free(in_);
    in_ = nullptr;
    in_cap_ = 0;
  }
  return !closing_;
}

bool Connection::StartTls(SSL_CTX* context, TlsSession::Role role,
                          ClientCertificates certificates) {
  tls_ = std::make_unique<TlsSession>(context, role, certificates);
  if (!tls_->valid()) {
    Log(LogLevel::kWarning, "Could not start TLS with {}: {}", peer_, tls_->error());
    return false;
  }
  return true;
}

void Connection::TlsFailed(std::string_view what) {
  Log(LogLevel::kVerbose, "{} {}: {}", what, peer_, tls_->error());
  // Whatever alert OpenSSL prepared tells the peer why; one try, no waiting for it.
  std::string alert;
  tls_->TakeCiphertext(&alert);
  if (!alert.empty() && write_in_flight_ == 0 && tls_out_pos_ == tls_out_.size()) {
    uv_buf_t piece = uv_buf_init(alert.data(), static_cast<unsigned>(alert.size()));
    uv_try_write(stream(), &piece, 1);
  }
  Close();
}

// Ciphertext goes into the session; plaintext comes out into the server's read buffer (the
// ciphertext there is already copied into the session), or after the kept partial request.
void Connection::HandleTlsRead(const char* data, size_t n) {
  tls_->PutCiphertext(data, n);
  if (!tls_->established()) {
    TlsSession::Status status = tls_->Handshake();
    if (status == TlsSession::Status::kError) {
      ++server_->stats().tls_handshake_errors;
      TlsFailed(connecting_ || table_index_ == kNotInTable ? "TLS handshake failed with"
                                                           : "TLS handshake failed with client");
      return;
    }
    if (tls_->pending() > 0) MarkDirty();
    if (status != TlsSession::Status::kOk) return;
    ++server_->stats().tls_handshakes;
    MarkDirty();  // plaintext queued during the handshake can go now
  }
  while (!closing_) {
    char* base = server_->read_buffer();
    size_t capacity = Server::kReadBufferSize;
    if (in_len_ > 0) {
      EnsureInputRoom(16 * 1024);
      base = in_ + in_len_;
      capacity = in_cap_ - in_len_;
    }
    TlsSession::Status status;
    size_t got = tls_->Read(base, capacity, &status);
    if (got == 0) {
      if (status == TlsSession::Status::kClosed) {
        Close();
      } else if (status == TlsSession::Status::kError) {
        TlsFailed("TLS error with");
      }
      break;
    }
    if (close_after_reply_) continue;  // input after QUIT or a protocol error is ignored
    if (!ConsumeInput(base, got)) return;
  }
  if (!closing_ && tls_->pending() > 0) MarkDirty();  // session tickets, alerts, key updates
}
// Only when idle: while a big request is still arriving the buffer is about to be filled, and
// shrinking it would only make the next reads copy it again. A request the parser has not
// finished stays whole: the buffer keeps in_len_ bytes.
void Connection::ShrinkInputIfIdle(uint64_t now_ms) {
  if (in_cap_ <= kKeptInputBytes || in_cap_ - in_len_ < kKeptInputBytes) return;
  if (now_ms - last_interaction_ms_ < kResizeIdleMs) return;
  if (in_len_ == 0) {
    std::free(in_);
    in_ = nullptr;
    in_cap_ = 0;
    return;
  }
  char* shrunk = static_cast<char*>(std::realloc(in_, in_len_));
  if (shrunk == nullptr) return;  // keeping the bigger buffer is fine
  in_ = shrunk;
  in_cap_ = in_len_;
}

void Connection::Queue(std::string_view bytes) {
  if (closing_ || bytes.empty()) return;
  out_.Append(bytes);
  MarkDirty();
  CheckOutputLimits();
}

void Connection::QueueShared(const protocol::SharedBytes& frame) {
  if (closing_) return;
  out_.AppendShared(frame);
  MarkDirty();
  CheckOutputLimits();
}

void Connection::QueueShared(const protocol::SharedBytes& block, uint32_t offset, uint32_t length) {
  if (closing_) return;
  out_.AppendShared(block, offset, length);
  MarkDirty();
  CheckOutputLimits();
}

void Connection::MarkDirty() {
  if (!dirty_) {
    dirty_ = true;
    server_->NeedsAttention(this);
  }
}

void Connection::CheckOutputLimits() {
  if (closing_ || close_asap_) return;
  const OutputLimit& limit = server_->config().output_limits[static_cast<int>(output_class())];
  size_t used = out_.bytes();
  bool hard = limit.hard_bytes != 0 && used >= limit.hard_bytes;
  bool soft = false;
  if (limit.soft_bytes != 0 && used >= limit.soft_bytes) {
    uint64_t now = server_->now_ms();
    if (soft_limit_since_ms_ == 0) {
      soft_limit_since_ms_ = now;
    } else if (now - soft_limit_since_ms_ > static_cast<uint64_t>(limit.soft_seconds) * 1000) {
      soft = true;
    }
  } else {
    soft_limit_since_ms_ = 0;
  }
  if (hard || soft) {
    ++server_->stats().output_limit_disconnections;
    if (is_gateway()) ++server_->stats().gateway_output_limit_disconnections;
    CloseAsap("for overcoming of output buffer limits");
  }
}

void Connection::Flush() {
  if (closing_ || connecting_ || write_in_flight_ != 0) return;
  if (tls_ != nullptr) {
    FlushTls();
    return;
  }
  iovec iov[kMaxIovecs];
  while (!out_.empty()) {
    size_t total = 0;
    size_t count = out_.Gather(0, iov, kMaxIovecs, &total);
    int written =
        uv_try_write(stream(), reinterpret_cast<uv_buf_t*>(iov), static_cast<unsigned>(count));
    if (written == UV_EAGAIN || written == UV_ENOSYS) break;
    if (written < 0) {
      Log(LogLevel::kVerbose, "Error writing to client: {}", uv_strerror(written));
      Close();
      return;
    }
    server_->stats().net_output_bytes += static_cast<uint64_t>(written);
    out_.Consume(static_cast<size_t>(written));
    if (static_cast<size_t>(written) < total) break;  // the socket is full
  }
  if (!out_.empty()) {
    // The kernel buffer is full: hand the rest to libuv, which writes when the socket drains.
    // The pieces stay pinned in the queue until HandleWriteDone.
    size_t total = 0;
    size_t count = out_.Gather(0, iov, kMaxIovecs, &total);
    if (write_req_ == nullptr) write_req_ = std::make_unique<uv_write_t>();
    write_req_->data = this;
    int rc = uv_write(write_req_.get(), stream(), reinterpret_cast<uv_buf_t*>(iov),
                      static_cast<unsigned>(count), OnWriteDone);
    if (rc != 0) {
      Close();
      return;
    }
    write_in_flight_ = total;
    return;
  }
  CheckOutputLimits();
  if (close_after_reply_) Close();
}

bool Connection::EncryptQueued() {
  // Small pieces (most messages) are gathered into records of up to 16 KB, so a burst of
  // deliveries costs a few records rather than one per message; large ones are encrypted in
  // place. The plaintext pieces stay shared with every other subscriber.
  constexpr size_t kHighWater = 256 * 1024;
  constexpr size_t kRecord = 16 * 1024;
  char stage[kRecord];
  size_t staged = 0;
  iovec iov[64];
  bool ok = true;
  while (ok && !out_.empty() && tls_->pending() < kHighWater) {
    size_t total = 0;
    size_t count = out_.Gather(0, iov, 64, &total);
    for (size_t i = 0; ok && i < count; ++i) {
      const char* base = static_cast<const char*>(iov[i].iov_base);
      size_t length = iov[i].iov_len;
      if (length >= kRecord / 4) {
        if (staged > 0) ok = tls_->Write(stage, staged);
        staged = 0;
        ok = ok && tls_->Write(base, length);
        continue;
      }
      if (staged + length > kRecord) {
        ok = tls_->Write(stage, staged);
        staged = 0;
      }
      std::memcpy(stage + staged, base, length);
      staged += length;
    }
    if (ok && staged > 0) ok = tls_->Write(stage, staged);
    staged = 0;
    out_.Consume(total);
  }
  if (!ok) {
    TlsFailed("TLS error with");
    return false;
  }
  return true;
}

void Connection::FlushTls() {
  if (tls_->established()) {
    if (!EncryptQueued()) return;
    if (close_after_reply_ && out_.empty() && !tls_shutdown_sent_) {
      tls_shutdown_sent_ = true;
      tls_->Shutdown();
    }
  }
  tls_->TakeCiphertext(&tls_out_);
  while (tls_out_pos_ < tls_out_.size()) {
    size_t length = tls_out_.size() - tls_out_pos_;
    uv_buf_t piece = uv_buf_init(tls_out_.data() + tls_out_pos_, static_cast<unsigned>(length));
    int written = uv_try_write(stream(), &piece, 1);
    if (written == UV_EAGAIN || written == UV_ENOSYS) break;
    if (written < 0) {
      Log(LogLevel::kVerbose, "Error writing to client: {}", uv_strerror(written));
      Close();
      return;
    }
    server_->stats().net_output_bytes += static_cast<uint64_t>(written);
    tls_out_pos_ += static_cast<size_t>(written);
    if (static_cast<size_t>(written) < length) break;  // the socket is full
    // All written: encrypt the next part of the queue, if any.
    tls_out_.clear();
    tls_out_pos_ = 0;
    if (tls_->established() && !EncryptQueued()) return;
    tls_->TakeCiphertext(&tls_out_);
  }
  if (tls_out_pos_ < tls_out_.size()) {
    // The rest goes through one uv_write; tls_out_ stays untouched until it is done.
    if (write_req_ == nullptr) write_req_ = std::make_unique<uv_write_t>();
    write_req_->data = this;
    size_t length = tls_out_.size() - tls_out_pos_;
    uv_buf_t piece = uv_buf_init(tls_out_.data() + tls_out_pos_, static_cast<unsigned>(length));
    if (uv_write(write_req_.get(), stream(), &piece, 1, OnWriteDone) != 0) {
      Close();
      return;
    }
    write_in_flight_ = length;
    return;
  }
  tls_out_.clear();
  tls_out_pos_ = 0;
  if (tls_out_.capacity() > kKeptInputBytes) std::string().swap(tls_out_);
  CheckOutputLimits();
  // A reply queued before the handshake was done (a refused connection) waits for it.
  if (close_after_reply_ && out_.empty() && tls_shutdown_sent_) Close();
}

bool Connection::ShutdownWrite() {
  if (closing_ || !out_.empty() || write_in_flight_ != 0) return false;
  if (tls_ != nullptr) return false;  // a FIN under TLS would skip the close_notify
  int descriptor = fd();
  return descriptor >= 0 && shutdown(descriptor, SHUT_WR) == 0;
}

void Connection::OnWriteDone(uv_write_t* req, int status) {
  static_cast<Connection*>(req->data)->HandleWriteDone(status);
}

void Connection::HandleWriteDone(int status) {
  size_t written = write_in_flight_;
  write_in_flight_ = 0;
  if (status < 0) {
    Close();
    return;
  }
  server_->stats().net_output_bytes += written;
  if (tls_ != nullptr) {
    tls_out_.clear();
    tls_out_pos_ = 0;
  } else {
    out_.Consume(written);
  }
  if (!out_.empty() || close_after_reply_ || (tls_ != nullptr && tls_->pending() > 0)) {
    if (!dirty_) {
      dirty_ = true;
      server_->NeedsAttention(this);
    }
  }
}

void Connection::CloseAfterReply() {
  close_after_reply_ = true;
  MarkDirty();
}

void Connection::CloseAsap(std::string_view reason) {
  if (closing_ || close_asap_) return;
  close_asap_ = true;
  Log(LogLevel::kWarning, "Client id={} addr={} scheduled to be closed ASAP {}.", id_, peer_,
      reason);
  if (!dirty_) {
    dirty_ = true;
    server_->NeedsAttention(this);
  }
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  OnClosing();
  server_->Unregister(this);
  out_.Clear();
  if (handle_open_) {
    uv_read_stop(stream());
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_), OnClose);
  } else {
    handle_closed_ = true;
    server_->Release(this);
  }
}

void Connection::OnClose(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  self->handle_closed_ = true;
  self->server_->Release(self);
}

}  // namespace herald::server
