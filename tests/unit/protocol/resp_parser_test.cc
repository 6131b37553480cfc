#include "protocol/resp_parser.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace herald::protocol {
namespace {

using namespace std::literals;

bool Inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

std::vector<std::string> ParseStream(std::string_view stream, size_t chunk) {
  RequestParser parser;
  std::vector<std::string> requests;
  std::string buffer;
  for (size_t off = 0; off < stream.size(); off += chunk) {
    buffer.append(stream.substr(off, chunk));
    for (;;) {
      size_t consumed = 0;
      const RequestResult result = parser.Parse(buffer, &consumed);
      if (result == RequestResult::kNeedMore) break;
      if (result == RequestResult::kError) {
        requests.push_back("ERR:" + std::string(parser.error()));
        return requests;
      }
      std::string joined;
      for (std::string_view arg : parser.args()) {
        if (!joined.empty()) joined += '|';
        joined += arg;
      }
      requests.push_back(joined);
      buffer.erase(0, consumed);
    }
  }
  return requests;
}

TEST_CASE("RequestParser pipelined requests, whole and in every chunk size") {
  // Mixed shapes back to back, including the two bytes after a payload that Redis skips unseen
  // and an empty inline line; the stream ends with the capture's "no $" error after a good PING.
  const std::string stream =
      "PING\r\n*2\r\n$4\r\nECHO\r\n$3\r\nfoo\r\n\r\n*0\r\nECHO \"a b\"\n*1\r\n$4\r\nPINGxx"
      "*-1\r\n  \n*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n$4\r\nPING\r\n"
      "*1\r\nfoo\r\n*1\r\n$4\r\nPING\r\n";
  const std::vector<std::string> expected = {"PING",
                                             "ECHO|foo",
                                             "",
                                             "",
                                             "ECHO|a b",
                                             "PING",
                                             "",
                                             "",
                                             "SUBSCRIBE|a|b",
                                             "PING",
                                             "ERR:Protocol error: expected '$', got 'f'"};
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    INFO("chunk size ", chunk);
    CHECK(ParseStream(stream, chunk) == expected);
  }
}

TEST_CASE("RequestParser argument views") {
  RequestParser parser;
  size_t consumed = 0;
  SUBCASE("plain inline words view the input, quoted ones the parser's storage") {
    const std::string_view data = "SET key \"va lue\" x'y'\r\n";
    REQUIRE(parser.Parse(data, &consumed) == RequestResult::kOk);
    REQUIRE(parser.args().size() == 4);
    CHECK(parser.args()[0].data() == data.data());
    CHECK(parser.args()[1].data() == data.data() + 4);
    CHECK(parser.args()[2] == "va lue");
    CHECK_FALSE(Inside(parser.args()[2], data));
    CHECK(parser.args()[3] == "xy");
    CHECK_FALSE(Inside(parser.args()[3], data));
  }
  SUBCASE("multibulk arguments view the input") {
    const std::string_view data = "*2\r\n$4\r\nECHO\r\n$3\r\nfoo\r\n";
    REQUIRE(parser.Parse(data, &consumed) == RequestResult::kOk);
    REQUIRE(parser.args().size() == 2);
    CHECK(parser.args()[0].data() == data.data() + 8);
    CHECK(parser.args()[1].data() == data.data() + 18);
  }
  SUBCASE("the next Parse forgets the previous arguments") {
    REQUIRE(parser.Parse("PING\n", &consumed) == RequestResult::kOk);
    CHECK(parser.args().size() == 1);
    CHECK(parser.Parse("*1\r\n", &consumed) == RequestResult::kNeedMore);
    CHECK(parser.args().empty());
  }
}

TEST_CASE("RequestParser after an error") {
  RequestParser parser;
  size_t consumed = 7;
  REQUIRE(parser.Parse("*x\r\n", &consumed) == RequestResult::kError);
  CHECK(consumed == 0);
  CHECK(parser.error() == "Protocol error: invalid multibulk length");
  // Without Reset() the parser keeps refusing, whatever it is given.
  CHECK(parser.Parse("PING\r\n", &consumed) == RequestResult::kError);
  CHECK(parser.args().empty());
  parser.Reset();
  CHECK(parser.error().empty());
  REQUIRE(parser.Parse("PING\r\n", &consumed) == RequestResult::kOk);
  CHECK(consumed == 6);
}

