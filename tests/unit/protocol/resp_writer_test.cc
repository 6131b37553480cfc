#include "protocol/resp_writer.h"

#include <doctest/doctest.h>

#include <string>

#include "protocol/numbers.h"

namespace herald::protocol {
namespace {

std::string Write(int protocol, void (*fill)(RespWriter&)) {
  std::string out;
  RespWriter writer(&out, protocol);
  fill(writer);
  return out;
}

TEST_CASE("RESP2 downgrades RESP3 types as Redis 7.0 does") {
  CHECK(Write(2, [](RespWriter& w) { w.Null(); }) == "$-1\r\n");
  CHECK(Write(3, [](RespWriter& w) { w.Null(); }) == "_\r\n");
  CHECK(Write(2, [](RespWriter& w) { w.NullArray(); }) == "*-1\r\n");
  CHECK(Write(2, [](RespWriter& w) { w.MapHeader(7); }) == "*14\r\n");
  CHECK(Write(3, [](RespWriter& w) { w.MapHeader(7); }) == "%7\r\n");
  CHECK(Write(2, [](RespWriter& w) { w.PushHeader(3); }) == "*3\r\n");
  CHECK(Write(3, [](RespWriter& w) { w.PushHeader(3); }) == ">3\r\n");
  CHECK(Write(3, [](RespWriter& w) { w.SetHeader(2); }) == "~2\r\n");
  CHECK(Write(2, [](RespWriter& w) { w.Bool(true); }) == ":1\r\n");
  CHECK(Write(3, [](RespWriter& w) { w.Bool(false); }) == "#f\r\n");
  CHECK(Write(3, [](RespWriter& w) { w.Verbatim("ab"); }) == "=6\r\ntxt:ab\r\n");
  CHECK(Write(2, [](RespWriter& w) { w.Verbatim("ab"); }) == "$2\r\nab\r\n");
  CHECK(Write(2, [](RespWriter& w) { w.Integer(-42); }) == ":-42\r\n");
  CHECK(Write(2, [](RespWriter& w) { w.Bulk(""); }) == "$0\r\n\r\n");
  CHECK(Write(2, [](RespWriter& w) { w.Error("ERR x"); }) == "-ERR x\r\n");
  CHECK(Write(2, [](RespWriter& w) { w.SimpleString("OK"); }) == "+OK\r\n");
}

TEST_CASE("pub/sub frames are byte-exact for both protocols") {
  CHECK(EncodePubSubMessage(2, PubSubKind::kMessage, {}, "a", "hi").view() ==
        "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n");
  CHECK(EncodePubSubMessage(3, PubSubKind::kMessage, {}, "a", "two").view() ==
        ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$3\r\ntwo\r\n");
  CHECK(EncodePubSubMessage(2, PubSubKind::kPMessage, "h?llo", "hello", "m").view() ==
        "*4\r\n$8\r\npmessage\r\n$5\r\nh?llo\r\n$5\r\nhello\r\n$1\r\nm\r\n");
  CHECK(EncodePubSubMessage(3, PubSubKind::kPMessage, "*", "a", "two").view() ==
        ">4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$1\r\na\r\n$3\r\ntwo\r\n");
  CHECK(EncodePubSubMessage(2, PubSubKind::kSMessage, {}, "s1", "m").view() ==
        "*3\r\n$8\r\nsmessage\r\n$2\r\ns1\r\n$1\r\nm\r\n");
  std::string big(100000, 'z');
  auto frame = EncodePubSubMessage(2, PubSubKind::kMessage, {}, "c", big);
  CHECK(frame.size() == 4 + 13 + 7 + 9 + big.size() + 2);
  CHECK(frame.size() <= frame.capacity());
}

TEST_CASE("ParseInt64 follows Redis's string2ll") {
  int64_t v = 0;
  CHECK(ParseInt64("0", &v));
  CHECK(v == 0);
  CHECK(ParseInt64("-12", &v));
  CHECK(v == -12);
  CHECK(ParseInt64("9223372036854775807", &v));
  CHECK(ParseInt64("-9223372036854775808", &v));
  CHECK(v == INT64_MIN);
  CHECK_FALSE(ParseInt64("9223372036854775808", &v));
  CHECK_FALSE(ParseInt64("", &v));
  CHECK_FALSE(ParseInt64("-", &v));
  CHECK_FALSE(ParseInt64("-0", &v));
  CHECK_FALSE(ParseInt64("01", &v));
  CHECK_FALSE(ParseInt64("+1", &v));
  CHECK_FALSE(ParseInt64(" 1", &v));
  CHECK_FALSE(ParseInt64("1x", &v));
  CHECK(EqualsIgnoreCase("PubSub", "pubsub"));
  CHECK_FALSE(EqualsIgnoreCase("pubsu", "pubsub"));
}

}  // namespace
}  // namespace herald::protocol
