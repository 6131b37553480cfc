#pragma once

#include <cstdint>
#include <string_view>

namespace herald::bench {

// How subscribers attach to the benchmark channels.
enum class SubscribeMode {
  kChannel,  // SUBSCRIBE <channel>, PUBLISH
  kPattern,  // PSUBSCRIBE <channel prefix>*, PUBLISH (one distinct pattern per channel)
  kShard,    // SSUBSCRIBE <channel>, SPUBLISH
};

// What a subscriber connection reports to the run, whatever its transport (RespSubscriber,
// WsSubscriber, SseSubscriber). `sub` is the index the run gave it.
class SubscriberEvents {
 public:
  virtual ~SubscriberEvents() = default;
  // The subscription is effective: messages published from now on reach this subscriber (the
  // server confirmed it, or for the gateway, answered the request that subscribes).
  virtual void OnSubscribed(uint32_t sub) = 0;
  // A message arrived; `payload` is valid only during the call. `now_ns` is when the bytes
  // were read (uv_hrtime), shared by every message of one read.
  virtual void OnMessage(uint32_t sub, std::string_view payload, uint64_t now_ns) = 0;
  // The connection failed or the server sent something unexpected; the run fails.
  virtual void OnConnectionError(std::string_view who, std::string_view what) = 0;
};

// What a publisher connection reports to the run.
class PublisherEvents {
 public:
  virtual ~PublisherEvents() = default;
  // The publisher may publish (its handshake is queued ahead of anything it publishes).
  virtual void OnPublisherReady(uint32_t pub) = 0;
  // The reply to the oldest unanswered publish: the number of receivers the server counted.
  virtual void OnPublishReply(uint32_t pub, int64_t receivers) = 0;
  virtual void OnConnectionError(std::string_view who, std::string_view what) = 0;
};

}  // namespace herald::bench
