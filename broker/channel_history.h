#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald::broker {

// Bounded per-channel history of published messages, for resuming SSE / WebSocket / long-poll
// clients from the last id they saw. Each channel keeps at most `max_count` messages and
// `max_bytes` payload bytes, none older than `max_age_ms`; the oldest go first. A message whose
// payload alone exceeds `max_bytes` is not kept at all but counted as dropped. Pure: the caller
// passes the time.
//
// Gaps are never silent: for every channel the history remembers the highest id it dropped, and
// when a channel's record goes away entirely (all its messages expired) that id is folded into
// one history-wide floor. A request for messages after an id below those is told `gap`.
class ChannelHistory {
 public:
  struct Limits {
    size_t max_count = 100;  // 0 disables the history
    size_t max_bytes = 1 << 20;
    uint64_t max_age_ms = 300 * 1000;  // 0 = no age limit
  };
  struct Message {
    uint64_t id;
    uint64_t time_ms;
    std::string payload;
  };
  // The result of Since().
  struct Range {
    std::vector<const Message*> messages;    // ids > since, oldest first; valid until the next
                                             // Append(), Expire() or Clear()
    std::vector<std::string_view> channels;  // the channel of each message (same index)
    bool gap = false;  // messages after `since` were dropped (or `since` is unknown here)
  };

  ChannelHistory() = default;
  explicit ChannelHistory(Limits limits) : limits_(limits) {}

  void set_limits(Limits limits) { limits_ = limits; }
  bool enabled() const { return limits_.max_count > 0; }

  // Records a message of `channel`; `id` must exceed every id appended before.
  void Append(std::string_view channel, uint64_t id, uint64_t now_ms, std::string_view payload);

  // Messages of `channel` after `since`. `last_id` is the newest id assigned on this node: an id
  // above it comes from another epoch (a restart, another node) and is reported as a gap with
  // every message kept.
  Range Since(std::string_view channel, uint64_t since, uint64_t last_id, uint64_t now_ms);

  // The same over every channel matching the glob `pattern`, merged in id order.
  Range SinceMatching(std::string_view pattern, uint64_t since, uint64_t last_id, uint64_t now_ms);

  // Forgets everything: ids up to `floor` are reported as gaps from now on (the node's stream
  // restarted at `floor` after a full resynchronization).
  void Clear(uint64_t floor);

  // Drops messages past the age limit (and empty channels); call periodically.
  void Expire(uint64_t now_ms);

  size_t channel_count() const { return channels_.size(); }
  size_t total_bytes() const { return total_bytes_; }
  size_t message_count() const { return message_count_; }
  // Messages dropped to stay within the limits (or by Clear) since start.
  uint64_t evicted() const { return evicted_; }

 private:
  struct Channel {
    std::deque<Message> messages;
    size_t bytes = 0;
    uint64_t dropped_max = 0;  // highest id dropped from this channel
  };
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void DropOldest(Channel* channel);
  // Adds the messages of one channel after `since` to `range`.
  void Collect(std::string_view name, Channel* channel, uint64_t since, Range* range) const;
  // Whether resuming after `since` skips messages, given the highest dropped id; an id above
  // `last_id` (another epoch) is a gap and `since` becomes 0 (everything kept is sent).
  static bool IsGap(uint64_t* since, uint64_t last_id, uint64_t dropped);
  void ExpireChannel(Channel* channel, uint64_t now_ms);

  Limits limits_;
  std::unordered_map<std::string, Channel, NameHash, std::equal_to<>> channels_;
  uint64_t floor_ = 0;  // highest id dropped with a channel record that no longer exists
  size_t total_bytes_ = 0;
  size_t message_count_ = 0;
  uint64_t evicted_ = 0;
};

}  // namespace herald::broker
