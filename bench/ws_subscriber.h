#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/gateway_subscriber.h"

namespace herald::bench {

// A WebSocket subscriber (RFC 6455 client side) on Herald's gateway.
//
// - Channel mode: `GET /ws/<channel>` upgrades and subscribes at once, so the subscription is
//   effective when the 101 arrives; every data message (text or binary) is one payload.
// - Pattern mode: `GET /ws` (the JSON protocol), then ["PSUBSCRIBE","<pattern>"] in a masked
//   text frame; subscribed at {"type":"psubscribe",...}, and each {"type":"pmessage",...,
//   "data":"<payload>",...} push carries one payload (its "id" is skipped, whatever its type).
//
// The handshake is checked (101 and Sec-WebSocket-Accept = base64(SHA-1(key + GUID)), with
// OpenSSL). Frames from the server must be unmasked; pings are answered with masked pongs,
// fragmented messages are reassembled in a buffer that keeps its capacity, and a close frame
// fails the run with its code and reason.
//
// Hot path: an unfragmented text frame of the expected size has fixed header bytes (e.g.
// 81 7e 00 80 for 128 bytes), matched with one memcmp; the payload is handed over straight from
// the read buffer. JSON pushes are matched against their fixed prefix
// {"channel":"<channel>","data":" first (MatchJsonMessage) and parsed only when that fails.
class WsSubscriber final : public GatewaySubscriber {
 public:
  // `channel` is where messages are published; `pattern`, when not empty, is what to
  // PSUBSCRIBE to (pattern mode). `payload` is the expected payload size.
  WsSubscriber(LoopContext* ctx, SubscriberEvents* events, uint32_t index,
               const std::string* authority, const std::string* extra_headers,
               const std::string& channel, std::string pattern, size_t payload);

 private:
  int expected_status() const override { return 101; }
  void QueueRequest() override;
  bool OnResponseHead(std::string_view headers) override;
  size_t OnStream(const char* data, size_t len, uint64_t now_ns) override;
  // One complete data message (unfragmented or reassembled).
  void HandleMessage(std::string_view message, uint64_t now_ns);
  // Queues one masked frame from the client.
  void QueueFrame(uint8_t opcode, std::string_view payload);

  std::string channel_;
  std::string pattern_;
  size_t payload_;
  std::string key_;          // Sec-WebSocket-Key (base64 of 16 random bytes)
  std::string fast_header_;  // header of an unfragmented text frame of payload_ bytes
  std::string json_prefix_;  // {"channel":"<channel>","data":"
  std::string fragments_;    // the message being reassembled
  bool in_fragments_ = false;
  std::string scratch_;  // decoded JSON strings with escapes
  uint32_t mask_state_;  // xorshift state for masking keys
};

}  // namespace herald::bench
