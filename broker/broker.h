#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/resp_writer.h"
#include "protocol/shared_bytes.h"

namespace herald::broker {

// Wire formats a published message can be encoded into. Each front end picks the slots it
// uses; the broker only keeps one cache slot per format so that a message is encoded once per
// format and the bytes are shared by all subscribers using it.
enum class WireFormat : uint8_t {
  kResp2,
  kResp3,
  kWebSocketText,    // gateway: one WebSocket text frame with the payload
  kWebSocketBinary,  // gateway: one WebSocket binary frame with the payload
  kWebSocketJson,    // gateway /ws: a text frame with a JSON push {type, channel, pattern, data}
  kSse,              // gateway: one SSE event, data = the payload
  kSseJson,          // gateway: one SSE event, data = a JSON envelope {channel, pattern, data}
  kCount = 8
};
inline constexpr size_t kWireFormatCount = static_cast<size_t>(WireFormat::kCount);

// One message as it is delivered: a channel message, a pattern match of it, or a shard message.
struct Delivery {
  protocol::PubSubKind kind;
  std::string_view pattern;  // set for kPMessage only
  std::string_view channel;
  std::string_view payload;
  // The message's id: the replication stream offset just past its PUBLISH command, the same on
  // every node of a replication tree; 0 for a message that has none (published on a replica,
  // which keeps it local, as Redis does).
  uint64_t id = 0;
};

// Encoded bytes of one Delivery, one slot per wire format, filled lazily by the first subscriber
// that needs a format and shared by the others. Lives on the broker's stack for one delivery.
class FrameCache {
 public:
  protocol::SharedBytes& slot(WireFormat format) { return slots_[static_cast<size_t>(format)]; }

 private:
  protocol::SharedBytes slots_[kWireFormatCount];
};

// The three namespaces a subscription lives in.
enum class SubKind : uint8_t { kChannel = 0, kPattern = 1, kShardChannel = 2 };
inline constexpr size_t kSubKindCount = 3;

class Broker;

// A subscriber's own record of its subscriptions, each an (opaque) broker entry with the
// subscriber's position in that entry's list. Most clients hold a handful, so it is a flat
// vector searched linearly (16 bytes per subscription, nothing at all once empty); past
// kIndexThreshold an entry -> position hash index is added so that clients with thousands of
// subscriptions keep O(1) operations.
class SubscriptionSet {
 public:
  struct Item {
    const void* entry;
    uint32_t index;  // the subscriber's position in the entry's list
    SubKind kind;
  };
  static constexpr size_t kIndexThreshold = 16;

  SubscriptionSet();
  ~SubscriptionSet();
  SubscriptionSet(const SubscriptionSet&) = delete;
  SubscriptionSet& operator=(const SubscriptionSet&) = delete;

  // False if `entry` is already there.
  bool Insert(const void* entry, SubKind kind, uint32_t index);
  // Removes `entry`; false if absent. `*index` gets its position in the entry's list.
  bool Erase(const void* entry, uint32_t* index);
  // The subscriber moved to `index` in `entry`'s list (which it must hold).
  void SetIndex(const void* entry, uint32_t index);

  size_t count(SubKind kind) const { return counts_[static_cast<size_t>(kind)]; }
  const std::vector<Item>& items() const { return items_; }

 private:
  static constexpr size_t kNotFound = SIZE_MAX;
  size_t Find(const void* entry) const;

  std::vector<Item> items_;
  std::unique_ptr<std::unordered_map<const void*, uint32_t>> positions_;  // entry -> items_ index
  uint32_t counts_[kSubKindCount] = {};
};

// Anything that receives messages: a RESP connection, later a WebSocket or SSE stream.
// The broker keeps, inside each Subscriber, the index of every subscription it holds (Redis's
// client->pubsub_channels), so that unsubscribing is O(1) and a subscriber can list and count
// its own subscriptions.
class Subscriber {
 public:
  Subscriber() = default;
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;
  // A subscriber must be removed from the broker (Broker::UnsubscribeAll) before it dies.
  virtual ~Subscriber() = default;

