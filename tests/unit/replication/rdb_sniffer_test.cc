#include "replication/rdb_sniffer.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "replication/replication_state.h"

namespace herald::repl {
namespace {

// RDB files saved by redis-server 7.0.15 (SAVE): with no data, with one key, with one function.
const std::string_view kEmptyWithAux{
    "\x52\x45\x44\x49\x53\x30\x30\x31\x30\xfa\x09\x72\x65\x64\x69\x73\x2d\x76\x65\x72\x06\x37"
    "\x2e\x30\x2e\x31\x35\xfa\x0a\x72\x65\x64\x69\x73\x2d\x62\x69\x74\x73\xc0\x40\xfa\x05\x63"
    "\x74\x69\x6d\x65\xc2\xa9\x18\x16\x6b\xfa\x08\x75\x73\x65\x64\x2d\x6d\x65\x6d\xc2\xb8\xd7"
    "\x0f\x00\xfa\x08\x61\x6f\x66\x2d\x62\x61\x73\x65\xc0\x00\xff\xd3\xe4\xa4\x2b\xf0\x35\x2d"
    "\xa1",
    89};
const std::string_view kWithKey{
    "\x52\x45\x44\x49\x53\x30\x30\x31\x30\xfa\x09\x72\x65\x64\x69\x73\x2d\x76\x65\x72\x06\x37"
    "\x2e\x30\x2e\x31\x35\xfa\x0a\x72\x65\x64\x69\x73\x2d\x62\x69\x74\x73\xc0\x40\xfa\x05\x63"
    "\x74\x69\x6d\x65\xc2\xa9\x18\x16\x6b\xfa\x08\x75\x73\x65\x64\x2d\x6d\x65\x6d\xc2\x30\x56"
    "\x0e\x00\xfa\x08\x61\x6f\x66\x2d\x62\x61\x73\x65\xc0\x00\xfe\x00\xfb\x01\x00\x00\x01\x6b"
    "\xc3\x0c\x41\x2c\x01\x61\x61\xe0\xff\x00\xe0\x17\x00\x01\x61\x61\xff\x85\xb4\xcf\xdf\x23"
    "\x70\x35\x3f",
    113};
const std::string_view kWithFunction{
    "\x52\x45\x44\x49\x53\x30\x30\x31\x30\xfa\x09\x72\x65\x64\x69\x73\x2d\x76\x65\x72\x06\x37"
    "\x2e\x30\x2e\x31\x35\xfa\x0a\x72\x65\x64\x69\x73\x2d\x62\x69\x74\x73\xc0\x40\xfa\x05\x63"
    "\x74\x69\x6d\x65\xc2\xa9\x18\x16\x6b\xfa\x08\x75\x73\x65\x64\x2d\x6d\x65\x6d\xc2\x68\x78"
    "\x0f\x00\xfa\x08\x61\x6f\x66\x2d\x62\x61\x73\x65\xc0\x00\xf5\x40\x44\x23\x21\x6c\x75\x61"
    "\x20\x6e\x61\x6d\x65\x3d\x6c\x69\x62\x0a\x72\x65\x64\x69\x73\x2e\x72\x65\x67\x69\x73\x74"
    "\x65\x72\x5f\x66\x75\x6e\x63\x74\x69\x6f\x6e\x28\x27\x66\x27\x2c\x20\x66\x75\x6e\x63\x74"
    "\x69\x6f\x6e\x28\x29\x20\x72\x65\x74\x75\x72\x6e\x20\x31\x20\x65\x6e\x64\x29\xff\x48\x55"
    "\xd6\x36\xa9\xb1\xb8\x1e",
    160};

RdbSniffer::Verdict SniffInPieces(std::string_view rdb, size_t piece) {
  RdbSniffer sniffer;
  for (size_t at = 0; at < rdb.size(); at += piece) sniffer.Feed(rdb.substr(at, piece));
  return sniffer.verdict();
}

TEST_CASE("RdbSniffer tells an RDB with data from one without, in any pieces") {
  for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{1000}}) {
    CAPTURE(piece);
    CHECK(SniffInPieces(kEmptyWithAux, piece) == RdbSniffer::Verdict::kEmpty);
    CHECK(SniffInPieces(EmptyRdb(), piece) == RdbSniffer::Verdict::kEmpty);
    CHECK(SniffInPieces(kWithKey, piece) == RdbSniffer::Verdict::kData);
    CHECK(SniffInPieces(kWithFunction, piece) == RdbSniffer::Verdict::kData);
  }
}

TEST_CASE("RdbSniffer: unknown until it knows, invalid for what is not an RDB") {
  RdbSniffer sniffer;
  CHECK(sniffer.Feed(kWithKey.substr(0, 20)) == RdbSniffer::Verdict::kUnknown);
  CHECK(sniffer.Feed(kWithKey.substr(20)) == RdbSniffer::Verdict::kData);
  CHECK(sniffer.Feed("anything") == RdbSniffer::Verdict::kData);
  RdbSniffer other;
  CHECK(other.Feed("REDIX0010") == RdbSniffer::Verdict::kInvalid);
  RdbSniffer bad_length;
  // An aux field whose key has a length encoding RDB does not have (10xxxxxx other than 0x80/81).
  CHECK(bad_length.Feed(std::string_view("REDIS0010\xfa\x82", 11)) ==
        RdbSniffer::Verdict::kInvalid);
  RdbSniffer lzf;
  // An aux field with an LZF string (0xC3, compressed length 2, raw length 5, 2 bytes), then EOF.
  CHECK(lzf.Feed(std::string_view("REDIS0010\xfa\x01k\xc3\x02\x05"
                                  "ab\xff",
                                  18)) == RdbSniffer::Verdict::kEmpty);
}

TEST_CASE("RdbSniffer: the upstream-data aux field of a herald relay") {
  const std::string_view framed = UpstreamDataRdbPayload();
  REQUIRE(framed.substr(0, 5) == "$42\r\n");
  const std::string_view rdb = framed.substr(5);
  REQUIRE(rdb.size() == 42);
  // The checksum covers everything before it, as Redis checks on load.
  uint64_t stored = 0;
  for (int i = 7; i >= 0; --i) stored = (stored << 8) | static_cast<uint8_t>(rdb[34 + i]);
  CHECK(stored == Crc64(0, rdb.substr(0, 34)));
  for (size_t piece : {size_t{1}, size_t{2}, size_t{5}, size_t{1000}}) {
    CAPTURE(piece);
    CHECK(SniffInPieces(rdb, piece) == RdbSniffer::Verdict::kUpstreamData);
  }
  // Only the key counts, and only all of it.
  using namespace std::string_view_literals;
  CHECK(SniffInPieces("REDIS0010\xfa\x01k\x14herald-upstream-data\xff"sv, 2) ==
        RdbSniffer::Verdict::kEmpty);
  CHECK(SniffInPieces("REDIS0010\xfa\x14herald-upstream-datx\x01"
                      "1\xff"sv,
                      3) == RdbSniffer::Verdict::kEmpty);
  CHECK(SniffInPieces("REDIS0010\xfa\x06herald\x01"
                      "1\xff"sv,
                      1) == RdbSniffer::Verdict::kEmpty);
  // Data after the marker is data.
  CHECK(SniffInPieces("REDIS0010\xfa\x14herald-upstream-data\x01"
                      "1\xfe\x00"sv,
                      4) == RdbSniffer::Verdict::kData);
}

}  // namespace
}  // namespace herald::repl
