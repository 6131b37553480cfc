#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/message.h"
#include "bench/resp_client.h"
#include "bench/roles.h"

namespace herald::bench {

// A publisher over RESP. Every PUBLISH (or SPUBLISH) frame is built from a per-channel prefix
// made once, the payload header, and a constant filler, straight into the output buffer: no
// formatting and no allocation per message.
class RespPublisher final : public RespClient {
 public:
  // `channels` are the channel names (copied); `payload` >= kHeaderSize is the payload size.
  RespPublisher(LoopContext* ctx, const RespSettings* settings, PublisherEvents* events,
                uint32_t id, const std::vector<std::string>& channels, SubscribeMode mode,
                size_t payload);

  // Queues one publish of the message described by `header` to channels[channel].
  void Publish(size_t channel, const PayloadHeader& header);

 private:
  void OnReady() override;
  void OnReply(const RespFrame& frame, uint64_t now_ns) override;
  void OnError(std::string_view what) override;

  PublisherEvents* events_;
  uint32_t id_;
  std::vector<std::string> prefixes_;  // "*3\r\n$7\r\nPUBLISH\r\n$<n>\r\n<channel>\r\n$<size>\r\n"
  std::string tail_;                   // filler after the header, then "\r\n"
};

// A subscriber over RESP2 or RESP3: subscribes to one channel (or pattern, or shard channel) and
// reports every message, pmessage or smessage payload.
//
// Every message it should get has the same bytes up to the payload, e.g. in RESP2
//   *3\r\n$7\r\nmessage\r\n$<n>\r\n<channel>\r\n$<payload size>\r\n
// so the hot path compares that prefix in one memcmp instead of parsing; anything else (other
// sizes, other channels, confirmations) goes through the generic reader and is judged there.
class RespSubscriber final : public RespClient {
 public:
  // `channel` is where messages are published; `target` is what to subscribe to (the channel,
  // or a pattern matching it). Both are copied. `payload` is the expected payload size.
  RespSubscriber(LoopContext* ctx, const RespSettings* settings, SubscriberEvents* events,
                 uint32_t index, const std::string& channel, std::string target, SubscribeMode mode,
                 size_t payload);

 private:
  void OnReady() override;
  void OnReply(const RespFrame& frame, uint64_t now_ns) override;
  void OnError(std::string_view what) override;
  size_t FastPath(const char* data, size_t len, uint64_t now_ns) override;
  void Unexpected(const RespFrame& frame);

  SubscriberEvents* events_;
  uint32_t index_;
  std::string target_;
  SubscribeMode mode_;
  size_t payload_;
  std::string message_prefix_;
};

}  // namespace herald::bench
