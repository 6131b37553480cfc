#include "bench/resp_pubsub.h"

#include <cstring>
#include <iterator>
#include <utility>

#include "fmt/format.h"

namespace herald::bench {

RespPublisher::RespPublisher(LoopContext* ctx, const RespSettings* settings,
                             PublisherEvents* events, uint32_t id,
                             const std::vector<std::string>& channels, SubscribeMode mode,
                             size_t payload)
    : RespClient(ctx, settings), events_(events), id_(id) {
  const std::string_view command = mode == SubscribeMode::kShard ? "SPUBLISH" : "PUBLISH";
  prefixes_.reserve(channels.size());
  for (const std::string& ch : channels) {
    prefixes_.push_back(fmt::format("*3\r\n${}\r\n{}\r\n${}\r\n{}\r\n${}\r\n", command.size(),
                                    command, ch.size(), ch, payload));
  }
  tail_.assign(payload - kHeaderSize, '.');
  tail_ += "\r\n";
}

void RespPublisher::Publish(size_t channel, const PayloadHeader& header) {
  const std::string& prefix = prefixes_[channel];
  char* p = QueueSpace(prefix.size() + kHeaderSize + tail_.size());
  std::memcpy(p, prefix.data(), prefix.size());
  p += prefix.size();
  EncodeHeader(p, header);
  std::memcpy(p + kHeaderSize, tail_.data(), tail_.size());
}

void RespPublisher::OnReady() { events_->OnPublisherReady(id_); }

void RespPublisher::OnReply(const RespFrame& frame, uint64_t) {
  if (frame.top.type != RespType::kInteger) {
    events_->OnConnectionError(fmt::format("publisher {}", id_),
                               "unexpected reply to PUBLISH (not an integer)");
    Close();
    return;
  }
  events_->OnPublishReply(id_, frame.top.integer);
}

void RespPublisher::OnError(std::string_view what) {
  events_->OnConnectionError(fmt::format("publisher {}", id_), what);
}

RespSubscriber::RespSubscriber(LoopContext* ctx, const RespSettings* settings,
                               SubscriberEvents* events, uint32_t index, const std::string& channel,
                               std::string target, SubscribeMode mode, size_t payload)
    : RespClient(ctx, settings),
      events_(events),
      index_(index),
      target_(std::move(target)),
      mode_(mode),
      payload_(payload) {
  const char aggregate = settings->protocol == 3 ? '>' : '*';
  switch (mode_) {
    case SubscribeMode::kChannel:
      message_prefix_ = fmt::format("{}3\r\n$7\r\nmessage\r\n", aggregate);
      break;
    case SubscribeMode::kShard:
      message_prefix_ = fmt::format("{}3\r\n$8\r\nsmessage\r\n", aggregate);
      break;
    case SubscribeMode::kPattern:
      message_prefix_ =
          fmt::format("{}4\r\n$8\r\npmessage\r\n${}\r\n{}\r\n", aggregate, target_.size(), target_);
      break;
  }
  fmt::format_to(std::back_inserter(message_prefix_), "${}\r\n{}\r\n${}\r\n", channel.size(),
                 channel, payload_);
}

size_t RespSubscriber::FastPath(const char* data, size_t len, uint64_t now_ns) {
  const size_t frame = message_prefix_.size() + payload_ + 2;
  if (len < frame || std::memcmp(data, message_prefix_.data(), message_prefix_.size()) != 0) {
    return 0;
  }
  const char* payload = data + message_prefix_.size();
  if (payload[payload_] != '\r' || payload[payload_ + 1] != '\n') return 0;
  events_->OnMessage(index_, std::string_view(payload, payload_), now_ns);
  return frame;
}

void RespSubscriber::OnReady() {
  switch (mode_) {
    case SubscribeMode::kChannel:
      QueueCommand({"SUBSCRIBE", target_});
      break;
    case SubscribeMode::kPattern:
      QueueCommand({"PSUBSCRIBE", target_});
      break;
    case SubscribeMode::kShard:
      QueueCommand({"SSUBSCRIBE", target_});
      break;
  }
}

void RespSubscriber::OnReply(const RespFrame& frame, uint64_t now_ns) {
  // RESP2 sends pub/sub frames as arrays, RESP3 as pushes; both look the same inside.
  const RespType type = frame.top.type;
  if ((type != RespType::kArray && type != RespType::kPush) || frame.captured < 3 ||
      frame.child[0].type != RespType::kBulk) {
    Unexpected(frame);
    return;
  }
  const std::string_view kind = frame.child[0].str;
  const int64_t n = frame.top.integer;
  // Messages first: they are the hot path. "message" and "smessage" carry [kind, channel,
  // payload], "pmessage" [kind, pattern, channel, payload].
  if (n == 3 && (kind == "message" || kind == "smessage") &&
      frame.child[2].type == RespType::kBulk) {
    events_->OnMessage(index_, frame.child[2].str, now_ns);
    return;
  }
  if (n == 4 && kind == "pmessage" && frame.child[3].type == RespType::kBulk) {
    events_->OnMessage(index_, frame.child[3].str, now_ns);
    return;
  }
  if (n == 3 && (kind == "subscribe" || kind == "psubscribe" || kind == "ssubscribe")) {
    events_->OnSubscribed(index_);
    return;
  }
  Unexpected(frame);
}

void RespSubscriber::Unexpected(const RespFrame& frame) {
  const std::string_view kind =
      frame.captured > 0 && frame.child[0].type == RespType::kBulk ? frame.child[0].str : "?";
  events_->OnConnectionError(fmt::format("subscriber {}", index_),
                             fmt::format("unexpected frame from the server (kind '{}')", kind));
  Close();
}

void RespSubscriber::OnError(std::string_view what) {
  events_->OnConnectionError(fmt::format("subscriber {}", index_), what);
}

}  // namespace herald::bench
