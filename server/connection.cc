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
  if (self->in_len_ == 0) {
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
    Close();
    return;
  }
  if (nread == 0 || closing_) return;
  server_->stats().net_input_bytes += static_cast<uint64_t>(nread);
  last_interaction_ms_ = server_->now_ms();
  size_t n = static_cast<size_t>(nread);
  if (close_after_reply_) return;  // input after QUIT or a protocol error is ignored
  if (buf->base == server_->read_buffer()) {
    size_t used = ProcessInput(std::string_view(buf->base, n));
    if (used < n && !closing_ && !close_after_reply_) {
      // Keep the incomplete request for the next read.
      EnsureInputRoom(n - used);
      std::memcpy(in_, buf->base + used, n - used);
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
    return;
  }
  if (in_len_ == 0 && in_cap_ > kKeptInputBytes) {
    // A big request is done: give its memory back.
    std::free(in_);
    in_ = nullptr;
    in_cap_ = 0;
  }
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

bool Connection::ShutdownWrite() {
  if (closing_ || !out_.empty() || write_in_flight_ != 0) return false;
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
  out_.Consume(written);
  if (!out_.empty() || close_after_reply_) {
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
