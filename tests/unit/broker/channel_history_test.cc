#include "broker/channel_history.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace herald::broker {
namespace {

std::vector<uint64_t> Ids(const ChannelHistory::Range& range) {
  std::vector<uint64_t> ids;
  for (const auto* message : range.messages) ids.push_back(message->id);
  return ids;
}

TEST_CASE("ChannelHistory merges the channels matching a pattern in id order") {
  ChannelHistory history({.max_count = 10, .max_bytes = 1000, .max_age_ms = 0});
  history.Append("news.a", 10, 0, "one");
  history.Append("other", 20, 0, "x");
  history.Append("news.b", 30, 0, "two");
  history.Append("news.a", 40, 0, "three");
  auto range = history.SinceMatching("news.*", 10, 40, 0);
  CHECK(Ids(range) == std::vector<uint64_t>{30, 40});
  CHECK(range.channels == std::vector<std::string_view>{"news.b", "news.a"});
  CHECK_FALSE(range.gap);
  auto all = history.SinceMatching("*", 0, 40, 0);
  CHECK(Ids(all) == std::vector<uint64_t>{10, 20, 30, 40});
  auto epoch = history.SinceMatching("news.*", 99, 40, 0);
  CHECK(epoch.gap);
  CHECK(Ids(epoch) == std::vector<uint64_t>{10, 30, 40});
}

TEST_CASE("ChannelHistory pattern resume reports drops of matching channels") {
  ChannelHistory history({.max_count = 1, .max_bytes = 1000, .max_age_ms = 0});
  history.Append("news.a", 10, 0, "one");
  history.Append("news.a", 20, 0, "two");  // drops 10
  history.Append("zzz", 30, 0, "x");
  CHECK(history.SinceMatching("news.*", 5, 30, 0).gap);
  CHECK_FALSE(history.SinceMatching("news.*", 10, 30, 0).gap);
  CHECK_FALSE(history.SinceMatching("zz*", 5, 30, 0).gap);
}

TEST_CASE("ChannelHistory::Clear makes every older id a gap") {
  ChannelHistory history({.max_count = 10, .max_bytes = 1000, .max_age_ms = 0});
  history.Append("a", 10, 0, "one");
  history.Clear(500);
  CHECK(history.channel_count() == 0);
  CHECK(history.total_bytes() == 0);
  auto range = history.Since("a", 10, 600, 0);
  CHECK(range.gap);
  CHECK(range.messages.empty());
  CHECK_FALSE(history.Since("a", 500, 600, 0).gap);
  history.Append("a", 510, 0, "two");
  CHECK(Ids(history.Since("a", 500, 600, 0)) == std::vector<uint64_t>{510});
}

TEST_CASE("ChannelHistory returns messages after an id, per channel") {
  ChannelHistory history({.max_count = 10, .max_bytes = 1000, .max_age_ms = 0});
  history.Append("a", 1, 0, "one");
  history.Append("b", 2, 0, "two");
  history.Append("a", 3, 0, "three");
  auto range = history.Since("a", 0, 3, 0);
  CHECK(Ids(range) == std::vector<uint64_t>{1, 3});
  CHECK_FALSE(range.gap);
  CHECK(range.messages[1]->payload == "three");
  CHECK(Ids(history.Since("a", 1, 3, 0)) == std::vector<uint64_t>{3});
  CHECK(history.Since("a", 3, 3, 0).messages.empty());
  CHECK(history.Since("none", 2, 3, 0).messages.empty());
  CHECK_FALSE(history.Since("none", 2, 3, 0).gap);
}

TEST_CASE("ChannelHistory reports a gap when the id is older than the history") {
  SUBCASE("count limit") {
    ChannelHistory history({.max_count = 2, .max_bytes = 1000, .max_age_ms = 0});
    for (uint64_t id = 1; id <= 4; ++id) history.Append("a", id, 0, "x");
    CHECK(Ids(history.Since("a", 2, 4, 0)) == std::vector<uint64_t>{3, 4});
    CHECK_FALSE(history.Since("a", 2, 4, 0).gap);
    auto range = history.Since("a", 1, 4, 0);
    CHECK(range.gap);
    CHECK(Ids(range) == std::vector<uint64_t>{3, 4});
  }
  SUBCASE("byte limit keeps the newest message") {
    ChannelHistory history({.max_count = 10, .max_bytes = 5, .max_age_ms = 0});
    history.Append("a", 1, 0, "abc");
    history.Append("a", 2, 0, "de");
    history.Append("a", 3, 0, "fgh");
    CHECK(Ids(history.Since("a", 2, 3, 0)) == std::vector<uint64_t>{3});
    CHECK_FALSE(history.Since("a", 2, 3, 0).gap);
    CHECK(history.Since("a", 0, 3, 0).gap);
    CHECK(history.total_bytes() == 5);
  }
  SUBCASE("a message bigger than the byte limit is not kept but is a gap") {
    ChannelHistory history({.max_count = 10, .max_bytes = 5, .max_age_ms = 0});
    history.Append("a", 1, 0, "abc");
    history.Append("a", 2, 0, "defghij");
    CHECK(history.total_bytes() == 3);
    CHECK(history.message_count() == 1);
    CHECK(history.evicted() == 1);
    // A client that saw 1 missed 2, and is told; one that saw 2 missed nothing.
    auto range = history.Since("a", 1, 2, 0);
    CHECK(range.gap);
    CHECK(range.messages.empty());
    CHECK_FALSE(history.Since("a", 2, 2, 0).gap);
    // The older message is still sent to a client from before it, with the gap.
    range = history.Since("a", 0, 2, 0);
    CHECK(range.gap);
    CHECK(Ids(range) == std::vector<uint64_t>{1});
    // Dropping the older message later does not forget that 2 was dropped.
    for (uint64_t id = 3; id <= 4; ++id) history.Append("a", id, 0, "xyz");
    CHECK(history.Since("a", 1, 4, 0).gap);
    CHECK(history.Since("a", 2, 4, 0).gap);  // 3 went for the byte limit
    CHECK_FALSE(history.Since("a", 3, 4, 0).gap);
  }
  SUBCASE("an oversized first message of a channel leaves a record of the gap") {
    ChannelHistory history({.max_count = 10, .max_bytes = 5, .max_age_ms = 0});
    history.Append("b", 1, 0, "x");
    history.Append("a", 2, 0, "0123456789");
    CHECK(history.total_bytes() == 1);
    CHECK(history.Since("a", 1, 2, 0).gap);
    CHECK(history.Since("a", 1, 2, 0).messages.empty());
    CHECK_FALSE(history.Since("a", 2, 2, 0).gap);
    CHECK_FALSE(history.Since("b", 0, 2, 0).gap);
    CHECK(history.SinceMatching("*", 1, 2, 0).gap);
  }
  SUBCASE("age limit, also after the channel record is gone") {
    ChannelHistory history({.max_count = 10, .max_bytes = 1000, .max_age_ms = 100});
    history.Append("a", 1, 0, "x");
    history.Append("a", 2, 50, "y");
    auto range = history.Since("a", 0, 2, 120);
    CHECK(range.gap);
    CHECK(Ids(range) == std::vector<uint64_t>{2});
    history.Expire(200);
    CHECK(history.channel_count() == 0);
    CHECK(history.Since("a", 1, 2, 200).gap);
    CHECK_FALSE(history.Since("a", 2, 2, 200).gap);
  }
  SUBCASE("an id from another epoch") {
    ChannelHistory history;
    history.Append("a", 1, 0, "x");
    auto range = history.Since("a", 99, 1, 0);
    CHECK(range.gap);
    CHECK(Ids(range) == std::vector<uint64_t>{1});
  }
}

TEST_CASE("ChannelHistory with max_count 0 keeps nothing") {
  ChannelHistory history({.max_count = 0, .max_bytes = 1000, .max_age_ms = 0});
  history.Append("a", 1, 0, "x");
  CHECK(history.channel_count() == 0);
}

}  // namespace
}  // namespace herald::broker
