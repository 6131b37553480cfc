#include "broker/grants.h"

#include <doctest/doctest.h>

namespace herald::broker {
namespace {

TEST_CASE("ChannelGrants: channels match globs, patterns must be granted literally") {
  ChannelGrants grants{.subscribe = {"news.*", "chat.alice"}, .publish = {"chat.alice"}};
  CHECK(grants.MaySubscribe("news.sport"));
  CHECK(grants.MaySubscribe("chat.alice"));
  CHECK_FALSE(grants.MaySubscribe("chat.bob"));
  CHECK_FALSE(grants.MaySubscribe("news"));
  CHECK(grants.MayPSubscribe("news.*"));
  // "news.s*" only matches channels news.* covers, but Redis's ACLs compare patterns literally.
  CHECK_FALSE(grants.MayPSubscribe("news.s*"));
  CHECK_FALSE(grants.MayPSubscribe("*"));
  CHECK(grants.MayPublish("chat.alice"));
  CHECK_FALSE(grants.MayPublish("news.sport"));
}

TEST_CASE("ChannelGrants: \"*\" allows every pattern, empty lists allow nothing") {
  ChannelGrants all = ChannelGrants::All();
  CHECK(all.MayPSubscribe("*"));
  CHECK(all.MayPSubscribe("a?b[cd]"));
  CHECK(all.MayPublish("anything"));
  ChannelGrants none;
  CHECK_FALSE(none.MaySubscribe("a"));
  CHECK_FALSE(none.MayPSubscribe("a"));
  CHECK_FALSE(none.MayPublish("a"));
}

}  // namespace
}  // namespace herald::broker
