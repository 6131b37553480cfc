#include "bench/tcp_client.h"

#include <cstring>
#include <utility>

namespace herald::bench {
namespace {

// Large enough that a busy subscriber drains many messages per read() (libuv reads again, up to
// 32 times, while reads fill the buffer), small enough to stay in L2.
constexpr size_t kReadBufferSize = 256 * 1024;

}  // namespace

LoopContext::LoopContext(uv_loop_t* loop) : loop_(loop), read_buffer_(kReadBufferSize) {
  uv_prepare_init(loop_, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_, OnPrepare);
}

LoopContext::~LoopContext() = default;

void LoopContext::Shutdown() {
  if (!prepare_open_) return;
  prepare_open_ = false;
  dirty_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
}

void LoopContext::OnPrepare(uv_prepare_t* handle) {
  static_cast<LoopContext*>(handle->data)->FlushDirty();
}

void LoopContext::FlushDirty() {
  // Swap first: a flush can fail and make the owner queue on other clients.
  flushing_.swap(dirty_);
  for (TcpClient* c : flushing_) {
    c->dirty_ = false;
    c->Flush();
  }
  flushing_.clear();
}

TcpClient::TcpClient(LoopContext* ctx) : ctx_(ctx) {
  tcp_.data = this;
  connect_req_.data = this;
  write_req_.data = this;
}

// The owner destroys a client only after closed(); nothing to release here.
TcpClient::~TcpClient() = default;

void TcpClient::UseTls(const TlsClientContext* context) {
  tls_ = std::make_unique<TlsStream>(*context);
}

void TcpClient::Connect(const sockaddr* addr) {
  if (tls_ && !tls_->valid()) {
    Fail(tls_->error(), 0);
    return;
  }
  int r = uv_tcp_init(ctx_->loop(), &tcp_);
  if (r < 0) {
    Fail("socket", r);
    return;
  }
  handle_open_ = true;
  r = uv_tcp_connect(&connect_req_, &tcp_, addr, OnConnect);
  if (r < 0) Fail("connect", r);
}

void TcpClient::OnConnect(uv_connect_t* req, int status) {
  auto* c = static_cast<TcpClient*>(req->data);
  if (c->closing_) return;
  if (status < 0) {
    c->Fail("connect", status);
    return;
  }
  c->connected_ = true;
  uv_tcp_nodelay(&c->tcp_, 1);
  const int r = uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp_), OnAlloc, OnRead);
  if (r < 0) {
    c->Fail("read start", r);
    return;
  }
  if (c->tls_) {
    // The ClientHello; OnConnected() waits for the end of the handshake (HandleTlsRead).
    if (c->tls_->Handshake() == TlsStream::Status::kError) {
      c->Fail(c->tls_->error(), 0);
      return;
    }
    c->MarkDirty();
    return;
  }
  c->Ready();
}

void TcpClient::Ready() {
  OnConnected();
  if (!out_.empty()) MarkDirty();
}

void TcpClient::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* c = static_cast<TcpClient*>(handle->data);
  std::vector<char>& shared = c->ctx_->read_buffer_;
  *buf = uv_buf_init(shared.data(), static_cast<unsigned>(shared.size()));
}

void TcpClient::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  static_cast<TcpClient*>(stream->data)->HandleRead(nread, buf->base);
}

void TcpClient::HandleRead(ssize_t nread, const char* data) {
  if (nread == 0 || closing_) return;
  if (nread < 0) {
    Fail(nread == UV_EOF ? "connection closed by the server" : "read", static_cast<int>(nread));
    return;
  }
  const size_t len = static_cast<size_t>(nread);
  const uint64_t now = uv_hrtime();
  if (tls_) {
    HandleTlsRead(data, len, now);
  } else {
    Deliver(data, len, now);
  }
}

