#include "replication/state_file.h"

#include <doctest/doctest.h>

namespace herald::repl {
namespace {

constexpr std::string_view kId = "0123456789abcdef0123456789abcdef01234567";

TEST_CASE("Saved replication state: written and read back") {
  SavedReplication saved{.replid = std::string(kId), .offset = 123456789012, .port = 7001};
  std::string text = FormatSavedReplication(saved);
  CHECK(text ==
        "herald-repl-state 1\nreplid 0123456789abcdef0123456789abcdef01234567\n"
        "offset 123456789012\nport 7001\n");
  SavedReplication read;
  std::string why;
  REQUIRE(ParseSavedReplication(text, &read, &why));
  CHECK(read.replid == kId);
  CHECK(read.offset == 123456789012);
  CHECK(read.port == 7001);
}

TEST_CASE("Saved replication state: anything incomplete or odd is refused") {
  SavedReplication read;
  std::string why;
  const std::string good =
      FormatSavedReplication({.replid = std::string(kId), .offset = 5, .port = 6379});
  CHECK_FALSE(ParseSavedReplication("", &read, &why));
  CHECK(why == "incomplete");
  // A file cut short by a crash while writing (the writer renames a complete file, but still).
  CHECK_FALSE(ParseSavedReplication(good.substr(0, good.size() - 1), &read, &why));
  CHECK(why == "truncated");
  CHECK_FALSE(ParseSavedReplication(good.substr(0, good.find("port")), &read, &why));
  CHECK(why == "incomplete");
  CHECK_FALSE(
      ParseSavedReplication(good.substr(0, good.find("port")) + "port 70000\n", &read, &why));
  CHECK(why == "bad port");
  CHECK_FALSE(ParseSavedReplication("REDIS0010\n", &read, &why));
  CHECK(why == "not a herald replication state file");
  CHECK_FALSE(ParseSavedReplication("herald-repl-state 1\nreplid ABC\noffset 1\n", &read, &why));
  CHECK(why == "bad replid");
  CHECK_FALSE(ParseSavedReplication(
      "herald-repl-state 1\nreplid 0123456789abcdef0123456789abcdef01234567\noffset -1\nport 1\n",
      &read, &why));
  CHECK(why == "bad offset");
  CHECK_FALSE(ParseSavedReplication(good + "extra 1\n", &read, &why));
  CHECK(why == "unexpected line");
  CHECK_FALSE(ParseSavedReplication(good + "offset 6\n", &read, &why));
  CHECK(why == "unexpected line");
  // The same fields in another order: not what a herald writes (found by the fuzz target, which
  // checks that whatever is accepted formats back to the same text).
  CHECK_FALSE(
      ParseSavedReplication("herald-repl-state 1\nport 79\noffset 7\n"
                            "replid 0123456789abcdef0123456789abcdef01234567\n",
                            &read, &why));
  CHECK(why == "unexpected line");
}

}  // namespace
}  // namespace herald::repl
