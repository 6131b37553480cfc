#include "protocol/message_id.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/numbers.h"

namespace herald::protocol {
namespace {

using namespace std::literals;

TEST_CASE("ParseUint64: strict unsigned decimal") {
  struct Case {
    std::string_view text;
    bool ok;
    uint64_t value;
  };
  const Case cases[] = {
      {"0", true, 0},
      {"7", true, 7},
      {"1234567890", true, 1234567890},
      {"18446744073709551615", true, UINT64_MAX},
      {"18446744073709551616", false, 0},
      {"99999999999999999999", false, 0},
      {"100000000000000000000", false, 0},
      {"", false, 0},
      {"-1", false, 0},
      {"+1", false, 0},
      {" 1", false, 0},
      {"1 ", false, 0},
      {"01", false, 0},
      {"00", false, 0},
      {"1a", false, 0},
      {"0x10", false, 0},
      {"1.5", false, 0},
      {"1\0"sv, false, 0},
      {"\xd9\xa1", false, 0},  // ARABIC-INDIC DIGIT ONE
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    uint64_t value = 424242;
    CHECK(ParseUint64(c.text, &value) == c.ok);
    CHECK(value == (c.ok ? c.value : 424242));
  }
}

TEST_CASE("FormatMessageId: the replication ID's first 12 hex digits, then the offset") {
  CHECK(FormatMessageId("16c81dafbd50c7b26397916fbdf2c8f9b2caf489", 73) == "16c81dafbd50-73");
  CHECK(FormatMessageId("16c81dafbd50c7b26397916fbdf2c8f9b2caf489", 0) == "16c81dafbd50-0");
  CHECK(FormatMessageId("abc", UINT64_MAX) == "abc-18446744073709551615");
  CHECK(FormatMessageId("", 5) == "0-5");
}

TEST_CASE("ParseMessageId reads what FormatMessageId writes, and nothing else") {
  for (std::string_view replid : {"16c81dafbd50c7b26397916fbdf2c8f9b2caf489"sv, "0"sv, "f"sv}) {
    for (uint64_t offset : {uint64_t{0}, uint64_t{1}, uint64_t{73}, UINT64_MAX}) {
      const std::string text = FormatMessageId(replid, offset);
      CAPTURE(text);
      MessageId id;
      REQUIRE(ParseMessageId(text, &id));
      CHECK(id.epoch == replid.substr(0, kMessageIdEpochSize));
      CHECK(id.offset == offset);
      CHECK(FormatMessageId(id.epoch, id.offset) == text);
    }
  }
  for (std::string_view bad :
       {""sv, "-"sv, "-5"sv, "abc"sv, "abc-"sv, "abc-x"sv, "abc-01"sv, "abc--1"sv, "abc-1-2"sv,
        "ABC-1"sv, "g-1"sv, " abc-1"sv, "abc-1 "sv, "16c81dafbd50c-1"sv,
        "abc-18446744073709551616"sv, "abc-+1"sv, "abc-1\0"sv, "42"sv}) {
    CAPTURE(bad);
    MessageId id{"untouched", 424242};
    CHECK_FALSE(ParseMessageId(bad, &id));
    CHECK(id.epoch == "untouched");
    CHECK(id.offset == 424242);
  }
}

}  // namespace
}  // namespace herald::protocol