void TcpClient::HandleTlsRead(const char* data, size_t len, uint64_t now) {
  tls_->PutCiphertext(data, len);
  if (!tls_->established()) {
    const TlsStream::Status st = tls_->Handshake();
    if (st == TlsStream::Status::kError) {
      Fail(tls_->error(), 0);
      return;
    }
    if (tls_->has_ciphertext()) MarkDirty();
    if (st != TlsStream::Status::kOk) return;
    Ready();
    if (closing_) return;
  }
  // Decrypt everything buffered into the shared plaintext buffer, filling it across records
  // (at most 16 KiB each) so that OnData() sees as much at once as without TLS.
  std::vector<char>& plain = ctx_->plain_buffer_;
  if (plain.empty()) plain.resize(kReadBufferSize);
  TlsStream::Status st = TlsStream::Status::kOk;
  while (st == TlsStream::Status::kOk) {
    size_t filled = 0;
    while (filled < plain.size()) {
      const size_t n = tls_->Read(plain.data() + filled, plain.size() - filled, &st);
      if (st != TlsStream::Status::kOk) break;
      filled += n;
    }
    if (filled > 0) {
      Deliver(plain.data(), filled, now);
      if (closing_) return;
    }
  }
  if (st == TlsStream::Status::kClosed) {
    Fail("connection closed by the server (TLS close_notify)", 0);
    return;
  }
  if (st == TlsStream::Status::kError) {
    Fail(tls_->error(), 0);
    return;
  }
  // Reading can produce output too (a key update's answer).
  if (tls_->has_ciphertext()) MarkDirty();
}

void TcpClient::Deliver(const char* data, size_t len, uint64_t now) {
  if (carry_.empty()) {
    // The common case: whole replies, parsed straight from the shared buffer.
    const size_t used = OnData(data, len, now);
    if (closing_) return;
    if (used < len) carry_.assign(data + used, len - used);
  } else {
    carry_.append(data, len);
    const size_t used = OnData(carry_.data(), carry_.size(), now);
    if (closing_) return;
    carry_.erase(0, used);
  }
}

void TcpClient::Queue(std::string_view bytes) {
  out_.append(bytes);
  MarkDirty();
}

char* TcpClient::QueueSpace(size_t n) {
  const size_t at = out_.size();
  out_.resize(at + n);
  MarkDirty();
  return out_.data() + at;
}

void TcpClient::FlushNow() { Flush(); }

void TcpClient::MarkDirty() {
  if (dirty_ || closing_) return;
  dirty_ = true;
  ctx_->dirty_.push_back(this);
}

void TcpClient::Flush() {
  if (closing_ || !connected_) return;
  std::string* wire = &out_;
  if (tls_) {
    if (tls_->established() && !out_.empty()) {
      if (!tls_->Write(out_.data(), out_.size())) {
        Fail(tls_->error(), 0);
        return;
      }
      out_.clear();
    }
    tls_->TakeCiphertext(&wire_);
    wire = &wire_;
  }
  if (writing_ || wire->empty()) return;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  uv_buf_t buf = uv_buf_init(wire->data(), static_cast<unsigned>(wire->size()));
  const int n = uv_try_write(stream, &buf, 1);
  if (n >= 0 && static_cast<size_t>(n) == wire->size()) {
    wire->clear();
    return;
  }
  if (n < 0 && n != UV_EAGAIN) {
    Fail("write", n);
    return;
  }
  // The kernel took part of it: the rest goes out through one uv_write, which owns inflight_
  // until OnWriteDone. The wire buffer takes inflight_'s old (empty) storage for new output.
  const size_t written = n > 0 ? static_cast<size_t>(n) : 0;
  inflight_.swap(*wire);
  wire->clear();
  buf = uv_buf_init(inflight_.data() + written, static_cast<unsigned>(inflight_.size() - written));
  const int r = uv_write(&write_req_, stream, &buf, 1, OnWriteDone);
  if (r < 0) {
    Fail("write", r);
    return;
  }
  writing_ = true;
}

void TcpClient::OnWriteDone(uv_write_t* req, int status) {
  auto* c = static_cast<TcpClient*>(req->data);
  c->writing_ = false;
  c->inflight_.clear();
  if (c->closing_) return;
  if (status < 0) {
    c->Fail("write", status);
    return;
  }
  // The socket just drained, so whatever queued meanwhile can go at once.
  c->Flush();
}

void TcpClient::Fail(std::string_view what, int status) {
  if (closing_) return;
  OnFailure(what, status);
  Close();
}

void TcpClient::Close() {
  if (closing_) return;
  closing_ = true;
  if (!handle_open_) {
    closed_ = true;
    return;
  }
  if (connected_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), OnClose);
}

void TcpClient::OnClose(uv_handle_t* handle) {
  static_cast<TcpClient*>(handle->data)->closed_ = true;
}

}  // namespace herald::bench
