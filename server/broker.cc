#include "server/broker.h"

#include <algorithm>

#include "protocol/glob.h"

namespace herald::server {

Broker::Broker() = default;
Broker::~Broker() = default;

bool Broker::Subscribe(Subscriber* subscriber, SubKind kind, std::string_view name) {
  EntryMap& map = names_[static_cast<size_t>(kind)];
  auto it = map.find(name);
  if (it == map.end()) {
    auto entry = std::make_unique<Entry>();
    entry->name.assign(name);
    it = map.emplace(entry->name, std::move(entry)).first;
  }
  Entry* entry = it->second.get();
  auto& mine = subscriber->subs_[static_cast<size_t>(kind)];
  auto [pos, inserted] = mine.try_emplace(entry, static_cast<uint32_t>(entry->subscribers.size()));
  if (!inserted) return false;
  entry->subscribers.push_back(subscriber);
  return true;
}

bool Broker::Unsubscribe(Subscriber* subscriber, SubKind kind, std::string_view name) {
  EntryMap& map = names_[static_cast<size_t>(kind)];
  auto it = map.find(name);
  if (it == map.end()) return false;
  Entry* entry = it->second.get();
  auto& mine = subscriber->subs_[static_cast<size_t>(kind)];
  auto pos = mine.find(entry);
  if (pos == mine.end()) return false;
  // Swap-remove: the last subscriber of the entry takes the freed position, and its own index
  // of this entry is updated, so removal stays O(1) however many subscribers a channel has.
  uint32_t index = pos->second;
  mine.erase(pos);
  Subscriber* last = entry->subscribers.back();
  entry->subscribers.pop_back();
  if (last != subscriber) {
    entry->subscribers[index] = last;
    last->subs_[static_cast<size_t>(kind)][entry] = index;
  }
  // Like Redis, a channel with no subscribers stops existing (PUBSUB CHANNELS forgets it).
  if (entry->subscribers.empty()) map.erase(it);
  return true;
}

std::vector<std::string> Broker::Names(const Subscriber* subscriber, SubKind kind) const {
  std::vector<std::string> names;
  const auto& mine = subscriber->subs_[static_cast<size_t>(kind)];
  names.reserve(mine.size());
  for (const auto& [entry, index] : mine) names.push_back(static_cast<const Entry*>(entry)->name);
  return names;
}

void Broker::UnsubscribeAll(Subscriber* subscriber) {
  for (size_t k = 0; k < kSubKindCount; ++k) {
    for (const std::string& name : Names(subscriber, static_cast<SubKind>(k))) {
      Unsubscribe(subscriber, static_cast<SubKind>(k), name);
    }
  }
}

void Broker::DeliverTo(const Entry& entry, const Delivery& delivery) {
  FrameCache frames;
  for (Subscriber* subscriber : entry.subscribers) subscriber->Deliver(delivery, frames);
  deliveries_ += entry.subscribers.size();
}

int64_t Broker::Publish(SubKind kind, std::string_view channel, std::string_view payload,
                        std::string_view verb, PublishOrigin origin, uint64_t id) {
  ++messages_published_;
  if (origin == PublishOrigin::kReplication) ++messages_from_replication_;
  int64_t receivers = 0;
  bool shard = kind == SubKind::kShardChannel;
  if (verb.empty()) verb = shard ? "spublish" : "publish";
  if (origin == PublishOrigin::kClient) {
    id = id_source_ != nullptr ? id_source_->AssignId({kind, verb, channel, payload, origin}) : 0;
  }
  const EntryMap& map = names_[static_cast<size_t>(shard ? SubKind::kShardChannel : kind)];
  if (auto it = map.find(channel); it != map.end()) {
    Delivery delivery{shard ? protocol::PubSubKind::kSMessage : protocol::PubSubKind::kMessage,
                      {},
                      channel,
                      payload,
                      id};
    DeliverTo(*it->second, delivery);
    receivers += static_cast<int64_t>(it->second->subscribers.size());
  }
  if (!shard) {
    // Each distinct pattern is matched once however many clients share it (Redis #4721).
    for (const auto& [name, entry] : names_[static_cast<size_t>(SubKind::kPattern)]) {
      if (!protocol::GlobMatch(name, channel)) continue;
      Delivery delivery{protocol::PubSubKind::kPMessage, name, channel, payload, id};
      DeliverTo(*entry, delivery);
      receivers += static_cast<int64_t>(entry->subscribers.size());
    }
  }
  const PublishEvent event{kind, verb, channel, payload, origin, id};
  for (PublishObserver* observer : observers_) observer->OnPublish(event);
  return receivers;
}

std::vector<std::string_view> Broker::Channels(SubKind kind,
                                               const std::string_view* pattern) const {
  std::vector<std::string_view> result;
  for (const auto& [name, entry] : names_[static_cast<size_t>(kind)]) {
    if (pattern == nullptr || protocol::GlobMatch(*pattern, name)) result.push_back(name);
  }
  return result;
}

size_t Broker::NumSub(SubKind kind, std::string_view channel) const {
  const EntryMap& map = names_[static_cast<size_t>(kind)];
  auto it = map.find(channel);
  return it == map.end() ? 0 : it->second->subscribers.size();
}

void Broker::RemoveObserver(PublishObserver* observer) {
  observers_.erase(std::remove(observers_.begin(), observers_.end(), observer), observers_.end());
}

}  // namespace herald::server