  // Called once per message this subscriber receives. `frames` caches the encoded bytes of this
  // delivery per format: take the slot of your format, encode into it if empty, then queue a
  // reference. Must not subscribe or unsubscribe anything synchronously (the broker is iterating
  // its lists); a subscriber that must go away (for example over its output limit) schedules
  // its own close for later.
  virtual void Deliver(const Delivery& delivery, FrameCache& frames) = 0;

  // Subscriptions of one kind held by this subscriber.
  size_t count(SubKind kind) const { return subs_.count(kind); }
  // Channels plus patterns: the number Redis reports in (un)subscribe acks for those kinds.
  size_t channel_and_pattern_count() const {
    return count(SubKind::kChannel) + count(SubKind::kPattern);
  }
  size_t total_count() const { return channel_and_pattern_count() + count(SubKind::kShardChannel); }

 private:
  friend class Broker;
  SubscriptionSet subs_;
};

// Where a published message comes from.
enum class PublishOrigin : uint8_t {
  kClient,       // a client of this node (PUBLISH, SPUBLISH, later the HTTP gateway)
  kReplication,  // our master's replication stream: the stream bytes themselves are forwarded to
                 // our own replicas, so observers must not propagate the message again
};

// One PUBLISH or SPUBLISH as observers see it. Every view is valid only during OnPublish().
struct PublishEvent {
  SubKind kind;           // kChannel (PUBLISH) or kShardChannel (SPUBLISH)
  std::string_view verb;  // the command name as the client spelled it: "publish", "PUBLISH"
  std::string_view channel;
  std::string_view payload;
  PublishOrigin origin;
  uint64_t id = 0;  // as in Delivery
};

// Gives each message published by a client of this node its id, before it is delivered. The
// replication manager is the one implementation: on a master it appends the PUBLISH to the
// replication stream right there and returns the stream offset past it; on a replica it
// returns 0 (the message stays local and has no id).
class MessageIdSource {
 public:
  virtual ~MessageIdSource() = default;
  // `event.id` is 0 here. Must not publish.
  virtual uint64_t AssignId(const PublishEvent& event) = 0;

  // The history ids belong to, for naming ids to clients and checking the ones they bring back
  // (see Gateway). Views are valid until the next publish or replication event.
  struct Line {
    std::string_view replid;     // the replication ID of ids above second_offset
    std::string_view replid2;    // the one of ids up to second_offset (empty: none)
    uint64_t second_offset = 0;  // ids <= this belong to replid2
    uint64_t start = 0;          // the first stream offset this node holds messages of
    uint64_t offset = 0;         // the newest stream offset (>= every id given so far)
    uint64_t generation = 0;     // changes whenever `start` jumps (a full resynchronization)
  };
  virtual Line line() const = 0;

  // Where this node stands in its replication tree, for monitoring (the gateway's /metrics):
  // replicas attached to it, and whether it is a replica whose link to its master is up.
  virtual size_t replica_count() const = 0;
  virtual bool master_link_up() const = 0;
};

// Receives every message published through the broker, after local delivery: the channel
// history and the replication stream hook in here.
class PublishObserver {
 public:
  virtual ~PublishObserver() = default;
  // Called synchronously from Broker::Publish. Must not publish again.
  virtual void OnPublish(const PublishEvent& event) = 0;
};

// Sends a publish of this node up to its master instead of delivering it here (a replica's
// gateway publishes, and RESP ones with `replica-publish forward`): the master publishes it, so
// it gets its id there and comes back to this node through the replication stream. Implemented
// by the RESP front end (resp/forwarding.h), which owns the connection to the master.
class PublishForwarder {
 public:
  struct Result {
    std::string error;      // empty: done; else the reason, without a "-ERR " prefix
    int64_t receivers = 0;  // the master's reply to PUBLISH
    uint64_t id = 0;        // the message's id, if asked for (0 if not)
  };
  using Done = std::function<void(const Result&)>;
  virtual ~PublishForwarder() = default;
  // Whether this node forwards at all (it is a replica).
  virtual bool active() const = 0;
  // Forwards. Returns why it cannot (empty if it went): then `done` runs exactly once, later
  // (never from inside this call), unless Cancel(owner) ran first. With `need_id`, `done` waits
  // until the message came back through the stream. Errors have no "-ERR " prefix.
  virtual std::string Forward(SubKind kind, std::string_view channel, std::string_view payload,
                              bool need_id, const void* owner, Done done) = 0;
  // `owner` is going away: its pending `done`s are dropped (the publishes still go out).
  virtual void Cancel(const void* owner) = 0;
};

// The hub: owns every subscription of every transport and delivers each published message to
// all local subscribers. Pure logic, no I/O; PUBLISH costs O(subscribers + distinct patterns) and
// allocates only the encoded frames (one per wire format used), never per delivery.
class Broker {
 public:
  Broker();
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Adds a subscription. Returns false if `subscriber` already had it (Redis still acks).
  bool Subscribe(Subscriber* subscriber, SubKind kind, std::string_view name);
  // Removes a subscription. Returns false if `subscriber` did not have it.
  bool Unsubscribe(Subscriber* subscriber, SubKind kind, std::string_view name);
  // The names of `subscriber`'s subscriptions of one kind (for UNSUBSCRIBE without arguments).
  std::vector<std::string> Names(const Subscriber* subscriber, SubKind kind) const;
  // Removes every subscription of `subscriber`, silently (connection close, RESET).
  void UnsubscribeAll(Subscriber* subscriber);

