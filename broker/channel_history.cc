#include "broker/channel_history.h"

#include <algorithm>

#include "protocol/glob.h"

namespace herald::broker {

void ChannelHistory::DropOldest(Channel* channel) {
  const Message& oldest = channel->messages.front();
  // An oversized message may have been recorded as dropped after this older one was kept.
  channel->dropped_max = std::max(channel->dropped_max, oldest.id);
  channel->bytes -= oldest.payload.size();
  total_bytes_ -= oldest.payload.size();
  channel->messages.pop_front();
  --message_count_;
  ++evicted_;
}

void ChannelHistory::ExpireChannel(Channel* channel, uint64_t now_ms) {
  if (limits_.max_age_ms == 0) return;
  while (!channel->messages.empty() &&
         now_ms - channel->messages.front().time_ms > limits_.max_age_ms) {
    DropOldest(channel);
  }
}

void ChannelHistory::Append(std::string_view channel_name, uint64_t id, uint64_t now_ms,
                            std::string_view payload) {
  if (!enabled()) return;
  auto it = channels_.find(channel_name);
  if (it == channels_.end()) it = channels_.emplace(std::string(channel_name), Channel{}).first;
  Channel& channel = it->second;
  if (payload.size() > limits_.max_bytes) {
    // Bigger than the whole byte bound: keeping it would pin that much for gateway-history-age
    // (a 64 MB PUBLISH nobody subscribed to). It is recorded as dropped, so a client resuming
    // from before it is told about the gap; the older messages stay, they still fit.
    channel.dropped_max = id;
    ++evicted_;
    ExpireChannel(&channel, now_ms);
    return;
  }
  channel.messages.push_back(Message{id, now_ms, std::string(payload)});
  ++message_count_;
  channel.bytes += payload.size();
  total_bytes_ += payload.size();
  // The newest message always stays (it fits, see above), so that a client that saw the
  // previous one is not told about a gap it does not have.
  while (channel.messages.size() > 1 &&
         (channel.messages.size() > limits_.max_count || channel.bytes > limits_.max_bytes)) {
    DropOldest(&channel);
  }
  ExpireChannel(&channel, now_ms);
}

bool ChannelHistory::IsGap(uint64_t* since, uint64_t last_id, uint64_t dropped) {
  if (*since > last_id) {
    // Not an id of this node's current epoch: everything we have, and say so.
    *since = 0;
    return true;
  }
  return *since < dropped;
}

void ChannelHistory::Collect(std::string_view name, Channel* channel, uint64_t since,
                             Range* range) const {
  for (const Message& message : channel->messages) {
    if (message.id > since) {
      range->messages.push_back(&message);
      range->channels.push_back(name);
    }
  }
}

ChannelHistory::Range ChannelHistory::Since(std::string_view channel_name, uint64_t since,
                                            uint64_t last_id, uint64_t now_ms) {
  Range range;
  uint64_t dropped = floor_;
  auto it = channels_.find(channel_name);
  if (it != channels_.end()) {
    ExpireChannel(&it->second, now_ms);
    if (it->second.dropped_max > dropped) dropped = it->second.dropped_max;
  }
  range.gap = IsGap(&since, last_id, dropped);
  if (it != channels_.end()) Collect(it->first, &it->second, since, &range);
  return range;
}

ChannelHistory::Range ChannelHistory::SinceMatching(std::string_view pattern, uint64_t since,
                                                    uint64_t last_id, uint64_t now_ms) {
  // A pattern may match channels whose records are gone: only the history-wide floor and the
  // matching channels' own drops can tell, so the gap test takes the highest of them.
  Range unsorted;
  uint64_t dropped = floor_;
  uint64_t original = since;
  bool other_epoch = since > last_id;
  if (other_epoch) since = 0;
  for (auto& [name, channel] : channels_) {
    if (!protocol::GlobMatch(pattern, name)) continue;
    ExpireChannel(&channel, now_ms);
    if (channel.dropped_max > dropped) dropped = channel.dropped_max;
    Collect(name, &channel, since, &unsorted);
  }
  Range range;
  range.gap = other_epoch || original < dropped;
  std::vector<size_t> order(unsorted.messages.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return unsorted.messages[a]->id < unsorted.messages[b]->id;
  });
  for (size_t i : order) {
    range.messages.push_back(unsorted.messages[i]);
    range.channels.push_back(unsorted.channels[i]);
  }
  return range;
}

void ChannelHistory::Clear(uint64_t floor) {
  channels_.clear();
  evicted_ += message_count_;
  message_count_ = 0;
  total_bytes_ = 0;
  floor_ = floor;
}

void ChannelHistory::Expire(uint64_t now_ms) {
  for (auto it = channels_.begin(); it != channels_.end();) {
    ExpireChannel(&it->second, now_ms);
    if (it->second.messages.empty()) {
      if (it->second.dropped_max > floor_) floor_ = it->second.dropped_max;
      it = channels_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace herald::broker
