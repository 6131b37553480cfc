#include "server/channel_history.h"

namespace herald::server {

void ChannelHistory::DropOldest(Channel* channel) {
  const Message& oldest = channel->messages.front();
  channel->dropped_max = oldest.id;
  channel->bytes -= oldest.payload.size();
  total_bytes_ -= oldest.payload.size();
  channel->messages.pop_front();
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
  channel.messages.push_back(Message{id, now_ms, std::string(payload)});
  channel.bytes += payload.size();
  total_bytes_ += payload.size();
  // The newest message always stays, even alone above the byte limit, so that a client that
  // saw the previous one is not told about a gap it does not have.
  while (channel.messages.size() > 1 &&
         (channel.messages.size() > limits_.max_count || channel.bytes > limits_.max_bytes)) {
    DropOldest(&channel);
  }
  ExpireChannel(&channel, now_ms);
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
  if (since > last_id) {
    // Not an id of this node's current epoch: everything we have, and say so.
    range.gap = true;
    since = 0;
  } else if (since < dropped) {
    range.gap = true;
  }
  if (it != channels_.end()) {
    for (const Message& message : it->second.messages) {
      if (message.id > since) range.messages.push_back(&message);
    }
  }
  return range;
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

}  // namespace herald::server
