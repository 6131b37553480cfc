#include "broker/broker.h"

#include <algorithm>

#include "protocol/glob.h"

namespace herald::broker {

SubscriptionSet::SubscriptionSet() = default;
SubscriptionSet::~SubscriptionSet() = default;

size_t SubscriptionSet::Find(const void* entry) const {
  if (positions_ != nullptr) {
    auto it = positions_->find(entry);
    return it == positions_->end() ? kNotFound : it->second;
  }
  for (size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].entry == entry) return i;
  }
  return kNotFound;
}

bool SubscriptionSet::Insert(const void* entry, SubKind kind, uint32_t index) {
  if (Find(entry) != kNotFound) return false;
  items_.push_back({entry, index, kind});
  ++counts_[static_cast<size_t>(kind)];
  if (positions_ != nullptr) {
    positions_->emplace(entry, static_cast<uint32_t>(items_.size() - 1));
  } else if (items_.size() > kIndexThreshold) {
    positions_ = std::make_unique<std::unordered_map<const void*, uint32_t>>();
    positions_->reserve(items_.size() * 2);
    for (size_t i = 0; i < items_.size(); ++i) {
      positions_->emplace(items_[i].entry, static_cast<uint32_t>(i));
    }
  }
  return true;
}

bool SubscriptionSet::Erase(const void* entry, uint32_t* index) {
  size_t pos = Find(entry);
  if (pos == kNotFound) return false;
  *index = items_[pos].index;
  --counts_[static_cast<size_t>(items_[pos].kind)];
  if (positions_ != nullptr) positions_->erase(entry);
  if (pos != items_.size() - 1) {
    items_[pos] = items_.back();
    if (positions_ != nullptr) (*positions_)[items_[pos].entry] = static_cast<uint32_t>(pos);
  }
  items_.pop_back();
  if (items_.empty()) {
    // An idle client that unsubscribed from everything holds nothing.
    std::vector<Item>().swap(items_);
    positions_.reset();
  }
  return true;
}

void SubscriptionSet::SetIndex(const void* entry, uint32_t index) {
  size_t pos = Find(entry);
  if (pos != kNotFound) items_[pos].index = index;
}

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
  if (!subscriber->subs_.Insert(entry, kind, static_cast<uint32_t>(entry->subscribers.size()))) {
    return false;
  }
  entry->subscribers.push_back(subscriber);
  return true;
}

bool Broker::Unsubscribe(Subscriber* subscriber, SubKind kind, std::string_view name) {
  EntryMap& map = names_[static_cast<size_t>(kind)];
  auto it = map.find(name);
  if (it == map.end()) return false;
  Entry* entry = it->second.get();
  uint32_t index = 0;
  if (!subscriber->subs_.Erase(entry, &index)) return false;
  // Swap-remove: the last subscriber of the entry takes the freed position, and its own index
  // of this entry is updated, so removal stays O(1) however many subscribers a channel has.
  Subscriber* last = entry->subscribers.back();
  entry->subscribers.pop_back();
  if (last != subscriber) {
    entry->subscribers[index] = last;
    last->subs_.SetIndex(entry, index);
  }
  // Like Redis, a channel with no subscribers stops existing (PUBSUB CHANNELS forgets it).
  if (entry->subscribers.empty()) map.erase(it);
  return true;
}

std::vector<std::string> Broker::Names(const Subscriber* subscriber, SubKind kind) const {
  std::vector<std::string> names;
  names.reserve(subscriber->subs_.count(kind));
  for (const SubscriptionSet::Item& item : subscriber->subs_.items()) {
    if (item.kind == kind) names.push_back(static_cast<const Entry*>(item.entry)->name);
  }
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

}  // namespace herald::broker
