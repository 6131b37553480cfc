#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/roles.h"
#include "bench/tcp_client.h"

namespace herald::bench {

// A subscriber over Herald's HTTP gateway: sends one GET request when connected, checks the
// response head, then hands the rest of the connection (a WebSocket or an event stream) to the
// subclass. WsSubscriber and SseSubscriber implement the two transports.
//
// The response head is read from the shared read buffer (kept in the carry buffer only while it
// is incomplete); a status other than expected_status() fails the run with the status line and
// the start of the body, e.g. "HTTP/1.1 503 Service Unavailable: max number of clients reached".
class GatewaySubscriber : public TcpClient {
 public:
  // `authority` is the Host header value ("host:port"); `extra_headers` whole header lines
  // ("Authorization: Bearer ...\r\n") sent with the request. Both must outlive the subscriber.
  GatewaySubscriber(LoopContext* ctx, SubscriberEvents* events, uint32_t index,
                    const std::string* authority, const std::string* extra_headers);

  // Percent-encodes `text` for a path segment or a query value (keeps unreserved characters,
  // ':' and '@', which channel names use).
  static std::string PercentEncode(std::string_view text);
  // The value of header `name` (case-insensitive) in `headers` (lines "Name: value\r\n"), with
  // surrounding blanks removed. Returns false if there is no such header.
  static bool FindHeader(std::string_view headers, std::string_view name, std::string_view* value);

 protected:
  // The status code the request must get (101 for WebSocket, 200 for SSE).
  virtual int expected_status() const = 0;
  // Called once connected: queue the request (with Queue()).
  virtual void QueueRequest() = 0;
  // The head arrived with the expected status; `headers` are its header lines. Returns false
  // after Abort() if they are not acceptable.
  virtual bool OnResponseHead(std::string_view headers) = 0;
  // Bytes after the head, as TcpClient::OnData: returns how many were used; the rest comes
  // again with the next read appended.
  virtual size_t OnStream(const char* data, size_t len, uint64_t now_ns) = 0;

  // Reports a failure of this subscriber to the run and closes the connection.
  void Abort(std::string_view what);
  const std::string& authority() const { return *authority_; }
  const std::string& extra_headers() const { return *extra_headers_; }

  SubscriberEvents* events_;
  uint32_t index_;

 private:
  void OnConnected() final;
  size_t OnData(const char* data, size_t len, uint64_t now_ns) final;
  void OnFailure(std::string_view what, int status) final;

  const std::string* authority_;
  const std::string* extra_headers_;
  bool head_done_ = false;
};

}  // namespace herald::bench