TEST_CASE("RequestParser limits can change between requests") {
  RequestParser parser(RequestLimits{.unauthenticated = true});
  size_t consumed = 0;
  const std::string_view eleven = "*11\r\n";
  REQUIRE(parser.Parse(eleven, &consumed) == RequestResult::kError);
  CHECK(parser.error() == "Protocol error: unauthenticated multibulk length");
  // After AUTH the connection lifts the limit.
  parser.limits().unauthenticated = false;
  parser.Reset();
  CHECK(parser.Parse(eleven, &consumed) == RequestResult::kNeedMore);
}

TEST_CASE("RequestParser empty input and a restarted buffer") {
  RequestParser parser;
  size_t consumed = 3;
  CHECK(parser.Parse("", &consumed) == RequestResult::kNeedMore);
  CHECK(consumed == 0);
  // Not the calling contract, but handled safely: less data than before restarts the request.
  CHECK(parser.Parse("*1\r\n$4\r\nPI", &consumed) == RequestResult::kNeedMore);
  REQUIRE(parser.Parse("PING\n", &consumed) == RequestResult::kOk);
  CHECK(consumed == 5);
  REQUIRE(parser.args().size() == 1);
  CHECK(parser.args()[0] == "PING");
}

TEST_CASE("RequestParser large counts cost what is sent") {
  SUBCASE("two billion announced, a handful sent") {
    RequestParser parser;
    size_t consumed = 0;
    std::string data = "*2147483647\r\n";
    for (int i = 0; i < 100; ++i) data += "$1\r\nx\r\n";
    CHECK(parser.Parse(data, &consumed) == RequestResult::kNeedMore);
  }
  SUBCASE("100000 arguments arriving in 7-byte reads") {
    constexpr size_t kCount = 100000;
    std::string data = "*" + std::to_string(kCount) + "\r\n";
    for (size_t i = 0; i < kCount; ++i) data += "$1\r\nx\r\n";
    RequestParser parser;
    size_t consumed = 0;
    RequestResult result = RequestResult::kNeedMore;
    size_t size = 0;
    while (result == RequestResult::kNeedMore && size < data.size()) {
      size = std::min(size + 7, data.size());
      result = parser.Parse(std::string_view(data).substr(0, size), &consumed);
    }
    REQUIRE(result == RequestResult::kOk);
    CHECK(consumed == data.size());
    CHECK(parser.args().size() == kCount);
    CHECK(parser.args().back() == "x");
  }
  SUBCASE("a 16 MiB argument arriving one byte at a time") {
    // Each call must only look at what is new: quadratic rescanning would take hours here.
    const std::string payload(16 << 20, '\r');
    const std::string data = "*1\r\n$" + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
    RequestParser parser;
    size_t consumed = 0;
    size_t size = 0;
    RequestResult result = RequestResult::kNeedMore;
    while (result == RequestResult::kNeedMore && size < data.size()) {
      result = parser.Parse(std::string_view(data).substr(0, ++size), &consumed);
    }
    REQUIRE(result == RequestResult::kOk);
    CHECK(consumed == data.size());
    REQUIRE(parser.args().size() == 1);
    CHECK(parser.args()[0].size() == payload.size());
  }
  SUBCASE("a 64 KiB inline line arriving one byte at a time") {
    const std::string data = std::string(65536, 'A') + "\n";
    RequestParser parser;
    size_t consumed = 0;
    size_t size = 0;
    RequestResult result = RequestResult::kNeedMore;
    while (result == RequestResult::kNeedMore && size < data.size()) {
      result = parser.Parse(std::string_view(data).substr(0, ++size), &consumed);
    }
    REQUIRE(result == RequestResult::kOk);
    CHECK(consumed == data.size());
  }
}

}  // namespace
}  // namespace herald::protocol
