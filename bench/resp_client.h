#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "bench/resp_reader.h"
#include "bench/tcp_client.h"
#include "bench/tls_client.h"

namespace herald::bench {

// Connection settings every RESP client of a run shares.
struct RespSettings {
  int protocol = 2;                             // 2, or 3 to send HELLO 3 first
  std::string password;                         // sent with AUTH first when not empty
  std::shared_ptr<const TlsClientContext> tls;  // TLS on every connection when set (--tls)
};

// A TcpClient that speaks RESP: it queues AUTH / HELLO 3 as configured when it connects, checks
// their replies, and hands every later reply to OnReply(). An error reply (-ERR ..., for example
// "max number of clients reached") or a malformed stream is reported as a failure.
class RespClient : public TcpClient {
 public:
  RespClient(LoopContext* ctx, const RespSettings* settings);

  // Queues one command as a RESP multibulk. For setup commands only: it formats each time.
  void QueueCommand(std::initializer_list<std::string_view> args);

 protected:
  // After the handshake has been queued; subclasses queue their first commands here.
  virtual void OnReady() = 0;
  // One reply or push. Views in `frame` point into the read buffer and die when this returns.
  virtual void OnReply(const RespFrame& frame, uint64_t now_ns) = 0;
  // An error reply, a protocol error or a socket failure; the connection is then closed.
  virtual void OnError(std::string_view what) = 0;
  // Offered every reply after the handshake before the generic reader: returns the length of a
  // complete reply it recognised and handled at the start of data[0, len), or 0 to let
  // ReadFrame() and OnReply() handle it. Subscribers use it for byte-exact message frames.
  virtual size_t FastPath(const char* data, size_t len, uint64_t now_ns);

 private:
  void OnConnected() final;
  size_t OnData(const char* data, size_t len, uint64_t now_ns) final;
  void OnFailure(std::string_view what, int status) final;

  const RespSettings* settings_;
  int handshake_replies_ = 0;  // AUTH/HELLO replies still expected before OnReply() starts
  RespFrame frame_;
};

}  // namespace herald::bench