  // Delivers `payload` to the subscribers of `channel` and of every matching pattern (kChannel),
  // or to the shard subscribers of `channel` (kShardChannel), then tells the observers. Returns
  // the receiver count as PUBLISH reports it: each subscriber of the channel plus each
  // (subscriber, pattern) match. `verb` is the command name as sent (Redis propagates argv as
  // the client wrote it); empty means "publish" / "spublish". `origin` tells observers whether
  // the message came from a client or from our master's replication stream.
  // `id` is used for kReplication messages (the stream offset past the command); a client's
  // message gets its id from the MessageIdSource, if one is set.
  int64_t Publish(SubKind kind, std::string_view channel, std::string_view payload,
                  std::string_view verb = {}, PublishOrigin origin = PublishOrigin::kClient,
                  uint64_t id = 0);
  void set_id_source(MessageIdSource* source) { id_source_ = source; }
  const MessageIdSource* id_source() const { return id_source_; }
  void set_forwarder(PublishForwarder* forwarder) { forwarder_ = forwarder; }
  // nullptr, or one that may be inactive (a master).
  PublishForwarder* forwarder() const { return forwarder_; }

  // PUBSUB CHANNELS / SHARDCHANNELS: active names of `kind` matching `pattern` (all if empty
  // optional), in unspecified order.
  std::vector<std::string_view> Channels(SubKind kind, const std::string_view* pattern) const;
  // PUBSUB NUMSUB / SHARDNUMSUB: subscribers of one channel.
  size_t NumSub(SubKind kind, std::string_view channel) const;
  // PUBSUB NUMPAT: distinct patterns with at least one subscriber.
  size_t NumPat() const { return names_[static_cast<size_t>(SubKind::kPattern)].size(); }
  // Active names of a kind, for INFO (pubsub_channels, pubsub_patterns, pubsubshard_channels).
  size_t Count(SubKind kind) const { return names_[static_cast<size_t>(kind)].size(); }

  void AddObserver(PublishObserver* observer) { observers_.push_back(observer); }
  void RemoveObserver(PublishObserver* observer);

  // Totals since start, for INFO stats.
  uint64_t messages_published() const { return messages_published_; }
  uint64_t messages_from_replication() const { return messages_from_replication_; }
  uint64_t deliveries() const { return deliveries_; }

 private:
  struct Entry {
    std::string name;
    std::vector<Subscriber*> subscribers;
  };
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using EntryMap =
      std::unordered_map<std::string, std::unique_ptr<Entry>, NameHash, std::equal_to<>>;

  void DeliverTo(const Entry& entry, const Delivery& delivery);

  EntryMap names_[kSubKindCount];
  std::vector<PublishObserver*> observers_;
  MessageIdSource* id_source_ = nullptr;
  PublishForwarder* forwarder_ = nullptr;
  uint64_t messages_published_ = 0;
  uint64_t messages_from_replication_ = 0;
  uint64_t deliveries_ = 0;
};

}  // namespace herald::broker
