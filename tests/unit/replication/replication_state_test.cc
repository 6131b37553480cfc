#include "replication/replication_state.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/unit/replication/data/captures.h"

namespace herald::repl {
namespace {

using namespace std::string_view_literals;

constexpr std::string_view kIdA = "fb5a503ef1f6696cece532d672d52b855b46fa99";
constexpr std::string_view kIdB = "8a3c7e2f1b0d4c5a6e7f8091a2b3c4d5e6f70819";
constexpr std::string_view kZeros = "0000000000000000000000000000000000000000";

uint64_t LittleEndian64(std::string_view bytes) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[static_cast<size_t>(i)]);
  return v;
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

TEST_CASE("CRC64 Jones matches the catalogue check value and chains") {
  CHECK(Crc64(0, "123456789") == 0xe9c6d914c4b8d9caULL);
  CHECK(Crc64(0, "") == 0);
  CHECK(Crc64(Crc64(0, "1234"), "56789") == 0xe9c6d914c4b8d9caULL);
}

TEST_CASE("CRC64 verifies real RDB files (the checksum covers everything before it)") {
  SUBCASE("the empty v10 RDB") {
    const std::string_view rdb = testdata::kEmptyRdbV10;
    REQUIRE(rdb.size() == 18);
    CHECK(Crc64(0, rdb.substr(0, 10)) == 0xeb7ea789fe37fda9ULL);
    CHECK(LittleEndian64(rdb.substr(10)) == Crc64(0, rdb.substr(0, 10)));
  }
  SUBCASE("a 7.0 RDB with one key") {
    const std::string_view rdb = testdata::kRdbFromDiskless;
    REQUIRE(rdb.size() == 183);
    CHECK(LittleEndian64(rdb.substr(175)) == Crc64(0, rdb.substr(0, 175)));
  }
  SUBCASE("the empty v9 and v6 RDBs from the notes") {
    CHECK(Crc64(0, "REDIS0009\xff"sv) == 0x74ad0ffbbc7aac9aULL);
    CHECK(Crc64(0, "REDIS0006\xff"sv) == 0x56f2dc5af043b3dcULL);
  }
}

TEST_CASE("the empty RDB and its disk framing are the captured bytes") {
  CHECK(EmptyRdb() == testdata::kEmptyRdbV10);
  CHECK(EmptyRdbPayload().size() == 23);
  CHECK(EmptyRdbPayload() == std::string("$18\r\n") + std::string(testdata::kEmptyRdbV10));
  // What the scripted master sent and a real 7.0 replica loaded.
  CHECK(testdata::kFakeMasterDiskAndContinueSession1.find(EmptyRdbPayload()) != std::string::npos);
}

TEST_CASE("replication IDs are 40 random lowercase hex characters") {
  const std::string a = GenerateReplicationId();
  const std::string b = GenerateReplicationId();
  CHECK(a.size() == kReplIdLength);
  CHECK(IsLowerHex(a));
  CHECK(a != b);
  ReplicationState fresh;
  CHECK(fresh.replid().size() == kReplIdLength);
  CHECK(fresh.replid2() == kZeros);
  CHECK(fresh.second_repl_offset() == -1);
}

TEST_CASE("ShiftReplicationId keeps the old history as replid2 up to offset + 1") {
  ReplicationState state{std::string(kIdA)};
  state.ShiftReplicationId(1074);
  CHECK(state.replid2() == kIdA);
  CHECK(state.second_repl_offset() == 1075);
  CHECK(state.replid() != kIdA);
  CHECK(state.replid().size() == kReplIdLength);
  CHECK(IsLowerHex(state.replid()));

  state.ShiftReplicationId(2000, std::string(kIdB));
  CHECK(state.replid() == kIdB);
  CHECK(state.second_repl_offset() == 2001);
  CHECK(state.replid2() != kIdA);
}

TEST_CASE("AdoptMasterId and ChangeReplicationId forget replid2") {
  ReplicationState state{std::string(kIdA)};
  state.ShiftReplicationId(10);
  state.AdoptMasterId(std::string(kIdB));
  CHECK(state.replid() == kIdB);
  CHECK(state.replid2() == kZeros);
  CHECK(state.second_repl_offset() == -1);

  state.ShiftReplicationId(10);
  state.ChangeReplicationId();
  CHECK(state.replid() != kIdB);
  CHECK(state.replid2() == kZeros);
  CHECK(state.second_repl_offset() == -1);
}

TEST_CASE("AdoptContinueId shifts only when the master's ID changed") {
  ReplicationState state{std::string(kIdA)};
  CHECK_FALSE(state.AdoptContinueId(kIdA, 375));
  CHECK(state.replid() == kIdA);
  CHECK(state.second_repl_offset() == -1);

  CHECK(state.AdoptContinueId(kIdB, 375));
  CHECK(state.replid() == kIdB);
  CHECK(state.replid2() == kIdA);
  CHECK(state.second_repl_offset() == 376);
}

// The rules below were checked against redis-server 7.0.15 on loopback: offsets
// equal to first_byte_offset and master_repl_offset + 1 continue, one byte beyond either side
// does not; replid2 continues up to second_repl_offset inclusive; IDs are case-insensitive.
TEST_CASE("DecidePsync follows Redis 7.0's rules") {
  ReplicationState state{std::string(kIdA)};
  Backlog backlog(1024, 0);
  backlog.Append(std::string(61, 'x'), nullptr);  // offsets 1..61

  const auto decide = [&](std::string_view id, std::string_view off) {
    return DecidePsync(id, off, state, backlog);
  };

  SUBCASE("current replid inside the backlog continues") {
    for (std::string_view off : {"1"sv, "30"sv, "61"sv, "62"sv}) {
      const PsyncDecision d = decide(kIdA, off);
      CHECK(d.outcome == PsyncOutcome::kContinue);
      CHECK(d.reason == PsyncReason::kAccepted);
    }
    CHECK(decide(kIdA, "62").offset == 62);
  }
  SUBCASE("IDs compare case-insensitively") {
    CHECK(decide("FB5A503EF1F6696CECE532D672D52B855B46FA99", "62").outcome ==
          PsyncOutcome::kContinue);
  }
  SUBCASE("outside the backlog is a full resync at the current offset") {
    for (std::string_view off : {"0"sv, "63"sv, "-5"sv, "1000"sv}) {
      const PsyncDecision d = decide(kIdA, off);
      CHECK(d.outcome == PsyncOutcome::kFullResync);
      CHECK(d.reason == PsyncReason::kNotInBacklog);
      CHECK(d.offset == 61);
    }
  }
  SUBCASE("a trimmed backlog no longer serves its old start") {
    Backlog small(10, 0);
    small.Append(std::string(61, 'x'), nullptr);
    CHECK(small.first_byte_offset() == 52);
    CHECK(DecidePsync(kIdA, "51", state, small).reason == PsyncReason::kNotInBacklog);
    CHECK(DecidePsync(kIdA, "52", state, small).outcome == PsyncOutcome::kContinue);
  }
  SUBCASE("? forces a full resync") {
    const PsyncDecision d = decide("?", "-1");
    CHECK(d.outcome == PsyncOutcome::kFullResync);
    CHECK(d.reason == PsyncReason::kFullResyncRequested);
    CHECK(d.offset == 61);
  }
  SUBCASE("an unknown replid is a full resync") {
    CHECK(decide(kIdB, "62").reason == PsyncReason::kReplidMismatch);
    CHECK(decide("", "62").reason == PsyncReason::kReplidMismatch);
    CHECK(decide(kIdA.substr(1), "62").reason == PsyncReason::kReplidMismatch);
  }
  SUBCASE("replid2 continues up to second_repl_offset inclusive") {
    state.ShiftReplicationId(40, std::string(kIdB));  // kIdA valid up to 41
    CHECK(state.second_repl_offset() == 41);
    const PsyncDecision at = decide(kIdA, "41");
    CHECK(at.outcome == PsyncOutcome::kContinue);
    CHECK(at.offset == 41);
    CHECK(decide(kIdA, "40").outcome == PsyncOutcome::kContinue);
    const PsyncDecision beyond = decide(kIdA, "42");
    CHECK(beyond.outcome == PsyncOutcome::kFullResync);
    CHECK(beyond.reason == PsyncReason::kSecondIdOffsetTooBig);
    CHECK(decide("FB5A503EF1F6696CECE532D672D52B855B46FA99", "41").outcome ==
          PsyncOutcome::kContinue);
    // The new ID continues anywhere in the backlog.
    CHECK(decide(kIdB, "62").outcome == PsyncOutcome::kContinue);
  }
  SUBCASE("replid2 still needs the backlog") {
    state.ShiftReplicationId(70, std::string(kIdB));
    CHECK(decide(kIdA, "0").reason == PsyncReason::kNotInBacklog);
  }
  SUBCASE("no replid2: the zero ID matches replid2 but never continues") {
    // Redis compares with its zeroed replid2 too, and logs the second-ID message.
    CHECK(decide(kZeros, "5").reason == PsyncReason::kSecondIdOffsetTooBig);
    CHECK(decide(kZeros, "-5").reason == PsyncReason::kNotInBacklog);
  }
  SUBCASE("a non-integer offset is an error, not a sync") {
    for (std::string_view off : {"abc"sv, "01"sv, ""sv, "+1"sv, "1 "sv, "-0"sv}) {
      const PsyncDecision d = decide(kIdA, off);
      CHECK(d.outcome == PsyncOutcome::kBadOffset);
      CHECK(d.reason == PsyncReason::kBadOffset);
    }
  }
}

TEST_CASE("+FULLRESYNC and +CONTINUE are formatted as a 7.0 master sends them") {
  CHECK(FormatFullResync(kIdA, 539) ==
        "+FULLRESYNC fb5a503ef1f6696cece532d672d52b855b46fa99 539\r\n");
  CHECK(FormatFullResync(kIdB, 0) == "+FULLRESYNC 8a3c7e2f1b0d4c5a6e7f8091a2b3c4d5e6f70819 0\r\n");
  CHECK(FormatContinue(kIdA, true) == "+CONTINUE fb5a503ef1f6696cece532d672d52b855b46fa99\r\n");
  CHECK(FormatContinue(kIdA, false) == "+CONTINUE\r\n");
  // The captured master's bytes contain exactly these lines.
  CHECK(testdata::kMasterFullResyncDisk.find(FormatFullResync(kIdA, 539)) != std::string::npos);
  CHECK(testdata::kMasterPsyncContinue.find(FormatContinue(kIdA, true)) != std::string::npos);
}

}  // namespace
}  // namespace herald::repl
