#include "broker/broker.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace herald::broker {
namespace {

// Records what it receives, encoding RESP2 frames through the shared cache like a real client.
class FakeSubscriber : public Subscriber {
 public:
  void Deliver(const Delivery& delivery, FrameCache& frames) override {
    protocol::SharedBytes& frame = frames.slot(WireFormat::kResp2);
    if (!frame) {
      ++encodes;
      frame = protocol::EncodePubSubMessage(2, delivery.kind, delivery.pattern, delivery.channel,
                                            delivery.payload);
    }
    received.emplace_back(frame.view());
    last_frame = frame;
  }
  std::vector<std::string> received;
  protocol::SharedBytes last_frame;
  int encodes = 0;
};

class RecordingObserver : public PublishObserver {
 public:
  void OnPublish(const PublishEvent& event) override {
    seen.push_back(std::to_string(static_cast<int>(event.kind)) + ":" + std::string(event.verb) +
                   ":" + std::string(event.channel) + ":" + std::string(event.payload) + ":" +
                   (event.origin == PublishOrigin::kClient ? "client" : "replication"));
  }
  std::vector<std::string> seen;
};

TEST_CASE("channel subscribers receive the RESP2 message frame") {
  Broker broker;
  FakeSubscriber a;
  CHECK(broker.Subscribe(&a, SubKind::kChannel, "news"));
  CHECK_FALSE(broker.Subscribe(&a, SubKind::kChannel, "news"));  // already subscribed
  CHECK(broker.Publish(SubKind::kChannel, "news", "hi") == 1);
  REQUIRE(a.received.size() == 1);
  CHECK(a.received[0] == "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
  CHECK(broker.Publish(SubKind::kChannel, "other", "x") == 0);
  CHECK(a.received.size() == 1);
  broker.UnsubscribeAll(&a);
}

TEST_CASE("one encoding is shared by every subscriber of a format") {
  Broker broker;
  std::vector<FakeSubscriber> subs(100);
  for (auto& s : subs) broker.Subscribe(&s, SubKind::kChannel, "c");
  CHECK(broker.Publish(SubKind::kChannel, "c", "payload") == 100);
  int encodes = 0;
  for (auto& s : subs) encodes += s.encodes;
  CHECK(encodes == 1);
  CHECK(subs[0].last_frame.same_block(subs[99].last_frame));
  for (auto& s : subs) broker.UnsubscribeAll(&s);
}

TEST_CASE("patterns match once per distinct pattern and count each subscriber") {
  Broker broker;
  FakeSubscriber a, b;
  broker.Subscribe(&a, SubKind::kPattern, "n*");
  broker.Subscribe(&b, SubKind::kPattern, "n*");
  broker.Subscribe(&a, SubKind::kChannel, "news");
  CHECK(broker.NumPat() == 1);
  CHECK(broker.Publish(SubKind::kChannel, "news", "m") == 3);
  REQUIRE(a.received.size() == 2);
  CHECK(a.received[0] == "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1\r\nm\r\n");
  CHECK(a.received[1] == "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$1\r\nm\r\n");
  CHECK(b.received.size() == 1);
  CHECK(a.channel_and_pattern_count() == 2);
  broker.UnsubscribeAll(&a);
  broker.UnsubscribeAll(&b);
  CHECK(broker.NumPat() == 0);
}

TEST_CASE("shard channels are a separate namespace without patterns") {
  Broker broker;
  FakeSubscriber a;
  broker.Subscribe(&a, SubKind::kShardChannel, "s");
  broker.Subscribe(&a, SubKind::kPattern, "*");
  CHECK(broker.Publish(SubKind::kShardChannel, "s", "m") == 1);
  REQUIRE(a.received.size() == 1);
  CHECK(a.received[0] == "*3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nm\r\n");
  CHECK(a.count(SubKind::kShardChannel) == 1);
  CHECK(a.channel_and_pattern_count() == 1);
  CHECK(broker.Channels(SubKind::kChannel, nullptr).empty());
  CHECK(broker.Channels(SubKind::kShardChannel, nullptr).size() == 1);
  broker.UnsubscribeAll(&a);
}

TEST_CASE("unsubscribe keeps the other subscribers' indexes right") {
  Broker broker;
  std::vector<FakeSubscriber> subs(5);
  for (auto& s : subs) broker.Subscribe(&s, SubKind::kChannel, "c");
  CHECK(broker.Unsubscribe(&subs[1], SubKind::kChannel, "c"));
  CHECK_FALSE(broker.Unsubscribe(&subs[1], SubKind::kChannel, "c"));
  CHECK(broker.Unsubscribe(&subs[0], SubKind::kChannel, "c"));
  // subs[4] moved twice; removing it must still find it.
  CHECK(broker.Unsubscribe(&subs[4], SubKind::kChannel, "c"));
  CHECK(broker.NumSub(SubKind::kChannel, "c") == 2);
  CHECK(broker.Publish(SubKind::kChannel, "c", "x") == 2);
  CHECK(subs[2].received.size() == 1);
  CHECK(subs[3].received.size() == 1);
  CHECK(subs[4].received.empty());
  broker.UnsubscribeAll(&subs[2]);
  broker.UnsubscribeAll(&subs[3]);
  CHECK(broker.Count(SubKind::kChannel) == 0);  // the channel disappears with its last subscriber
}

TEST_CASE("many subscriptions per client: the indexed set stays consistent") {
  // Three clients on 0..99 channels of each kind, unsubscribed in a scrambled order, with
  // receiver counts checked against a model after every step. Past SubscriptionSet's
  // threshold the set switches to its hash index; at zero it frees everything.
  Broker broker;
  std::vector<FakeSubscriber> subs(3);
  const SubKind kinds[] = {SubKind::kChannel, SubKind::kPattern, SubKind::kShardChannel};
  auto name = [](int i) { return "c" + std::to_string(i); };
  for (int i = 0; i < 100; ++i) {
    for (auto& s : subs) {
      for (SubKind kind : kinds) CHECK(broker.Subscribe(&s, kind, name(i)));
    }
  }
  for (auto& s : subs) {
    CHECK(s.count(SubKind::kChannel) == 100);
    CHECK(s.count(SubKind::kPattern) == 100);
    CHECK_FALSE(broker.Subscribe(&s, SubKind::kPattern, name(7)));
  }
  std::vector<int> subscribed(100, 3);
  for (int step = 0; step < 300; ++step) {
    int channel = (step * 37) % 100;
    FakeSubscriber& s = subs[step % 3];
    bool had = broker.Unsubscribe(&s, SubKind::kChannel, name(channel));
    if (had) --subscribed[channel];
    // Every channel message also reaches the three pattern subscriptions "cN" (exact match).
    CHECK(broker.Publish(SubKind::kChannel, name(channel), "x") == subscribed[channel] + 3);
  }
  for (auto& s : subs) {
    std::vector<std::string> names = broker.Names(&s, SubKind::kChannel);
    CHECK(names.size() == s.count(SubKind::kChannel));
    broker.UnsubscribeAll(&s);
    CHECK(s.channel_and_pattern_count() == 0);
    CHECK(s.count(SubKind::kShardChannel) == 0);
  }
  CHECK(broker.Count(SubKind::kChannel) == 0);
  CHECK(broker.NumPat() == 0);
}

TEST_CASE("PUBSUB CHANNELS filters with the glob") {
  Broker broker;
  FakeSubscriber a;
  broker.Subscribe(&a, SubKind::kChannel, "news.a");
  broker.Subscribe(&a, SubKind::kChannel, "news.b");
  broker.Subscribe(&a, SubKind::kChannel, "sport");
  std::string_view pattern = "news.*";
  CHECK(broker.Channels(SubKind::kChannel, &pattern).size() == 2);
  CHECK(broker.Channels(SubKind::kChannel, nullptr).size() == 3);
  auto names = broker.Names(&a, SubKind::kChannel);
  CHECK(names.size() == 3);
  broker.UnsubscribeAll(&a);
}

TEST_CASE("observers see every publish after local delivery") {
  Broker broker;
  RecordingObserver observer;
  broker.AddObserver(&observer);
  broker.Publish(SubKind::kChannel, "a", "1");
  broker.Publish(SubKind::kShardChannel, "b", "2");
  broker.Publish(SubKind::kChannel, "c", "3", "PuBlIsH");
  broker.Publish(SubKind::kShardChannel, "d", "4", "SPUBLISH", PublishOrigin::kReplication);
  broker.RemoveObserver(&observer);
  broker.Publish(SubKind::kChannel, "e", "5");
  REQUIRE(observer.seen.size() == 4);
  // Without a verb the observers see Redis's lower-case command names.
  CHECK(observer.seen[0] == "0:publish:a:1:client");
  CHECK(observer.seen[1] == "2:spublish:b:2:client");
  // The verb keeps the client's spelling, as Redis propagates argv unchanged.
  CHECK(observer.seen[2] == "0:PuBlIsH:c:3:client");
  CHECK(observer.seen[3] == "2:SPUBLISH:d:4:replication");
}

}  // namespace
}  // namespace herald::broker
